"""Learned daily profile of a house's demand, to foresee its busy hours.

The engine keeps one per green load: each update records the house power without that load as
the maximum per slot of the day. A shed green load with time to spare is kept off while the
last days say that restoring it now would soon need another shed: the busy hours of an evening
(cooking, kettles, heat pump, the boiler's reheat) are usually the same from day to day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import isfinite

DAY_S = 86_400


class DemandProfile:
    """Per-slot maxima of recorded demand over the last `days` days."""

    def __init__(self, slot_s: int = 900, days: int = 7) -> None:
        """Slots of `slot_s` seconds (a divisor of a day), `days` days of memory."""
        if slot_s <= 0 or DAY_S % slot_s:
            raise ValueError("slot_s must divide a day")
        if days < 1:
            raise ValueError("days must be >= 1")
        self.slot_s = slot_s
        self.days = days
        self._slots = DAY_S // slot_s
        self._history: dict[int, list[float | None]] = {}  # day number -> slot maxima

    def record(self, now_s: float, demand_w: float) -> None:
        """Take one reading of non-deferrable demand."""
        day, slot = divmod(int(now_s // self.slot_s), self._slots)
        row = self._history.get(day)
        if row is None:
            row = [None] * self._slots
            self._history[day] = row
            for old in [d for d in self._history if d <= day - self.days - 1]:
                del self._history[old]
        current = row[slot]
        if current is None or demand_w > current:
            row[slot] = demand_w

    def busy_days(self, start_s: float, span_s: float, cap_w: float) -> tuple[int, int]:
        """Of the past days with data for [start_s, start_s + span_s) at that time of day, how
        many exceeded `cap_w` in it: (busy, known)."""
        first = int(start_s // self.slot_s)
        last = int((start_s + max(span_s, 1.0) - 1e-6) // self.slot_s)
        busy = known = 0
        for back in range(1, self.days + 1):
            peak: float | None = None
            for absolute in range(first, last + 1):
                day, slot = divmod(absolute, self._slots)
                row = self._history.get(day - back)
                value = row[slot] if row is not None else None
                if value is not None and (peak is None or value > peak):
                    peak = value
            if peak is None:
                continue
            known += 1
            busy += int(peak > cap_w)
        return busy, known

    def quiet_from(
        self, now_s: float, span_s: float, cap_w: float, until_s: float, busy_share: float
    ) -> float | None:
        """Earliest slot start in [now_s, until_s] (now_s itself first) from which `span_s`
        stays at or under `cap_w` on all but `busy_share` of the known days; None if none."""
        start = now_s
        while start <= until_s:
            busy, known = self.busy_days(start, span_s, cap_w)
            if known == 0 or busy <= busy_share * known:
                return start
            start = (start // self.slot_s + 1) * self.slot_s
        return None

    def export(self) -> dict[int, list[float | None]]:
        """Day number -> slot maxima, to persist."""
        return {day: list(row) for day, row in self._history.items()}

    def load(self, history: Mapping[int, Sequence[float | None]]) -> None:
        """Replace the history with a persisted one; malformed rows are dropped."""
        self._history = {
            int(day): list(row)
            for day, row in history.items()
            if len(row) == self._slots
            and all(v is None or (isinstance(v, int | float) and isfinite(v)) for v in row)
        }
