"""Planner vs the exact MILP on problems outside the suite: new seeds, the hard families.

Six shapes per seed (96 slots x 5 loads at 6.5 kW, 192 x 6 at 7.4 kW, 96 x 6 under a tight
4.5 kW connection, 48 hourly x 5 at 6 kW, 96 x 4 under 3.5 kW, 24 hourly x 6 under 4.5 kW),
spot prices and base loads from the suite's generators with seeds the suite does not use.
Prints each problem above the optimum, then one JSON line.
Usage: ``python bench/planner/unseen.py [SEEDS [FIRST]]`` (default 25 seeds from 300: 150
problems).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.planner.milp import solve_milp
from bench.planner.problems import _mix, _problem, base_load, spot
from custom_components.balance.planner import Problem, caps_from, plan

SHAPES = (
    (96, 0.25, 5, 6.5),
    (192, 0.25, 6, 7.4),
    (96, 0.25, 6, 4.5),
    (48, 1.0, 5, 6.0),
    (96, 0.25, 4, 3.5),
    (24, 1.0, 6, 4.5),
)
FIRST_SEED = 300


def unseen(seed: int, shape: tuple[int, float, int, float]) -> Problem:
    """The problem of ``seed`` in ``shape`` (slots, dt in h, loads, connection kW)."""
    slots, dt, count, cap = shape
    deadline_h = 14.0 if slots < 150 else 38.0
    return _problem(
        spot(slots, dt, seed),
        caps_from(cap, base_load(slots, dt, seed)),
        dt,
        _mix(slots, dt, count, seed, deadline_h=deadline_h),
    )


def main(seeds: int = 25, first: int = FIRST_SEED) -> None:
    """Solve every problem both ways and report the cost gaps (deferrable part, % of optimum)."""
    gaps: list[float] = []
    for seed in range(first, first + seeds):
        for slots, dt, count, cap in SHAPES:
            problem = unseen(seed, (slots, dt, count, cap))
            ours = plan(problem)
            exact = solve_milp(problem, 60.0)
            if exact.cost is None or ours.shortfalls:
                continue
            gap = (ours.cost - exact.cost) / max(abs(exact.cost), 1e-9) * 100.0
            gaps.append(gap)
            if gap > 1e-6:
                print(f"seed {seed} {slots}x{count} cap {cap} kW: {gap:.4f} % above the optimum")
    print(
        json.dumps(
            {
                "problems": len(gaps),
                "gap_worst_pct": round(max(gaps, default=0.0), 4),
                "gap_mean_pct": round(sum(gaps) / max(len(gaps), 1), 4),
                "above_optimum": sum(g > 1e-6 for g in gaps),
                "above_half_pct": sum(g > 0.5 for g in gaps),
            }
        )
    )


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
