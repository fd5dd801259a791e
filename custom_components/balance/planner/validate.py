"""Check a plan against its problem: what a device could not carry out, or a cap broken."""

from __future__ import annotations

from .model import Charger, PlanResult, Problem, Programme, WaterHeater

TOL = 1e-6


def check(problem: Problem, result: PlanResult, *, energy: bool = True) -> list[str]:
    """Violations of ``result`` (empty when valid).

    Caps, windows, charger min/max power, unbroken blocks for chargers that may not pause and
    for programmes (exact profile, running ones from slot 0), water-heater power. With
    ``energy``, each load must also get its full energy (skip for infeasible problems).
    """
    n, dt = problem.slots, problem.dt_h
    out: list[str] = []
    total = [0.0] * n
    for load in problem.loads:
        lp = result.loads.get(load.load_id)
        if lp is None or len(lp.power_kw) != n:
            out.append(f"{load.load_id}: no plan of {n} slots")
            continue
        row = lp.power_kw
        for t, p in enumerate(row):
            total[t] += p
            if p < -TOL:
                out.append(f"{load.load_id}: negative power in slot {t}")
        on = [t for t, p in enumerate(row) if p > TOL]
        if isinstance(load, Programme):
            out += _programme(load, row, on, energy)
        elif isinstance(load, WaterHeater):
            out += _heater(load, row, dt, energy)
        else:
            out += _charger(load, row, on, dt, energy)
    for t in range(n):
        if total[t] > max(0.0, problem.cap_kw[t]) + TOL:
            out.append(f"slot {t}: {total[t]:.3f} kW above cap {problem.cap_kw[t]:.3f}")
    return out


def _outside(window: tuple[int, int], on: list[int]) -> bool:
    return any(t < window[0] or t >= window[1] for t in on)


def _programme(load: Programme, row: tuple[float, ...], on: list[int], energy: bool) -> list[str]:
    prof = load.remaining()
    if not on:
        return [f"{load.load_id}: programme not planned"] if energy and sum(prof) > TOL else []
    first_nz = next(k for k, p in enumerate(prof) if p > TOL)
    start = on[0] - first_nz
    seg = row[start : start + len(prof)] if start >= 0 else ()
    ok = (
        start >= 0
        and len(seg) == len(prof)
        and all(abs(a - b) <= TOL for a, b in zip(seg, prof, strict=True))
        and all(abs(p) <= TOL for k, p in enumerate(row) if not start <= k < start + len(prof))
    )
    out = [] if ok else [f"{load.load_id}: programme split, stretched or changed"]
    if load.elapsed_slots and start != 0:
        out.append(f"{load.load_id}: running programme moved")
    if start < load.window[0] or start + len(prof) > load.window[1]:
        out.append(f"{load.load_id}: programme outside its window")
    return out


def _heater(load: WaterHeater, row: tuple[float, ...], dt: float, energy: bool) -> list[str]:
    out = []
    if any(p > load.power_kw + TOL for p in row):
        out.append(f"{load.load_id}: above heater power")
    allowed = {t for d in load.days for t in range(d.window[0], d.window[1])}
    if any(p > TOL and t not in allowed for t, p in enumerate(row)):
        out.append(f"{load.load_id}: heating outside its windows")
    if energy:
        for d in load.days:
            got = sum(row[max(0, d.window[0]) : d.window[1]]) * dt
            if got < d.energy_kwh - 1e-4:
                out.append(f"{load.load_id}: {got:.3f} of {d.energy_kwh} kWh in window")
    return out


def _charger(
    load: Charger, row: tuple[float, ...], on: list[int], dt: float, energy: bool
) -> list[str]:
    out = []
    for t in on:
        if row[t] < load.min_kw - TOL or row[t] > load.max_kw + TOL:
            out.append(f"{load.load_id}: {row[t]:.3f} kW outside [{load.min_kw}, {load.max_kw}]")
    if _outside(load.window, on):
        out.append(f"{load.load_id}: charging outside its window")
    if on and not load.may_split:
        if on[-1] - on[0] + 1 != len(on):
            out.append(f"{load.load_id}: charger may not pause but does")
        if load.running and on[0] != 0:
            out.append(f"{load.load_id}: running charger interrupted")
    if energy:
        need = load.needed_kwh()
        got = sum(row) * dt
        if got < need - 1e-4 or got > max(need, load.min_kw * dt) + 1e-4:
            out.append(f"{load.load_id}: {got:.3f} kWh planned, {need:.3f} asked")
    return out
