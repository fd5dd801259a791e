"""The DLM benchmark, tiny and in-process: JSON shape and ours' hard guarantees.

One seed x 2 days (MILP included) and a 4-home transformer for a day,
so the test stays well under 25 s; `make bench-dlm` runs the real sizes.
"""

from __future__ import annotations

import json

from bench.dlm.run import BenchConfig, run

KEYS = {"over_limit_s", "yellow_violations", "green_misses", "switch_ops", "peak_kw"}


def test_quick_bench_shape_and_guarantees() -> None:
    cfg = BenchConfig(seeds=1, days=2, tx_homes=4, tx_days=1, optimum=True, workers=1)
    summary = json.loads(json.dumps(run(cfg, plot_path=None)))
    strategies = ["none", "naive", "ours", "optimum"]
    assert set(summary) == {*strategies, "transformer"}
    for name in strategies:
        assert set(summary[name]) >= KEYS
    assert summary["ours"]["yellow_violations"] == 0
    assert summary["ours"]["green_misses"] == 0
    assert summary["ours"]["over_limit_s"] == 0
    assert summary["ours"]["over_limit_s"] <= summary["none"]["over_limit_s"]
    tx = summary["transformer"]
    assert tx["participation_pct"] == [0, 20, 40, 60, 100]
    assert len(tx["peak_kw"]) == len(tx["overload_min"]) == 5
