"""Per-run figures: seconds over the limit beyond the reaction time, violations, ops, peak."""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass

from .home import MANAGED, BenchHome
from .strategies import YELLOW_MAX_OFF_S

YELLOWS = tuple(n for n, p in MANAGED.items() if p.value == "yellow")
_TOLERANCE_W = 0.5  # solver round-off
PEAK_WINDOW_S = 900  # peak_kw is the highest 15-minute mean (demand-billing convention)


@dataclass
class Metrics:
    """Figures of one strategy on one trace (or summed over traces)."""

    over_limit_s: float = 0.0
    unavoidable_s: float = 0.0
    yellow_violations: int = 0
    green_misses: int = 0
    switch_ops: int = 0
    peak_kw: float = 0.0
    ops_bound: float = 0.0  # optimum only: proven lower bound on switch_ops (MILP dual bound)
    opt_windows: int = 0  # optimum only: days solved, to optimality, without any solution
    opt_optimal: int = 0
    opt_unsolved: int = 0

    def add(self, other: Metrics) -> None:
        """Sum counts, keep the highest peak."""
        self.over_limit_s += other.over_limit_s
        self.unavoidable_s += other.unavoidable_s
        self.yellow_violations += other.yellow_violations
        self.green_misses += other.green_misses
        self.switch_ops += other.switch_ops
        self.ops_bound += other.ops_bound
        self.opt_windows += other.opt_windows
        self.opt_optimal += other.opt_optimal
        self.opt_unsolved += other.opt_unsolved
        self.peak_kw = max(self.peak_kw, other.peak_kw)

    def as_dict(self) -> dict[str, float | int]:
        """JSON-ready figures."""
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}


class OverLimitCounter:
    """Counts over-limit time beyond the reaction time (one step per new overload).

    A step above the limit counts when it is still above it without the rise of exogenous demand
    during the step: `power - excused_w > limit`, where `excused_w` is that rise (red power, and
    loads that stayed supplied but started drawing more: a kettle, a thermostat). A new overload
    thus gets one step to be shed, also when it arrives while an earlier one is being shed; an
    overload the strategy causes itself (restoring a load) or leaves standing counts at once.
    """

    def __init__(self, limit_w: float, dt_s: float) -> None:
        """Minute steps of `dt_s` against `limit_w`."""
        self.limit_w = limit_w
        self.dt_s = dt_s
        self.run = 0
        self.over_s = 0.0
        self.unavoidable_s = 0.0
        self.peak_w = 0.0
        self._window: deque[float] = deque(maxlen=max(1, int(PEAK_WINDOW_S // dt_s)))

    def add(self, power_w: float, red_w: float, excused_w: float = 0.0) -> None:
        """One step's mean power, its red (unsheddable) part and its exogenous rise."""
        self._window.append(power_w)
        if len(self._window) == self._window.maxlen:
            self.peak_w = max(self.peak_w, sum(self._window) / len(self._window))
        if power_w <= self.limit_w:
            self.run = 0
            return
        self.run += 1
        if power_w - excused_w > self.limit_w + _TOLERANCE_W:
            self.over_s += self.dt_s
            if red_w > self.limit_w:
                self.unavoidable_s += self.dt_s


class Recorder:
    """Collects the figures of one closed-loop run."""

    def __init__(self, limit_w: float, dt_s: float) -> None:
        """Track against `limit_w`."""
        self.counter = OverLimitCounter(limit_w, dt_s)
        self.dt_s = dt_s
        self.off_steps = dict.fromkeys(YELLOWS, 0)
        self.yellow_violations = 0
        self.switch_ops = 0
        self._prev: tuple[float, dict[str, tuple[bool, float]]] | None = None

    def step(self, home: BenchHome, ops: int) -> None:
        """After a household step."""
        self.switch_ops += ops
        red = home.red_w()
        loads = {n: (home.supplied(n), home.load_w(n)) for n in MANAGED}
        excused = 0.0
        if self._prev is not None:
            prev_red, prev_loads = self._prev
            excused = max(0.0, red - prev_red)
            for name, (on, watts) in loads.items():
                was_on, was_w = prev_loads[name]
                if on and was_on:
                    excused += max(0.0, watts - was_w)
        self._prev = (red, loads)
        self.counter.add(home.total_w, red, excused)
        for name in YELLOWS:
            if home.supplied(name):
                self.off_steps[name] = 0
                continue
            self.off_steps[name] += 1
            if self.off_steps[name] * self.dt_s == YELLOW_MAX_OFF_S + self.dt_s:
                self.yellow_violations += 1

    def result(self, home: BenchHome) -> Metrics:
        """Figures of the run."""
        return Metrics(
            over_limit_s=self.counter.over_s,
            unavoidable_s=self.counter.unavoidable_s,
            yellow_violations=self.yellow_violations,
            green_misses=len(home.misses),
            switch_ops=self.switch_ops,
            peak_kw=self.counter.peak_w / 1000.0,
        )
