"""`make bench-dr` stays runnable: both parts on a short poll interval."""

from __future__ import annotations

import random

from bench.dr.run import latency, mqtt_latency, outage, webhook_latency

from .certs import Tls


async def test_bench_parts(tls: Tls) -> None:
    """A shed directive within T + 2 s; no report lost or duplicated after the outage."""
    results = await latency(tls, 0.2, 2, random.Random(1))
    assert len(results) == 2
    assert max(results) <= 0.2 + 2
    assert await outage(tls, hours=24) == (24, 24, 0)


async def test_bench_webhook(tls: Tls) -> None:
    """With push the shed directive follows the event well within 2 s."""
    results = await webhook_latency(tls, 2, random.Random(1))
    assert len(results) == 2
    assert max(results) < 2


async def test_bench_mqtt(tls: Tls) -> None:
    """Through the broker the shed directive follows the event well within 2 s."""
    results = await mqtt_latency(tls, 2, random.Random(1))
    assert len(results) == 2
    assert max(results) < 2
