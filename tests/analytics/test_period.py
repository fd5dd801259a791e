"""Billing period to date, forecast, comparisons and indicators."""

import math
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from custom_components.balance.analytics import (
    ForecastConfig,
    backtest_mape,
    daily_totals,
    efficiency_ratios,
    expected_temperatures,
    fit_daily_model,
    local_day_hours,
    period_report,
)

TZ = ZoneInfo("Europe/Bucharest")
FIRST = date(2025, 1, 1)
DAYS = 500
WEEKDAY = (8.0, 8.0, 8.0, 8.0, 9.0, 12.0, 12.0)


def _temp(day: date) -> float:
    return 11.0 - 12.0 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / 365.25)


def _meter(per_hdd: float = 0.5) -> tuple[dict[int, float], dict[date, float]]:
    """A meter exactly following weekday levels plus ``per_hdd`` per heating degree day."""
    hourly: dict[int, float] = {}
    temps: dict[date, float] = {}
    for k in range(DAYS):
        day = FIRST + timedelta(days=k)
        temps[day] = _temp(day)
        total = WEEKDAY[day.weekday()] + per_hdd * max(0.0, 18.0 - temps[day])
        hours = local_day_hours(day, TZ)
        for hour in hours:
            hourly[hour] = total / len(hours)
    return hourly, temps


def test_model_recovers_weekday_levels_and_degree_day_slope() -> None:
    hourly, temps = _meter()
    daily = daily_totals(hourly, TZ)
    model = fit_daily_model(daily, date(2026, 2, 1), temps)
    assert model is not None
    assert model.method == "weekday x degree days"
    assert model.per_hdd == pytest.approx(0.5, rel=0.02)
    assert model.level == pytest.approx(1.0, abs=0.01)
    day = date(2026, 2, 2)
    assert model.predict(day, 0.0) == pytest.approx(WEEKDAY[day.weekday()] + 9.0, rel=0.02)


def test_report_mid_period_with_billing_day() -> None:
    hourly, temps = _meter()
    now = datetime(2026, 1, 25, 0, 0, tzinfo=TZ)
    report = period_report(hourly, now, TZ, billing_day=15, temps=temps)
    assert report.start == datetime(2026, 1, 15, tzinfo=TZ)
    assert report.end == datetime(2026, 2, 15, tzinfo=TZ)
    days = [date(2026, 1, 15) + timedelta(days=k) for k in range(31)]
    actual = [WEEKDAY[d.weekday()] + 0.5 * max(0.0, 18.0 - _temp(d)) for d in days]
    assert report.to_date == pytest.approx(sum(actual[:10]))
    # persistence temperatures are a little off in a warming month: within 3 %
    assert report.forecast == pytest.approx(sum(actual), rel=0.03)
    assert report.last_year == pytest.approx(
        sum(WEEKDAY[(d - timedelta(days=365)).weekday()] for d in days)
        + sum(0.5 * max(0.0, 18.0 - _temp(d - timedelta(days=365))) for d in days),
        rel=1e-6,
    )
    assert report.last_year_to_date is not None
    assert report.last_year_to_date < report.last_year
    assert report.temperature_coefficient == pytest.approx(0.5, rel=0.02)
    assert report.consumption_ratio is not None
    assert report.consumption_ratio > 1.2  # January against the year's average
    assert report.normalised_ratio == pytest.approx(1.0, abs=0.05)  # but not when weather-corrected


def test_without_temperatures_the_model_is_weekday_only() -> None:
    hourly, _ = _meter(per_hdd=0.0)
    report = period_report(hourly, datetime(2026, 3, 10, 12, tzinfo=TZ), TZ)
    assert report.method == "weekday"
    assert report.temperature_coefficient is None
    assert report.normalised_ratio is None
    march = [date(2026, 3, 1) + timedelta(days=k) for k in range(31)]
    assert report.forecast == pytest.approx(sum(WEEKDAY[d.weekday()] for d in march), rel=1e-3)


def test_too_little_history_gives_no_forecast() -> None:
    hourly = dict.fromkeys(local_day_hours(date(2026, 3, 1), TZ), 1.0)
    report = period_report(hourly, datetime(2026, 3, 2, tzinfo=TZ), TZ)
    assert report.forecast is None
    assert report.method == "none"
    assert report.average is None
    assert report.last_year is None
    assert report.to_date == 24.0


def test_backtest_on_a_regular_meter_is_small() -> None:
    hourly, temps = _meter()
    mape = backtest_mape(hourly, TZ, 10, temps=temps, periods=3)
    assert mape is not None
    assert mape < 3.0
    assert backtest_mape({}, TZ, 10) is None


def test_level_correction_follows_a_recent_step() -> None:
    hourly, _ = _meter(per_hdd=0.0)
    step = date(2026, 3, 1)
    stepped = {
        h: v * (1.5 if h >= local_day_hours(step, TZ).start else 1.0) for h, v in hourly.items()
    }
    plain = fit_daily_model(
        daily_totals(stepped, TZ), date(2026, 3, 8), None, ForecastConfig(level_weight=0.0)
    )
    corrected = fit_daily_model(daily_totals(stepped, TZ), date(2026, 3, 8))
    assert plain is not None
    assert corrected is not None
    assert corrected.level > 1.0
    day = date(2026, 3, 9)
    assert abs(corrected.predict(day) - 1.5 * WEEKDAY[day.weekday()]) < abs(
        plain.predict(day) - 1.5 * WEEKDAY[day.weekday()]
    )


def test_efficiency_ratios() -> None:
    assert efficiency_ratios({"a": 100.0, "b": 300.0}) == {"a": 0.5, "b": 1.5}
    assert efficiency_ratios({"a": 100.0, "b": 300.0}, {"a": 50.0, "b": 50.0}) == {
        "a": 0.5,
        "b": 1.5,
    }
    assert efficiency_ratios({"a": 0.0}) == {"a": None}


def test_a_leap_day_period_compares_with_last_year() -> None:
    hourly: dict[int, float] = {}
    for k in range(800):
        day = date(2026, 1, 1) + timedelta(days=k)
        for hour in local_day_hours(day, TZ):
            hourly[hour] = 0.5
    report = period_report(hourly, datetime(2028, 3, 10, tzinfo=TZ), TZ, billing_day=29)
    assert report.start == datetime(2028, 2, 29, tzinfo=TZ)
    # 28 Feb to 28 Mar 2027, whose last day is the 23-hour DST day
    assert report.last_year == pytest.approx(12.0 * 29 - 0.5)


def test_expected_temperatures_forecast_then_climate_then_persistence() -> None:
    today = date(2026, 2, 1)
    year = {date(2025, 1, 1) + timedelta(days=k): 5.0 for k in range(60)}  # last year's Jan-Feb
    recent = {today - timedelta(days=k): 8.0 for k in range(1, 8)}  # three degrees warmer now
    given_day = today + timedelta(days=2)
    expected = expected_temperatures(
        {**year, **recent, given_day: -1.0}, today, today + timedelta(days=3)
    )
    assert expected[today] == pytest.approx(5.0 + 3.0)
    assert expected[today + timedelta(days=1)] == pytest.approx(5.0 + 3.0 * 0.8)
    assert expected[given_day] == -1.0
    assert expected_temperatures(recent, today, today) == {today: 8.0}
    assert expected_temperatures({}, today, today) == {}


def test_backtest_needs_a_complete_earlier_period() -> None:
    hourly = {
        h: 1.0 for k in range(40) for h in local_day_hours(date(2026, 3, 1) + timedelta(days=k), TZ)
    }
    assert backtest_mape(hourly, TZ, 10) is None
