"""Energy jobs that may split (chargers, water heaters): exact greedy plus min-power repair.

The slot energies a set of jobs can take form a polymatroid (the rank of a slot set is the max
flow from the jobs into it), so filling slots cheapest first, each as far as a max flow allows,
is optimal for any linear price (negative prices included). Each slot is filled by a direct push
or by an augmenting path that re-routes energy between jobs inside already chosen slots.
A charger may not run below its minimum power: slots left below it are then raised or emptied,
whichever costs less.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace

from .model import EPS


@dataclass(frozen=True)
class Job:
    """One energy need: ``energy`` kWh in slots ``first .. end - 1``, per slot <= ``limit``."""

    first: int
    end: int
    energy: float
    limit: float
    """Most energy per slot (max power x dt)."""
    floor: float = 0.0
    """Least energy in a slot where the job runs (min power x dt); 0 for any."""
    blocked: frozenset[int] = frozenset()
    """Slots the job may not use (decided by the rounding)."""
    fixed: tuple[int, ...] = ()
    """Slots where the job runs at least its floor (decided by the rounding)."""

    def allows(self, t: int) -> bool:
        """The job may run in slot ``t``."""
        return self.first <= t < self.end and t not in self.blocked


@dataclass
class Fill:
    """Energy per job and slot, and what each job still misses."""

    energy: list[list[float]]
    missing: list[float]


def fill(jobs: Sequence[Job], room: list[float], order: Sequence[int]) -> Fill | None:
    """Fill ``room`` (kWh per slot, modified in place) in ``order`` (cheapest slot first).

    None when the jobs' fixed floors do not fit in ``room``.
    """
    n = len(room)
    f = [[0.0] * n for _ in jobs]
    low = [[0.0] * n for _ in jobs]
    rem = [job.energy for job in jobs]
    for j, job in enumerate(jobs):
        for s in job.fixed:
            f[j][s] = low[j][s] = job.floor
            rem[j] -= job.floor
            room[s] -= job.floor
    if any(r < -EPS for r in room) or any(r < -EPS for r in rem):
        return None
    by_deadline = sorted(range(len(jobs)), key=lambda j: (jobs[j].end, j))
    open_at: list[list[int]] = [[] for _ in range(n)]
    for j in by_deadline:
        blocked = jobs[j].blocked
        for t in range(jobs[j].first, jobs[j].end):
            if t not in blocked:
                open_at[t].append(j)
    state = _State(jobs, f, low, rem, room)
    for t in order:
        if not open_at[t]:
            continue
        if not any(r > EPS for r in rem):
            break
        for _ in range(4 * len(jobs) + 4):
            if room[t] <= EPS or not state.push(t, open_at[t]):
                break
    return Fill(f, rem)


@dataclass
class _State:
    jobs: Sequence[Job]
    f: list[list[float]]
    low: list[list[float]]
    rem: list[float]
    room: list[float]
    reach: set[int] | None = None
    """Jobs reachable from the jobs still missing energy (any slot); None: to recompute."""

    def push(self, t: int, open_jobs: Sequence[int]) -> bool:
        """Push energy into slot ``t`` directly or along one augmenting path; False if none."""
        jobs, f, rem, room = self.jobs, self.f, self.rem, self.room
        takers = [j for j in open_jobs if f[j][t] < jobs[j].limit - EPS]
        if not takers:
            return False
        for j in takers:
            if rem[j] > EPS:
                d = min(rem[j], jobs[j].limit - f[j][t], room[t])
                f[j][t] += d
                rem[j] -= d
                room[t] -= d
                self.reach = None
                return True
        if self.reach is None:
            self.reach = self._reachable()
        if self.reach.isdisjoint(takers):
            return False
        path = self._path(t, set(takers))
        if path is None:
            return False
        src, hops, last = path
        d = min(rem[src], room[t], jobs[last].limit - f[last][t])
        for i, k, s in hops:
            d = min(d, jobs[i].limit - f[i][s], f[k][s] - self.low[k][s])
        if d <= EPS:
            return False
        for i, k, s in hops:
            f[i][s] += d
            f[k][s] -= d
        f[last][t] += d
        rem[src] -= d
        room[t] -= d
        self.reach = None
        return True

    def _reachable(self) -> set[int]:
        """Jobs a re-routing chain from a job missing energy could reach (a superset)."""
        jobs, f = self.jobs, self.f
        found = {j for j in range(len(jobs)) if self.rem[j] > EPS}
        queue = deque(found)
        while queue:
            i = queue.popleft()
            job, fi = jobs[i], f[i]
            for k in range(len(jobs)):
                if k in found:
                    continue
                fk, lk = f[k], self.low[k]
                if any(
                    fk[s] - lk[s] > EPS and fi[s] < job.limit - EPS and s not in job.blocked
                    for s in range(max(job.first, jobs[k].first), min(job.end, jobs[k].end))
                ):
                    found.add(k)
                    queue.append(k)
        return found

    def _path(self, t: int, takers: set[int]) -> tuple[int, list[tuple[int, int, int]], int] | None:
        """Shortest chain job -> job (job i takes over job k's energy in a shared slot s)."""
        jobs, f = self.jobs, self.f
        sources = [j for j in range(len(jobs)) if self.rem[j] > EPS]
        parent: dict[int, tuple[int, int] | None] = dict.fromkeys(sources)
        queue = deque(sources)
        while queue:
            i = queue.popleft()
            job = jobs[i]
            fi = f[i]
            for k in range(len(jobs)):
                if k in parent:
                    continue
                fk, lk = f[k], self.low[k]
                best_s, best = -1, EPS
                for s in range(max(job.first, jobs[k].first), min(job.end, jobs[k].end)):
                    if s == t or fk[s] - lk[s] <= EPS or s in job.blocked:
                        continue
                    gain = min(job.limit - fi[s], fk[s] - lk[s])
                    if gain > best:
                        best_s, best = s, gain
                if best_s < 0:
                    continue
                parent[k] = (i, best_s)
                if k in takers:
                    hops: list[tuple[int, int, int]] = []
                    node = k
                    while (link := parent[node]) is not None:
                        hops.append((link[0], node, link[1]))
                        node = link[0]
                    return node, hops, k
                queue.append(k)
        return None


def repair_floor(
    job: Job, energy: list[float], room: list[float], prices: Sequence[float], order: Sequence[int]
) -> float:
    """Make every slot of ``job`` 0 or >= its floor; returns energy newly missing (kWh).

    A slot below the floor is raised (taking the extra from the job's dearest slots) or
    emptied into the job's running slots, whichever costs less; if neither fits, it is emptied
    and its energy topped up in the cheapest slots (``order``) with room for the floor.
    """
    if job.floor <= EPS:
        return 0.0
    lost = 0.0
    while True:
        bad = [s for s in range(job.first, job.end) if EPS < energy[s] < job.floor - EPS]
        if not bad:
            break
        s = max(bad, key=lambda u: (prices[u], u))
        raise_cost = _raise(job, energy, room, prices, s, apply=False)
        drop_cost = _drop(job, energy, room, prices, s, apply=False)
        if raise_cost is not None and (drop_cost is None or raise_cost <= drop_cost):
            _raise(job, energy, room, prices, s, apply=True)
        elif drop_cost is not None:
            _drop(job, energy, room, prices, s, apply=True)
        else:
            lost += energy[s]
            room[s] += energy[s]
            energy[s] = 0.0
    left = _top_up(job, energy, room, prices, order, missing=lost) if lost > EPS else 0.0
    _polish(job, energy, room, prices, order)
    return left


def _polish(
    job: Job, energy: list[float], room: list[float], prices: Sequence[float], order: Sequence[int]
) -> None:
    """Move energy from the job's dearest slot to cheaper ones while that pays, floors kept."""
    window = range(job.first, job.end)
    for _ in range(4 * len(window)):
        used = [s for s in window if energy[s] > EPS]
        if not used:
            return
        hi = max(used, key=lambda u: (prices[u], u))
        best: tuple[int, float] | None = None
        for lo in order:
            if prices[lo] >= prices[hi] - EPS:
                break
            if not job.allows(lo):
                continue
            space = min(job.limit - energy[lo], room[lo])
            if energy[lo] <= EPS and space < job.floor - EPS:
                continue
            amount = _movable(job, energy[hi], energy[lo], space)
            if amount > EPS:
                best = (lo, amount)
                break
        if best is None:
            return
        lo, amount = best
        energy[hi] -= amount
        room[hi] += amount
        energy[lo] += amount
        room[lo] -= amount


def _movable(job: Job, hi: float, lo: float, space: float) -> float:
    """Energy movable from a slot holding ``hi`` to one holding ``lo`` with ``space`` free."""
    need_lo = max(0.0, job.floor - lo)
    if space <= EPS or space < need_lo - EPS:
        return 0.0
    if hi <= space + EPS and hi >= need_lo - EPS:
        return hi
    amount = min(space, hi - job.floor)
    return amount if amount >= need_lo - EPS and amount > EPS else 0.0


def _top_up(
    job: Job,
    energy: list[float],
    room: list[float],
    prices: Sequence[float],
    order: Sequence[int],
    *,
    missing: float,
) -> float:
    """Place ``missing`` kWh in the cheapest slots, never below the floor; returns what is left."""
    for s in order:
        if missing <= EPS:
            break
        if not job.allows(s):
            continue
        have = energy[s]
        space = min(job.limit - have, room[s])
        if have >= job.floor - EPS:
            add = min(missing, space)
        elif have <= EPS and space >= job.floor - EPS:
            add = max(job.floor, min(missing, space))
            excess = add - missing
            if excess > EPS and not _shave(job, energy, room, prices, s, amount=excess):
                continue
        else:
            continue
        if add <= EPS:
            continue
        energy[s] += add
        room[s] -= add
        missing = max(0.0, missing - add)
    return missing


def _shave(
    job: Job,
    energy: list[float],
    room: list[float],
    prices: Sequence[float],
    skip: int,
    *,
    amount: float,
) -> bool:
    """Take ``amount`` from the job's dearest slots above the floor (not ``skip``)."""
    donors = sorted(
        (u for u in range(job.first, job.end) if u != skip and energy[u] > job.floor + EPS),
        key=lambda u: (-prices[u], -u),
    )
    if sum(energy[u] - job.floor for u in donors) < amount - EPS:
        return False
    for u in donors:
        take = min(amount, energy[u] - job.floor)
        energy[u] -= take
        room[u] += take
        amount -= take
        if amount <= EPS:
            break
    return True


def _raise(
    job: Job,
    energy: list[float],
    room: list[float],
    prices: Sequence[float],
    s: int,
    *,
    apply: bool,
) -> float | None:
    """Raise slot ``s`` to the floor, taking the extra from the job's dearest other slots."""
    need = job.floor - energy[s]
    if room[s] < need - EPS:
        return None
    donors = sorted(
        (u for u in range(job.first, job.end) if u != s and energy[u] > job.floor + EPS),
        key=lambda u: (-prices[u], -u),
    )
    cost = need * prices[s]
    left = need
    moves: list[tuple[int, float]] = []
    for u in donors:
        take = min(left, energy[u] - job.floor)
        moves.append((u, take))
        cost -= take * prices[u]
        left -= take
        if left <= EPS:
            break
    if left > EPS:
        return None
    if apply:
        energy[s] += need
        room[s] -= need
        for u, take in moves:
            energy[u] -= take
            room[u] += take
    return cost


def _drop(
    job: Job,
    energy: list[float],
    room: list[float],
    prices: Sequence[float],
    s: int,
    *,
    apply: bool,
) -> float | None:
    """Empty slot ``s``, moving its energy to the job's cheapest slots already running."""
    amount = energy[s]
    takers = sorted(
        (u for u in range(job.first, job.end) if u != s and energy[u] >= job.floor - EPS),
        key=lambda u: (prices[u], u),
    )
    cost = -amount * prices[s]
    left = amount
    moves: list[tuple[int, float]] = []
    for u in takers:
        put = min(left, job.limit - energy[u], room[u])
        if put <= EPS:
            continue
        moves.append((u, put))
        cost += put * prices[u]
        left -= put
        if left <= EPS:
            break
    if left > EPS:
        return None
    if apply:
        energy[s] = 0.0
        room[s] += amount
        for u, put in moves:
            energy[u] += put
            room[u] -= put
    return cost


def solve_jobs(
    jobs: Sequence[Job],
    room: list[float],
    order: Sequence[int],
    prices: Sequence[float],
    *,
    penalty: float,
    round_steps: int = 0,
) -> Fill:
    """Fill, then settle slots below a floor by ``repair_floor``.

    With ``round_steps``, up to that many slots below a floor are first decided one by one,
    dearest first: forbidden to the job or forced to its floor. Two passes choose between the
    two by the raw fill and by the repaired fill; the cheapest repaired fill seen is returned.
    ``room`` ends as what is left.
    """
    start_room = list(room)
    res = fill(jobs, room, order)
    assert res is not None  # no fixed floors yet
    best = _repaired(jobs, res, room, prices, order)
    best_score = score(best[0], prices, penalty)
    if round_steps:
        for by_repair in (False, True):
            found, found_score = _round(
                jobs,
                res,
                start_room,
                order,
                prices=prices,
                penalty=penalty,
                steps=round_steps,
                by_repair=by_repair,
            )
            if found is not None and found_score < best_score - EPS:
                best, best_score = found, found_score
    room[:] = best[1]
    return best[0]


def _round(
    jobs: Sequence[Job],
    res: Fill,
    start_room: Sequence[float],
    order: Sequence[int],
    *,
    prices: Sequence[float],
    penalty: float,
    steps: int,
    by_repair: bool,
) -> tuple[tuple[Fill, list[float]] | None, float]:
    """One rounding pass; returns the cheapest repaired fill seen and its score."""
    current = list(jobs)
    best: tuple[Fill, list[float]] | None = None
    best_score = float("inf")
    for _ in range(steps):
        bad = _dearest_bad(current, res, prices)
        if bad is None:
            break
        j, s = bad
        job = current[j]
        options = [replace(job, blocked=job.blocked | {s})]
        if job.floor <= job.limit + EPS:
            options.append(replace(job, fixed=(*job.fixed, s)))
        chosen: tuple[float, list[Job], Fill, tuple[Fill, list[float]], float] | None = None
        for option in options:
            trial = [*current[:j], option, *current[j + 1 :]]
            trial_room = list(start_room)
            got = fill(trial, trial_room, order)
            if got is None:
                continue
            probe = _repaired(trial, got, trial_room, prices, order)
            probe_score = score(probe[0], prices, penalty)
            key = probe_score if by_repair else score(got, prices, penalty)
            if chosen is None or key < chosen[0] - EPS:
                chosen = (key, trial, got, probe, probe_score)
        if chosen is None:
            break
        _, current, res, probe, probe_score = chosen
        if probe_score < best_score - EPS:
            best, best_score = probe, probe_score
    return best, best_score


def _repaired(
    jobs: Sequence[Job],
    res: Fill,
    room: Sequence[float],
    prices: Sequence[float],
    order: Sequence[int],
) -> tuple[Fill, list[float]]:
    """A copy of ``res`` with every job's floors repaired, and the room left."""
    out = Fill([row[:] for row in res.energy], res.missing[:])
    left = list(room)
    for j, job in enumerate(jobs):
        out.missing[j] += repair_floor(job, out.energy[j], left, prices, order)
    return out, left


def _dearest_bad(jobs: Sequence[Job], res: Fill, prices: Sequence[float]) -> tuple[int, int] | None:
    found: tuple[float, int, int] | None = None
    for j, job in enumerate(jobs):
        if job.floor <= EPS:
            continue
        row = res.energy[j]
        for s in range(job.first, job.end):
            if EPS < row[s] < job.floor - EPS and (found is None or prices[s] > found[0]):
                found = (prices[s], j, s)
    return None if found is None else (found[1], found[2])


def score(res: Fill, prices: Sequence[float], penalty: float) -> float:
    """Cost of the jobs' energy plus ``penalty`` per kWh missing."""
    return sum(e * prices[t] for row in res.energy for t, e in enumerate(row) if e > EPS) + (
        penalty * sum(res.missing)
    )
