"""Readings of energy meters kept in memory, to tell the energy of any past stretch of time."""

from __future__ import annotations

import bisect
import math
from datetime import datetime

from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, UnitOfEnergy
from homeassistant.core import State
from homeassistant.util.unit_conversion import EnergyConverter

from .const import USAGE_HISTORY

MAX_SAMPLES = 50_000  # per meter: > 8 days of a reading a minute


def energy_kwh(state: State | None) -> float | None:
    """An energy meter's reading in kWh (None when unknown or not an energy unit)."""
    if state is None:
        return None
    try:
        value = float(state.state)
    except ValueError:
        return None
    unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT) or UnitOfEnergy.KILO_WATT_HOUR
    if not math.isfinite(value) or unit not in EnergyConverter.VALID_UNITS:
        return None
    return EnergyConverter.convert(value, unit, UnitOfEnergy.KILO_WATT_HOUR)


class UsageHistory:
    """Readings of one energy meter, to tell the energy of any past stretch of time."""

    def __init__(self) -> None:
        self._times: list[datetime] = []
        self._values: list[float] = []

    def add(self, when: datetime, kwh: float) -> None:
        """A new reading (older ones than `USAGE_HISTORY` are forgotten)."""
        if self._times and when < self._times[-1]:
            return
        self._times.append(when)
        self._values.append(kwh)
        cut = bisect.bisect_left(self._times, when - USAGE_HISTORY)
        cut = max(cut, len(self._times) - MAX_SAMPLES)
        if cut > 0:
            del self._times[:cut], self._values[:cut]

    def at(self, when: datetime) -> float | None:
        """The reading in force at `when` (None before the first one)."""
        index = bisect.bisect_right(self._times, when)
        return self._values[index - 1] if index else None

    def energy(self, start: datetime, end: datetime) -> float | None:
        """kWh in [start, end); None if unknown or the meter went backwards (replaced)."""
        first, last = self.at(start), self.at(end)
        if first is None or last is None or last < first:
            return None
        return last - first
