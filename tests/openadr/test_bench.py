"""`make bench-dr` stays runnable: both parts on a short poll interval."""

from __future__ import annotations

import random

from bench.dr.run import latency, outage

from .certs import Tls


async def test_bench_parts(tls: Tls) -> None:
    """A shed directive within T + 2 s; no report lost or duplicated after the outage."""
    results = await latency(tls, 0.2, 2, random.Random(1))
    assert len(results) == 2
    assert max(results) <= 0.2 + 2
    assert await outage(tls, hours=24) == (24, 24, 0)
