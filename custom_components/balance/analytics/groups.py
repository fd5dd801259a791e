"""BALANCE groups: a parent meter and its children; hourly and daily balances and losses.

Values are stored per UTC hour index, so DST days simply hold 23 or 25 hours, in one dense array
(meters x hours, NaN = not reported) that keeps the last ``keep_hours``. A value recorded for an
hour (a late child after a hub backfill, a corrected reading) marks that hour dirty; ``update``
recomputes exactly the dirty hours. Losses are ``parent - sum(children)``; the part above the
expected technical losses is "untracked" consumption (common areas, theft, faulty or missing
meters). Each child's share of the losses is pro rata to its consumption.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from .timebase import local_day_hours

CHUNK_HOURS = 31 * 24
Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Balance:
    """Balance of one hour or one day; ``complete`` when the parent and every child reported."""

    parent: float | None
    children: float
    missing: tuple[str, ...]
    hours: int
    expected_loss_pct: float

    @property
    def complete(self) -> bool:
        """Whether every meter reported, so the losses are final."""
        return self.parent is not None and not self.missing

    @property
    def losses(self) -> float | None:
        """Parent minus children (units of the meters), None without the parent."""
        return None if self.parent is None else self.parent - self.children

    @property
    def losses_pct(self) -> float | None:
        """Losses in % of the parent."""
        if self.parent is None or self.parent <= 0:
            return None
        return (self.parent - self.children) / self.parent * 100.0

    @property
    def untracked(self) -> float | None:
        """Losses above the expected technical losses."""
        if self.parent is None:
            return None
        return self.parent - self.children - self.parent * self.expected_loss_pct / 100.0


class BalanceGroup:
    """A parent meter with child meters; the analytics of one building or street."""

    def __init__(
        self,
        parent: str,
        children: Sequence[str],
        tz: ZoneInfo,
        expected_loss_pct: float = 0.0,
        keep_hours: int = 62 * 24,
    ) -> None:
        """``expected_loss_pct`` is the technical loss of the wiring (0 counts all as untracked)."""
        if not children or parent in children or len(set(children)) != len(children):
            raise ValueError("a group needs distinct meters and at least one child")
        self.parent = parent
        self.children = tuple(children)
        self.tz = tz
        self.expected_loss_pct = expected_loss_pct
        self.keep_hours = keep_hours
        self._row = {m: i for i, m in enumerate((parent, *children))}
        self._first = self._last = 0
        self._data: Matrix = np.full((len(self._row), 0), np.nan)
        self._dirty: set[int] = set()
        self._hours: dict[int, Balance] = {}

    def _column(self, hour: int) -> int | None:
        """Column of ``hour``, growing (and trimming) the array; None if older than kept."""
        width = self._data.shape[1]
        if width and self._last - hour >= self.keep_hours:
            return None
        if width == 0:
            self._first = self._last = hour
        elif hour < self._first:
            pad = np.full((len(self._row), self._first - hour), np.nan)
            self._data = np.concatenate((pad, self._data), axis=1)
            self._first = hour
        width = self._data.shape[1]
        if hour >= self._first + width:
            grow = max(CHUNK_HOURS, hour - self._first - width + 1)
            self._data = np.concatenate((self._data, np.full((len(self._row), grow), np.nan)), 1)
            drop = hour + 1 - self._first - self.keep_hours
            if drop > 0:
                self._data = self._data[:, drop:]
                self._first += drop
                self._hours = {h: b for h, b in self._hours.items() if h >= self._first}
                self._dirty = {h for h in self._dirty if h >= self._first}
        self._last = max(self._last, hour)
        return hour - self._first

    def record(self, meter: str, hour: int, value: float) -> bool:
        """Store (or replace) one meter's consumption in UTC hour ``hour``; False if too old."""
        column = self._column(hour)
        if column is None:
            return False
        self._data[self._row[meter], column] = value
        self._dirty.add(hour)
        return True

    def record_changes(self, meter: str, values: Mapping[int, float]) -> int:
        """Store one meter's hourly values; only new or changed ones mark their hour dirty.

        Hours older than kept are ignored. Returns how many values were new or changed.
        """
        if not values:
            return 0
        self._column(max(values))
        self._column(min(values))
        kept = self.kept
        hours = np.fromiter((h for h in values if h in kept), dtype=np.int64)
        if not hours.size:
            return 0
        new = np.fromiter((values[int(h)] for h in hours), dtype=np.float64, count=hours.size)
        row = self._data[self._row[meter]]
        old = row[hours - self._first]
        changed = ~((old == new) | (np.isnan(old) & np.isnan(new)))
        row[hours[changed] - self._first] = new[changed]
        self._dirty.update(int(h) for h in hours[changed])
        return int(changed.sum())

    @property
    def kept(self) -> range:
        """The UTC hours kept: the last ``keep_hours`` up to the latest recorded one."""
        if not self._data.shape[1]:
            return range(0)
        return range(max(self._first, self._last - self.keep_hours + 1), self._last + 1)

    def value(self, meter: str, hour: int) -> float | None:
        """The value recorded for ``meter`` in ``hour``, None if not reported (or not kept)."""
        if hour not in self.kept:
            return None
        found = float(self._data[self._row[meter], hour - self._first])
        return None if np.isnan(found) else found

    def update(self) -> list[int]:
        """Recompute the hours touched since the last update; return them, oldest first."""
        hours = sorted(self._dirty)
        self._dirty.clear()
        for hour in hours:
            self._hours[hour] = self._compute(hour)
        return hours

    def _compute(self, hour: int) -> Balance:
        column = self._data[:, hour - self._first]
        children = column[1:]
        gaps = np.isnan(children)
        missing = tuple(self.children[i] for i in np.flatnonzero(gaps))
        parent = None if np.isnan(column[0]) else float(column[0])
        total = float(np.sum(children[~gaps]))
        return Balance(parent, total, missing, 1, self.expected_loss_pct)

    def hour(self, hour: int) -> Balance:
        """Balance of one UTC hour (as of the last update)."""
        found = self._hours.get(hour)
        if found is None:
            return Balance(None, 0.0, self.children, 1, self.expected_loss_pct)
        return found

    def span(self, hours: Iterable[int]) -> Balance:
        """Balance over several hours; the parent is None if it misses any of them."""
        parent: float | None = 0.0
        children = 0.0
        missing: set[str] = set()
        count = 0
        for hour in hours:
            one = self.hour(hour)
            count += 1
            parent = None if parent is None or one.parent is None else parent + one.parent
            children += one.children
            missing.update(one.missing)
        ordered = tuple(c for c in self.children if c in missing)
        return Balance(parent, children, ordered, count, self.expected_loss_pct)

    def day(self, day: date) -> Balance:
        """Balance of a local day (23, 24 or 25 hours)."""
        return self.span(local_day_hours(day, self.tz))

    def loss_shares(self, hours: Iterable[int]) -> dict[str, tuple[float, float]]:
        """Each child's (share in %, losses attributed) over the complete hours among ``hours``.

        Shares are pro rata to consumption and sum to 100 % (equal shares if nobody consumed).
        """
        use = [h for h in hours if self.hour(h).complete]
        losses = sum(self.hour(h).losses or 0.0 for h in use)
        consumption = self._data[1:, [h - self._first for h in use]].sum(axis=1)
        total = float(consumption.sum())
        shares = (
            consumption / total * 100.0
            if total > 0
            else np.full(len(self.children), 100.0 / len(self.children))
        )
        return {
            c: (float(share), losses * float(share) / 100.0)
            for c, share in zip(self.children, shares, strict=True)
        }

    def matrix(self, hours: Sequence[int]) -> tuple[Matrix, Matrix]:
        """Parent (hours) and children (children x hours) over kept ``hours``; 0 where missing."""
        columns = [h - self._first for h in hours]
        if any(c < 0 or c >= self._data.shape[1] for c in columns):
            raise ValueError("hours outside the kept range")
        block = np.nan_to_num(self._data[:, columns])
        return block[0], block[1:]
