"""Planned runs of one load on the planner's 15-minute grid (no Home Assistant import)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..planner import Shortfall  # noqa: TID252

SLOT = timedelta(minutes=15)
SLOT_H = SLOT.total_seconds() / 3600.0
MAX_SLOTS = 192  # 48 h ahead: today's and tomorrow's prices at most
EPS_KW = 1e-6


@dataclass(frozen=True, slots=True)
class Run:
    """A stretch of consecutive slots at one power."""

    start: datetime
    end: datetime
    power_kw: float


@dataclass(frozen=True, slots=True)
class Schedule:
    """The plan of one load: power per slot from ``start`` (slot 0), its cost and shortfall."""

    load_id: str
    start: datetime
    powers: tuple[float, ...]
    energy_kwh: float
    cost: float | None  # None: prices in relative units (a night window without prices)
    deadline: datetime | None
    shortfall: Shortfall | None = None

    def runs(self) -> list[Run]:
        """Planned stretches, consecutive slots of equal power merged."""
        out: list[Run] = []
        for k, power in enumerate(self.powers):
            if power <= EPS_KW:
                continue
            start = self.start + SLOT * k
            last = out[-1] if out else None
            if last is not None and last.end == start and abs(last.power_kw - power) <= EPS_KW:
                out[-1] = Run(last.start, start + SLOT, last.power_kw)
            else:
                out.append(Run(start, start + SLOT, round(power, 3)))
        return out

    @property
    def planned_start(self) -> datetime | None:
        """Start of the first planned slot."""
        runs = self.runs()
        return runs[0].start if runs else None

    @property
    def planned_end(self) -> datetime | None:
        """End of the last planned slot."""
        runs = self.runs()
        return runs[-1].end if runs else None

    def slot_index(self, now: datetime) -> int:
        """The slot holding ``now`` (0 before the grid starts)."""
        return max(0, int((now - self.start) / SLOT))

    def next_run(self, now: datetime) -> tuple[datetime | None, datetime | None] | None:
        """The run holding ``now`` or the next one: (start or None if now, end or None if it
        runs on to the end of the plan); None when nothing is planned from now on."""
        first = self.slot_index(now)
        k = next((j for j in range(first, len(self.powers)) if self.powers[j] > EPS_KW), None)
        if k is None:
            return None
        end = next((j for j in range(k, len(self.powers)) if self.powers[j] <= EPS_KW), None)
        return (
            None if k == first else self.start + SLOT * k,
            None if end is None else self.start + SLOT * end,
        )
