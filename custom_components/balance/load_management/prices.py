"""Prices for the planner: a pricing entry's forecast, a price entity, or a night tariff."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from homeassistant.core import HomeAssistant, State

from ..pricing import PricingNotFoundError, async_get_price_forecast  # noqa: TID252
from ..tariffs import TariffError  # noqa: TID252
from ..tariffs.prices import PriceSeries, parse_entsoe, parse_nordpool_custom  # noqa: TID252

type Interval = tuple[datetime, datetime, float]
"""(start UTC, end UTC, price per kWh)."""

DAY = timedelta(days=1)
NIGHT_PRICE = 1.0  # a night tariff without prices: relative units, cheap inside the window
DAY_PRICE = 2.0


async def async_pricing_forecast(hass: HomeAssistant, entry_id: str) -> list[Interval] | None:
    """All-in price intervals of a pricing entry (None while it is not loaded)."""
    try:
        rows = await async_get_price_forecast(hass, entry_id)
    except PricingNotFoundError:
        return None
    return [(start, end, float(price)) for start, end, price in rows]


def _series_intervals(series: PriceSeries) -> list[Interval]:
    return [(p.start, p.end, p.price) for p in series.points]


def _forecast_rows(rows: Sequence[Any]) -> list[Interval]:
    """A generic ``forecast`` attribute: ``[{start|datetime, end?, price|value}]``."""
    points: list[tuple[datetime, datetime | None, float]] = []
    for row in rows:
        if not isinstance(row, Mapping):
            continue
        start = _moment(row.get("start", row.get("datetime")))
        price = row.get("price", row.get("value"))
        if start is None or isinstance(price, bool) or not isinstance(price, int | float):
            continue
        points.append((start, _moment(row.get("end")), float(price)))
    points.sort(key=lambda p: p[0])
    out: list[Interval] = []
    for k, (start, given_end, price) in enumerate(points):
        end = given_end
        if end is None:
            end = points[k + 1][0] if k + 1 < len(points) else start + timedelta(hours=1)
        out.append((start, end, price))
    return out


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else None


def entity_intervals(state: State | None, now: datetime) -> list[Interval]:
    """Price intervals of a price entity.

    Read from the Nord Pool custom integration's ``raw_today``/``raw_tomorrow``, ENTSO-e's
    ``prices``/``prices_today``/``prices_tomorrow`` or a ``forecast`` list; an entity without
    any of them gives its state as the price of the current hour.
    """
    if state is None:
        return []
    attrs = state.attributes
    for key, parse in (("raw_today", parse_nordpool_custom), ("prices", parse_entsoe)):
        if attrs.get(key) or (key == "prices" and attrs.get("prices_today")):
            try:
                return _series_intervals(parse(attrs))
            except TariffError:
                return []
    if isinstance(rows := attrs.get("forecast"), list) and (intervals := _forecast_rows(rows)):
        return intervals
    try:
        price = float(state.state)
    except ValueError:
        return []
    start = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return [(start, start + timedelta(hours=1), price)]


def night_intervals(now: datetime, start: time, end: time, days: int = 3) -> list[Interval]:
    """A two-part tariff known only by its night window (local times, wrapping midnight)."""
    local = now.astimezone(start.tzinfo) if start.tzinfo else now
    out: list[Interval] = []
    day = local.date() - DAY
    for _ in range(days + 1):
        night_from = datetime.combine(day, start, tzinfo=local.tzinfo)
        night_to = datetime.combine(day if end > start else day + DAY, end, tzinfo=local.tzinfo)
        next_from = datetime.combine(day + DAY, start, tzinfo=local.tzinfo)
        out.append((night_from.astimezone(UTC), night_to.astimezone(UTC), NIGHT_PRICE))
        out.append((night_to.astimezone(UTC), next_from.astimezone(UTC), DAY_PRICE))
        day += DAY
    return out


def slot_prices(
    intervals: Sequence[Interval], start: datetime, step: timedelta, count: int
) -> list[float] | None:
    """Time-weighted price of each slot; None when no price is known at all.

    A slot past the known prices (tomorrow's day-ahead prices not out yet) takes the price
    of the same time a day before, else the last known price: the plan is redone when the
    new prices arrive.
    """
    if not intervals:
        return None
    out: list[float] = []
    for k in range(count):
        a = start + step * k
        b = a + step
        price = _average(intervals, a, b)
        if price is None:
            price = _average(intervals, a - DAY, b - DAY)
        out.append(price if price is not None else intervals[-1][2])
    return out


def _average(intervals: Sequence[Interval], a: datetime, b: datetime) -> float | None:
    total = covered = 0.0
    for start, end, price in intervals:
        overlap = (min(b, end) - max(a, start)).total_seconds()
        if overlap > 0:
            total += price * overlap
            covered += overlap
    if covered < (b - a).total_seconds() - 1e-6:
        return None
    return total / covered
