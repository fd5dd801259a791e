"""Offline MILP (HiGHS) bound on the switch operations needed to respect the house limit.

Input is the uncontrolled ("none") trace: per-minute red/unmanaged power `base[t]` and the demand
`demand[l][t]` of each managed load. The model is solved per overload episode (over-limit minutes
closer than `MERGE_MIN` apart are merged); all loads are on before and after an episode.

    x[l,t] in {0,1}  supply of load l in minute t        o[t] in {0,1}  minute t over the limit
    s[l,t] >= |x[l,t] - x[l,t-1]|  (t = 0..T, x[l,-1] = x[l,T] = 1)    switch operations
    base[t] + sum_l demand[l][t] x[l,t] <= limit + M[t] o[t]
    yellow l:  sum_{k=t..t+K} x[l,k] >= 1                 (off at most K = max_off minutes)
               x[l,t] - x[l,t-1] <= x[l,t+j], j < m        (on for m = min_on minutes after restore)
    minimise   BIG * sum_t o[t] + sum_{l,t} s[l,t]

The demand a shed load would have later (EV energy, a thermostat's recovery) is not added back,
and green deadlines are not modelled: the relaxation can only make the optimum cheaper, so its
switch count is a lower bound for any strategy working on the same demand.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import highspy
import numpy as np

MERGE_MIN = 20
BIG = 1000.0
TIME_LIMIT_S = 20.0


@dataclass(frozen=True)
class OptLoad:
    """A managed load as the MILP sees it."""

    name: str
    yellow: bool
    max_off_min: int
    min_on_min: int


@dataclass(frozen=True)
class OptResult:
    """Minute powers after the optimal switching and its number of switch operations."""

    power_w: list[float]
    switch_ops: int
    episodes: int
    optimal_episodes: int


def episodes(over: Sequence[bool]) -> list[tuple[int, int]]:
    """Half-open minute ranges covering the over-limit minutes, merged when close."""
    spans: list[tuple[int, int]] = []
    for t, flag in enumerate(over):
        if not flag:
            continue
        if spans and t - spans[-1][1] < MERGE_MIN:
            spans[-1] = (spans[-1][0], t + 1)
        else:
            spans.append((t, t + 1))
    return spans


def solve(
    base: Sequence[float],
    demand: Sequence[Sequence[float]],
    loads: Sequence[OptLoad],
    limit_w: float,
) -> OptResult:
    """Optimal switching over the whole trace, episode by episode."""
    power = [b + sum(d[t] for d in demand) for t, b in enumerate(base)]
    ops = 0
    spans = episodes([p > limit_w for p in power])
    optimal = 0
    for start, end in spans:
        window_power, window_ops, is_optimal = _solve_episode(
            [base[t] for t in range(start, end)],
            [[d[t] for t in range(start, end)] for d in demand],
            loads,
            limit_w,
        )
        power[start:end] = window_power
        ops += window_ops
        optimal += int(is_optimal)
    return OptResult(power, ops, len(spans), optimal)


class _Builder:
    """Collects columns and rows for one HiGHS model."""

    def __init__(self) -> None:
        self.cost: list[float] = []
        self.upper: list[float] = []
        self.integer: list[bool] = []
        self.rows: list[tuple[float, float, list[int], list[float]]] = []

    def var(self, cost: float, integer: bool) -> int:
        self.cost.append(cost)
        self.upper.append(1.0)
        self.integer.append(integer)
        return len(self.cost) - 1

    def row(self, low: float, high: float, terms: dict[int, float]) -> None:
        self.rows.append((low, high, list(terms), list(terms.values())))

    def solve(self) -> tuple[list[float], bool]:
        h = highspy.Highs()  # type: ignore[no-untyped-call]
        h.setOptionValue("output_flag", False)
        h.setOptionValue("time_limit", TIME_LIMIT_S)
        h.setOptionValue("threads", 1)
        n = len(self.cost)
        inf = highspy.kHighsInf
        h.addVars(n, np.zeros(n), np.array(self.upper))
        h.changeColsCost(n, np.arange(n, dtype=np.int32), np.array(self.cost))
        integ = [i for i, flag in enumerate(self.integer) if flag]
        h.changeColsIntegrality(
            len(integ),
            np.array(integ, dtype=np.int32),
            np.full(len(integ), highspy.HighsVarType.kInteger),
        )
        starts: list[int] = []
        index: list[int] = []
        value: list[float] = []
        for _, _, cols, vals in self.rows:
            starts.append(len(index))
            index.extend(cols)
            value.extend(vals)
        lows = np.array([r[0] if r[0] > -1e29 else -inf for r in self.rows])
        highs = np.array([r[1] if r[1] < 1e29 else inf for r in self.rows])
        h.addRows(
            len(self.rows),
            lows,
            highs,
            len(index),
            np.array(starts, dtype=np.int32),
            np.array(index, dtype=np.int32),
            np.array(value),
        )
        h.run()
        optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        return list(h.getSolution().col_value), optimal


def _solve_episode(
    base: list[float], demand: list[list[float]], loads: Sequence[OptLoad], limit_w: float
) -> tuple[list[float], int, bool]:
    window = len(base)
    b = _Builder()
    x = [[b.var(0.0, True) for _ in range(window)] for _ in loads]
    over = [b.var(BIG, True) for _ in range(window)]
    no = -1e30
    for li, load in enumerate(loads):
        switches = [b.var(1.0, False) for _ in range(window + 1)]
        for t in range(window + 1):
            prev = x[li][t - 1] if t > 0 else None
            cur = x[li][t] if t < window else None
            _abs_row(b, switches[t], cur, prev)
        if load.yellow:
            span = load.max_off_min + 1
            for t in range(window - span + 1):
                b.row(1.0, 1e30, {x[li][k]: 1.0 for k in range(t, t + span)})
            for t in range(1, window):  # at t = 0 the load was on before: nothing to hold
                for j in range(1, min(load.min_on_min, window - t)):
                    b.row(no, 0.0, {x[li][t]: 1.0, x[li][t - 1]: -1.0, x[li][t + j]: -1.0})
    for t in range(window):
        top = base[t] + sum(d[t] for d in demand) - limit_w
        if top <= 0:
            continue
        terms = {x[li][t]: demand[li][t] for li in range(len(loads)) if demand[li][t] > 0}
        terms[over[t]] = -top
        b.row(no, limit_w - base[t], terms)
    values, optimal = b.solve()
    power = [
        base[t] + sum(demand[li][t] * round(values[x[li][t]]) for li in range(len(loads)))
        for t in range(window)
    ]
    ops = 0
    for li in range(len(loads)):
        states = [1] + [round(values[x[li][t]]) for t in range(window)] + [1]
        ops += sum(1 for a, c in itertools.pairwise(states) if a != c)
    return power, ops, optimal


def _abs_row(b: _Builder, s: int, cur: int | None, prev: int | None) -> None:
    """s >= |cur - prev| where a missing side is the constant 1 (on)."""
    no = -1e30
    if cur is None and prev is None:
        return
    if cur is None or prev is None:
        var = cur if cur is not None else prev
        assert var is not None
        b.row(1.0, 1e30, {s: 1.0, var: 1.0})  # s >= 1 - x
        return
    b.row(0.0, 1e30, {s: 1.0, cur: -1.0, prev: 1.0})
    b.row(no, 0.0, {cur: 1.0, prev: -1.0, s: -1.0})
