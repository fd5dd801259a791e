"""Prices ahead: all-in price intervals, zone intervals and cheap windows of a tariff."""

from __future__ import annotations

import itertools
import statistics
from datetime import UTC, datetime, time, timedelta

from .model import Tariff

type Interval = tuple[datetime, datetime, float]
"""``(start_utc, end_utc, all-in price per kWh)``."""


def horizon_end(now: datetime, tariff: Tariff) -> datetime:
    """Local midnight after tomorrow (24 to 48 h ahead), in UTC."""
    day = now.astimezone(tariff.tz).date() + timedelta(days=2)
    return datetime.combine(day, time(0), tariff.tz).astimezone(UTC)


def zone_intervals(
    tariff: Tariff, start: datetime, end: datetime
) -> list[tuple[datetime, datetime, str]]:
    """Time-of-use zones from ``start`` to ``end`` (UTC), cut where the zone changes."""
    assert tariff.tou is not None
    cuts = {start.astimezone(UTC), end.astimezone(UTC)}
    day = start.astimezone(tariff.tz).date()
    while (midnight := datetime.combine(day, time(0), tariff.tz)) < end:
        for minute in tariff.tou.boundaries(day, tariff.is_holiday):
            cut = (midnight + timedelta(minutes=minute)).astimezone(UTC)
            if start < cut < end:
                cuts.add(cut)
        day += timedelta(days=1)
    out: list[tuple[datetime, datetime, str]] = []
    for a, b in itertools.pairwise(sorted(cuts)):
        zone = tariff.zone_at(a)
        assert zone is not None
        if out and out[-1][2] == zone:
            out[-1] = (out[-1][0], b, zone)
        else:
            out.append((a, b, zone))
    return out


def price_intervals(
    tariff: Tariff, start: datetime, end: datetime, used_kwh: float = 0.0
) -> list[Interval]:
    """All-in prices from ``start`` to ``end``; dynamic: whole known intervals, up to their end.

    Blocks: one interval at the price of the block that ``used_kwh`` (this period) has reached.
    """
    if tariff.dynamic is not None:
        return [
            (p.start, p.end, tariff.gross(tariff.formula.apply(p.price) + tariff.fees_per_kwh))
            for p in tariff.dynamic.points
            if p.end > start and p.start < end
        ]
    if tariff.tou is not None:
        return [
            (a, b, tariff.gross(tariff.tou.prices[zone] + tariff.fees_per_kwh))
            for a, b, zone in zone_intervals(tariff, start, end)
        ]
    price = tariff.unit_price(start, used_kwh)
    assert price is not None
    return [(start.astimezone(UTC), end.astimezone(UTC), price)]


def cheap_windows(
    tariff: Tariff, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """Runs of the cheapest zone (time of use) or of prices at or below the lower quartile."""
    if tariff.tou is not None:
        cheapest = min(tariff.tou.prices.values())
        cheap = [
            (a, b)
            for a, b, zone in zone_intervals(tariff, start, end)
            if tariff.tou.prices[zone] == cheapest
        ]
    elif tariff.dynamic is not None:
        intervals = [i for i in price_intervals(tariff, start, end) if i[1] > start]
        if len(intervals) < 2:
            return []
        threshold = statistics.quantiles([p for _, _, p in intervals], n=4, method="inclusive")[0]
        cheap = [(a, b) for a, b, p in intervals if p <= threshold]
    else:
        return []
    windows: list[tuple[datetime, datetime]] = []
    for a, b in cheap:
        if windows and windows[-1][1] == a:
            windows[-1] = (windows[-1][0], b)
        else:
            windows.append((a, b))
    return windows
