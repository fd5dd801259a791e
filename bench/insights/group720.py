"""Meter insights: a 720-meter BALANCE group's hourly update as the HA layer runs it.

Times ``GroupAnalysis.ingest`` of the re-read window (the last 72 hours of 721 meters, one of
them new) plus ``update`` (balances, shares, theft/fault ranking, efficiency ratios, loss rows),
the part the runtime runs in the executor. Deterministic; the last line is one JSON object.
Run: ``.venv/bin/python bench/insights/group720.py``.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from custom_components.balance.analytics.timebase import hour_start, utc_hour
from custom_components.balance.insights.group_compute import GroupAnalysis

TZ = ZoneInfo("Europe/Bucharest")
CHILDREN = 719
DAYS = 31
LATE_HOURS = 72  # insights/const.py: re-read at every refresh


def main() -> None:
    """Fill 31 days, then time 24 hourly refreshes (the last one crosses the October DST end)."""
    rng = np.random.default_rng(5)
    children = tuple(f"sensor.flat_{i}" for i in range(CHILDREN))
    first = utc_hour(datetime(2026, 9, 25, 21, tzinfo=UTC))
    hours = list(range(first, first + DAYS * 24 + 24))
    kw = rng.gamma(2.0, 0.2, (CHILDREN, len(hours)))
    parent = kw.sum(axis=0) * 1.05
    analysis = GroupAnalysis("sensor.building", children, TZ, 2.0)

    def series(upto: int) -> dict[str, dict[int, float]]:
        window = range(max(0, upto - LATE_HOURS), upto)
        out = {"sensor.building": {hours[t]: float(parent[t]) for t in window}}
        for i, child in enumerate(children):
            out[child] = {hours[t]: float(kw[i, t]) for t in window}
        return out

    base = len(hours) - 24
    for upto in range(LATE_HOURS, base + 1, LATE_HOURS):
        analysis.ingest(series(upto))
    analysis.ingest(series(base))
    period_start = datetime(2026, 10, 1, tzinfo=TZ)
    analysis.update(hour_start(hours[base]), period_start)
    worst = worst_ingest = 0.0
    for upto in range(base + 1, len(hours) + 1):
        data = series(upto)  # what the recorder returns (not timed: its read is in SQLite)
        begin = time.perf_counter()
        analysis.ingest(data)
        worst_ingest = max(worst_ingest, time.perf_counter() - begin)
        analysis.update(hour_start(hours[upto - 1]) + timedelta(minutes=5), period_start)
        worst = max(worst, time.perf_counter() - begin)
    print(
        f"720-meter group, HA layer: worst hourly update {worst * 1000:.0f} ms over 24 hours"
        f" (ingest of the 72-hour window {worst_ingest * 1000:.0f} ms)"
    )
    print(json.dumps({"insights_group720_update_s": round(worst, 3)}))


if __name__ == "__main__":
    main()
