"""``plan(problem) -> PlanResult``: minimum-cost schedule of deferrable loads under per-slot caps.

Blocks (programmes, chargers that may not pause) are placed by a branch and bound over their
starts, ranked by what they cost the whole plan (their own cost plus the split jobs' energy
they push out, a charger's whole slot where they leave it below its minimum); each node's
bound is the split jobs' optimal fill without minimum powers under the blocks so far,
squeezed from its parent's (``flex.Flow.squeeze``). The best leaf is rounded (minimum
powers), then programmes move one at a time where an exact bound of the move beats it. A load
that cannot get what it asks is planned as well as it can be and reported with a
``Shortfall``: the reason, the energy possible by the deadline and the earliest deadline that
would allow the full energy (bisected on a relaxation first).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate
from operator import itemgetter, le

from .flex import Fill, Fills, Flow, Job, fill, score, solve_jobs
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
MOVE_SCANS = 24
SEARCH_WORK = 73728
"""Leaves the branch and bound evaluates: this // slots**2 (at least ``LEAVES_MIN``)."""
LEAVES_MIN = 3


@dataclass(frozen=True)
class _Block:
    """A load that runs as one unbroken block: a programme's fixed profile (``ranked``), or a
    charger's power range (``power``) shaped per start."""

    load_id: str
    window: tuple[int, int]
    fixed_start: bool
    energy: float
    power: tuple[float, float] | None = None
    """(min, max) kW of a charger block: its power may vary inside the block."""
    ranked: tuple[tuple[float, int, tuple[float, ...]], ...] = ()
    """A programme's (own cost, start, profile) for every start in its window, cheapest first."""


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
    order = sorted(range(n), key=prices.__getitem__)  # stable: ties by slot
    fills = Fills(order, prices)

    def leaf(
        placed: dict[str, tuple[int, tuple[float, ...]] | None],
        round_steps: int = 0,
        bar: float = math.inf,
    ) -> _Leaf:
        """The assignment's score; only a lower bound when that is already ``bar`` or more."""
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
        # A charger cannot run where the room is below its minimum power: exact, and it spares
        # the rounding those slots.
        res = solve_jobs(
            [_without_low_room(job, room) for job in jobs],
            room,
            fills,
            penalty=penalty,
            round_steps=round_steps,
            bar=bar - block_cost,
        )
        return _Leaf(dict(placed), res, block_cost + score(res, prices, penalty))

    best = _branch(
        blocks,
        jobs,
        caps,
        prices,
        dt,
        leaf=leaf,
        fills=fills,
        penalty=penalty,
        max_leaves=problem.max_leaves or max(LEAVES_MIN, SEARCH_WORK // (n * n)),
    )
    # Leaves were compared with the quick floor repair: settle the chosen one properly, then
    # move blocks where an exact bound says it may pay (moves settled the same way).
    rounded = leaf(best.starts, ROUND_STEPS)
    if rounded.score < best.score - EPS:
        best = rounded
    best = _improve(blocks, jobs, best, caps=caps, prices=prices, dt=dt, leaf=leaf, fills=fills)
    best = _yielding(
        blocks, jobs, best, caps=caps, prices=prices, dt=dt, penalty=penalty, fills=fills
    )
    best = _reshaped(blocks, best, caps, prices, dt)
    plans = _plans(problem, owners, blocks, best)
    shortfalls: list[Shortfall] = []
    if analyse:
        shortfalls = _shortfalls(problem, plans, blocks, caps)
    cost = sum(
        p * dt * q for lp in plans.values() for p, q in zip(lp.power_kw, prices, strict=True)
    )
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
            window = _clip(load.window, n)
            last = window[0] if running else window[1] - len(prof)
            prices = problem.prices
            ranked = sorted(
                (
                    (math.sumprod(prof, prices[start : start + len(prof)]) * dt, start, prof)
                    for start in range(window[0], last + 1)
                    if start + len(prof) <= window[1]
                ),
                key=lambda c: round(c[0], 9),  # stable: ties by start
            )
            blocks.append(
                _Block(load.load_id, window, running, sum(prof) * dt, ranked=tuple(ranked))
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
                        load.running,
                        need,
                        (load.min_kw, load.max_kw),
                    )
                )
    return jobs, owners, blocks


def _without_low_room(job: Job, room: Sequence[float]) -> Job:
    """``job`` barred from the slots whose room is below its floor."""
    if job.floor <= EPS:
        return job
    low = [t for t in range(job.first, job.end) if room[t] < job.floor - EPS]
    return job.barred(low) if low else job


def _clip(window: tuple[int, int], n: int) -> tuple[int, int]:
    first = max(0, window[0])
    return first, max(first, min(n, window[1]))


def _candidates(
    blk: _Block, room_kw: Sequence[float], prices: Sequence[float], dt: float
) -> Iterator[tuple[float, int, tuple[float, ...]]]:
    """Feasible (own cost, start, profile) of a block under ``room_kw``, cheapest first."""
    if blk.power is None:
        slack = [r + EPS for r in room_kw]
        return (c for c in blk.ranked if all(map(le, c[2], slack[c[1] : c[1] + len(c[2])])))
    power = blk.power
    first, end = blk.window
    out: list[tuple[float, int, tuple[float, ...]]] = []
    last = first if blk.fixed_start else end - 1
    shortest = _shortest_span(power[1] * dt, blk.energy)
    for start in range(first, last + 1):
        # Shorter spans cannot hold the energy: the search would only stop at the first of
        # them with room below the minimum power.
        below = room_kw[start : min(start + shortest - 1, end)]
        if below and min(below) < power[0] - EPS:
            continue
        found = 0
        for end_at in range(start + len(below) + 1, end + 1):
            spread = _spread(power, blk.energy, room_kw[start:end_at], prices[start:end_at], dt)
            if spread is None:
                if found or min(room_kw[start:end_at]) < power[0] - EPS:
                    break
                continue
            out.append((math.sumprod(spread, prices[start:end_at]) * dt, start, spread))
            found += 1
            if found > SPAN_EXTRA:
                break
    out.sort(key=lambda c: (round(c[0], 9), c[1], -c[2][0]))
    return iter(out)


def _shortest_span(most: float, energy: float) -> int:
    """Fewest slots at ``most`` kWh each that ``_spread`` may fit ``energy`` in (fewer surely
    fall short, with a margin for rounding)."""
    need = energy - EPS - 1e-9 * max(1.0, energy)
    count = max(1, math.ceil(need / most))
    while count > 1 and (count - 1) * most >= need:
        count -= 1
    while count * most < need:
        count += 1
    return count


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
    for k in sorted(range(len(top)), key=prices.__getitem__):  # stable: ties by slot
        add = min(left / dt, top[k] - low)
        out[k] += add
        left -= add * dt
    return tuple(out)


def _branch(
    blocks: Sequence[_Block],
    jobs: Sequence[Job],
    caps: Sequence[float],
    prices: Sequence[float],
    dt: float,
    *,
    leaf: Callable[[dict[str, tuple[int, tuple[float, ...]] | None], int, float], _Leaf],
    fills: Fills,
    penalty: float,
    max_leaves: int,
) -> _Leaf:
    """Branch and bound over block starts; a block may be skipped (penalised) as last resort.

    Each node carries the split jobs' optimal fill without floors under the blocks placed so
    far (squeezed from its parent's, ``Flow.squeeze``): placing more blocks only takes room,
    so its cost plus the blocks' is a lower bound of every leaf below.
    """
    options = {b.load_id: list(_candidates(b, caps, prices, dt)) for b in blocks}
    # Rigid programmes first; charger blocks then shape their power around them.
    order = sorted(
        blocks,
        key=lambda b: (b.power is not None, len(options[b.load_id]), -b.energy, b.load_id),
    )
    own_min = [min((c[0] for c in options[b.load_id]), default=0.0) for b in order]
    tail = [sum(own_min[i:]) for i in range(len(order) + 1)]
    by_price = fills.order
    root = fills.flow(jobs, [c * dt for c in caps])
    assert root is not None  # no fixed floors
    best: list[_Leaf] = []
    budget = [max_leaves]

    def beaten(bound: float) -> bool:
        return bool(best) and bound >= best[0].score - EPS

    def visit(
        i: int,
        placed: dict[str, tuple[int, tuple[float, ...]] | None],
        room: list[float],
        partial: float,
        base: Flow,
    ) -> None:
        if budget[0] <= 0:
            return
        flex = score(Fill(base.f, base.rem), prices, penalty)
        if i == len(order):
            budget[0] -= 1
            if not beaten(partial + flex):
                found = leaf(placed, 0, best[0].score if best else math.inf)
                if not best or found.score < best[0].score - EPS:
                    best[:] = [found]
            return
        blk = order[i]
        after = tail[i + 1]
        for _estimate, (cost, start, prof) in _ranked(
            _candidates(blk, room, prices, dt),
            base,
            prices,
            dt,
            order=by_price,
            penalty=penalty,
            hopeless=lambda own: beaten(partial + own + after + flex),
        ):
            so_far = partial + cost + after + flex
            if beaten(so_far):
                continue
            limit = best[0].score - EPS - so_far if best else math.inf
            child = base.squeezed_by(
                start, prof, dt, by_price, prices, penalty=penalty, limit=limit
            )
            if child is None:
                continue
            for k, kw in enumerate(prof):
                room[start + k] -= kw
            placed[blk.load_id] = (start, prof)
            visit(i + 1, placed, room, partial + cost, child)
            for k, kw in enumerate(prof):
                room[start + k] += kw
            if budget[0] <= 0:
                break
        skip = partial + penalty * blk.energy
        if budget[0] > 0 and not beaten(skip + tail[i + 1] + flex):
            placed[blk.load_id] = None
            visit(i + 1, placed, room, skip, base)
        placed.pop(blk.load_id, None)

    visit(0, {}, list(caps), 0.0, root)
    return best[0]


def _ranked(
    candidates: Iterator[tuple[float, int, tuple[float, ...]]],
    base: Flow,
    prices: Sequence[float],
    dt: float,
    *,
    order: Sequence[int],
    penalty: float,
    hopeless: Callable[[float], bool],
) -> list[tuple[float, tuple[float, int, tuple[float, ...]]]]:
    """The candidates (cheapest own cost first) up to the first ``hopeless`` own cost, with an
    estimate of their cost to the whole plan, lowest first: the split jobs' energy a block
    pushes out of its slots (beyond the free room; all of a charger's where what is left is
    below its minimum) refills the free room the jobs may use, cheapest first (``order``: the
    slots, cheapest first), and what finds no room is missed (``penalty`` per kWh)."""
    room, f = base.room, base.f
    floors = [(row, job.floor) for row, job in zip(f, base.jobs, strict=True) if job.floor > EPS]
    # Per slot the jobs hold energy in (``held_at``, ascending): (free room, room the jobs may
    # use, holders with a minimum as (floor, energy)); other slots add nothing beyond the
    # block's own cost.
    held_e = list(map(sum, zip(*f, strict=True)))
    held_at = [t for t, e in enumerate(held_e) if e > EPS]
    slots: list[tuple[float, float, list[tuple[float, float]]]] = []
    for t in held_at:
        free = max(0.0, room[t])
        slots.append((free, free + held_e[t], [(fl, row[t]) for row, fl in floors if row[t] > EPS]))
    # The free room the jobs may move energy into, cheapest first (cumulative kWh and cost):
    # pushed energy fills it in that order, so a block pushing more pays a rising price.
    spaces = set().union(*base.space) if base.space else set()
    free_slots = sorted([(prices[u], room[u]) for u in order if room[u] > EPS and u in spaces])
    cum_e = list(accumulate((r for _, r in free_slots), initial=0.0))
    cum_c = list(accumulate((r * p for p, r in free_slots), initial=0.0))

    def absorbed(energy: float) -> float:
        k = bisect.bisect_left(cum_e, energy) - 1
        if k >= len(free_slots):
            return cum_c[-1] + (energy - cum_e[-1]) * penalty
        return cum_c[k] + (energy - cum_e[k]) * free_slots[k][0]

    out: list[tuple[float, tuple[float, int, tuple[float, ...]]]] = []
    for cand in candidates:
        own, start, prof = cand
        if hopeless(own):
            break
        pushed = value = 0.0
        lo = bisect.bisect_left(held_at, start)
        for x in range(lo, bisect.bisect_left(held_at, start + len(prof), lo)):
            t = held_at[x]
            free, usable, held = slots[x]
            e = prof[t - start] * dt
            out_e = e - free
            for floor, have in held:
                if have > out_e and usable - e < floor - EPS:
                    out_e = have
            if out_e > 0.0:
                pushed += out_e
                value += out_e * prices[t]
        total = own + max(0.0, absorbed(pushed) - value) if pushed else own
        out.append((round(total, 9), cand))
    out.sort(key=itemgetter(0))
    return out


def _improve(
    blocks: Sequence[_Block],
    jobs: Sequence[Job],
    best: _Leaf,
    *,
    caps: Sequence[float],
    prices: Sequence[float],
    dt: float,
    leaf: Callable[[dict[str, tuple[int, tuple[float, ...]] | None], int, float], _Leaf],
    fills: Fills,
) -> _Leaf:
    """Move one block at a time to a cheaper start, with the split jobs' cost bounded exactly.

    Without the block, the split jobs' optimal fill is computed once; each start (and, for a
    charger, span), cheapest own cost first, squeezes that fill by the block's power
    (``Flow.squeeze``): its cost plus the fill's is a lower bound of the move. The moves with
    the lowest bounds below the best plan's cost are evaluated in full (with the rounding),
    best bound first.
    """
    penalty = (max((abs(p) for p in prices), default=0.0) + 1.0) * 1000.0
    for _ in range(IMPROVE_ROUNDS):
        moves: list[tuple[float, float, int, str, int, tuple[float, ...]]] = []
        for b, blk in enumerate(blocks):
            moves += _bounded_moves(
                blk,
                b,
                blocks,
                jobs,
                best,
                caps=caps,
                prices=prices,
                dt=dt,
                fills=fills,
                penalty=penalty,
            )
        moved = False
        for _bound, _estimate, _b, load_id, start, prof in sorted(moves)[:IMPROVE_TRIES]:
            trial = dict(best.starts)
            trial[load_id] = (start, prof)
            found = leaf(trial, ROUND_STEPS, best.score)
            if found.score < best.score - 1e-7:
                best, moved = found, True
                break
        if not moved:
            break
    return best


def _bounded_moves(
    blk: _Block,
    index: int,
    blocks: Sequence[_Block],
    jobs: Sequence[Job],
    best: _Leaf,
    *,
    caps: Sequence[float],
    prices: Sequence[float],
    dt: float,
    fills: Fills,
    penalty: float,
) -> list[tuple[float, float, int, str, int, tuple[float, ...]]]:
    """(lower bound, estimate, block index, id, start, profile) of the moves of ``blk`` that
    may pay; the candidates are scanned by their estimated cost to the whole plan
    (``_ranked``), which also breaks ties between equal bounds."""
    room = [c * dt for c in caps]
    others = 0.0
    for other in blocks:
        pick = best.starts.get(other.load_id)
        if other is blk:
            continue
        if pick is None:
            others += penalty * other.energy
            continue
        for k, kw in enumerate(pick[1]):
            room[pick[0] + k] -= kw * dt
            others += kw * dt * prices[pick[0] + k]
    order = fills.order
    base = fills.flow(jobs, room)
    if base is None:
        return []
    floor = others + score(Fill(base.f, base.rem), prices, penalty)
    here = best.starts.get(blk.load_id)
    out: list[tuple[float, float, int, str, int, tuple[float, ...]]] = []
    scans = 0
    for estimate, (cost, start, prof) in _ranked(
        _candidates(blk, [r / dt for r in room], prices, dt),
        base,
        prices,
        dt,
        order=order,
        penalty=penalty,
        hopeless=lambda own: floor + own >= best.score - 1e-7,
    ):
        if scans >= MOVE_SCANS:
            break
        if (start, prof) == here:
            continue
        scans += 1
        limit = best.score - 1e-7 - (floor + cost)
        squeezed = base.squeezed_by(start, prof, dt, order, prices, penalty=penalty, limit=limit)
        if squeezed is not None:
            bound = round(floor + cost + squeezed.rise, 9)
            out.append((bound, round(floor + estimate, 9), index, blk.load_id, start, prof))
    return out


def _yielding(
    blocks: Sequence[_Block],
    jobs: Sequence[Job],
    best: _Leaf,
    *,
    caps: Sequence[float],
    prices: Sequence[float],
    dt: float,
    penalty: float,
    fills: Fills,
) -> _Leaf:
    """When split jobs miss energy, each placed charger block keeps only its minimum power
    fixed over its span and fills the rest of its energy there together with the split jobs
    (one exact fill for those spans), so a block shaped alone does not crowd them out."""
    chargers = [b for b in blocks if b.power is not None and best.starts.get(b.load_id)]
    if not chargers or all(m <= EPS for m in best.fill.missing):
        return best
    room = [c * dt for c in caps]
    fixed = 0.0
    extra: list[Job] = []
    for blk in blocks:
        pick = best.starts.get(blk.load_id)
        if pick is None:
            fixed += penalty * blk.energy
            continue
        start, prof = pick
        low = blk.power[0] if blk.power is not None else None
        for k, kw in enumerate(prof):
            part = kw if low is None else low
            room[start + k] -= part * dt
            fixed += part * dt * prices[start + k]
        if blk.power is not None and low is not None:
            rest = blk.energy - low * dt * len(prof)
            extra.append(Job(start, start + len(prof), rest, (blk.power[1] - low) * dt))
    shared = [_without_low_room(job, room) for job in jobs] + extra
    res = solve_jobs(shared, room, fills, penalty=penalty, round_steps=ROUND_STEPS)
    total = fixed + score(res, prices, penalty)
    if total >= best.score - EPS:
        return best
    starts = dict(best.starts)
    for blk, row in zip(chargers, res.energy[len(jobs) :], strict=True):
        pick = starts[blk.load_id]
        assert pick is not None and blk.power is not None
        start, prof = pick
        starts[blk.load_id] = (
            start,
            tuple(blk.power[0] + row[start + k] / dt for k in range(len(prof))),
        )
    return _Leaf(starts, Fill(res.energy[: len(jobs)], res.missing[: len(jobs)]), total)


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
    for owner, energy in zip(owners, best.fill.energy, strict=True):
        power[owner] = [
            p + e / dt if e > EPS else p for p, e in zip(power[owner], energy, strict=True)
        ]
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

    def relaxed(end: int) -> bool:
        moved = _with_end(load, end)
        return _relaxed_fits(
            problem, [moved if x.load_id == load.load_id else x for x in problem.loads]
        )

    lo, hi = load.window[1] + 1, problem.slots
    if lo > hi or not relaxed(hi):
        return None
    # The relaxation (no minimum powers, blocks spread) is cheap and never later than the
    # answer: bisect it first, then confirm with full plans, usually once.
    lo = _first_true(relaxed, lo, hi)
    if ok(lo):
        return lo
    if lo == hi or not ok(hi):
        return None
    return _first_true(ok, lo + 1, hi)


def _first_true(test: Callable[[int], bool], lo: int, hi: int) -> int:
    """Smallest ``x`` in ``lo..hi`` with ``test(x)``, for a monotone test true at ``hi``."""
    while lo < hi:
        mid = (lo + hi) // 2
        if test(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def _relaxed_fits(problem: Problem, loads: Sequence[Charger | Programme | WaterHeater]) -> bool:
    """Whether every load gets its energy when minimum powers are dropped and each block may
    spread its energy over its window at up to its peak power (a relaxation of ``plan``)."""
    n, dt = problem.slots, problem.dt_h
    caps = [max(0.0, float(c)) for c in problem.cap_kw]
    jobs: list[Job] = []
    for load in loads:
        if isinstance(load, WaterHeater):
            for day in load.days:
                first, end = _clip(day.window, n)
                jobs.append(Job(first, end, day.energy_kwh, load.power_kw * dt))
            continue
        if isinstance(load, Programme):
            prof = load.remaining()
            first, end = (0, len(prof)) if load.elapsed_slots else load.window
            first, end = _clip((first, end), n)
            if end - first < len(prof):
                return False
            jobs.append(Job(first, end, sum(prof) * dt, max(prof) * dt))
            continue
        need = load.needed_kwh()
        if need <= EPS:
            continue
        first, end = _clip(load.window, n)
        low = frozenset(t for t in range(first, end) if caps[t] < load.min_kw - EPS)
        jobs.append(Job(first, end, max(need, load.min_kw * dt), load.max_kw * dt, blocked=low))
    order = sorted(range(n), key=lambda t: (problem.prices[t], t))
    res = fill(jobs, [c * dt for c in caps], order)
    return res is not None and all(m <= 1e-6 for m in res.missing)


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
