"""Offline MILP (HiGHS): fewest switch operations for the same task the strategies solve.

The uncontrolled ("none") run gives the *exogenous* demand: red/unmanaged power, when each
appliance is asked to work and how much, hot-water draws, EV plug-in/departure. The MILP chooses
the supply `x[l,t]` of every managed load per step and follows the consequences, so demand that
shedding defers comes back later, as it does in the closed loop:

* **queue loads** (EV, kettle, boiler): work arrives as in the uncontrolled trace (`a[t]`, in
  steps at rated power); the served work `y[t]` in [0, x[t]] never runs ahead of the arrivals;
  while supplied, a backlog of at least one step runs at full power (binary `q[t]`, big-M set
  by the most work that can be outstanding) and a smaller one is served whole. EV: the
  session's energy arrives at plug-in, is served only while plugged, at full power until done
  (monotone binary `d[t]` instead of `q`), and must be delivered by departure (up to the 50 Wh
  the miss check tolerates); a kettle's boil must be completed.
* **boiler**: a contactor can only delay a thermostat's heating, never bring it forward or run
  it at part power, so the uncontrolled heating is its arrivals; the delayed heat may never
  exceed the tank's heat content (the hot water it held is used up), at 06:00 and 18:00 the
  tank keeps half a full tank's heat (or the uncontrolled level if lower), and the day ends
  with at most one step (a cooler tank loses a little less heat: a relaxation) outstanding.
* **programmes** (washing machine, dishwasher): a started programme advances only while
  supplied; its phases of >= 100 W (heat, wash, spin) are tracked with monotone binaries
  `g[b,t] = [progress >= b]`; it must be finished 4 h after its start.
* **scaled loads**: oven (its time passes unpowered, exact), fridge and heat pump (thermostatic
  recovery after an off period is not added back: a relaxation) draw trace power times `x`.

Yellow loads are off at most 15 consecutive steps and stay on 5 steps after a restore. The limit
has the metric's reaction semantics: a step may exceed the limit only by that step's exogenous
rise of demand (binary `e[t]` otherwise, cost BIG). Switch operations are the transitions of `x`
(all loads on at the window edges). Minimise `BIG * sum(e) + switch operations`.

Windows are days cut at quiet steps near local noon (no programme, EV session with demand,
kettle or oven near). Within a day, the EV and the programmes may be switched wherever they run
(they can be held off for hours); the other loads from CRITICAL_BEFORE steps before to
CRITICAL_AFTER steps after a step where the uncontrolled house is over the limit, gaps of up to
CRITICAL_BRIDGE steps between such spans included (elsewhere they are on: shedding where no
overload can be cured only costs operations). Where deferred demand lands over the limit
outside those spans, the spans are widened there and the day solved again. The consequences
(backlogs, tank heat, programme progress) are followed over the whole day. The all-on schedule
is solved first and handed to the search as its incumbent; each day is solved to optimality or
for TIME_LIMIT_S; the figures are the solution's switch operations and HiGHS's proven lower
bound on them (`ops_bound`, equal when every day is optimal).
"""

from __future__ import annotations

import itertools
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np

from .trace import Trace

BIG = 1000.0
TIME_LIMIT_S = 60.0
HEURISTIC_EFFORT = 0.5  # share of the search spent on primal heuristics (HiGHS default 0.05)
CRITICAL_BEFORE = 45  # steps before an uncontrolled overload from which switching is modelled
CRITICAL_AFTER = 90  # ... and after it
CRITICAL_BRIDGE = 360  # ... and between two such spans less than this apart (a held load)
MAX_WIDENINGS = 3  # re-solves of a day whose deferred demand lands outside that span
INF = 1e30
PHASE_MIN_W = 100.0  # programme phases below this are modelled as drawing 0 W (relaxation)
BOILER_END_SLACK_STEPS = 1.0  # a delayed, cooler tank loses less heat: one step (relaxation)


@dataclass(frozen=True)
class OptResult:
    """Power after the optimal switching, its switch operations and the proven lower bound."""

    power_w: list[float]
    switch_ops: int
    ops_bound: float
    windows: int
    optimal_windows: int
    beyond_steps: int
    unsolved_windows: int = 0


QUEUE_LOADS = ("ev_charger", "kettle")
SCALED_LOADS = ("oven", "fridge", "heat_pump")
PROGRAMME_LOADS = ("washing_machine", "dishwasher")


def exogenous_rise(trace: Trace, t: int) -> float:
    """Rise of exogenous demand at step t in the trace (red power, loads asked to work)."""
    if t == 0:
        return 0.0
    rise = max(0.0, trace.base[t] - trace.base[t - 1])
    for series in trace.power.values():
        rise += max(0.0, series[t] - series[t - 1])
    return rise


def cut_points(trace: Trace, steps_per_day: int) -> list[int]:
    """Window boundaries: quiet steps near local noon."""
    n = len(trace.base)
    busy = [False] * n
    pad = trace.max_off + 10
    for name in ("kettle", "oven"):
        for t, p in enumerate(trace.power[name]):
            if p > 0:
                for k in range(max(0, t - pad), min(n, t + pad)):
                    busy[k] = True
    for name in PROGRAMME_LOADS:
        for t0 in trace.starts[name]:
            for k in range(max(0, t0 - 1), min(n, t0 + trace.deadline_steps + 1)):
                busy[k] = True
    for lo, hi in _ev_sessions(trace):
        if sum(trace.power["ev_charger"][lo:hi]) > 0:
            for k in range(lo, min(n, hi + 1)):
                busy[k] = True
    cuts = [0]
    noon = 12 * 3600.0
    t = 0
    while True:
        target = next(
            (
                k
                for k in range(t + steps_per_day // 2, n)
                if trace.local_s[k] >= noon - 1e-6 and trace.local_s[k] < noon + trace.dt_s
            ),
            None,
        )
        if target is None or n - target < steps_per_day // 4:
            break
        span = steps_per_day // 4
        options = [
            k for k in range(max(t + 1, target - span), min(n, target + span)) if not busy[k]
        ]
        cut = min(options, key=lambda k: abs(k - target)) if options else target
        cuts.append(cut)
        t = cut
    cuts.append(n)
    return cuts


def _ev_sessions(trace: Trace) -> list[tuple[int, int]]:
    sessions = []
    start = None
    for t, plugged in enumerate(trace.ev_plugged):
        if plugged and start is None:
            start = t
        elif not plugged and start is not None:
            sessions.append((start, t))
            start = None
    if start is not None:
        sessions.append((start, len(trace.ev_plugged)))
    return sessions


def solve(trace: Trace, steps_per_day: int) -> OptResult:
    """Optimal switching over the whole trace, window by window."""
    cuts = cut_points(trace, steps_per_day)
    rise = [exogenous_rise(trace, t) for t in range(len(trace.base))]
    power: list[float] = []
    ops = 0
    bound = 0.0
    optimal = 0
    beyond = 0
    unsolved = 0
    for lo, hi in itertools.pairwise(cuts):
        result = _solve_window(trace, lo, hi, rise)
        power.extend(result.power)
        ops += result.ops
        bound += result.bound
        optimal += int(result.optimal)
        beyond += max(0, result.beyond)
        unsolved += int(result.beyond < 0)
    return OptResult(power, ops, bound, len(cuts) - 1, optimal, beyond, unsolved)


class _Builder:
    """Collects columns and rows for one HiGHS model."""

    def __init__(self) -> None:
        self.cost: list[float] = []
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.integer: list[int] = []
        self.starts: list[int] = []
        self.index: list[int] = []
        self.value: list[float] = []
        self.row_low: list[float] = []
        self.row_high: list[float] = []

    def var(
        self, cost: float = 0.0, integer: bool = False, low: float = 0.0, high: float = 1.0
    ) -> int:
        self.cost.append(cost)
        self.lower.append(low)
        self.upper.append(high)
        if integer:
            self.integer.append(len(self.cost) - 1)
        return len(self.cost) - 1

    def row(self, low: float, high: float, terms: dict[int, float]) -> None:
        self.starts.append(len(self.index))
        for col, val in terms.items():
            self.index.append(col)
            self.value.append(val)
        self.row_low.append(low)
        self.row_high.append(high)

    def solve(self, time_limit_s: float, supply: Sequence[int]) -> tuple[list[float], bool, float]:
        """Minimise; the all-supplied schedule (always feasible) is solved first and given to
        the search as its starting incumbent."""
        h = highspy.Highs()  # type: ignore[no-untyped-call]
        h.setOptionValue("output_flag", False)
        h.setOptionValue("time_limit", time_limit_s)
        h.setOptionValue("threads", 1)
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("mip_heuristic_effort", HEURISTIC_EFFORT)
        n = len(self.cost)
        inf = highspy.kHighsInf
        low = np.array([v if v > -INF / 2 else -inf for v in self.lower])
        up = np.array([v if v < INF / 2 else inf for v in self.upper])
        h.addVars(n, low, up)
        h.changeColsCost(n, np.arange(n, dtype=np.int32), np.array(self.cost))
        if self.integer:
            h.changeColsIntegrality(
                len(self.integer),
                np.array(self.integer, dtype=np.int32),
                np.full(len(self.integer), highspy.HighsVarType.kInteger),
            )
        rl = np.array([v if v > -INF / 2 else -inf for v in self.row_low])
        rh = np.array([v if v < INF / 2 else inf for v in self.row_high])
        h.addRows(
            len(self.row_low),
            rl,
            rh,
            len(self.index),
            np.array(self.starts, dtype=np.int32),
            np.array(self.index, dtype=np.int32),
            np.array(self.value),
        )
        cols = np.array(supply, dtype=np.int32)
        ones = np.ones(len(cols))
        h.changeColsBounds(len(cols), cols, ones, ones)
        h.run()
        feasible = h.getInfo().primal_solution_status == 2
        incumbent = h.getSolution()
        h.changeColsBounds(len(cols), cols, low[cols], up[cols])
        if feasible:
            h.setSolution(incumbent)
        h.run()
        status = h.getModelStatus()
        optimal = status == highspy.HighsModelStatus.kOptimal
        info = h.getInfo()
        if info.primal_solution_status != 2:  # no feasible solution
            return [], False, float("inf")
        bound = float(info.mip_dual_bound) if self.integer else float(info.objective_function_value)
        if optimal:
            bound = float(info.objective_function_value)
        if not math.isfinite(bound):
            bound = 0.0
        return list(h.getSolution().col_value), optimal, bound


@dataclass
class _WindowResult:
    power: list[float]
    ops: int
    bound: float
    optimal: bool
    beyond: int
    loose: list[int] = field(default_factory=list)  # steps beyond the limit where x was fixed


def _solve_window(trace: Trace, lo: int, hi: int, rise: list[float]) -> _WindowResult:
    """Solve a day; where deferred demand lands beyond the limit outside the modelled span,
    widen the span there and solve again."""
    critical: list[bool] | None = None
    for _ in range(MAX_WIDENINGS + 1):
        window = _Window(trace, lo, hi, rise, critical)
        result = window.solve()
        if not result.loose:
            break
        loose = [t in result.loose for t in range(window.n)]
        critical = [
            a or b
            for a, b in zip(
                window.critical, _dilate(loose, CRITICAL_BEFORE, CRITICAL_AFTER), strict=True
            )
        ]
    return result


class _Window:
    """One day's model."""

    def __init__(
        self, trace: Trace, lo: int, hi: int, rise: list[float], critical: list[bool] | None
    ) -> None:
        self.tr = trace
        self.lo = lo
        self.hi = hi
        self.n = hi - lo
        self.rise = rise[lo:hi]
        over = [
            trace.base[t] + sum(p[t] for p in trace.power.values()) > trace.limit_w
            for t in range(lo, hi)
        ]
        self.critical = critical or _bridge(
            _dilate(over, CRITICAL_BEFORE, CRITICAL_AFTER), CRITICAL_BRIDGE
        )
        self.b = _Builder()
        self.x: dict[str, list[int | None]] = {}  # None: fixed on
        self.power_terms: list[dict[int, float]] = [{} for _ in range(self.n)]
        self.power_const = [trace.base[lo + t] for t in range(self.n)]

    # -- supply variables -------------------------------------------------------------------

    def _supply(
        self, name: str, active: Sequence[bool], anywhere: bool = False
    ) -> list[int | None]:
        """Binary supply where the load may draw near an overload (`anywhere`: wherever it is
        active); fixed on elsewhere."""
        xs: list[int | None] = [
            self.b.var(0.0, True) if a and (c or anywhere) else None
            for a, c in zip(active, self.critical, strict=True)
        ]
        self.x[name] = xs
        return xs

    def _xterm(self, xs: list[int | None], t: int) -> tuple[dict[int, float], float]:
        """x[t] as (terms, constant)."""
        v = xs[t]
        return ({v: 1.0}, 0.0) if v is not None else ({}, 1.0)

    # -- load models --------------------------------------------------------------------------

    def _scaled(self, name: str) -> None:
        """Trace power times supply: time passes unpowered (oven) or thermostatic recovery is
        not modelled (fridge, heat pump: a relaxation)."""
        series = self.tr.power[name][self.lo : self.hi]
        active = [p > 0 for p in series]
        xs = self._supply(name, active)
        for t, p in enumerate(series):
            if p <= 0:
                continue
            v = xs[t]
            if v is None:
                self.power_const[t] += p
            else:
                self.power_terms[t][v] = self.power_terms[t].get(v, 0.0) + p

    def _queue(self, name: str, backlog_cap: dict[int, float] | None = None) -> None:
        """Work that arrives as in the trace and may be delayed, never advanced; at most
        `backlog_cap[t]` steps of it may be outstanding at the start of step t."""
        tr = self.tr
        rated = tr.rated_w[name]
        series = [p / rated for p in tr.power[name][self.lo : self.hi]]
        n = self.n
        b = self.b
        arrivals = [0.0] * n
        servable = [True] * n
        deadline_at: dict[int, float] = {}  # step index -> tolerated shortfall at that time
        if name == "ev_charger":
            servable = list(tr.ev_plugged[self.lo : self.hi])
            for s_lo, s_hi in _ev_sessions(tr):
                a, z = max(s_lo, self.lo) - self.lo, min(s_hi, self.hi) - self.lo
                if z <= a:
                    continue
                arrivals[a] += sum(series[a:z])
                deadline_at[z] = tr.ev_tol_steps
            seen = 0.0
            active = []
            for t in range(n):
                seen += arrivals[t]
                active.append(servable[t] and seen > 0)
        elif name == "kettle":
            arrivals = series
            active = _dilate([a > 0 for a in arrivals], 0, tr.max_off + 10)
        else:
            arrivals = series
            active = [True] * n
        total = sum(arrivals)
        if total <= 0:
            self._supply(name, [False] * n)
            return
        lumped = name == "ev_charger"
        xs = self._supply(name, active, anywhere=lumped and any(self.critical))
        end_slack = BOILER_END_SLACK_STEPS if name == "boiler" else 0.0
        caps = backlog_cap or {}
        cum_a = 0.0
        most = 0.0  # most work that can be outstanding before step t (tightens big-M)
        d_prev: int | None = None
        served: int | None = None  # cumulative served work before step t (variable)
        for t in range(n):
            if t in caps and served is not None:
                b.row(cum_a - caps[t], INF, {served: 1.0})
            cum_a += arrivals[t]
            most += arrivals[t]
            if not servable[t] or (cum_a <= 0 and not active[t]):
                if t + 1 in deadline_at and served is not None:
                    b.row(cum_a - deadline_at[t + 1], INF, {served: 1.0})
                continue
            y = b.var(0.0, False)
            nxt = b.var(0.0, False, 0.0, INF)
            done = {served: 1.0} if served is not None else {}
            # served[t+1] = served[t] + y <= arrivals so far
            b.row(0.0, 0.0, {nxt: 1.0, y: -1.0, **{k: -c for k, c in done.items()}})
            b.row(-INF, cum_a, {nxt: 1.0})
            v = xs[t]
            off = {v: -most} if v is not None else {}  # relaxes the rows below when x = 0
            low = cum_a - most if v is not None else cum_a
            if v is not None:
                b.row(-INF, 0.0, {y: 1.0, v: -1.0})  # y <= x
            if lumped:
                # one arrival per session: full power while supplied until done; done (d) is
                # monotone within the session and means less than one step is left
                if arrivals[t] > 0:
                    d_prev = None
                d = b.var(0.0, True)
                if d_prev is not None:
                    b.row(0.0, INF, {d: 1.0, d_prev: -1.0})
                b.row(0.0, INF, {**done, d: -(cum_a - 1.0)} if done else {d: -(cum_a - 1.0)})
                if v is None:
                    b.row(1.0, INF, {y: 1.0, d: 1.0})  # y >= 1 - d
                else:
                    b.row(0.0, INF, {y: 1.0, d: 1.0, v: -1.0})  # y >= x - d
                # done and supplied: the last part step is served whole
                b.row(low - most, INF, {y: 1.0, d: -most, **done, **off})
                d_prev = d
            elif most > 1.0 + 1e-9:
                # a backlog of at least one step runs at full power while supplied
                q = b.var(0.0, True)
                b.row(cum_a - 1.0 + 1e-6, INF, {q: most - 1.0 + 1e-6, **done})
                if v is None:
                    b.row(0.0, INF, {y: 1.0, q: -1.0})  # y >= q
                else:
                    b.row(-1.0, INF, {y: 1.0, q: -1.0, v: -1.0})  # y >= q + x - 1
                # a smaller backlog is served whole: y >= backlog unless q or x = 0
                b.row(low, INF, {y: 1.0, q: most, **done, **off})
            else:
                b.row(low, INF, {y: 1.0, **done, **off})  # supplied: y >= backlog
            most = most if v is not None else max(0.0, most - 1.0)
            self.power_terms[t][y] = rated
            served = nxt
            if t + 1 in deadline_at:
                b.row(cum_a - deadline_at[t + 1], INF, {served: 1.0})
        if served is not None:
            b.row(total - end_slack, INF, {served: 1.0})

    def _programme(self, name: str) -> None:
        tr = self.tr
        n = self.n
        b = self.b
        runs = [t0 - self.lo for t0 in tr.starts[name] if self.lo <= t0 < self.hi]
        active = [False] * n
        for t0 in runs:
            for t in range(t0, min(n, t0 + tr.deadline_steps)):
                active[t] = True
        xs = self._supply(name, active, anywhere=any(self.critical))
        phases = tr.programmes[name]
        total_steps = sum(steps for _, steps in phases)
        bounds: list[tuple[int, int, float]] = []  # (begin, end, W) of modelled phases
        at = 0
        for watts, steps in phases:
            if watts >= PHASE_MIN_W:
                bounds.append((at, at + steps, watts))
            at += steps
        marks = sorted({m for lo_b, hi_b, _ in bounds for m in (lo_b, hi_b) if m > 0})
        for t0 in runs:
            end = min(n, t0 + tr.deadline_steps)
            big = float(end - t0 + 1)
            prog: int | None = None  # programme steps done before step t
            g_prev: dict[int, int | None] = dict.fromkeys(marks)
            for t in range(t0, end):
                g: dict[int, int | None] = {}
                for mark in marks:
                    if t - t0 < mark or prog is None:
                        g[mark] = None  # cannot be that far yet
                        continue
                    var = b.var(0.0, True)
                    g[mark] = var
                    b.row(0.0, INF, {prog: 1.0, var: -float(mark)})  # prog >= mark g
                    b.row(-INF, mark - 1.0, {prog: 1.0, var: -big})  # prog >= mark -> g
                    prev = g_prev[mark]
                    if prev is not None:
                        b.row(0.0, INF, {var: 1.0, prev: -1.0})
                v = xs[t]
                for lo_b, hi_b, watts in bounds:
                    # in phase [lo_b, hi_b) and supplied: power >= W (g_lo - g_hi + x - 1)
                    gl = g[lo_b] if lo_b > 0 else None
                    if lo_b > 0 and gl is None:
                        continue
                    pw = b.var(0.0, False, 0.0, watts)
                    terms: dict[int, float] = {pw: 1.0}
                    const = 0.0 if lo_b == 0 else -watts
                    if v is None:
                        const += watts
                    else:
                        terms[v] = -watts
                    if gl is not None:
                        terms[gl] = -watts
                    gh = g[hi_b]
                    if gh is not None:
                        terms[gh] = watts
                    b.row(const, INF, terms)
                    self.power_terms[t][pw] = 1.0
                g_prev = g
                nxt = b.var(0.0, False, 0.0, INF)
                step = {nxt: 1.0, **({prog: -1.0} if prog is not None else {})}
                if v is None:
                    b.row(1.0, 1.0, step)
                else:
                    b.row(0.0, 0.0, {**step, v: -1.0})
                prog = nxt
            if end - t0 >= tr.deadline_steps and prog is not None:
                b.row(float(total_steps), INF, {prog: 1.0})

    def _boiler(self) -> None:
        """The thermostat's heating, delayable but not advanced (a contactor cannot make it
        heat), with the tank never emptied by the delay and at least half full at the checks."""
        tr = self.tr
        spec = tr.boiler
        assert spec is not None
        step_j = spec.rated_w * tr.dt_s
        caps: dict[int, float] = {}  # step -> most heat (in steps) the delay may withhold
        for t in range(self.n):
            caps[t] = tr.boiler_h[self.lo + t] / step_j
        for c in tr.checks:
            if self.lo <= c < self.hi:
                caps[c - self.lo] = max(0.0, tr.boiler_h[c] - 0.5 * spec.full_j) / step_j
        self._queue("boiler", backlog_cap=caps)

    # -- assembly -----------------------------------------------------------------------------

    def solve(self) -> _WindowResult:
        tr = self.tr
        if not any(self.critical):
            power = [
                self.power_const[t] + sum(p[self.lo + t] for p in tr.power.values())
                for t in range(self.n)
            ]
            return _WindowResult(power, 0, 0.0, True, 0)
        for name in SCALED_LOADS:
            self._scaled(name)
        for name in QUEUE_LOADS:
            self._queue(name)
        for name in PROGRAMME_LOADS:
            self._programme(name)
        self._boiler()
        b = self.b
        n = self.n
        # switch operations and yellow rules
        switch_vars: list[int] = []
        for name, xs in self.x.items():
            for t in range(n + 1):
                prev = xs[t - 1] if t > 0 else None
                cur = xs[t] if t < n else None
                if prev is None and cur is None:
                    continue
                sv = b.var(1.0, False)
                switch_vars.append(sv)
                _abs_row(b, sv, cur, prev)
            if tr.yellow[name]:
                span = tr.max_off + 1
                for t in range(n - span + 1):
                    window = [xs[k] for k in range(t, t + span)]
                    if any(v is None for v in window):
                        continue
                    b.row(1.0, INF, {v: 1.0 for v in window if v is not None})
                for t in range(1, n):
                    cur, prev = xs[t], xs[t - 1]
                    if cur is None:
                        continue
                    for j in range(1, min(tr.min_on, n - t)):
                        nxt = xs[t + j]
                        if nxt is None:
                            continue
                        terms = {cur: 1.0, nxt: -1.0}
                        if prev is not None:
                            terms[prev] = -1.0
                            b.row(-INF, 0.0, terms)
                        else:
                            b.row(-INF, 1.0, terms)
        # limit: a step may exceed it only by the exogenous rise of that step (reaction time)
        beyond: list[tuple[int, int]] = []  # (step, variable)
        for t in range(n):
            terms = dict(self.power_terms[t])
            allowed = tr.limit_w + self.rise[t]
            top = self.power_const[t] + sum(c * b.upper[v] for v, c in terms.items()) - allowed
            if top <= 0:
                continue
            e = b.var(BIG, True)
            beyond.append((t, e))
            terms[e] = -top
            b.row(-INF, allowed - self.power_const[t], terms)
        values, optimal, bound = b.solve(
            TIME_LIMIT_S, [v for xs in self.x.values() for v in xs if v is not None]
        )
        if len(values) != len(b.cost) or not math.isfinite(bound):
            # no feasible schedule found (should not happen): keep the uncontrolled day, say so
            power = [
                self.power_const[t] + sum(p[self.lo + t] for p in tr.power.values())
                for t in range(n)
            ]
            print(f"optimum: window {self.lo}-{self.hi} unsolved", file=sys.stderr)
            return _WindowResult(power, 0, 0.0, False, -1)
        power = []
        for t in range(n):
            p = self.power_const[t] + sum(c * values[v] for v, c in self.power_terms[t].items())
            power.append(p)
        ops = 0
        for xs in self.x.values():
            states = [1] + [1 if v is None else round(values[v]) for v in xs] + [1]
            ops += sum(1 for a, c in itertools.pairwise(states) if a != c)
        over = [t for t, e in beyond if round(values[e])]
        n_beyond = len(over)
        # with no step beyond the reaction in the solution, the optimum has none either (ops <
        # BIG), so the dual bound on the objective bounds its switch operations
        ops_bound = float(ops) if optimal else max(0.0, math.ceil(bound - 1e-6))
        if n_beyond and not optimal:
            ops_bound = 0.0
        loose = [t for t in over if not self.critical[t]]
        return _WindowResult(power, ops, float(ops_bound), optimal, n_beyond, loose)


def _dilate(flags: Sequence[bool], before: int, after: int) -> list[bool]:
    n = len(flags)
    out = [False] * n
    for t, flag in enumerate(flags):
        if flag:
            for k in range(max(0, t - before), min(n, t + after + 1)):
                out[k] = True
    return out


def _bridge(flags: list[bool], gap: int) -> list[bool]:
    """Also flag the gaps of at most `gap` steps between flagged runs."""
    out = list(flags)
    last: int | None = None
    for t, flag in enumerate(flags):
        if not flag:
            continue
        if last is not None and 1 < t - last <= gap + 1:
            for k in range(last + 1, t):
                out[k] = True
        last = t
    return out


def _abs_row(b: _Builder, s: int, cur: int | None, prev: int | None) -> None:
    """s >= |cur - prev| where a missing side is the constant 1 (on)."""
    if cur is None or prev is None:
        var = cur if cur is not None else prev
        assert var is not None
        b.row(1.0, INF, {s: 1.0, var: 1.0})  # s >= 1 - x
        return
    b.row(0.0, INF, {s: 1.0, cur: -1.0, prev: 1.0})
    b.row(-INF, 0.0, {cur: 1.0, prev: -1.0, s: -1.0})
