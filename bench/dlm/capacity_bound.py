"""Perfect-foresight lower bound on the `capacity` scenario's monthly 15-min peak (HiGHS LP).

For one seed the LP knows the whole month in advance: red demand per minute, the outdoor
temperature, every EV session (plug-in, departure, energy) and washing-machine start. It chooses
per minute the EV power (0-7.4 kW while plugged), the heat pump's electric power (0-2.5 kW),
the fridge's compressor duty and the washer's power, and follows the same Euler steps as the
household model (`bench/dlm/house.py`): the room's heat balance (COP, UA, heat capacity) and
the fridge cabinet warming toward the room. It must deliver every EV session's energy by its
departure (up to the 50 Wh the miss check tolerates), each wash's 817 Wh within 4 h of its
start, keep the room at or above the thermostat setpoint minus 1.5 K (no room deficit at all,
as without control) and the fridge at or below 6.5 °C. It minimises the highest clock-aligned
15-min mean of the house.

It is a relaxation of every strategy that meets those constraints: minimum powers (6 A, the
heat pump's 600 W), thermostat hysteresis, the programme's fixed phases, switching and setpoint
limits and the one-step reaction are all dropped. So no controller, online or offline, can hold
the month's peak below its value with the same comfort and deadlines; a value at or below the
target means the target is feasible for that household.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field

import highspy
import numpy as np

from .house import (
    DAY_S,
    EV_MISS_WH,
    HOUR_S,
    PROGRAMME_DEADLINE_S,
    Charger,
    Fridge,
    House,
    Programme,
    RoomHeater,
)

STEP_S = 60
PERIOD_STEPS = 15
ROOM_BAND_K = 1.5
FRIDGE_MAX_C = 6.5
FRIDGE_COOL_K_PER_S = 4.5 / HOUR_S
FRIDGE_WARM_PER_S = 1.0 / (10 * HOUR_S)
DAY_STEPS = DAY_S // STEP_S
WINDOW_START_STEP = DAY_STEPS // 2  # windows run noon to noon: every EV session and wash fits


@dataclass
class _Lp:
    """Columns with bounds and cost; rows as sparse (column, value) lists with bounds."""

    low: list[float] = field(default_factory=list)
    high: list[float] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    row_low: list[float] = field(default_factory=list)
    row_high: list[float] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    index: list[int] = field(default_factory=list)
    value: list[float] = field(default_factory=list)

    def col(self, low: float, high: float, cost: float = 0.0) -> int:
        self.low.append(low)
        self.high.append(high)
        self.cost.append(cost)
        return len(self.low) - 1

    def row(self, terms: list[tuple[int, float]], low: float, high: float) -> None:
        self.starts.append(len(self.index))
        for col, val in terms:
            self.index.append(col)
            self.value.append(val)
        self.row_low.append(low)
        self.row_high.append(high)

    def solve(self) -> float:
        h = highspy.Highs()  # type: ignore[no-untyped-call]
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        inf = highspy.kHighsInf
        n = len(self.low)
        h.addVars(n, np.array(self.low), np.array([min(v, inf) for v in self.high]))
        h.changeColsCost(n, np.arange(n, dtype=np.int32), np.array(self.cost))
        h.addRows(
            len(self.row_low),
            np.array([max(v, -inf) for v in self.row_low]),
            np.array([min(v, inf) for v in self.row_high]),
            len(self.index),
            np.array(self.starts, dtype=np.int32),
            np.array(self.index, dtype=np.int32),
            np.array(self.value),
        )
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"capacity bound LP: {h.modelStatusToString(h.getModelStatus())}")
        return float(h.getInfo().objective_function_value)


@dataclass(frozen=True)
class CapacityBound:
    """The LP's lowest monthly peak (kW) and the periods red demand alone puts over the
    target."""

    month_peak_kw: float
    infeasible_periods: int


def red_per_step(house: House, steps: int) -> list[float]:
    """Red (unmanaged) demand of every minute, as the household model draws it."""
    red = []
    for t in range(steps):
        slot = house._red_by_min.get(t, {})
        red.append(sum(slot.get(p, 0.0) for p in house.phases))
    return red


def outdoor_per_step(house: House, steps: int) -> list[float]:
    """Outdoor temperature of every minute (same rule as `House.step`)."""
    result = []
    for t in range(steps):
        now = t * STEP_S
        mean = house.outdoor_by_day[min(now // DAY_S, len(house.outdoor_by_day) - 1)]
        hour = now % DAY_S / HOUR_S
        result.append(mean - 3.0 * (1.0 if 2 <= hour < 8 else -0.5))
    return result


def infeasible_periods(red: list[float], target_w: float) -> int:
    """Clock-aligned periods whose red demand alone averages above the target."""
    return sum(
        1
        for k in range(len(red) // PERIOD_STEPS)
        if sum(red[k * PERIOD_STEPS : (k + 1) * PERIOD_STEPS]) / PERIOD_STEPS > target_w + 0.5
    )


def bound(house: House, days: int, target_w: float) -> CapacityBound:
    """Solve the month for one household, one window from noon to noon at a time (see the
    module docstring): the month's lowest peak is at least every window's."""
    steps = days * DAY_S // STEP_S
    red = red_per_step(house, steps)
    outdoor = outdoor_per_step(house, steps)
    cuts = [0, *range(WINDOW_START_STEP, steps, DAY_S // STEP_S), steps]
    peak_w = max(
        _window(house, red, outdoor, lo, hi) for lo, hi in itertools.pairwise(cuts) if hi > lo
    )
    return CapacityBound(peak_w / 1000.0, infeasible_periods(red, target_w))


def _window(house: House, red: list[float], outdoor: list[float], lo: int, hi: int) -> float:
    """Lowest highest period mean of steps [lo, hi); the first window starts from the house's
    initial state, later ones from any state a real run can be in (a relaxation)."""
    lp = _Lp()
    peak = lp.col(0.0, float("inf"), 1.0)
    draw: dict[int, list[tuple[int, float]]] = {t: [] for t in range(lo, hi)}
    pump = next(a for a in house.appliances.values() if isinstance(a, RoomHeater))
    rooms = _room(lp, pump, house.env.room_c if lo == 0 else None, outdoor, lo, hi, draw)
    for a in house.appliances.values():
        if isinstance(a, Fridge):
            _fridge(lp, a, lo, rooms, draw)
        elif isinstance(a, Programme):
            _programme(lp, a, lo, hi, draw)
        elif isinstance(a, Charger):
            _charger(lp, a, lo, hi, draw)
    for k in range(lo // PERIOD_STEPS, hi // PERIOD_STEPS):
        terms = [(peak, -float(PERIOD_STEPS))]
        fixed = 0.0
        for t in range(k * PERIOD_STEPS, (k + 1) * PERIOD_STEPS):
            terms.extend(draw[t])
            fixed += red[t]
        lp.row(terms, -float("inf"), -fixed)
    return lp.solve()


def _room(  # noqa: PLR0917
    lp: _Lp,
    pump: RoomHeater,
    start_c: float | None,
    outdoor: list[float],
    lo: int,
    hi: int,
    draw: dict[int, list[tuple[int, float]]],
) -> list[int]:
    """Room temperature after each step within [setpoint - band, the thermostat's highest];
    returns the room column each step starts from."""
    k = STEP_S / pump.capacity_j_per_k
    loss = pump.ua_w_per_k * k
    # the thermostat stops at its setpoint + 0.5 K, after at most one step of full heating
    top_c = 21.0 + 0.5 + pump.cop * pump.rated_w * k
    if start_c is None:
        room = lp.col(pump.setpoint_c((lo - 1) * STEP_S, 0) - ROOM_BAND_K, top_c)
    else:
        room = lp.col(start_c, start_c)
    rooms = []
    for t in range(lo, hi):
        rooms.append(room)
        power = lp.col(0.0, pump.rated_w)
        after = lp.col(pump.setpoint_c(t * STEP_S, 0) - ROOM_BAND_K, max(top_c, start_c or 0.0))
        # after = room + (cop * power - ua * (room - out)) * dt / C
        terms = [(after, 1.0), (room, loss - 1.0), (power, -pump.cop * k)]
        lp.row(terms, loss * outdoor[t], loss * outdoor[t])
        draw[t].append((power, 1.0))
        room = after
    return rooms


def _fridge(
    lp: _Lp, fridge: Fridge, lo: int, rooms: list[int], draw: dict[int, list[tuple[int, float]]]
) -> None:
    """Cabinet <= 6.5 °C, warming toward the room the step starts from (the fridge steps
    before the heat pump); a later window may start at any cabinet temperature the
    thermostat allows."""
    warm = FRIDGE_WARM_PER_S * STEP_S
    cool = FRIDGE_COOL_K_PER_S * STEP_S
    if lo == 0:
        cabinet = lp.col(fridge.cabinet_c, fridge.cabinet_c)
    else:
        cabinet = lp.col(3.0 - cool, FRIDGE_MAX_C)  # it stops at 3 °C: one step below at most
    for t, room in enumerate(rooms, start=lo):
        duty = lp.col(0.0, 1.0)
        after = lp.col(-float("inf"), FRIDGE_MAX_C)
        # after = cabinet + warm * (room - cabinet) - cool * duty
        terms = [(after, 1.0), (cabinet, warm - 1.0), (room, -warm)]
        lp.row([*terms, (duty, cool)], 0.0, 0.0)
        draw[t].append((duty, fridge.rated_w))
        cabinet = after


def _programme(
    lp: _Lp, machine: Programme, lo: int, hi: int, draw: dict[int, list[tuple[int, float]]]
) -> None:
    """Each run in the window: its energy within 4 h of its start, at most its rated power."""
    energy_wh = (machine.rated_w * machine.heat_s + machine.wash_w * machine.wash_s) / HOUR_S
    if machine.start_min < 0:
        return
    for day in range(lo // DAY_STEPS, hi // DAY_STEPS + 1):
        first = day * DAY_STEPS + machine.start_min
        last = first + int(PROGRAMME_DEADLINE_S // STEP_S)
        if first < lo or last > hi:
            continue  # not wholly in the window: dropped (a relaxation)
        terms = []
        for t in range(first, last):
            power = lp.col(0.0, machine.rated_w)
            draw[t].append((power, 1.0))
            terms.append((power, STEP_S / HOUR_S))
        lp.row(terms, energy_wh, float("inf"))


def _charger(
    lp: _Lp, ev: Charger, lo: int, hi: int, draw: dict[int, list[tuple[int, float]]]
) -> None:
    """Each session in the window: its energy (less the miss tolerance) while plugged, by
    departure."""
    for day, (plug_s, departure_s) in ev.arrivals.items():
        first = math.ceil(plug_s / STEP_S)  # plugged at the first step at or after plug-in
        last = math.ceil(departure_s / STEP_S)  # unplugged at the first step at departure
        if first < lo or last > hi:
            continue  # not wholly in the window (or departs after the month): dropped
        terms = []
        for t in range(first, last):
            power = lp.col(0.0, ev.rated_w)
            draw[t].append((power, 1.0))
            terms.append((power, STEP_S / HOUR_S))
        lp.row(terms, max(0.0, ev.needs[day] - EV_MISS_WH), float("inf"))


def household(name: str, seed: int, days: int) -> House:
    """The scenario's household for `seed`, built as `scenarios.simulate` builds it."""
    from .scenarios import SCENARIOS

    scenario, build = SCENARIOS[name]
    rng = random.Random(seed * 7919 + len(name))
    return House(seed, days, build(rng, days), scenario.phases, scenario.cook_w, scenario.noon_w)
