"""`make bench-analytics`: forecasts, leaks, theft/fault, phase balancing, 720-meter update time.

Deterministic (fixed seeds). The last line printed is one JSON object (docs/benchmarks.md).
"""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.analytics import sim
from custom_components.balance.analytics import (
    BalanceGroup,
    WaterLeakDetector,
    backtest_mape,
    rank_suspects,
    recommend_phases,
)
from custom_components.balance.analytics.timebase import local_day_hours, local_midnight

QUICK = os.environ.get("BENCH_QUICK") == "1"
TZ = sim.TZ


def forecasts(meters: int) -> tuple[float, float]:
    """Mean over meters of the 12-period backtest MAPE at day 10 and day 20."""
    first, days = date(2025, 1, 1), 365 + 366 - 30
    rng = np.random.default_rng(1)
    temps = sim.weather(rng, first, days)
    out: dict[int, list[float]] = {10: [], 20: []}
    for _ in range(meters):
        truth = sim.meter(rng, temps, first, days)
        for at_day, mapes in out.items():
            mape = backtest_mape(truth.hourly, TZ, at_day, temps=temps, periods=12)
            assert mape is not None
            mapes.append(mape)
    for at_day, mapes in out.items():
        print(
            f"forecast: {meters} meters x 12 monthly periods, at day {at_day}: MAPE"
            f" {statistics.fmean(mapes):.2f} % (median meter {statistics.median(mapes):.2f} %,"
            f" worst {max(mapes):.2f} %)"
        )
    return statistics.fmean(out[10]), statistics.fmean(out[20])


def leaks(traces: int) -> tuple[float, float, float]:
    """Precision, recall and median detection delay (min) of the water-leak detectors."""
    rng = np.random.default_rng(2)
    start = local_midnight(date(2026, 3, 2), TZ)
    false_raises: dict[str, int] = {}
    true_raises = 0
    detected: dict[str, list[float]] = {k: [] for k in sim.LEAK_KINDS}
    missed: dict[str, int] = dict.fromkeys(sim.LEAK_KINDS, 0)
    grace = timedelta(minutes=60)
    for n in range(traces):
        kind = None if n % 5 == 4 else sim.LEAK_KINDS[n % 5]
        litres, injected = sim.water_trace(rng, start, 7, kind)
        detector = WaterLeakDetector(TZ)
        first_raise: dict[int, datetime] = {}
        kinds_seen: set[tuple[int, str]] = set()
        for minute, value in enumerate(litres):
            at = start + timedelta(minutes=minute + 1)
            for event in detector.update(at, value):
                if not event.active:
                    continue
                hit = [i for i, k in enumerate(injected) if k.start <= at <= k.end + grace]
                if not hit:
                    false_raises[str(event.kind)] = false_raises.get(str(event.kind), 0) + 1
                for i in hit:
                    true_raises += (i, event.kind) not in kinds_seen
                    kinds_seen.add((i, event.kind))
                    first_raise.setdefault(i, at)
        for i, leak in enumerate(injected):
            if i in first_raise:
                detected[leak.kind].append((first_raise[i] - leak.start).total_seconds() / 60)
            else:
                missed[leak.kind] += 1
    found = sum(len(v) for v in detected.values())
    total = found + sum(missed.values())
    for kind in sim.LEAK_KINDS:
        delays = detected[kind]
        med = f"{statistics.median(delays):.0f} min" if delays else "-"
        print(f"leak {kind}: {len(delays)}/{len(delays) + missed[kind]} found, median delay {med}")
    delays = [d for v in detected.values() for d in v]
    false = sum(false_raises.values())
    precision = true_raises / (true_raises + false) if true_raises + false else 0.0
    print(
        f"leaks: {traces} week-long traces (1 L/pulse, a fifth without a leak); alerts during a"
        f" leak (first per leak and kind) {true_raises}, outside any leak {false} {false_raises}"
    )
    return precision, found / total, statistics.median(delays)


def theft(buildings: int) -> tuple[float, float]:
    """Precision and recall of the suspicion flag on buildings with theft/faults >= 10 %."""
    rng = np.random.default_rng(3)
    tp = fp = fn = 0
    hours = 28 * 24
    for n in range(buildings):
        flats = int(rng.integers(12, 41))
        tampered: dict[int, float] = {}
        if n % 3 != 2:  # two buildings in three: one thief (or an under-registering meter)
            tampered[int(rng.integers(flats))] = float(rng.uniform(0.10, 0.40))
        if n % 5 == 0:  # and sometimes a second one
            tampered[int(rng.integers(flats))] = float(rng.uniform(0.10, 0.40))
        b = sim.building(rng, flats, hours, tampered)
        ranked = rank_suspects(
            b.parent.tolist(),
            {str(i): b.children[i].tolist() for i in range(flats)},
            hour_of_day=b.hour_of_day.tolist(),
        )
        flagged = {int(s.meter) for s in ranked if s.suspected}
        tp += len(flagged & set(tampered))
        fp += len(flagged - set(tampered))
        fn += len(set(tampered) - flagged)
    print(f"theft/fault: {buildings} buildings, {tp} found, {fp} false flags, {fn} missed")
    return tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0


def phases(buildings: int) -> tuple[float, float]:
    """Feeder losses (% of energy) before and after the recommendation (moves <= 20 % of flats)."""
    rng = np.random.default_rng(4)
    energy = 0.0
    figures = {
        "budget": [0.0, 0.0, 0.0, 0],
        "free": [0.0, 0.0, 0.0, 0],
    }  # before, after, peak, moves
    peak_before = 0.0
    flats_total = 0
    for _ in range(buildings):
        flats = int(rng.integers(24, 61))
        kw = sim.flat_profiles(rng, flats, 28 * 24)
        current = [int(p) for p in rng.choice(3, flats, p=[0.45, 0.33, 0.22])]
        energy += float(kw.sum())
        flats_total += flats
        for name, budget in (("budget", math.ceil(0.2 * flats)), ("free", None)):
            plan = recommend_phases(kw, current, ohm=0.15, max_moves=budget)
            row = figures[name]
            row[0] += plan.losses_before_kwh
            row[1] += plan.losses_after_kwh
            row[2] += plan.peak_imbalance_after_kw / buildings
            row[3] += len(plan.moves)
            peak_before += plan.peak_imbalance_before_kw / buildings / 2
    for name, (before, after, peak, moves) in figures.items():
        label = "moves <= 20 % of flats" if name == "budget" else "no move limit"
        print(
            f"phases ({label}): {buildings} feeders (24-60 flats, 0.15 ohm/conductor): losses"
            f" {before / energy * 100:.2f} % -> {after / energy * 100:.2f} % of energy; mean peak"
            f" imbalance {peak_before:.1f} kW -> {peak:.1f} kW;"
            f" {moves:.0f} of {flats_total} flats moved"
        )
    before, after = figures["budget"][0], figures["budget"][1]
    return before / energy * 100, after / energy * 100


def group720() -> float:
    """Worst time over 24 new hours to ingest, balance, share and rank a 720-meter group."""
    rng = np.random.default_rng(5)
    children = [f"m{i}" for i in range(719)]
    days = 29
    first = date(2026, 10, 1)
    hours = [h for k in range(days) for h in local_day_hours(first + timedelta(days=k), TZ)]
    kw = rng.gamma(2.0, 0.2, (719, len(hours)))
    parent = kw.sum(axis=0) * 1.05
    group = BalanceGroup("parent", children, TZ)
    window = 28 * 24
    for t, hour in enumerate(hours[:-24]):
        group.record("parent", hour, float(parent[t]))
        for i, child in enumerate(children):
            group.record(child, hour, float(kw[i, t]))
    group.update()
    worst = worst_balance = 0.0
    for t in range(len(hours) - 24, len(hours)):
        begin = time.perf_counter()
        hour = hours[t]
        group.record("parent", hour, float(parent[t]))
        for i, child in enumerate(children):
            group.record(child, hour, float(kw[i, t]))
        group.update()
        recent = hours[t - window + 1 : t + 1]
        group.day(sim.local_day_of(hour))
        group.loss_shares(recent[-24:])
        worst_balance = max(worst_balance, time.perf_counter() - begin)
        parent_kwh, children_kwh = group.matrix(recent)
        rank_suspects(
            parent_kwh,
            dict(zip(children, children_kwh, strict=True)),
            hour_of_day=[h % 24 for h in recent],
        )
        worst = max(worst, time.perf_counter() - begin)
    print(
        f"group of 720 meters: worst update {worst * 1000:.0f} ms over 24 hours of new data"
        f" (record + balances + day + shares {worst_balance * 1000:.0f} ms; the rest is the"
        f" 28-day theft/fault ranking)"
    )
    return worst


def main() -> None:
    """Run every part and print the summary line."""
    mape10, mape20 = forecasts(10 if QUICK else 50)
    precision, recall, delay = leaks(20 if QUICK else 100)
    theft_p, theft_r = theft(12 if QUICK else 60)
    before, after = phases(4 if QUICK else 20)
    update_s = group720()
    print(
        json.dumps(
            {
                "forecast_mape_day10": round(mape10, 2),
                "forecast_mape_day20": round(mape20, 2),
                "leak_precision": round(precision, 3),
                "leak_recall": round(recall, 3),
                "leak_delay_min": round(delay, 1),
                "theft_precision": round(theft_p, 3),
                "theft_recall": round(theft_r, 3),
                "losses_before_pct": round(before, 2),
                "losses_after_pct": round(after, 2),
                "group720_update_s": round(update_s, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
