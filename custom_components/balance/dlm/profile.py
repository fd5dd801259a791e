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
        first, last = self._window(start_s, span_s)
        return self._count(self._columns(first, last), 0, last - first, cap_w)

    def quiet_from(
        self, now_s: float, span_s: float, cap_w: float, until_s: float, busy_share: float
    ) -> float | None:
        """Earliest slot start in [now_s, until_s] (now_s itself first) from which `span_s`
        stays at or under `cap_w` on all but `busy_share` of the known days; None if none."""
        if now_s > until_s:
            return None
        base = int(now_s // self.slot_s)
        columns = self._columns(base, self._window(until_s, span_s)[1])
        start = now_s
        while start <= until_s:
            first, last = self._window(start, span_s)
            busy, known = self._count(columns, first - base, last - base, cap_w)
            if known == 0 or busy <= busy_share * known:
                return start
            start = (start // self.slot_s + 1) * self.slot_s
        return None

    def peak(self, start_s: float, span_s: float) -> float | None:
        """Highest recorded value in [start_s, start_s + span_s) at that time of day over the
        past days; None without any."""
        first, last = self._window(start_s, span_s)
        values = [v for column in self._columns(first, last) for v in column if v is not None]
        return max(values) if values else None

    def _window(self, start_s: float, span_s: float) -> tuple[int, int]:
        """First and last absolute slot of [start_s, start_s + span_s)."""
        first = int(start_s // self.slot_s)
        return first, int((start_s + max(span_s, 1.0) - 1e-6) // self.slot_s)

    def _columns(self, first: int, last: int) -> list[list[float | None]]:
        """Per past day (1 .. days back): its slot maxima for the absolute slots first..last."""
        columns = []
        for back in range(1, self.days + 1):
            column: list[float | None] = []
            for absolute in range(first, last + 1):
                day, slot = divmod(absolute, self._slots)
                row = self._history.get(day - back)
                column.append(row[slot] if row is not None else None)
            columns.append(column)
        return columns

    @staticmethod
    def _count(
        columns: list[list[float | None]], lo: int, hi: int, cap_w: float
    ) -> tuple[int, int]:
        busy = known = 0
        for column in columns:
            values = [v for v in column[lo : hi + 1] if v is not None]
            if values:
                known += 1
                busy += int(max(values) > cap_w)
        return busy, known

    def typical(self, start_s: float, end_s: float) -> list[tuple[float, float | None]]:
        """(seconds, median of the past days' slot maxima, None if unknown) per slot piece of
        [start_s, end_s)."""
        pieces: list[tuple[float, float | None]] = []
        now = start_s
        while now < end_s:
            absolute = int(now // self.slot_s)
            slot_end = min(end_s, (absolute + 1) * self.slot_s)
            day, slot = divmod(absolute, self._slots)
            values = sorted(
                v
                for back in range(1, self.days + 1)
                if (row := self._history.get(day - back)) is not None
                and (v := row[slot]) is not None
            )
            pieces.append((slot_end - now, values[len(values) // 2] if values else None))
            now = slot_end
        return pieces

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
