"""Energy jobs that may split (chargers, water heaters): exact greedy plus min-power repair.

The slot energies a set of jobs can take form a polymatroid (the rank of a slot set is the max
flow from the jobs into it), so filling slots cheapest first, each as far as a max flow allows,
is optimal for any linear price (negative prices included). Each slot is filled by a direct push
or by an augmenting path that re-routes energy between jobs inside already chosen slots.
The optimal fill (``Flow``) can then be squeezed: room taken from a slot pushes energy along
the cheapest re-routing chain, which keeps it optimal without a re-fill (the planner's bounds).
A charger may not run below its minimum power: slots left below it are then raised or emptied,
whichever costs less.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import repeat

from .model import EPS

ROOM_DUST = 1e-7
"""Room overdrawn by rounding only (kWh)."""
TIE = 1e-12
"""A fill's cost counted as no higher than another's (float noise only)."""
SEARCH_CELLS = 4096
"""Work of the exact floor search, in job-slot cells: fills = this // (slots x jobs)."""


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

    def __hash__(self) -> int:
        return self._hash

    def barred(self, slots: Iterable[int]) -> Job:
        """The job also barred from ``slots``."""
        return self._decided(self.blocked | frozenset(slots), self.fixed)

    def forced(self, s: int) -> Job:
        """The job also forced to at least its floor in slot ``s``."""
        return self._decided(self.blocked, (*self.fixed, s))

    def _decided(self, blocked: frozenset[int], fixed: tuple[int, ...]) -> Job:
        """The job with the rounding's decisions ``blocked`` and ``fixed`` (built directly: a
        dataclass ``replace`` costs more in the rounding's inner loop)."""
        return Job(self.first, self.end, self.energy, self.limit, self.floor, blocked, fixed)

    @cached_property
    def _hash(self) -> int:
        """The fields' hash, made once (jobs key the fills and their caches)."""
        return hash(
            (self.first, self.end, self.energy, self.limit, self.floor, self.blocked, self.fixed)
        )


@dataclass(slots=True)
class Fill:
    """Energy per job and slot, and what each job still misses."""

    energy: list[list[float]]
    missing: list[float]


def fill(jobs: Sequence[Job], room: list[float], order: Sequence[int]) -> Fill | None:
    """Fill ``room`` (kWh per slot, modified in place) in ``order`` (cheapest slot first).

    None when the jobs' fixed floors do not fit in ``room``.
    """
    state = flow(jobs, room, order)
    return None if state is None else Fill(state.f, state.rem)


def flow(jobs: Sequence[Job], room: list[float], order: Sequence[int]) -> Flow | None:
    """``fill`` that returns the optimal flow itself, to be squeezed further (``Flow.squeeze``)."""
    n = len(room)
    zero = [0.0] * n
    f = [[0.0] * n for _ in jobs]
    low = [zero if not job.fixed else [0.0] * n for job in jobs]
    rem = [job.energy for job in jobs]
    for j, job in enumerate(jobs):
        for s in job.fixed:
            f[j][s] = low[j][s] = job.floor
            rem[j] -= job.floor
            room[s] -= job.floor
    if min(room, default=0.0) < -EPS or min(rem, default=0.0) < -EPS:
        return None
    usable = [_usable(job) for job in jobs]
    space = [set(u) for u in usable]
    held: list[set[int]] = [set() for _ in jobs]
    limits = [job.limit for job in jobs]
    by_deadline = sorted(range(len(jobs)), key=lambda j: jobs[j].end)  # stable: ties by index
    state = Flow(
        jobs, f, low, rem, room, space, held, limits=limits, allowed=[_allowed(j) for j in jobs]
    )
    tries = 4 * len(jobs) + 4
    active = sum(r > EPS for r in rem)  # jobs still missing energy
    # After a failed push, while nothing changes: the jobs a chain could start from or reach
    # (through any shared slot); a slot none of whose jobs is among them cannot be pushed into.
    failed = False
    reach: set[int] | None = None
    windows = [(j, usable[j]) for j in by_deadline]
    any_usable = frozenset().union(*usable)
    for t in order:
        if t not in any_usable:
            continue
        if not active:
            break
        open_jobs = [j for j, slots in windows if t in slots]
        # Direct pushes, earliest deadline first; then augmenting paths while room is left.
        # Slot ``t`` is new to the fill: every open job may use it and holds nothing in it.
        left = room[t]
        for j in open_jobs:
            if left <= EPS:
                break
            r = rem[j]
            if r > EPS:
                fj = f[j]
                limit = limits[j]
                d = min(r, limit - fj[t], left)
                if d > 0.0:
                    fj[t] += d
                    value = fj[t]
                    if value >= limit - EPS:
                        space[j].discard(t)
                    if value - low[j][t] > EPS:
                        held[j].add(t)
                    rem[j] = r - d
                    active -= rem[j] <= EPS
                    left -= d
                    room[t] = left
                    failed, reach = False, None
        if left <= EPS or not active:
            continue
        if failed:
            if reach is None:
                reach = state.reach()
            if reach.isdisjoint(open_jobs):
                continue
        made = 0
        while made < tries and room[t] > EPS:
            if not state.push(t, open_jobs):
                failed = True
                break
            made += 1
        if made:
            reach = None
            active = sum(r > EPS for r in rem)
    return state


@lru_cache(maxsize=256)
def _usable(job: Job) -> frozenset[int]:
    """Slots where ``job`` may still add energy before any fill."""
    out = _allowed(job)
    return out - frozenset(job.fixed) if job.floor >= job.limit - EPS else out


@lru_cache(maxsize=256)
def _allowed(job: Job) -> frozenset[int]:
    """Slots of ``job``'s window it is not barred from."""
    return frozenset(range(job.first, job.end)) - job.blocked


@dataclass(slots=True)
class Flow:
    """An optimal fill: energy ``f`` per job and slot, ``rem`` missing, ``room`` left per slot."""

    jobs: Sequence[Job]
    f: list[list[float]]
    low: list[list[float]]
    rem: list[float]
    room: list[float]
    space: list[set[int]]
    """Per job: slots it may use that are below its limit."""
    held: list[set[int]]
    """Per job: slots where it holds energy above its fixed floor (energy that may move)."""
    free: set[int] | None = None
    """Slots with room left that some job may use (made by the first ``squeeze`` or
    ``squeezed_by``, then kept by ``squeeze``)."""
    scan: int = 0
    """Place in the price order before which no slot has room left (kept by ``squeeze``)."""
    rise: float = 0.0
    """Cost the squeezes with prices added since this fill was made or copied."""
    limits: list[float] = field(default_factory=list)
    """Per job: its limit (shared by copies)."""
    allowed: list[frozenset[int]] = field(default_factory=list)
    """Per job: the slots of its window it is not barred from (shared by copies)."""

    def copy(self) -> Flow:
        """An independent copy (jobs and fixed floors shared)."""
        return Flow(
            self.jobs,
            [row[:] for row in self.f],
            self.low,
            self.rem[:],
            self.room[:],
            [x.copy() for x in self.space],
            [x.copy() for x in self.held],
            None if self.free is None else self.free.copy(),
            self.scan,
            0.0,
            self.limits,
            self.allowed,
        )

    def squeeze(
        self,
        t: int,
        amount: float,
        order: Sequence[int],
        prices: Sequence[float] = (),
        penalty: float = 0.0,
    ) -> bool:
        """Take ``amount`` kWh of room from slot ``t`` and stay an optimal fill.

        Energy pushed out of ``t`` moves along the cheapest re-routing chain: the jobs swap
        energy in shared slots, and the chain's cost is the price of the free slot it ends in
        (the shared slots' prices cancel), so the cheapest free slot any reachable job may use
        wins; with none, the energy is missed. ``order``: the slots, cheapest first.
        False if the room cannot be made (fixed floors alone overfill ``t``, or more chains
        would be needed than a fill tries per slot). With ``prices`` (and the ``penalty`` per
        kWh missed), ``rise`` grows by what the squeeze adds to the fill's cost.
        """
        f, low, room, limits, held = self.f, self.low, self.room, self.limits, self.held
        free = self.free
        if free is None:
            free = self.free = self._free_slots()
        room[t] -= amount
        if room[t] <= EPS:
            free.discard(t)
        count = len(f)
        for _ in range(4 * count + 4):  # as many chains as a fill tries per slot
            if room[t] >= -EPS:
                break
            sources = [k for k in range(count) if t in held[k]]
            if not sources:
                break
            chain = self._cheapest_chain(t, sources, order, free)
            src, hops, end = chain
            d = min(-room[t], f[src][t] - low[src][t])
            for i, k, s in hops:
                d = min(d, limits[i] - f[i][s], f[k][s] - low[k][s])
            if end is not None:
                last, u = end
                d = min(d, room[u], limits[last] - f[last][u])
            if d <= EPS:
                break
            self.add(src, t, -d)
            room[t] += d
            for i, k, s in hops:
                self.add(i, s, d)
                self.add(k, s, -d)
            if end is None:
                self.rem[src] += d  # no free slot reachable: missed (no hops then)
                self.rise += d * (penalty - prices[t]) if prices else 0.0
            else:
                self.add(end[0], end[1], d)
                self.rise += d * (prices[end[1]] - prices[t]) if prices else 0.0
                room[end[1]] -= d
                if room[end[1]] <= EPS:
                    free.discard(end[1])
        return room[t] >= -ROOM_DUST

    def _free_slots(self) -> set[int]:
        """Slots with room left that some job may use (no chain can end in the others)."""
        allowed = frozenset().union(*self.allowed)
        return {u for u, r in enumerate(self.room) if r > EPS and u in allowed}

    def _cheapest_chain(
        self, t: int, sources: Sequence[int], order: Sequence[int], free: set[int]
    ) -> tuple[int, list[tuple[int, int, int]], tuple[int, int] | None]:
        """Source job, hops (i takes k's energy in slot s) and end (job, ``free`` slot) or None."""
        f, held, spaces = self.f, self.held, self.space
        # Room only shrinks while squeezing: slots before ``scan`` stay full.
        scan, size = self.scan, len(order)
        while scan < size and order[scan] not in free:
            scan += 1
        self.scan = scan
        first = scan  # the cheapest free slot but ``t``: a source that may use it ends the chain
        while first < size and (order[first] == t or order[first] not in free):
            first += 1
        if first < size:
            u = order[first]
            for i in sources:
                if u in spaces[i]:
                    return i, [], (i, u)
        count = len(f)
        parent: dict[int, int | None] = dict.fromkeys(sources)
        queue = deque(sources)
        reached: list[int] = []
        rest = [k for k in range(count) if k not in parent]  # not reached yet, in job order
        while queue and rest:
            i = queue.popleft()
            reached.append(i)
            space = spaces[i]
            t_space = t in space
            keep: list[int] = []
            for k in rest:
                hk = held[k]
                if space.isdisjoint(hk) or (t_space and t in hk and len(space & hk) <= 1):
                    keep.append(k)
                else:
                    parent[k] = i
                    queue.append(k)
            rest = keep
        reached += queue
        end: tuple[int, int] | None = None
        reach_spaces = [(i, spaces[i]) for i in reached]
        for x in range(first, size):
            u = order[x]
            if u in free and u != t:
                for i, sp in reach_spaces:
                    if u in sp:
                        end = (i, u)
                        break
                if end is not None:
                    break
        node = end[0] if end is not None else sources[0]
        hops: list[tuple[int, int, int]] = []
        while (prev := parent[node]) is not None:
            shared = spaces[prev] & held[node]
            shared.discard(t)
            hops.append((prev, node, max(shared, key=f[node].__getitem__)))
            node = prev
        hops.reverse()
        return node, hops, end

    def squeezed_by(
        self,
        start: int,
        profile: Sequence[float],
        dt: float,
        order: Sequence[int],
        prices: Sequence[float],
        *,
        penalty: float,
        limit: float,
    ) -> Flow | None:
        """A copy squeezed by a block of ``profile`` (kW per slot from ``start``); None when its
        room cannot be made or its cost rise reaches ``limit`` (checked after each slot)."""
        if self.free is None:  # made once for all the copies
            self.free = self._free_slots()
        out = self.copy()
        for k, kw in enumerate(profile):
            if not out.squeeze(start + k, kw * dt, order, prices, penalty) or out.rise >= limit:
                return None
        return out

    def add(self, j: int, s: int, d: float) -> None:
        """Change job ``j``'s energy in slot ``s`` by ``d`` and keep ``space``/``held`` true."""
        fj = self.f[j]
        value = fj[s] = fj[s] + d
        if value < self.limits[j] - EPS and s in self.allowed[j]:
            self.space[j].add(s)
        else:
            self.space[j].discard(s)
        if value - self.low[j][s] > EPS:
            self.held[j].add(s)
        else:
            self.held[j].discard(s)

    def push(self, t: int, open_jobs: Sequence[int]) -> bool:
        """Push energy into slot ``t`` directly or along one augmenting path; False if none."""
        f, rem, room, limits = self.f, self.rem, self.room, self.limits
        takers = [j for j in open_jobs if f[j][t] < limits[j] - EPS]
        if not takers:
            return False
        for j in takers:
            if rem[j] > EPS:
                d = min(rem[j], limits[j] - f[j][t], room[t])
                self.add(j, t, d)
                rem[j] -= d
                room[t] -= d
                return True
        path = self._path(t, takers)
        if path is None:
            return False
        src, hops, last = path
        d = min(rem[src], room[t], limits[last] - f[last][t])
        for i, k, s in hops:
            d = min(d, limits[i] - f[i][s], f[k][s] - self.low[k][s])
        if d <= EPS:
            return False
        for i, k, s in hops:
            self.add(i, s, d)
            self.add(k, s, -d)
        self.add(last, t, d)
        rem[src] -= d
        room[t] -= d
        return True

    def reach(self) -> set[int]:
        """Jobs missing energy and those they reach by taking over energy in any shared slot."""
        rem, spaces, held = self.rem, self.space, self.held
        count = len(rem)
        seen = {j for j in range(count) if rem[j] > EPS}
        stack = list(seen)
        while stack:
            space = spaces[stack.pop()]
            for k in range(count):
                if k not in seen and not space.isdisjoint(held[k]):
                    seen.add(k)
                    stack.append(k)
        return seen

    def _path(
        self, t: int, takers: Sequence[int]
    ) -> tuple[int, list[tuple[int, int, int]], int] | None:
        """Shortest chain job -> job (job i takes over job k's energy in a shared slot s)."""
        f, low, limits = self.f, self.low, self.limits
        rem = self.rem
        count = len(f)
        sources = [j for j in range(count) if rem[j] > EPS]
        if not sources:
            return None
        parent: dict[int, int | None] = dict.fromkeys(sources)
        queue = deque(sources)
        held, spaces = self.held, self.space
        rest = [k for k in range(count) if k not in parent]  # not reached yet, in job order
        while queue and rest:
            i = queue.popleft()
            space = spaces[i]
            t_space = t in space
            keep: list[int] = []
            for k in rest:
                hk = held[k]
                if space.isdisjoint(hk) or (t_space and t in hk and len(space & hk) <= 1):
                    keep.append(k)
                    continue
                parent[k] = i
                if k not in takers:
                    queue.append(k)
                    continue
                # The hops' slots: where each taker can take over the most (lowest slot on ties).
                hops: list[tuple[int, int, int]] = []
                node = k
                while (prev := parent[node]) is not None:
                    fi, fk, lk, limit = f[prev], f[node], low[node], limits[prev]
                    prev_space = spaces[prev]
                    best_s, best = -1, -math.inf
                    for u in held[node]:
                        if u != t and u in prev_space:
                            give, take = limit - fi[u], fk[u] - lk[u]
                            most = take if take < give else give
                            if most > best or (most == best and u < best_s):
                                best_s, best = u, most
                    hops.append((prev, node, best_s))
                    node = prev
                return node, hops, k
            rest = keep
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
    floor = job.floor
    mine = _window(order, job.first, job.end)
    lost = 0.0
    while True:
        s = next((u for u in reversed(mine) if EPS < energy[u] < floor - EPS), -1)
        if s < 0:
            break
        raised = _raise(job, energy, room, prices, s, order=mine)
        dropped = _drop(job, energy, room, prices, s, order=mine)
        moves = raised if dropped is None or (raised and raised[0] <= dropped[0]) else dropped
        if moves is None:
            lost += energy[s]
            room[s] += energy[s]
            energy[s] = 0.0
            continue
        for u, delta in moves[1]:
            energy[u] += delta
            room[u] -= delta
    left = _top_up(job, energy, room, prices, mine, missing=lost) if lost > EPS else 0.0
    _polish(job, energy, room, prices, mine)
    return left


_WINDOWS: dict[tuple[int, int, int], tuple[Sequence[int], tuple[int, ...]]] = {}


def _window(order: Sequence[int], first: int, end: int) -> tuple[int, ...]:
    """The slots ``first .. end - 1`` in ``order`` (cheapest first), cached per order object
    (an order is never changed once made; the cache keeps it alive, so its id stays its own)."""
    key = (id(order), first, end)
    hit = _WINDOWS.get(key)
    if hit is not None and hit[0] is order:
        return hit[1]
    if len(_WINDOWS) >= 256:
        _WINDOWS.clear()
    out = tuple(u for u in order if first <= u < end)
    _WINDOWS[key] = (order, out)
    return out


def _polish(
    job: Job, energy: list[float], room: list[float], prices: Sequence[float], order: Sequence[int]
) -> None:
    """Move energy from the job's dearest slot to cheaper ones while that pays, floors kept.

    ``order`` is the job's window, cheapest first.
    """
    blocked = job.blocked
    for _ in range(4 * len(order)):
        hi = next((u for u in reversed(order) if energy[u] > EPS), -1)
        if hi < 0:
            return
        best: tuple[int, float] | None = None
        for lo in order:
            if prices[lo] >= prices[hi] - EPS:
                break
            if lo in blocked:
                continue
            space = min(job.limit - energy[lo], room[lo])
            if space <= EPS or (energy[lo] <= EPS and space < job.floor - EPS):
                continue  # nothing movable (``_movable``)
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
    """Place ``missing`` kWh in the cheapest slots (``order``: the job's window, cheapest first),
    never below the floor; returns what is left."""
    for s in order:
        if missing <= EPS:
            break
        if s in job.blocked:
            continue
        have = energy[s]
        space = min(job.limit - have, room[s])
        if have >= job.floor - EPS:
            add = min(missing, space)
        elif have <= EPS and space >= job.floor - EPS:
            add = max(job.floor, min(missing, space))
            excess = add - missing
            if excess > EPS and not _shave(
                job, energy, room, prices, s, order=order, amount=excess
            ):
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
    order: Sequence[int],
    amount: float,
) -> bool:
    """Take ``amount`` from the job's dearest slots above the floor (not ``skip``)."""
    donors = [u for u in reversed(order) if u != skip and energy[u] > job.floor + EPS]
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
    order: Sequence[int],
) -> tuple[float, list[tuple[int, float]]] | None:
    """Cost and energy changes per slot of raising slot ``s`` to the floor, taking the extra
    from the job's dearest other slots (``order``: the job's window, cheapest first)."""
    need = job.floor - energy[s]
    if room[s] < need - EPS:
        return None
    donors = (u for u in reversed(order) if u != s and energy[u] > job.floor + EPS)
    cost = need * prices[s]
    left = need
    moves = [(s, need)]
    for u in donors:
        take = min(left, energy[u] - job.floor)
        moves.append((u, -take))
        cost -= take * prices[u]
        left -= take
        if left <= EPS:
            break
    if left > EPS:
        return None
    return cost, moves


def _drop(
    job: Job,
    energy: list[float],
    room: list[float],
    prices: Sequence[float],
    s: int,
    *,
    order: Sequence[int],
) -> tuple[float, list[tuple[int, float]]] | None:
    """Cost and energy changes per slot of emptying slot ``s``, moving its energy to the job's
    cheapest slots already running (``order``: the job's window, cheapest first)."""
    amount = energy[s]
    floor, limit = job.floor - EPS, job.limit
    # Running slots with room and below the limit (what is left to place stays above EPS).
    takers = (
        u
        for u in order
        if u != s and energy[u] >= floor and limit - energy[u] > EPS and room[u] > EPS
    )
    cost = -amount * prices[s]
    left = amount
    moves = [(s, -amount)]
    for u in takers:
        put = min(left, limit - energy[u], room[u])
        moves.append((u, put))
        cost += put * prices[u]
        left -= put
        if left <= EPS:
            break
    if left > EPS:
        return None
    return cost, moves


def solve_jobs(
    jobs: Sequence[Job],
    room: list[float],
    fills: Fills,
    *,
    penalty: float,
    round_steps: int = 0,
    bar: float = math.inf,
) -> Fill:
    """Fill, then settle slots below a floor by ``repair_floor``; ``fills`` holds the plan's
    fills (and their price order and prices).

    With ``round_steps``, up to that many slots below a floor are first decided one by one,
    dearest first: forbidden to the job or forced to its floor. Two passes choose between the
    two by the raw fill and by the repaired fill; the cheapest repaired fill seen is returned.
    ``room`` ends as what is left. When the fill without floors (a lower bound) already scores
    ``bar`` or more, it is returned unrepaired: the caller only needs to know it loses.
    """
    prices = fills.prices
    start_room = tuple(room)
    first = fills.fill(jobs, start_room)
    assert first is not None  # no fixed floors yet
    res = first[0]
    # The fill without floors is a relaxation: a repaired fill that matches it is optimal.
    bound = score(res, prices, penalty)
    if bound >= bar:
        room[:] = first[1]
        return res
    best = fills.repaired(jobs, start_room)
    best_score = score(best[0], prices, penalty)
    if round_steps:
        for by_repair in (False, True):
            if best_score <= bound + EPS:
                break
            found, found_score = _round(
                jobs,
                res,
                fills,
                start_room,
                penalty=penalty,
                steps=round_steps,
                by_repair=by_repair,
                bar=min(best_score, bar),
            )
            if found is not None and found_score < best_score - EPS:
                best, best_score = found, found_score
        # Small problems: a bounded search over the same decisions closes what the dives left.
        budget = SEARCH_CELLS // max(1, len(room) * len(jobs))
        if best_score > bound + EPS and budget > 0:
            found, found_score = _search(
                jobs,
                fills,
                start_room,
                penalty=penalty,
                bar=min(best_score, bar),
                budget=budget,
            )
            if found is not None and found_score < best_score - EPS:
                best, best_score = found, found_score
    room[:] = best[1]
    return best[0]


def _search(
    jobs: Sequence[Job],
    memo: Fills,
    room: tuple[float, ...],
    *,
    penalty: float,
    bar: float,
    budget: int,
) -> tuple[tuple[Fill, list[float]] | None, float]:
    """Depth-first search over "forbid" / "force to the floor" for the dearest slot below a
    floor, pruned by the fill without floors; at most ``budget`` fills. The cheapest repaired
    fill below ``bar`` and its score (None, inf when none)."""
    prices = memo.prices
    best: tuple[Fill, list[float]] | None = None
    best_score = math.inf
    stack = [list(jobs)]
    while stack and budget > 0:
        current = stack.pop()
        budget -= 1
        hit = memo.fill(current, room)
        if hit is None:
            continue
        got = hit[0]
        low = score(got, prices, penalty)
        if low >= min(bar, best_score) - EPS:
            continue
        probe = memo.repaired(current, room)
        probe_score = score(probe[0], prices, penalty)
        if probe_score < min(bar, best_score) - EPS:
            best, best_score = probe, probe_score
        bad = _dearest_bad(current, got, prices)
        if bad is None or probe_score <= low + EPS:
            continue
        j, s = bad
        job = current[j]
        if job.floor <= job.limit + EPS:
            stack.append([*current[:j], job.forced(s), *current[j + 1 :]])
        stack.append([*current[:j], job.barred((s,)), *current[j + 1 :]])
    return best, best_score


def _round(
    jobs: Sequence[Job],
    res: Fill,
    memo: Fills,
    room: tuple[float, ...],
    *,
    penalty: float,
    steps: int,
    by_repair: bool,
    bar: float,
) -> tuple[tuple[Fill, list[float]] | None, float]:
    """One rounding pass; returns the cheapest repaired fill seen and its score.

    A decision whose fill without floors (a lower bound) does not beat ``bar`` is not taken.
    """
    prices = memo.prices
    current = list(jobs)
    best: tuple[Fill, list[float]] | None = None
    best_score = float("inf")
    for _ in range(steps):
        bar = min(bar, best_score)
        bad = _dearest_bad(current, res, prices)
        if bad is None:
            break
        j, s = bad
        job = current[j]
        options = [job.barred((s,))]
        if job.floor <= job.limit + EPS:
            options.append(job.forced(s))
        chosen: tuple[float, list[Job], Fill, float] | None = None
        probe: tuple[Fill, list[float]] | None = None
        # Forcing the floor only restricts the current fill: when forbidding the slot costs
        # nothing (its fill no dearer than the current one), forcing cannot be chosen by the
        # raw fill, so its fill is not made.
        parent_low = score(res, prices, penalty)
        for option in options:
            if not by_repair and chosen is not None and chosen[0] <= parent_low + TIE:
                break
            trial = [*current[:j], option, *current[j + 1 :]]
            hit = memo.fill(trial, room)
            if hit is None:
                continue
            got = hit[0]
            low = score(got, prices, penalty)
            if low >= bar - EPS:
                continue
            key, repaired = low, None
            if by_repair:
                repaired = memo.repaired(trial, room)
                key = score(repaired[0], prices, penalty)
            if chosen is None or key < chosen[0] - EPS:
                chosen, probe = (key, trial, got, low), repaired
        if chosen is None:
            break
        probe_score, current, res, low = chosen
        if probe is None:  # chosen by the raw fill: only it needs repairing
            probe = memo.repaired(current, room)
            probe_score = score(probe[0], prices, penalty)
        if probe_score < best_score - EPS:
            best, best_score = probe, probe_score
        if probe_score <= low + EPS:
            break  # further decisions only restrict this fill: nothing cheaper below
    return best, best_score


class Fills:
    """One plan's fills and repaired fills for one price order, each computed once per job list
    and room (the block search, the rounding's two passes and its search meet the same ones)."""

    def __init__(self, order: Sequence[int], prices: Sequence[float]) -> None:
        self.order, self.prices = order, prices
        self._rooms: dict[tuple[float, ...], _RoomFills] = {}
        self._last: tuple[tuple[float, ...], _RoomFills] | None = None

    def _of(self, room: Sequence[float]) -> _RoomFills:
        """The fills made in ``room`` (a room given as the same tuple again is not hashed)."""
        if self._last is not None and room is self._last[0]:
            return self._last[1]
        key = tuple(room)
        found = self._rooms.get(key)
        if found is None:
            found = self._rooms[key] = ({}, {})
        self._last = (key, found)
        return found

    def flow(self, jobs: Sequence[Job], room: Sequence[float]) -> Flow | None:
        """``flow`` of ``jobs`` in ``room`` (left unchanged); shared, so squeeze a copy."""
        flows = self._of(room)[0]
        key = tuple(jobs)
        if key not in flows:
            flows[key] = flow(key, list(room), self.order)
        return flows[key]

    def fill(self, jobs: Sequence[Job], room: Sequence[float]) -> tuple[Fill, list[float]] | None:
        """The fill of ``jobs`` in ``room`` and the room it leaves (None: fixed floors do not
        fit)."""
        state = self.flow(jobs, room)
        return None if state is None else (Fill(state.f, state.rem), state.room)

    def repaired(self, jobs: Sequence[Job], room: Sequence[float]) -> tuple[Fill, list[float]]:
        """``_repaired`` of the fill of ``jobs`` in ``room`` (which must fit)."""
        repairs = self._of(room)[1]
        key = tuple(jobs)
        if key not in repairs:
            hit = self.fill(key, room)
            assert hit is not None
            repairs[key] = _repaired(key, hit[0], hit[1], self.prices, self.order)
        return repairs[key]


_RoomFills = tuple[
    dict[tuple[Job, ...], Flow | None], dict[tuple[Job, ...], tuple[Fill, list[float]]]
]
"""A room's fills and repaired fills, per job list."""


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
        short = job.floor - EPS
        row = res.energy[j][job.first : job.end]
        for s in [s for s, e in enumerate(row, job.first) if EPS < e < short]:
            if found is None or prices[s] > found[0]:
                found = (prices[s], j, s)
    return None if found is None else (found[1], found[2])


def score(res: Fill, prices: Sequence[float], penalty: float) -> float:
    """Cost of the jobs' energy plus ``penalty`` per kWh missing."""
    return sum(map(math.sumprod, res.energy, repeat(prices))) + penalty * sum(res.missing)
