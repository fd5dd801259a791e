"""Planner benchmark: ours vs exact MILP (HiGHS, gap 0) vs EMHASS on the suite; JSON last line.

EMHASS runs in its own venv (``EMHASS_PY``, default bench/.venv-emhass/bin/python) through
``emhass_runner.py``; without it the EMHASS keys are null and the reason is printed.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.planner.milp import solve_milp
from bench.planner.problems import Case, suite
from custom_components.balance.planner import (
    LoadPlan,
    PlanResult,
    PlanStatus,
    Problem,
    Programme,
    WaterHeater,
    check,
    plan,
)

HERE = Path(__file__).resolve().parent
EMHASS_PY = Path(os.environ.get("EMHASS_PY", HERE.parent / ".venv-emhass" / "bin" / "python"))


def scale(problem: Problem) -> float:
    """Energy x mean |price|: the denominator when an optimum is close to 0."""
    energy = 0.0
    for load in problem.loads:
        if isinstance(load, Programme):
            energy += sum(load.remaining()) * problem.dt_h
        elif isinstance(load, WaterHeater):
            energy += sum(d.energy_kwh for d in load.days)
        else:
            energy += load.needed_kwh()
    mean = sum(abs(p) for p in problem.prices) / len(problem.prices)
    return energy * mean


def rel(ours: float, ref: float, problem: Problem) -> float:
    """(ours - ref) relative to |ref|, or to 10 % of energy x mean price if |ref| is smaller."""
    return (ours - ref) / max(abs(ref), 0.1 * scale(problem), 1e-9)


def emhass_payload(case: Case) -> dict[str, object] | None:
    """The case in the runner's JSON shape, or None when EMHASS cannot express it."""
    p = case.problem
    loads: list[dict[str, object]] = []
    for load in p.loads:
        if isinstance(load, Programme):
            win = (0, len(load.remaining())) if load.elapsed_slots else load.window
            loads.append(
                {
                    "kind": "sequence",
                    "profile_w": [kw * 1000 for kw in load.remaining()],
                    "start": win[0],
                    "end": min(win[1], p.slots),
                }
            )
        elif isinstance(load, WaterHeater):
            loads += [
                {
                    "kind": "continuous",
                    "nominal_w": load.power_kw * 1000,
                    "energy_wh": d.energy_kwh * 1000,
                    "start": d.window[0],
                    "end": min(d.window[1], p.slots),
                }
                for d in load.days
            ]
        else:
            if not load.may_split:
                return None
            need = max(load.needed_kwh(), load.min_kw * p.dt_h)
            loads.append(
                {
                    "kind": "min_power" if load.min_kw else "continuous",
                    "nominal_w": load.max_kw * 1000,
                    "min_w": load.min_kw * 1000,
                    "energy_wh": need * 1000,
                    "start": load.window[0],
                    "end": min(load.window[1], p.slots),
                }
            )
    return {
        "name": case.name,
        "dt_h": p.dt_h,
        "prices": list(p.prices),
        "cap_kw": list(p.cap_kw),
        "loads": loads,
    }


def emhass_plan(case: Case, powers_w: list[list[float]]) -> PlanResult:
    """Fold EMHASS's per-deferrable powers back onto our loads."""
    p = case.problem
    rows: dict[str, list[float]] = {}
    k = 0
    for load in p.loads:
        count = len(load.days) if isinstance(load, WaterHeater) else 1
        row = [0.0] * p.slots
        for j in range(k, k + count):
            for t, w in enumerate(powers_w[j]):
                row[t] += w / 1000.0
        k += count
        rows[load.load_id] = row
    plans = {lid: LoadPlan(lid, tuple(r), sum(r) * p.dt_h, None, None) for lid, r in rows.items()}
    cost = sum(kw * p.dt_h * p.prices[t] for r in rows.values() for t, kw in enumerate(r))
    return PlanResult(PlanStatus.OPTIMAL, plans, cost)


def run_emhass(cases: list[Case]) -> tuple[dict[str, dict[str, object]], str | None]:
    """Results per case name, or an explanation why EMHASS did not run."""
    if not EMHASS_PY.exists():
        return {}, f"no EMHASS venv at {EMHASS_PY} (make bench-planner creates it)"
    payload = [x for c in cases if not c.infeasible and (x := emhass_payload(c)) is not None]
    proc = subprocess.run(
        [str(EMHASS_PY), str(HERE / "emhass_runner.py")],
        input=json.dumps({"problems": payload}),
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if proc.returncode != 0 or not proc.stdout.strip():
        return {}, f"EMHASS runner failed: {proc.stderr.strip()[-500:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1]), None


def main() -> None:
    cases = suite()
    plan(cases[0].problem)  # import and first-call warm-up outside the timings
    emhass, why = (
        run_emhass(cases) if os.environ.get("BENCH_NO_EMHASS") != "1" else ({}, "BENCH_NO_EMHASS=1")
    )
    if why:
        print(f"EMHASS not compared: {why}")
    # Our first solves run back to back, before the MILP (HiGHS) fills the caches with its own.
    timed = {case.name: timed_plan(case.problem) for case in cases}
    rows: list[dict[str, object]] = []
    for case in cases:
        rows.append(measure(case, emhass.get(case.name), timed[case.name]))
        print(json.dumps(rows[-1]))
    print(summary(rows, cases))


def timed_plan(problem: Problem) -> tuple[PlanResult, float, float]:
    """One first solve: the plan, wall ms and CPU ms."""
    started, cpu = time.perf_counter(), time.process_time()
    ours = plan(problem)
    return ours, (time.perf_counter() - started) * 1000.0, (time.process_time() - cpu) * 1000.0


def measure(
    case: Case,
    em: dict[str, object] | None,
    timed: tuple[PlanResult, float, float] | None = None,
) -> dict[str, object]:
    """One table row: our plan (``timed`` or solved now), the MILP optimum and EMHASS's result
    (``em``) for ``case``."""
    p = case.problem
    ours, ms, cpu_ms = timed or timed_plan(p)
    exact = solve_milp(p)
    row: dict[str, object] = {
        "name": case.name,
        "slots": p.slots,
        "loads": len(p.loads),
        "ms": round(ms, 2),
        "cpu_ms": round(cpu_ms, 2),
        "milp_ms": round(exact.ms, 1),
        "ours": round(ours.cost, 4),
        "optimum": None if exact.cost is None else round(exact.cost, 4),
        "status": ours.status.value,
        "milp_infeasible": exact.cost is None,
        "invalid": check(p, ours, energy=False),
        "gap_pct": None,
        "emhass": None,
        "emhass_ms": None,
        "emhass_cpu_ms": None,
        "vs_emhass": None,
        "emhass_gap_pct": None,
        "emhass_invalid": None,
    }
    if exact.cost is not None:
        row["gap_pct"] = round(100 * rel(ours.cost, exact.cost, p), 4)
        row["miss"] = ours.status is not PlanStatus.OPTIMAL or bool(check(p, ours))
    if em and isinstance(em.get("powers_w"), list) and exact.cost is not None:
        em_plan = emhass_plan(case, em["powers_w"])
        row.update(
            emhass=round(em_plan.cost, 4),
            emhass_ms=round(float(em["ms"]), 1),
            emhass_cpu_ms=round(float(em["cpu_ms"]), 1),
            vs_emhass=round(1 + rel(ours.cost, em_plan.cost, p), 4),
            emhass_gap_pct=round(100 * rel(em_plan.cost, exact.cost, p), 4),
            emhass_invalid=len(check(p, em_plan, energy=True)),
        )
    elif em:
        row["emhass_error"] = em.get("error")
    return row


def _ratio(pairs: list[tuple[float, float]]) -> float | None:
    """Total EMHASS time over total planner time."""
    return round(sum(e for e, _ in pairs) / sum(o for _, o in pairs), 1) if pairs else None


def summary(rows: list[dict[str, object]], cases: list[Case]) -> str:
    """The last line: one JSON object."""
    gaps = [float(r["gap_pct"]) for r in rows if r["gap_pct"] is not None]
    vs = [float(r["vs_emhass"]) for r in rows if r["vs_emhass"] is not None]
    cpu = [
        (float(r["emhass_cpu_ms"]), float(r["cpu_ms"]))
        for r in rows
        if r["emhass_cpu_ms"] is not None
    ]
    wall = [(float(r["emhass_ms"]), float(r["ms"])) for r in rows if r["emhass_ms"] is not None]
    big = [float(r["cpu_ms"]) for r in rows if r["slots"] == 192 and r["loads"] == 6]
    big_wall = [float(r["ms"]) for r in rows if r["slots"] == 192 and r["loads"] == 6]
    infeasible = [r for r in rows if r["milp_infeasible"]]
    built = sum(c.infeasible for c in cases)
    out = {
        "problems": len(rows),
        "gap_worst_pct": round(max(gaps), 4) if gaps else None,
        "gap_mean_pct": round(statistics.fmean(gaps), 4) if gaps else None,
        "cost_vs_emhass_max": round(max(vs), 4) if vs else None,
        "speedup_vs_emhass": _ratio(cpu),
        "speedup_vs_emhass_min": round(min(e / o for e, o in cpu), 1) if cpu else None,
        "speedup_vs_emhass_wall": _ratio(wall),
        "ms_192x6": round(max(big), 2) if big else None,
        "ms_192x6_wall": round(max(big_wall), 2) if big_wall else None,
        "ms_worst": round(max(float(r["cpu_ms"]) for r in rows), 2),
        "deadline_misses": sum(bool(r.get("miss")) for r in rows),
        "infeasible_reported": sum(r["status"] == "infeasible" for r in infeasible),
        "infeasible_total": len(infeasible),
        "infeasible_built": built,
        "invalid_plans": sum(bool(r["invalid"]) for r in rows),
        "emhass_compared": len(vs),
        "emhass_gap_worst_pct": max(
            (float(r["emhass_gap_pct"]) for r in rows if r["emhass_gap_pct"] is not None),
            default=None,
        ),
        "emhass_invalid_plans": sum(
            bool(r["emhass_invalid"]) for r in rows if r["emhass_invalid"] is not None
        ),
    }
    return json.dumps(out)


if __name__ == "__main__":
    main()
