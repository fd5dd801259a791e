"""The analysis of one BALANCE group, with no Home Assistant import (run in the executor).

Feeds hourly consumption into :class:`~..analytics.BalanceGroup` (only values that changed, so a
child reporting late marks just its hours dirty), then derives the last hour's and yesterday's
balances, each child's share of the losses, the theft/fault ranking, the phase-balancing plan,
the efficiency ratios and the hourly loss rows to write as long-term statistics.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ..analytics import (  # noqa: TID252
    Balance,
    BalanceGroup,
    PhasePlan,
    Suspicion,
    efficiency_ratios,
    rank_suspects,
    recommend_phases,
)
from ..analytics.timebase import hour_start, local_day_hours, utc_hour  # noqa: TID252
from .const import LATE_DAYS_MAX

ANALYSIS_DAYS = 28
MIN_ANALYSIS_HOURS = 7 * 24
MAX_MOVES_SHARE = 0.2
FEEDER_OHM = 0.15
MAX_PHASE_FLATS = 120  # the phase search costs flats^2 x hours a round: one building or feeder


@dataclass(frozen=True, slots=True)
class GroupReport:
    """What the group's entities show after one update."""

    hour: int | None  # the last hour with the parent's value
    hourly: Balance | None
    day: date
    daily: Balance
    shares: Mapping[str, tuple[float, float]]
    suspects: list[Suspicion]
    plan: PhasePlan | None
    efficiency: Mapping[str, float | None]
    analysed_hours: int
    first_incomplete: int | None  # the oldest kept hour of the last 7 days still missing a child


@dataclass(slots=True)
class StatisticRows:
    """Hourly loss rows from ``first`` on: ``(hour, losses)``; sums are added by the writer."""

    first: int | None
    rows: list[tuple[int, float]] = field(default_factory=list)


class GroupAnalysis:
    """One group's data and analyses (not thread-safe: one update at a time)."""

    def __init__(
        self,
        parent: str,
        children: tuple[str, ...],
        tz: ZoneInfo,
        expected_loss_pct: float = 0.0,
        phases: Mapping[str, int] | None = None,
    ) -> None:
        """A group of ``parent`` and ``children`` (meter ids); ``phases`` for three-phase groups."""
        self.group = BalanceGroup(parent, children, tz, expected_loss_pct)
        self.phases = phases
        self.tz = tz

    def ingest(self, series: Mapping[str, Mapping[int, float]]) -> int:
        """Record every hourly value that is new or changed; return how many were."""
        return sum(self.group.record_changes(meter, hourly) for meter, hourly in series.items())

    def update(self, now: datetime, period_start: datetime) -> tuple[GroupReport, StatisticRows]:
        """Recompute the dirty hours and every derived figure as of ``now``."""
        dirty = self.group.update()
        current = utc_hour(now)
        kept = self.group.kept
        with_parent = [h for h in kept if h < current and self.group.hour(h).parent is not None]
        last = with_parent[-1] if with_parent else None
        yesterday = now.astimezone(self.tz).date() - timedelta(days=1)
        daily = self.group.day(yesterday)
        window = [
            h
            for h in range(max(kept.start, current - ANALYSIS_DAYS * 24), min(kept.stop, current))
            if self.group.hour(h).complete
        ]
        report = GroupReport(
            hour=last,
            hourly=self.group.hour(last) if last is not None else None,
            day=yesterday,
            daily=daily,
            shares=self.group.loss_shares(local_day_hours(yesterday, self.tz)),
            suspects=self._suspects(window),
            plan=self._plan(window),
            efficiency=self._efficiency(utc_hour(period_start), current),
            analysed_hours=len(window),
            first_incomplete=next(
                (
                    h
                    for h in range(max(kept.start, current - LATE_DAYS_MAX * 24), current)
                    if not self.group.hour(h).complete
                ),
                None,
            ),
        )
        rows = StatisticRows(dirty[0] if dirty else None)
        if dirty:
            rows.rows = [
                (h, float(losses))
                for h in range(dirty[0], kept.stop)
                if (losses := self.group.hour(h).losses) is not None
            ]
        return report, rows

    def _suspects(self, hours: list[int]) -> list[Suspicion]:
        if len(hours) < MIN_ANALYSIS_HOURS:
            return []
        parent, children = self.group.matrix(hours)
        local_hours = [(h + _offset_hours(h, self.tz)) % 24 for h in hours]
        return rank_suspects(
            parent, dict(zip(self.group.children, children, strict=True)), local_hours
        )

    def _plan(self, hours: list[int]) -> PhasePlan | None:
        if (
            self.phases is None
            or len(hours) < MIN_ANALYSIS_HOURS
            or len(self.group.children) > MAX_PHASE_FLATS
        ):
            return None
        _, children = self.group.matrix(hours)
        current = [self.phases[c] for c in self.group.children]
        budget = max(1, math.ceil(MAX_MOVES_SHARE * len(current)))
        return recommend_phases(children, current, ohm=FEEDER_OHM, max_moves=budget)

    def _efficiency(self, first: int, current: int) -> dict[str, float | None]:
        kept = self.group.kept
        hours = list(range(max(first, kept.start), min(current, kept.stop)))
        if not hours:
            return {}
        _, children = self.group.matrix(hours)
        sums = (float(v) for v in children.sum(axis=1))
        return efficiency_ratios(dict(zip(self.group.children, sums, strict=True)))


def _offset_hours(hour: int, tz: ZoneInfo) -> int:
    """Whole hours of the zone's UTC offset at ``hour`` (for the hour-of-day dummies)."""
    offset = hour_start(hour).astimezone(tz).utcoffset()
    return int(offset.total_seconds()) // 3600 if offset else 0
