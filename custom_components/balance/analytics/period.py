"""Billing period to date, forecast to its end, comparisons and indicators of one meter.

The period bounds are the tariff model's (``billing_day``, clamped to the month end). Series are
hourly values keyed by UTC hour index (``timebase``); temperatures are daily means in deg C.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ..tariffs.model import billing_period  # noqa: TID252
from .forecast import (
    ForecastConfig,
    expected_temperatures,
    fit_daily_model,
    forecast_days,
    heating_dd,
)
from .timebase import daily_totals, local_midnight, utc_hour

AVERAGE_DAYS = 365
DEFAULT_CONFIG = ForecastConfig()


@dataclass(frozen=True, slots=True)
class PeriodReport:
    """One meter's billing period: to date, forecast, average, last year and indicators."""

    start: datetime
    end: datetime
    to_date: float
    forecast: float | None
    method: str
    average: float | None
    last_year: float | None
    last_year_to_date: float | None
    consumption_ratio: float | None
    normalised_ratio: float | None
    temperature_coefficient: float | None
    expected: tuple[tuple[date, float], ...] = ()  # expected total at the end of each day left


def _sum_hours(hourly: Mapping[int, float], start: datetime, end: datetime) -> float:
    return sum(hourly.get(h, 0.0) for h in range(utc_hour(start), utc_hour(end)))


def _covered(daily: Mapping[date, float], first: date, end: date) -> bool:
    return first in daily and (end - timedelta(days=1)) in daily


def period_report(
    hourly: Mapping[int, float],
    now: datetime,
    tz: ZoneInfo,
    *,
    billing_day: int = 1,
    temps: Mapping[date, float] | None = None,
    config: ForecastConfig = DEFAULT_CONFIG,
) -> PeriodReport:
    """Report the billing period holding ``now`` (``temps`` may hold forecast days too).

    ``average`` is the mean daily consumption of the complete days of the year before the period,
    times the period's days (the source's dashed line); ``consumption_ratio`` is forecast over
    average and ``normalised_ratio`` the same after moving the forecast to the average's heating
    degree days with the fitted temperature coefficient (units per degree day).
    """
    start, end = billing_period(now, billing_day, tz)
    to_date = _sum_hours(hourly, start, min(now, end))
    daily = daily_totals(hourly, tz)
    today = now.astimezone(tz).date()
    model = fit_daily_model(daily, today, temps, config)
    forecast: float | None = None
    expected: dict[date, float] = {}
    curve: list[tuple[date, float]] = []
    if model is not None:
        last_day = end.date() - timedelta(days=1)
        if temps:
            expected = expected_temperatures(temps, today, last_day, config.anomaly_decay)
        today_so_far = _sum_hours(hourly, local_midnight(today, tz), now)
        rest_today = model.predict(today, expected.get(today))
        forecast = to_date + max(0.0, rest_today - today_so_far)
        curve.append((today, forecast))
        day = today + timedelta(days=1)
        while day <= last_day:
            curve.append((day, curve[-1][1] + forecast_days(model, day, day, expected)))
            day += timedelta(days=1)
        forecast = curve[-1][1]
    period_days = (end.date() - start.date()).days
    history = [
        d for k in range(1, AVERAGE_DAYS + 1) if (d := start.date() - timedelta(days=k)) in daily
    ]
    average = sum(daily[d] for d in history) / len(history) * period_days if history else None
    last_year = last_year_to_date = None
    ly_start, ly_end = billing_period(_year_before(start), billing_day, tz)
    if _covered(daily, ly_start.date(), ly_end.date()):
        last_year = _sum_hours(hourly, ly_start, ly_end)
        last_year_to_date = _sum_hours(hourly, ly_start, ly_start + (now - start))
    ratio = normalised = coefficient = None
    if model is not None and temps is not None and model.per_hdd > 0:
        coefficient = model.per_hdd
    if forecast is not None and average:
        ratio = forecast / average
        if coefficient is not None and temps is not None:
            known = {**temps, **expected}
            hdd_gap = _hdd_gap(known, history, start.date(), end.date(), config)
            if hdd_gap is not None:
                normalised = (forecast - coefficient * hdd_gap) / average
    return PeriodReport(
        start=start,
        end=end,
        to_date=to_date,
        forecast=forecast,
        method=model.method if model else "none",
        average=average,
        last_year=last_year,
        last_year_to_date=last_year_to_date,
        consumption_ratio=ratio,
        normalised_ratio=normalised,
        temperature_coefficient=coefficient,
        expected=tuple(curve),
    )


def _year_before(at: datetime) -> datetime:
    """The same local time a year earlier (29 February becomes the 28th)."""
    return at.replace(year=at.year - 1, day=min(at.day, 28) if at.month == 2 else at.day)


def _hdd_gap(
    temps: Mapping[date, float],
    history: list[date],
    first: date,
    end: date,
    config: ForecastConfig,
) -> float | None:
    """Period heating degree days minus those of an average period (from ``history``)."""
    known = [heating_dd(temps[d], config.heating_base_c) for d in history if d in temps]
    days = [first + timedelta(days=k) for k in range((end - first).days)]
    now = [heating_dd(temps[d], config.heating_base_c) for d in days if d in temps]
    if not known or not now:
        return None
    return (sum(now) / len(now) - sum(known) / len(known)) * len(days)


def efficiency_ratios(
    totals: Mapping[str, float], sizes: Mapping[str, float] | None = None
) -> dict[str, float | None]:
    """Each meter's consumption (per size, e.g. floor area) over the group mean of the same."""
    per_size = {m: v / (sizes[m] if sizes else 1.0) for m, v in totals.items()}
    mean = sum(per_size.values()) / len(per_size) if per_size else 0.0
    return {m: (v / mean if mean > 0 else None) for m, v in per_size.items()}


def backtest_mape(
    hourly: Mapping[int, float],
    tz: ZoneInfo,
    day_of_period: int,
    *,
    billing_day: int = 1,
    temps: Mapping[date, float] | None = None,
    config: ForecastConfig = DEFAULT_CONFIG,
    periods: int = 12,
) -> float | None:
    """MAPE (%) of the period-end forecast made ``day_of_period`` days into past periods.

    Each forecast sees only data (and temperatures) before its origin, so future days use the
    persistence temperature: the error a resident would have seen.
    """
    daily = daily_totals(hourly, tz)
    if not daily:
        return None
    errors: list[float] = []
    start, _ = billing_period(local_midnight(max(daily), tz), billing_day, tz)
    for _ in range(periods):
        start, end = billing_period(start - timedelta(days=1), billing_day, tz)
        if not _covered(daily, start.date(), end.date()):
            break
        actual = _sum_hours(hourly, start, end)
        origin = local_midnight(start.date() + timedelta(days=day_of_period), tz)
        past = {d: t for d, t in temps.items() if d < origin.date()} if temps else None
        cut = {h: v for h, v in hourly.items() if h < utc_hour(origin)}
        report = period_report(cut, origin, tz, billing_day=billing_day, temps=past, config=config)
        if report.forecast is not None and actual > 0:
            errors.append(abs(report.forecast - actual) / actual * 100.0)
    return sum(errors) / len(errors) if errors else None
