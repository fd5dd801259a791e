"""Dynamic prices: the shapes HA price integrations expose, DST days, gaps, resampling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from custom_components.balance.tariffs import (
    PricePoint,
    PriceSeries,
    SpotFormula,
    TariffError,
    TariffErrorCode,
    parse_entsoe,
    parse_forecast,
    parse_nordpool_action,
    parse_nordpool_custom,
)

AMS = ZoneInfo("Europe/Amsterdam")


def _day(local_day: datetime, minutes: int) -> list[tuple[datetime, datetime]]:
    """Intervals of one local day (handles 23/25 h days) in local time."""
    start = local_day.replace(tzinfo=AMS)
    end = (local_day + timedelta(days=1)).replace(tzinfo=AMS)
    out = []
    t = start.astimezone(UTC)
    while t < end.astimezone(UTC):
        out.append((t.astimezone(AMS), (t + timedelta(minutes=minutes)).astimezone(AMS)))
        t += timedelta(minutes=minutes)
    return out


@pytest.mark.parametrize(
    ("day", "hours"),
    [(datetime(2026, 3, 29), 23), (datetime(2026, 10, 25), 25), (datetime(2026, 6, 1), 24)],
)
@pytest.mark.parametrize("minutes", [15, 60])
def test_nordpool_action_response_on_dst_days(day: datetime, hours: int, minutes: int) -> None:
    rows = [
        {"start": a.isoformat(), "end": b.isoformat(), "price": 100.0 + k}
        for k, (a, b) in enumerate(_day(day, minutes))
    ]
    series = parse_nordpool_action({"NL": rows})
    assert len(series.points) == hours * 60 // minutes
    assert series.points[0].price == pytest.approx(0.1)  # per MWh -> per kWh
    assert series.end - series.start == timedelta(hours=hours)
    assert series.start.tzinfo is UTC


def test_nordpool_action_picks_the_area_and_rejects_bad_shapes() -> None:
    a, b = _day(datetime(2026, 6, 1), 60)[0]
    row = {"start": a.isoformat(), "end": b.isoformat(), "price": 50.0}
    assert parse_nordpool_action({"SE3": [row], "SE4": [{**row, "price": 70.0}]}, "SE4").points[
        0
    ].price == pytest.approx(0.07)
    for bad in (
        {},
        {"SE3": "x"},
        {"SE3": [{"start": "x", "end": "y", "price": 1}]},
        {"SE3": [{"start": a.isoformat()}]},
    ):
        with pytest.raises(TariffError):
            parse_nordpool_action(bad)
    with pytest.raises(TariffError, match="forecast_format"):
        parse_nordpool_action({"SE3": [{**row, "price": "12"}]})
    with pytest.raises(TariffError, match="forecast_format"):
        parse_nordpool_action({"SE3": [{**row, "start": "2026-06-01T00:00:00"}]})


def test_nordpool_custom_attributes_with_late_tomorrow() -> None:
    today = [{"start": a, "end": b, "value": 0.2} for a, b in _day(datetime(2026, 6, 1), 60)]
    tomorrow = [{"start": a, "end": b, "value": 0.1} for a, b in _day(datetime(2026, 6, 2), 60)]
    before_13 = parse_nordpool_custom(
        {"raw_today": today, "raw_tomorrow": [], "tomorrow_valid": False}
    )
    assert len(before_13.points) == 24
    stale = parse_nordpool_custom(
        {"raw_today": today, "raw_tomorrow": tomorrow, "tomorrow_valid": False}
    )
    assert stale.end == before_13.end
    after = parse_nordpool_custom(
        {"raw_today": today, "raw_tomorrow": tomorrow, "tomorrow_valid": True}
    )
    assert len(after.points) == 48
    with pytest.raises(TariffError, match="forecast_short"):
        before_13.slots(before_13.start, timedelta(hours=1), 30)
    assert len(after.slots(after.start, timedelta(minutes=15), 30 * 4)) == 120


def test_entsoe_prices_attribute_with_15_minute_slots() -> None:
    rows = [
        {"time": str(a), "price": 0.01 * k}
        for k, (a, _) in enumerate(_day(datetime(2026, 10, 25), 15))
    ]
    series = parse_entsoe({"prices": rows})
    assert len(series.points) == 100
    assert series.points[-1].end - series.points[-1].start == timedelta(minutes=15)
    hourly = series.slots(series.start, timedelta(hours=1), 25)
    assert hourly[0] == pytest.approx((0 + 0.01 + 0.02 + 0.03) / 4)


def test_entsoe_falls_back_to_today_and_tomorrow_and_closes_holes() -> None:
    day1 = _day(datetime(2026, 6, 1), 60)
    today = [{"time": str(a), "price": 0.1} for a, _ in day1]
    tomorrow = [{"time": str(a), "price": 0.2} for a, _ in _day(datetime(2026, 6, 2), 60)]
    assert len(parse_entsoe({"prices_today": today, "prices_tomorrow": tomorrow}).points) == 48
    holed = today[:10] + today[12:]
    with pytest.raises(TariffError, match="forecast_gap"):
        parse_entsoe({"prices": holed})
    assert len(parse_entsoe({"prices": today[:1]}).points) == 1
    with pytest.raises(TariffError, match="forecast_empty"):
        parse_entsoe({"prices": []})


def test_series_validation_codes() -> None:
    t = datetime(2026, 6, 1, tzinfo=UTC)
    hour = timedelta(hours=1)
    with pytest.raises(TariffError, match="forecast_empty"):
        PriceSeries.build([])
    with pytest.raises(TariffError, match="forecast_overlap"):
        PriceSeries.build([PricePoint(t, t + hour, 1), PricePoint(t + hour / 2, t + hour * 1.5, 1)])
    with pytest.raises(TariffError, match="forecast_gap"):
        PriceSeries.build([PricePoint(t, t + hour, 1), PricePoint(t + 2 * hour, t + 3 * hour, 1)])
    with pytest.raises(TariffError, match="forecast_format"):
        PriceSeries.build([PricePoint(t, t + 2 * hour, 1)])
    with pytest.raises(TariffError, match="forecast_format"):
        PriceSeries.build([PricePoint(t.replace(tzinfo=None), t.replace(tzinfo=None) + hour, 1)])
    with pytest.raises(TariffError, match="forecast_format"):
        parse_nordpool_custom({"raw_today": [{"start": 1, "end": 2, "value": 1.0}]})


def test_merge_formula_and_lookup() -> None:
    t = datetime(2026, 6, 1, tzinfo=UTC)
    hour = timedelta(hours=1)
    a = PriceSeries.build([PricePoint(t, t + hour, 1.0)])
    b = PriceSeries.build([PricePoint(t, t + hour, 2.0), PricePoint(t + hour, t + 2 * hour, 3.0)])
    merged = a.merged(b)
    assert [p.price for p in merged.points] == [2.0, 3.0]
    assert merged.with_formula(SpotFormula(2.0, 0.5)).points[1].price == 6.5
    assert merged.price_at(t + hour) == 3.0
    assert merged.price_at(t - hour) is None
    assert (
        parse_nordpool_custom(
            {
                "raw_today": [
                    {"start": t, "end": t + hour, "value": None},
                    {"start": t + hour, "end": t + 2 * hour, "value": 1.0},
                ]
            }
        ).start
        == t + hour
    )


def _row(start: datetime, minutes: int, price: float) -> dict[str, object]:
    return {
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=minutes)).isoformat(),
        "price": price,
    }


def test_forecast_attribute_hours_quarters_and_long_intervals() -> None:
    """The utility link's `forecast`: a 3-hour interval becomes three hours, quarters stay."""
    t0 = datetime(2026, 12, 1, 10, tzinfo=UTC)
    rows = [_row(t0, 180, 0.4), _row(t0 + timedelta(hours=3), 15, 0.1)]
    series = parse_forecast({"forecast": rows}, per_kwh=2.0)
    assert [(p.end - p.start, p.price) for p in series.points] == [
        (timedelta(hours=1), 0.8),
        (timedelta(hours=1), 0.8),
        (timedelta(hours=1), 0.8),
        (timedelta(minutes=15), 0.2),
    ]


def test_forecast_attribute_five_minute_prices_average_over_their_quarter() -> None:
    t0 = datetime(2026, 12, 1, 10, tzinfo=UTC)
    rows = [_row(t0 + timedelta(minutes=5 * k), 5, p) for k, p in enumerate((0.3, 0.6, 0.9))]
    (point,) = parse_forecast({"forecast": rows}).points
    assert (point.start, point.end) == (t0, t0 + timedelta(minutes=15))
    assert point.price == pytest.approx(0.6)
    with pytest.raises(TariffError) as err:  # a quarter only partly priced
        parse_forecast({"forecast": rows[:2]})
    assert err.value.code is TariffErrorCode.FORECAST_GAP


@pytest.mark.parametrize(
    "rows",
    [
        "not a list",
        [{"start": "2026-12-01T10:00:00+00:00", "price": 0.1}],  # no end
        [_row(datetime(2026, 12, 1, 10, 10, tzinfo=UTC), 10, 0.1)],  # across two quarters
        [_row(datetime(2026, 12, 1, 10, tzinfo=UTC), 0, 0.1)],  # empty interval
        [_row(datetime(2026, 12, 1, 10, tzinfo=UTC), 60, "0.1")],  # price as text
    ],
)
def test_forecast_attribute_rejects_what_is_not_a_price_interval(rows: object) -> None:
    with pytest.raises(TariffError):
        parse_forecast({"forecast": rows})
