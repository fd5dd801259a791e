"""Green-load plans: run time still needed before the deadline and the allowed window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from ..dlm import GreenPlan, LoadReading  # noqa: TID252
from .settings import LoadSettings, next_at


@dataclass(slots=True)
class GreenProgress:
    """Run time a green load got in its current cycle (cycle ends at deadline or window end)."""

    ran_s: float = 0.0
    cycle_end_s: float | None = None
    overridden: bool = False  # switched on by the resident while deferred: no plan this cycle

    def advance(self, load: LoadSettings, now: datetime, dt_s: float, running: bool) -> None:
        """Count run time; start a new cycle once the current one ended."""
        if self.cycle_end_s is not None and now.timestamp() >= self.cycle_end_s:
            self.ran_s = 0.0
            self.cycle_end_s = None
            self.overridden = False
        if self.cycle_end_s is None:
            self.cycle_end_s = _cycle_end(load, now).timestamp()
        elif running:
            self.ran_s += dt_s


def _cycle_end(load: LoadSettings, now: datetime) -> datetime:
    at = load.deadline or load.window_end
    assert at is not None
    return next_at(now, at)


def _window_length(load: LoadSettings) -> timedelta:
    assert load.window_start is not None and load.window_end is not None
    day = datetime(2000, 1, 1)
    length = datetime.combine(day, load.window_end) - datetime.combine(day, load.window_start)
    return length if length > timedelta(0) else length + timedelta(days=1)


def green_plan(load: LoadSettings, now: datetime, progress: GreenProgress) -> GreenPlan:
    """What the engine needs to schedule a green load now."""
    has_window = load.window_start is not None and load.window_end is not None
    if load.water_heater:  # its energy per day as run time at its rated power
        assert load.energy_kwh is not None and load.rated_w is not None
        needed_s = load.energy_kwh * 1000.0 / load.rated_w * 3600.0
    elif load.run_min is not None:
        needed_s = load.run_min * 60.0
    elif has_window:
        needed_s = _window_length(load).total_seconds()
    else:
        needed_s = 0.0
    allowed_from = allowed_until = None
    if has_window:
        assert load.window_end is not None
        until = next_at(now, load.window_end)
        allowed_from = (until - _window_length(load)).timestamp()
        allowed_until = until.timestamp()
    remaining_s = max(0.0, needed_s - progress.ran_s)
    deadline_s = progress.cycle_end_s if load.deadline is not None else None
    if load.water_heater:  # hot by the end of its window
        deadline_s = progress.cycle_end_s
        if remaining_s <= 0 and allowed_from is not None and allowed_until is not None:
            # the day's energy is heated (or the thermostat cut off): off until the next window
            end_at = load.window_end
            assert end_at is not None
            until = next_at(next_at(now, end_at), end_at)  # the next day's, in local time
            allowed_from = (until - _window_length(load)).timestamp()
            allowed_until = deadline_s = until.timestamp()
            remaining_s = needed_s
    return GreenPlan(
        remaining_s=remaining_s,
        deadline_s=deadline_s,
        allowed_from_s=allowed_from,
        allowed_until_s=allowed_until,
    )


@dataclass(frozen=True, slots=True)
class PlanOverride:
    """A charger job's need set by `balance.set_plan` (energy or target SoC, deadline)."""

    energy_wh: float | None
    target_soc: float | None
    deadline_s: float | None

    def ended(self, now_s: float, plugged: bool | None) -> bool:
        """The job is over: the vehicle left or its deadline passed."""
        return plugged is False or (self.deadline_s is not None and now_s >= self.deadline_s)


def departure(hass: HomeAssistant, load: LoadSettings, now: datetime) -> datetime | None:
    """Next departure: from the input_datetime or timestamp sensor, else the fixed time."""
    state = hass.states.get(load.departure_entity) if load.departure_entity else None
    if state is not None and state.state not in (STATE_UNAVAILABLE, STATE_UNKNOWN, ""):
        when = dt_util.parse_datetime(state.state)
        if when is not None:
            when = when if when.tzinfo else when.replace(tzinfo=dt_util.get_default_time_zone())
            if when > now:
                return when
        elif (at := dt_util.parse_time(state.state)) is not None:  # input_datetime, time only
            return next_at(now, at)
    return next_at(now, load.departure_time) if isinstance(load.departure_time, time) else None


def charger_plan(
    hass: HomeAssistant,
    load: LoadSettings,
    now: datetime,
    reading: LoadReading,
    override: PlanOverride | None,
) -> GreenPlan | None:
    """The job of a green charger while a vehicle is (or may be) plugged in."""
    if reading.plugged is False:
        return None
    deadline_s = override.deadline_s if override and override.deadline_s else None
    if deadline_s is None and (when := departure(hass, load, now)) is not None:
        deadline_s = when.timestamp()
    energy_wh = load.energy_kwh * 1000.0 if load.energy_kwh is not None else None
    target_soc = load.target_soc
    if override is not None:
        energy_wh, target_soc = override.energy_wh, override.target_soc
    capacity_wh = load.battery_kwh * 1000.0 if load.battery_kwh else None
    if target_soc is not None and capacity_wh is not None and load.soc_entity:
        return GreenPlan(deadline_s=deadline_s, target_soc_pct=target_soc, capacity_wh=capacity_wh)
    if energy_wh is not None:
        return GreenPlan(deadline_s=deadline_s, energy_wh=energy_wh)
    return None
