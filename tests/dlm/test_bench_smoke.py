"""The DLM benchmark, tiny and in-process: JSON shape and ours' hard guarantees.

One seed x 2 days (MILP included) and a 4-home transformer for a day,
so the test stays well under 25 s; `make bench-dlm` runs the real sizes.
"""

from __future__ import annotations

import json

import pytest

from bench.dlm.run import BenchConfig, run, run_scenarios, scenario_jobs

KEYS = {"over_limit_s", "yellow_violations", "green_misses", "switch_ops", "peak_kw"}


def test_quick_bench_shape_and_guarantees() -> None:
    cfg = BenchConfig(seeds=1, days=2, tx_homes=4, tx_days=1, optimum=True, workers=1)
    summary = json.loads(json.dumps(run(cfg, plot_path=None, scenarios=[])))
    strategies = ["none", "naive", "ours", "optimum"]
    assert set(summary) == {*strategies, "transformer", "scenarios"}
    for name in strategies:
        assert set(summary[name]) >= KEYS
    assert summary["ours"]["yellow_violations"] == 0
    assert summary["ours"]["green_misses"] == 0
    assert summary["ours"]["over_limit_s"] == 0
    assert summary["ours"]["over_limit_s"] <= summary["none"]["over_limit_s"]
    tx = summary["transformer"]
    assert tx["participation_pct"] == [0, 20, 40, 60, 100]
    assert len(tx["peak_kw"]) == len(tx["overload_min"]) == 5


SCENARIO_KEYS = {
    "over_limit_s",
    "hard_limit_s",
    "green_misses",
    "green_kwh_short",
    "yellow_violations",
    "switch_ops",
    "setpoint_changes",
    "fridge_max_c",
    "boiler_min_c",
    "room_deficit_kh",
    "peak_kw",
}


@pytest.mark.parametrize("name", ["ecopower", "three_phase", "capacity"])
def test_quick_issue9_scenario_shape_and_targets(name: str) -> None:
    cfg = BenchConfig(seeds=1, days=2, tx_homes=0, tx_days=0, optimum=False, workers=1)
    summary = json.loads(json.dumps(run_scenarios(cfg, [name])))
    rows = summary[name]
    assert {"none", "naive", "onoff", "ours"} <= set(rows)
    for figures in rows.values():
        assert set(figures) >= SCENARIO_KEYS
    ours = rows["ours"]
    assert ours["hard_limit_s"] == 0
    assert ours["green_misses"] == 0
    assert ours["yellow_violations"] == 0
    assert ours["fridge_max_c"] <= rows["none"]["fridge_max_c"] + 1.0
    assert ours["boiler_min_c"] >= rows["none"]["boiler_min_c"] - 3.0
    if name == "capacity":
        assert "ours_instant" in rows
        assert ours["month_peak_15min_kw"] <= ours["target_kw"]
        assert ours["month_peak_15min_kw"] < rows["none"]["month_peak_15min_kw"]
    else:
        assert rows["onoff"]["hard_limit_s"] > 0  # the engine before issue 9 breaks the fuse


def test_scenario_seeds_and_strategies_can_be_chosen() -> None:
    """`--seeds 11-12 --strategy ours` runs those seeds and that strategy only; by default a
    scenario runs its share of the bench's seeds from seed 1, every strategy."""
    cfg = BenchConfig(seeds=4, days=2, tx_homes=0, tx_days=0, optimum=False, workers=1)
    default = scenario_jobs(cfg, ["capacity"])
    assert {seed for _, seed, _, _ in default} == {1, 2}  # capacity's share is half
    assert {strategy for *_, strategy in default} == {
        "none",
        "naive",
        "onoff",
        "ours",
        "ours_instant",
    }
    chosen = BenchConfig(
        seeds=4,
        days=2,
        tx_homes=0,
        tx_days=0,
        optimum=True,
        workers=1,
        scenario_seeds=range(11, 13),
        strategies=("ours",),
    )
    assert scenario_jobs(chosen, ["capacity"]) == [
        ("capacity", 11, 2, "ours"),
        ("capacity", 12, 2, "ours"),
    ]
