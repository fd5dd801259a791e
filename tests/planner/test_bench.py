"""The planner benchmark's own parts: the suite, the EMHASS mapping and the last-line summary."""

from __future__ import annotations

import json

from bench.planner.problems import suite
from bench.planner.run import emhass_payload, measure, summary
from custom_components.balance.planner import WaterHeater, plan

KEYS = {
    "problems",
    "gap_worst_pct",
    "gap_mean_pct",
    "cost_vs_emhass_max",
    "speedup_vs_emhass",
    "ms_192x6",
    "deadline_misses",
    "infeasible_reported",
    "infeasible_total",
    "invalid_plans",
}


def test_suite_covers_the_issue_list() -> None:
    cases = suite()
    assert len(cases) >= 40
    names = " ".join(c.name for c in cases)
    for part in (
        "daynight",
        "tou3_dr",
        "spot_15m",
        "spot_60m",
        "ties",
        "tight_cap",
        "negative",
        "zero_slack",
        "horizon_end",
        "size_192x6",
        "no_pause",
        "infeasible",
    ):
        assert part in names
    big = [c for c in cases if c.name.startswith("size_192x6")]
    assert all(c.problem.slots == 192 and len(c.problem.loads) == 6 for c in big)
    assert {c.problem.slots * c.problem.dt_h for c in cases} >= {24.0, 48.0}


def test_emhass_mapping_and_a_measured_summary() -> None:
    cases = {c.name: c for c in suite()}
    mapped = emhass_payload(cases["daynight_15m_4loads"])
    assert mapped is not None
    kinds = [x["kind"] for x in mapped["loads"]]  # type: ignore[index, union-attr]
    assert kinds == ["min_power", "min_power", "sequence", "sequence"]
    assert emhass_payload(cases["no_pause_running"]) is None
    heater = next(x for x in cases["horizon_end_15m"].problem.loads if isinstance(x, WaterHeater))
    assert len(heater.days) == 1
    picked = [cases["zero_slack_15m"], cases["infeasible_energy"], cases["daynight_60m_2loads"]]
    case = picked[2]
    ours = plan(case.problem)
    # A stand-in EMHASS answer: our own powers, in W, one row per deferrable load.
    fake = {
        "powers_w": [
            [kw * 1000 for kw in ours.loads[x.load_id].power_kw] for x in case.problem.loads
        ],
        "ms": 100.0,
        "cpu_ms": 90.0,
    }
    row = measure(case, fake)
    assert row["gap_pct"] == 0
    assert row["vs_emhass"] == 1.0
    assert row["emhass_invalid"] == 0
    assert measure(case, {"error": "boom"})["emhass_error"] == "boom"
    rows = [measure(picked[0], None), measure(picked[1], None), row]
    last = json.loads(summary(rows, picked))
    assert set(last) >= KEYS
    assert last["problems"] == 3
    assert last["deadline_misses"] == 0
    assert last["invalid_plans"] == 0
    assert last["infeasible_reported"] == last["infeasible_total"] == 1
    assert last["cost_vs_emhass_max"] == 1.0
    assert last["speedup_vs_emhass"] > 1
