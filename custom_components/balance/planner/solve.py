"""``plan(problem) -> PlanResult``: minimum-cost schedule of deferrable loads under per-slot caps.

Blocks (programmes, chargers that may not pause) are placed by a branch and bound over their
starts, cheapest first, pruned with an exact lower bound (each block at its cheapest start plus
the split jobs' optimum with the full caps); each leaf fills the split jobs exactly (``flex``).
A load that cannot get what it asks is planned as well as it can be and reported with a
``Shortfall``: the reason, the energy possible by the deadline and the earliest deadline that
would allow the full energy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .flex import Fill, Job, score, solve_jobs
from .model import (
    EPS,
    Charger,
    InfeasibleReason,
    LoadPlan,
    PlanResult,
    PlanStatus,
    Problem,
    Programme,
    Shortfall,
    WaterHeater,
    validate,
)
from .validate import check

IMPROVE_ROUNDS = 3
IMPROVE_TRIES = 4
ROUND_STEPS = 64
SPAN_EXTRA = 3
SEARCH_WORK = 2304


@dataclass(frozen=True)
class _Block:
    """A load that runs as one unbroken block: a programme's fixed profile, or a charger's power
    range (``power``) shaped per start."""

    load_id: str
    window: tuple[int, int]
    profiles: tuple[tuple[float, ...], ...]
    fixed_start: bool
    energy: float
    power: tuple[float, float] | None = None
    """(min, max) kW of a charger block: its power may vary inside the block."""


@dataclass
class _Leaf:
    """One complete assignment and its penalised cost."""

    starts: dict[str, tuple[int, tuple[float, ...]] | None]
    fill: Fill
    score: float


def plan(problem: Problem) -> PlanResult:
    """Plan every load of ``problem``; see the package docs for the input and output."""
    validate(problem)
    result = _solve(problem, analyse=True)
    if problem.previous is not None:
        kept = _keep_previous(problem, result)
        if kept is not None:
            return kept
    return result


def _solve(problem: Problem, *, analyse: bool) -> PlanResult:
    n, dt = problem.slots, problem.dt_h
    prices = [float(p) for p in problem.prices]
    caps = [max(0.0, float(c)) for c in problem.cap_kw]
    jobs, owners, blocks = _decompose(problem)
    penalty = (max((abs(p) for p in prices), default=0.0) + 1.0) * 1000.0
    order = sorted(range(n), key=lambda t: (prices[t], t))

    def leaf(
        placed: dict[str, tuple[int, tuple[float, ...]] | None], round_steps: int = 0
    ) -> _Leaf:
        room = [c * dt for c in caps]
        block_cost = 0.0
        for blk in blocks:
            pick = placed.get(blk.load_id)
            if pick is None:
                block_cost += penalty * blk.energy
                continue
            start, prof = pick
            for k, kw in enumerate(prof):
                room[start + k] -= kw * dt
                block_cost += kw * dt * prices[start + k]
        res = solve_jobs(jobs, room, order, prices, penalty=penalty, round_steps=round_steps)
        return _Leaf(dict(placed), res, block_cost + score(res, prices, penalty))

    flex_lb = leaf({b.load_id: None for b in blocks}, 0).score - penalty * sum(
        b.energy for b in blocks
    )
    best = _branch(
        blocks,
        caps,
        prices,
        dt,
        flex_lb=flex_lb,
        leaf=leaf,
        penalty=penalty,
        max_leaves=problem.max_leaves or max(12, SEARCH_WORK // n),
    )
    best = _improve(blocks, jobs, best, caps=caps, prices=prices, dt=dt, leaf=leaf)
    # Leaves were compared with the quick floor repair: settle the chosen one properly.
    rounded = leaf(best.starts, ROUND_STEPS)
    if rounded.score < best.score - EPS:
        best = rounded
    best = _reshaped(blocks, best, caps, prices, dt)
    plans = _plans(problem, owners, blocks, best)
    shortfalls: list[Shortfall] = []
    if analyse:
        shortfalls = _shortfalls(problem, plans, blocks, caps)
    cost = sum(p * dt * prices[t] for lp in plans.values() for t, p in enumerate(lp.power_kw))
    status = PlanStatus.INFEASIBLE if shortfalls else PlanStatus.OPTIMAL
    if not analyse and _missing(problem, plans):
        status = PlanStatus.INFEASIBLE
    return PlanResult(status, plans, cost, tuple(shortfalls))


def _decompose(problem: Problem) -> tuple[list[Job], list[str], list[_Block]]:
    """Split loads into flexible energy jobs (with their owners) and blocks."""
    n, dt = problem.slots, problem.dt_h
    jobs: list[Job] = []
    owners: list[str] = []
    blocks: list[_Block] = []
    for load in problem.loads:
        if isinstance(load, Programme):
            prof = load.remaining()
            running = load.elapsed_slots > 0
            blocks.append(
                _Block(load.load_id, _clip(load.window, n), (prof,), running, sum(prof) * dt)
            )
        elif isinstance(load, WaterHeater):
            for day in load.days:
                first, end = _clip(day.window, n)
                jobs.append(Job(first, end, day.energy_kwh, load.power_kw * dt))
                owners.append(load.load_id)
        else:
            need = load.needed_kwh()
            if need > EPS:
                need = max(need, load.min_kw * dt)
            first, end = _clip(load.window, n)
            if load.may_split:
                jobs.append(Job(first, end, need, load.max_kw * dt, load.min_kw * dt))
                owners.append(load.load_id)
            elif need > EPS:
                blocks.append(
                    _Block(
                        load.load_id,
                        (first, end),
                        (),
                        load.running,
                        need,
                        (load.min_kw, load.max_kw),
                    )
                )
    return jobs, owners, blocks


def _clip(window: tuple[int, int], n: int) -> tuple[int, int]:
    first = max(0, window[0])
    return first, max(first, min(n, window[1]))


def _fits(prof: Sequence[float], start: int, room_kw: Sequence[float]) -> bool:
    return all(kw <= room_kw[start + k] + EPS for k, kw in enumerate(prof))


def _candidates(
    blk: _Block, room_kw: Sequence[float], prices: Sequence[float], dt: float
) -> list[tuple[float, int, tuple[float, ...]]]:
    """Feasible (own cost, start, profile) of a block under ``room_kw``, cheapest first."""
    first, end = blk.window
    out: list[tuple[float, int, tuple[float, ...]]] = []
    for prof in blk.profiles:
        last = first if blk.fixed_start else end - len(prof)
        for start in range(first, last + 1):
            if start + len(prof) > end or not _fits(prof, start, room_kw):
                continue
            cost = sum(kw * dt * prices[start + k] for k, kw in enumerate(prof))
            out.append((cost, start, prof))
    if blk.power is not None:
        last = first if blk.fixed_start else end - 1
        for start in range(first, last + 1):
            found = 0
            for end_at in range(start + 1, end + 1):
                spread = _spread(
                    blk.power, blk.energy, room_kw[start:end_at], prices[start:end_at], dt
                )
                if spread is None:
                    if found or min(room_kw[start:end_at]) < blk.power[0] - EPS:
                        break
                    continue
                cost = sum(kw * dt * prices[start + k] for k, kw in enumerate(spread))
                out.append((cost, start, spread))
                found += 1
                if found > SPAN_EXTRA:
                    break
    out.sort(key=lambda c: (round(c[0], 9), c[1], -c[2][0]))
    return out


def _spread(
    power: tuple[float, float],
    energy: float,
    room_kw: Sequence[float],
    prices: Sequence[float],
    dt: float,
) -> tuple[float, ...] | None:
    """Charger powers over consecutive slots: min power in each, the rest in the cheapest ones.

    ``room_kw`` and ``prices`` are the span's own; None when the energy does not fit.
    """
    low, high = power
    top = [min(high, r) for r in room_kw]
    left = energy - low * dt * len(top)
    if not top or min(top) < low - EPS or left < -EPS or sum(top) * dt < energy - EPS:
        return None
    out = [low] * len(top)
    for k in sorted(range(len(top)), key=lambda k: (prices[k], k)):
        add = min(left / dt, top[k] - low)
        out[k] += add
        left -= add * dt
    return tuple(out)


def _branch(
    blocks: Sequence[_Block],
    caps: Sequence[float],
    prices: Sequence[float],
    dt: float,
    *,
    flex_lb: float,
    leaf: Callable[[dict[str, tuple[int, tuple[float, ...]] | None], int], _Leaf],
    penalty: float,
    max_leaves: int,
) -> _Leaf:
    """Branch and bound over block starts; a block may be skipped (penalised) as last resort."""
    options = {b.load_id: _candidates(b, caps, prices, dt) for b in blocks}
    # Rigid programmes first; charger blocks then shape their power around them.
    order = sorted(
        blocks,
        key=lambda b: (b.power is not None, len(options[b.load_id]), -b.energy, b.load_id),
    )
    own_min = [min((c[0] for c in options[b.load_id]), default=0.0) for b in order]
    tail = [sum(own_min[i:]) for i in range(len(order) + 1)]
    best: list[_Leaf] = []
    budget = [max_leaves]

    def visit(
        i: int,
        placed: dict[str, tuple[int, tuple[float, ...]] | None],
        room: list[float],
        partial: float,
    ) -> None:
        if budget[0] <= 0:
            return
        if i == len(order):
            budget[0] -= 1
            found = leaf(placed, 0)
            if not best or found.score < best[0].score - EPS:
                best[:] = [found]
            return
        blk = order[i]
        for cost, start, prof in _candidates(blk, room, prices, dt):
            if best and partial + cost + tail[i + 1] + flex_lb >= best[0].score - EPS:
                break
            for k, kw in enumerate(prof):
                room[start + k] -= kw
            placed[blk.load_id] = (start, prof)
            visit(i + 1, placed, room, partial + cost)
            for k, kw in enumerate(prof):
                room[start + k] += kw
            if budget[0] <= 0:
                break
        skip = partial + penalty * blk.energy
        if budget[0] > 0 and not (best and skip + tail[i + 1] + flex_lb >= best[0].score - EPS):
            placed[blk.load_id] = None
            visit(i + 1, placed, room, skip)
        placed.pop(blk.load_id, None)

    visit(0, {}, list(caps), 0.0)
    return best[0]


def _improve(
    blocks: Sequence[_Block],
    jobs: Sequence[Job],
    best: _Leaf,
    *,
    caps: Sequence[float],
    prices: Sequence[float],
    dt: float,
    leaf: Callable[[dict[str, tuple[int, tuple[float, ...]] | None], int], _Leaf],
) -> _Leaf:
    """Move one block at a time to the start that is cheapest once displaced energy is priced.

    Taking capacity from a split job in slot t makes it buy that energy elsewhere, at about the
    dearest price it already pays (``margin``); candidates are ranked with that surcharge and
    the best few are evaluated exactly.
    """
    for _ in range(IMPROVE_ROUNDS):
        moved = False
        for blk in blocks:
            n = len(caps)
            margin = [0.0] * n
            free = [c * dt for c in caps]
            for j, job in enumerate(jobs):
                row = best.fill.energy[j]
                used = [t for t in range(job.first, job.end) if row[t] > EPS]
                top = max((prices[t] for t in used), default=None)
                for t in used:
                    free[t] -= row[t]
                if top is not None:
                    for t in range(job.first, job.end):
                        margin[t] = max(margin[t], top - prices[t])
            others = [0.0] * n
            for other in blocks:
                pick = best.starts.get(other.load_id)
                if pick is None:
                    continue
                for k, kw in enumerate(pick[1]):
                    if other.load_id != blk.load_id:
                        others[pick[0] + k] += kw
                        free[pick[0] + k] -= kw * dt
            room_kw = [c - o for c, o in zip(caps, others, strict=True)]
            ranked = []
            for _cost, start, prof in _candidates(blk, room_kw, prices, dt):
                extra = sum(
                    max(0.0, kw * dt - free[start + k]) * margin[start + k]
                    for k, kw in enumerate(prof)
                )
                ranked.append((_cost + extra, start, prof))
            ranked.sort(key=lambda c: (round(c[0], 9), c[1]))
            here = best.starts.get(blk.load_id)
            bar = next((c[0] for c in ranked if (c[1], c[2]) == here), math.inf)
            picks = [(s, p) for est, s, p in ranked if est <= bar + 1e-9 and (s, p) != here]
            picks = picks[:IMPROVE_TRIES]
            for start, prof in picks:
                trial = dict(best.starts)
                trial[blk.load_id] = (start, prof)
                found = leaf(trial, 0)
                if found.score < best.score - 1e-7:
                    best, moved = found, True
        if not moved:
            break
    return best


def _reshaped(
    blocks: Sequence[_Block], best: _Leaf, caps: Sequence[float], prices: Sequence[float], dt: float
) -> _Leaf:
    """The leaf with each charger block reshaped inside the room the others leave."""
    room = [c * dt for c in caps]
    for row in best.fill.energy:
        for t, e in enumerate(row):
            room[t] -= e
    for blk in blocks:
        pick = best.starts.get(blk.load_id)
        if pick is not None:
            for k, kw in enumerate(pick[1]):
                room[pick[0] + k] -= kw * dt
    starts = dict(best.starts)
    for blk in blocks:
        pick = starts.get(blk.load_id)
        if blk.power is None or pick is None:
            continue
        start, prof = pick
        span = range(start, start + len(prof))
        own = [room[t] / dt + prof[k] for k, t in enumerate(span)]
        new = _spread(blk.power, blk.energy, own, prices[start : start + len(prof)], dt)
        if new is None:
            continue
        for k, t in enumerate(span):
            room[t] -= (new[k] - prof[k]) * dt
        starts[blk.load_id] = (start, new)
    return _Leaf(starts, best.fill, best.score)


def _plans(
    problem: Problem,
    owners: Sequence[str],
    blocks: Sequence[_Block],
    best: _Leaf,
) -> dict[str, LoadPlan]:
    n, dt = problem.slots, problem.dt_h
    power: dict[str, list[float]] = {load.load_id: [0.0] * n for load in problem.loads}
    for j, owner in enumerate(owners):
        row = power[owner]
        for t, e in enumerate(best.fill.energy[j]):
            if e > EPS:
                row[t] += e / dt
    for blk in blocks:
        pick = best.starts.get(blk.load_id)
        if pick is not None:
            start, prof = pick
            for k, kw in enumerate(prof):
                power[blk.load_id][start + k] = kw
    out: dict[str, LoadPlan] = {}
    for load_id, row in power.items():
        on = [t for t, p in enumerate(row) if p > EPS]
        clean = tuple(round(p, 9) if p > EPS else 0.0 for p in row)
        out[load_id] = LoadPlan(
            load_id,
            clean,
            sum(clean) * dt,
            on[0] if on else None,
            on[-1] + 1 if on else None,
        )
    return out


def _requested(problem: Problem) -> dict[str, float]:
    out: dict[str, float] = {}
    for load in problem.loads:
        if isinstance(load, Programme):
            out[load.load_id] = sum(load.remaining()) * problem.dt_h
        elif isinstance(load, WaterHeater):
            out[load.load_id] = sum(d.energy_kwh for d in load.days)
        else:
            need = load.needed_kwh()
            out[load.load_id] = max(need, load.min_kw * problem.dt_h) if need > EPS else 0.0
    return out


def _missing(problem: Problem, plans: dict[str, LoadPlan]) -> list[str]:
    want = _requested(problem)
    return [k for k, v in want.items() if plans[k].energy_kwh < v - 1e-6]


def _shortfalls(
    problem: Problem, plans: dict[str, LoadPlan], blocks: Sequence[_Block], caps: Sequence[float]
) -> list[Shortfall]:
    """Explain each load that misses energy: alone impossible, or in conflict with others."""
    want = _requested(problem)
    out: list[Shortfall] = []
    for load in problem.loads:
        got = plans[load.load_id].energy_kwh
        if got >= want[load.load_id] - 1e-6:
            continue
        alone = _alone(problem, load, caps)
        if alone is not None:
            reason, possible, earliest = alone
        else:
            reason = InfeasibleReason.LOADS_CONFLICT
            possible = 0.0 if any(b.load_id == load.load_id for b in blocks) else got
            earliest = _earliest_end(problem, load)
        out.append(Shortfall(load.load_id, reason, want[load.load_id], possible, earliest))
    return out


def _alone(
    problem: Problem, load: Charger | Programme | WaterHeater, caps: Sequence[float]
) -> tuple[InfeasibleReason, float, int | None] | None:
    """Reason, possible energy and earliest end if the load fails even with the caps to itself."""
    single = Problem(problem.slots, problem.dt_h, problem.prices, caps, [load], max_leaves=50)
    res = _solve(single, analyse=False)
    if res.status is PlanStatus.OPTIMAL:
        return None
    got = res.loads[load.load_id].energy_kwh
    earliest = _earliest_end(single, load)
    if isinstance(load, Programme):
        first, end = load.window
        short = end - first < len(load.remaining())
        reason = InfeasibleReason.WINDOW_TOO_SHORT if short else InfeasibleReason.NO_START_FITS
        return reason, 0.0, earliest
    return InfeasibleReason.ENERGY_EXCEEDS_CAPACITY, got, earliest


def _earliest_end(problem: Problem, load: Charger | Programme | WaterHeater) -> int | None:
    """Smallest deadline (slot end) at which the whole problem becomes feasible for ``load``."""
    if isinstance(load, WaterHeater):
        return None

    def ok(end: int) -> bool:
        moved = _with_end(load, end)
        loads = [moved if x.load_id == load.load_id else x for x in problem.loads]
        trial = Problem(
            problem.slots, problem.dt_h, problem.prices, problem.cap_kw, loads, max_leaves=50
        )
        return _solve(trial, analyse=False).status is PlanStatus.OPTIMAL

    lo, hi = load.window[1] + 1, problem.slots
    if lo > hi or not ok(hi):
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def _with_end(load: Charger | Programme, end: int) -> Charger | Programme:
    if isinstance(load, Charger):
        return Charger(
            load.load_id,
            load.max_kw,
            (load.window[0], end),
            load.needed_kwh(),
            load.min_kw,
            load.may_split,
            load.running,
        )
    return Programme(load.load_id, load.profile_kw, (load.window[0], end), load.elapsed_slots)


def _keep_previous(problem: Problem, new: PlanResult) -> PlanResult | None:
    """The previous plan, if still valid and not dearer than the tolerance allows."""
    prev = problem.previous
    assert prev is not None
    if new.status is not PlanStatus.OPTIMAL or set(prev) != {x.load_id for x in problem.loads}:
        return None
    dt = problem.dt_h
    rows = {k: tuple(float(p) for p in v) for k, v in prev.items()}
    if any(len(r) != problem.slots for r in rows.values()):
        return None
    plans: dict[str, LoadPlan] = {}
    for k, row in rows.items():
        on = [t for t, p in enumerate(row) if p > EPS]
        plans[k] = LoadPlan(
            k, row, sum(row) * dt, on[0] if on else None, on[-1] + 1 if on else None
        )
    candidate = PlanResult(PlanStatus.OPTIMAL, plans, 0.0)
    if check(problem, candidate):
        return None
    cost = sum(p * dt * problem.prices[t] for row in rows.values() for t, p in enumerate(row))
    tol = max(problem.stability.abs_cost, problem.stability.rel * abs(new.cost))
    if cost > new.cost + tol:
        return None
    return PlanResult(PlanStatus.OPTIMAL, plans, cost, kept_previous=True)
