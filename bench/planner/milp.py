"""Exact MILP of a planner problem (HiGHS, mip_rel_gap=0): the reference optimum.

Same model as the planner's: split jobs with semi-continuous power, unbroken charger blocks
(power may vary inside the block), programmes as one start among their window, per-slot cap.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy

from custom_components.balance.planner import Charger, Problem, Programme, WaterHeater


@dataclass(frozen=True)
class MilpResult:
    """Optimum (None when infeasible), powers per load and solve time."""

    cost: float | None
    powers: dict[str, list[float]]
    ms: float


def solve_milp(problem: Problem, time_limit_s: float = 120.0) -> MilpResult:
    """Solve ``problem`` exactly."""
    n, dt, prices = problem.slots, problem.dt_h, list(problem.prices)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("time_limit", time_limit_s)
    slot_terms: list[list[object]] = [[] for _ in range(n)]
    per_load: dict[str, list[object]] = {}
    objective: list[object] = []
    for load in problem.loads:
        if isinstance(load, Programme):
            per_load[load.load_id] = _programme(h, load, n, slot_terms)
        elif isinstance(load, WaterHeater):
            per_load[load.load_id] = _heater(h, load, n, dt, slot_terms)
        else:
            per_load[load.load_id] = _charger(h, load, n, dt, slot_terms)
    for t in range(n):
        if slot_terms[t]:
            h.addConstr(sum(slot_terms[t]) <= max(0.0, problem.cap_kw[t]))
    for exprs in per_load.values():
        objective += [e * (prices[t] * dt) for t, e in enumerate(exprs) if not isinstance(e, float)]
    started = time.perf_counter()
    if objective:
        h.minimize(sum(objective))
    else:
        h.run()
    ms = (time.perf_counter() - started) * 1000.0
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        return MilpResult(None, {}, ms)
    powers = {
        k: [0.0 if isinstance(e, float) else float(h.val(e)) for e in exprs]
        for k, exprs in per_load.items()
    }
    cost = sum(p * dt * prices[t] for row in powers.values() for t, p in enumerate(row))
    return MilpResult(cost, powers, ms)


def _clip(window: tuple[int, int], n: int) -> range:
    return range(max(0, window[0]), min(n, window[1]))


def _programme(
    h: highspy.Highs, load: Programme, n: int, slot_terms: list[list[object]]
) -> list[object]:
    prof = load.remaining()
    win = _clip(load.window, n)
    starts = [0] if load.elapsed_slots else [s for s in win if s + len(prof) <= win.stop]
    if not starts:
        h.addConstr(h.addVariable(lb=0.0, ub=0.0) >= 1.0)  # infeasible on purpose
        return [0.0] * n
    pick = {s: h.addBinary() for s in starts}
    h.addConstr(sum(pick.values()) == 1)
    out: list[object] = []
    for t in range(n):
        terms = [
            pick[s] * prof[t - s] for s in starts if 0 <= t - s < len(prof) and prof[t - s] > 0
        ]
        expr: object = sum(terms) if terms else 0.0
        out.append(expr)
        if terms:
            slot_terms[t].append(expr)
    return out


def _heater(
    h: highspy.Highs, load: WaterHeater, n: int, dt: float, slot_terms: list[list[object]]
) -> list[object]:
    per_slot: list[list[object]] = [[] for _ in range(n)]
    for day in load.days:
        xs = {t: h.addVariable(lb=0.0, ub=load.power_kw) for t in _clip(day.window, n)}
        h.addConstr(sum(x * dt for x in xs.values()) == day.energy_kwh)
        for t, x in xs.items():
            per_slot[t].append(x)
    out: list[object] = []
    for t in range(n):
        expr: object = sum(per_slot[t]) if per_slot[t] else 0.0
        if per_slot[t]:
            h.addConstr(expr <= load.power_kw)
            slot_terms[t].append(expr)
        out.append(expr)
    return out


def _charger(
    h: highspy.Highs, load: Charger, n: int, dt: float, slot_terms: list[list[object]]
) -> list[object]:
    need = load.needed_kwh()
    if need > 0:
        need = max(need, load.min_kw * dt)
    win = _clip(load.window, n)
    xs = {t: h.addVariable(lb=0.0, ub=load.max_kw) for t in win}
    if need <= 0 or not xs:
        if need > 0:
            h.addConstr(h.addVariable(lb=0.0, ub=0.0) >= 1.0)
        return [0.0] * n
    h.addConstr(sum(x * dt for x in xs.values()) == need)
    if load.min_kw > 0 or not load.may_split:
        on = {t: h.addBinary() for t in win}
        for t, x in xs.items():
            h.addConstr(x <= load.max_kw * on[t])
            h.addConstr(x >= load.min_kw * on[t])
        if not load.may_split:
            first = {t: h.addBinary() for t in win}
            for t in win:
                prev = on.get(t - 1, 0.0)
                h.addConstr(first[t] >= on[t] - prev)
            h.addConstr(sum(first.values()) <= 1)
            if load.running and 0 in on:
                h.addConstr(on[0] == 1)
    out: list[object] = []
    for t in range(n):
        x = xs.get(t)
        out.append(x if x is not None else 0.0)
        if x is not None:
            slot_terms[t].append(x)
    return out
