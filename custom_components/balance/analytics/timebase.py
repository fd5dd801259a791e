"""UTC hour indices and local days: every series is keyed by whole UTC hours.

An hour index is ``epoch seconds // 3600``: it never repeats or skips, so DST changes only how many
hours a local day holds (23 or 25). Zones are assumed to have whole-hour UTC offsets.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

HOUR_S = 3600


def utc_hour(at: datetime) -> int:
    """Index of the UTC hour holding the aware datetime ``at``."""
    return int(at.timestamp()) // HOUR_S


def hour_start(hour: int) -> datetime:
    """UTC start of the hour index ``hour``."""
    return datetime.fromtimestamp(hour * HOUR_S, UTC)


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """Aware local midnight starting ``day``."""
    return datetime.combine(day, time(), tzinfo=tz)


def local_day_hours(day: date, tz: ZoneInfo) -> range:
    """UTC hour indices of the local day ``day`` (23, 24 or 25 of them)."""
    return range(
        utc_hour(local_midnight(day, tz)), utc_hour(local_midnight(day + timedelta(days=1), tz))
    )


def local_day(hour: int, tz: ZoneInfo) -> date:
    """Local calendar day holding the UTC hour ``hour``."""
    return hour_start(hour).astimezone(tz).date()


def daily_totals(hourly: Mapping[int, float], tz: ZoneInfo) -> dict[date, float]:
    """Totals of the local days with every hour present in ``hourly`` (partial days left out)."""
    sums: dict[date, float] = {}
    counts: dict[date, int] = {}
    for hour, value in hourly.items():
        day = local_day(hour, tz)
        sums[day] = sums.get(day, 0.0) + value
        counts[day] = counts.get(day, 0) + 1
    return {day: sums[day] for day in sorted(sums) if counts[day] == len(local_day_hours(day, tz))}
