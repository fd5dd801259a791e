"""Planner input and output types (plain Python, no Home Assistant import).

Time is a grid of ``slots`` equal slots of ``dt_h`` hours; slot 0 starts now. Windows are
half-open slot ranges ``(first, end)``: a load may run in slots ``first .. end - 1`` and must
be done by the start of slot ``end`` (its deadline). Powers are kW, energies kWh, prices are
per kWh (any currency, all-in unit price: energy, fees and VAT).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

EPS = 1e-9


class PlanStatus(StrEnum):
    """Outcome of a plan."""

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"


class InfeasibleReason(StrEnum):
    """Why a load cannot be planned as asked (stable codes, translated by the HA layer)."""

    ENERGY_EXCEEDS_CAPACITY = "energy_exceeds_capacity"
    """The load alone cannot get its energy by the deadline under the caps."""
    NO_START_FITS = "no_start_fits"
    """No start of the programme fits in its window under the caps."""
    LOADS_CONFLICT = "loads_conflict"
    """Each load fits alone, but not all of them together."""
    WINDOW_TOO_SHORT = "window_too_short"
    """The window is shorter than the programme (or ends before it starts)."""


@dataclass(frozen=True)
class Charger:
    """A charger (EV, battery): energy by a deadline, power 0 or within [min_kw, max_kw].

    Give ``energy_kwh``, or ``target_soc_pct`` with ``soc_pct`` and ``capacity_kwh``.
    ``may_split``: charging may pause and resume; when False it runs as one block (and, when
    ``running``, that block continues from slot 0: a running charger is not interrupted).
    """

    load_id: str
    max_kw: float
    window: tuple[int, int]
    energy_kwh: float | None = None
    min_kw: float = 0.0
    may_split: bool = True
    running: bool = False
    soc_pct: float | None = None
    target_soc_pct: float | None = None
    capacity_kwh: float | None = None

    def needed_kwh(self) -> float:
        """Energy to deliver: ``energy_kwh`` or (target - soc) x capacity."""
        if self.energy_kwh is not None:
            return max(0.0, self.energy_kwh)
        if self.target_soc_pct is None or self.soc_pct is None or self.capacity_kwh is None:
            raise ValueError(f"{self.load_id}: energy_kwh or target_soc_pct+soc_pct+capacity_kwh")
        return max(0.0, (self.target_soc_pct - self.soc_pct) / 100.0 * self.capacity_kwh)


@dataclass(frozen=True)
class Programme:
    """A fixed programme (washer, dishwasher, dryer): a power profile, one slot per entry.

    Never interrupted, never stretched. ``elapsed_slots`` > 0 means it is running: the rest of
    the profile must continue from slot 0.
    """

    load_id: str
    profile_kw: tuple[float, ...]
    window: tuple[int, int]
    elapsed_slots: int = 0

    def remaining(self) -> tuple[float, ...]:
        """Profile still to run."""
        return self.profile_kw[self.elapsed_slots :]


@dataclass(frozen=True)
class HeaterDay:
    """One day's need of a water heater: ``energy_kwh`` within ``window``."""

    energy_kwh: float
    window: tuple[int, int]


@dataclass(frozen=True)
class WaterHeater:
    """A resistive water heater: any average power 0..power_kw in a slot (thermostat duty)."""

    load_id: str
    power_kw: float
    days: tuple[HeaterDay, ...]


Load = Charger | Programme | WaterHeater


@dataclass(frozen=True)
class Stability:
    """Keep the previous plan unless the new one is cheaper by more than the tolerance.

    The previous plan is kept when it is still valid for the new problem and its cost under the
    new prices is at most ``max(abs_cost, rel * |new cost|)`` above the new optimum.
    """

    abs_cost: float = 0.02
    rel: float = 0.01


@dataclass(frozen=True)
class Problem:
    """One planning problem.

    ``cap_kw`` is the power available to the planned loads in each slot: the hard limit minus
    the base-load forecast, and the capacity target minus the base where one applies (use
    ``caps_from``). ``previous`` maps load ids to the powers planned last time, already aligned
    to this problem's slot 0.
    """

    slots: int
    dt_h: float
    prices: Sequence[float]
    cap_kw: Sequence[float]
    loads: Sequence[Load]
    previous: Mapping[str, Sequence[float]] | None = None
    stability: Stability = field(default_factory=Stability)
    max_leaves: int | None = None
    """Block placements evaluated exactly; default ``max(3, 73728 // slots**2)``."""


@dataclass(frozen=True)
class Shortfall:
    """An infeasible load: the reason and the best alternative."""

    load_id: str
    reason: InfeasibleReason
    requested_kwh: float
    possible_kwh: float
    """Most energy deliverable by the deadline (with the other loads planned)."""
    earliest_end_slot: int | None
    """Earliest deadline (slot end) that would allow the full energy; None: not in horizon."""


@dataclass(frozen=True)
class LoadPlan:
    """Planned powers of one load."""

    load_id: str
    power_kw: tuple[float, ...]
    energy_kwh: float
    start_slot: int | None
    end_slot: int | None
    """Slot after the last planned slot (None when nothing is planned)."""


@dataclass(frozen=True)
class PlanResult:
    """What ``plan`` returns: per-load powers; when infeasible, the best alternative plan."""

    status: PlanStatus
    loads: Mapping[str, LoadPlan]
    cost: float
    shortfalls: tuple[Shortfall, ...] = ()
    kept_previous: bool = False


def caps_from(
    hard_kw: float | Sequence[float],
    base_kw: Sequence[float],
    capacity_kw: float | Sequence[float] | None = None,
) -> list[float]:
    """Per-slot cap: min(hard, capacity target) minus the base forecast, never below 0."""
    n = len(base_kw)
    hard = [float(hard_kw)] * n if isinstance(hard_kw, int | float) else list(hard_kw)
    if capacity_kw is None:
        cap = hard
    else:
        target = (
            [float(capacity_kw)] * n if isinstance(capacity_kw, int | float) else list(capacity_kw)
        )
        cap = [min(h, c) for h, c in zip(hard, target, strict=True)]
    return [max(0.0, c - b) for c, b in zip(cap, base_kw, strict=True)]


def profile_from_minutes(
    steps: Sequence[tuple[float, float]], slot_minutes: float
) -> tuple[float, ...]:
    """Average a programme given as (minutes, kW) steps onto slots of ``slot_minutes``.

    The last slot is counted whole (the programme holds its slot until it ends).
    """
    total = sum(m for m, _ in steps)
    n = max(1, int(-(-total // slot_minutes)))
    energy = [0.0] * n
    t = 0.0
    for minutes, kw in steps:
        end = t + minutes
        while t < end - EPS:
            k = int(t // slot_minutes)
            step = min(end, (k + 1) * slot_minutes) - t
            energy[k] += kw * step
            t += step
    return tuple(e / slot_minutes for e in energy)


def validate(problem: Problem) -> None:
    """Raise ValueError for malformed input (lengths, negative powers, duplicate ids)."""
    if problem.slots <= 0 or problem.dt_h <= 0:
        raise ValueError("slots and dt_h must be positive")
    if len(problem.prices) != problem.slots or len(problem.cap_kw) != problem.slots:
        raise ValueError("prices and cap_kw need one value per slot")
    ids = [load.load_id for load in problem.loads]
    if len(set(ids)) != len(ids):
        raise ValueError("load ids must be unique")
    for load in problem.loads:
        if isinstance(load, Charger):
            if load.max_kw <= 0 or load.min_kw < 0 or load.min_kw > load.max_kw:
                raise ValueError(f"{load.load_id}: need 0 <= min_kw <= max_kw, max_kw > 0")
            load.needed_kwh()
        elif isinstance(load, Programme):
            if not load.profile_kw or any(p < 0 for p in load.profile_kw):
                raise ValueError(f"{load.load_id}: profile must be non-empty, powers >= 0")
            if not 0 <= load.elapsed_slots < len(load.profile_kw):
                raise ValueError(f"{load.load_id}: elapsed_slots outside the profile")
        elif load.power_kw <= 0 or any(d.energy_kwh < 0 for d in load.days):
            raise ValueError(f"{load.load_id}: power must be > 0, energies >= 0")
