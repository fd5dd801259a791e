"""Tariff model: zones and calendars, blocks, capacity, standing charges, VAT, billing periods."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from custom_components.balance.tariffs import (
    Blocks,
    Capacity,
    DayKind,
    PricePoint,
    PriceSeries,
    SpotFormula,
    Tariff,
    TariffError,
    TariffErrorCode,
    TimeOfUse,
    Usage,
    ZoneSpan,
    bill_to_date,
    billing_period,
    cost,
    day_kind,
    day_night,
    forecast_bill,
    holiday_checker,
)

BUC = ZoneInfo("Europe/Bucharest")


def _local(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=BUC)


def _hourly(start: datetime, kwh: list[float]) -> list[Usage]:
    return [
        Usage(start + timedelta(hours=k), start + timedelta(hours=k + 1), e)
        for k, e in enumerate(kwh)
    ]


def three_zone() -> TimeOfUse:
    week = (
        ZoneSpan("offpeak", time(23), time(7)),
        ZoneSpan("peak", time(7), time(11)),
        ZoneSpan("shoulder", time(11), time(17)),
        ZoneSpan("peak", time(17), time(21)),
        ZoneSpan("shoulder", time(21), time(23)),
    )
    weekend = (ZoneSpan("offpeak", time(0), time(0)),)
    return TimeOfUse(
        {"peak": 0.40, "shoulder": 0.25, "offpeak": 0.10},
        {DayKind.WORKDAY: week, DayKind.WEEKEND: weekend},
    )


def test_day_night_zones_wrap_past_midnight() -> None:
    tariff = Tariff(BUC, tou=day_night(0.8, 0.4))
    assert tariff.zone_at(_local(2026, 3, 3, 21, 59)) == "day"
    assert tariff.zone_at(_local(2026, 3, 3, 22, 0)) == "night"
    assert tariff.zone_at(_local(2026, 3, 4, 6, 59)) == "night"
    assert tariff.zone_at(_local(2026, 3, 4, 7, 0)) == "day"


def test_weekend_night_and_holiday_fallback() -> None:
    tou = day_night(0.8, 0.4, weekend_night=True)
    tariff = Tariff(BUC, tou=tou, is_holiday=lambda d: d == date(2026, 12, 1))
    assert tariff.zone_at(_local(2026, 11, 28, 12)) == "night"  # Saturday
    assert tariff.zone_at(_local(2026, 12, 1, 12)) == "night"  # holiday (Tuesday)
    assert tariff.zone_at(_local(2026, 12, 2, 12)) == "day"
    plain = Tariff(BUC, tou=three_zone(), is_holiday=lambda d: d == date(2026, 12, 1))
    assert plain.zone_at(_local(2026, 12, 1, 8)) == "offpeak"  # holiday follows the weekend


def test_three_zone_tou_prices_a_day_and_counts_energy_per_zone() -> None:
    tariff = Tariff(BUC, tou=three_zone(), fees_per_kwh=0.05, vat_pct=19)
    bill = cost(tariff, _hourly(_local(2026, 3, 3), [1.0] * 24))  # Tuesday
    assert bill.by_zone_kwh == pytest.approx({"offpeak": 8, "peak": 8, "shoulder": 8})
    energy = 8 * 0.10 + 8 * 0.40 + 8 * 0.25
    assert bill.energy == pytest.approx(energy)
    assert bill.fees == pytest.approx(24 * 0.05)
    assert bill.total == pytest.approx((energy + 1.2) * 1.19)


def test_usage_across_a_zone_boundary_is_split_by_time() -> None:
    tariff = Tariff(BUC, tou=day_night(1.0, 0.0, night_start=time(22, 30)))
    bill = cost(tariff, [Usage(_local(2026, 3, 3, 22), _local(2026, 3, 3, 23), 2.0)])
    assert bill.energy == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("spans", "code"),
    [
        ((ZoneSpan("a", time(0), time(12)), ZoneSpan("b", time(11), time(0))), "zones_overlap"),
        ((ZoneSpan("a", time(0), time(12)), ZoneSpan("b", time(13), time(0))), "zones_gap"),
        ((ZoneSpan("a", time(1), time(12)),), "zones_gap"),
        ((ZoneSpan("c", time(0), time(0)),), "unknown_zone"),
        ((ZoneSpan("a", time(0, 0, 5), time(0)),), "bad_time"),
        ((), "zones_gap"),
    ],
)
def test_bad_schedules_have_codes(spans: tuple[ZoneSpan, ...], code: str) -> None:
    with pytest.raises(TariffError) as err:
        TimeOfUse({"a": 1.0, "b": 2.0}, {DayKind.WORKDAY: spans})
    assert err.value.code == code


def test_progressive_blocks_follow_the_periods_consumption() -> None:
    blocks = Blocks(((100.0, 0.5), (300.0, 0.8), (None, 1.2)))
    assert blocks.split(90, 20) == [(10, 0.5), (10, 0.8)]
    tariff = Tariff(BUC, blocks=blocks)
    bill = cost(tariff, _hourly(_local(2026, 3, 3), [50.0] * 8))  # 400 kWh
    assert bill.energy == pytest.approx(100 * 0.5 + 200 * 0.8 + 100 * 1.2)
    assert cost(tariff, _hourly(_local(2026, 3, 3), [10.0]), used_before_kwh=95).energy == (
        pytest.approx(5 * 0.5 + 5 * 0.8)
    )
    assert tariff.unit_price(_local(2026, 3, 3)) == 0.5
    with pytest.raises(TariffError, match="blocks_order"):
        Blocks(((100.0, 0.5), (50.0, 0.8), (None, 1.0)))
    with pytest.raises(TariffError, match="blocks_order"):
        Blocks(((100.0, 0.5),))


def test_contracted_capacity_penalises_energy_above_the_contract_per_hour() -> None:
    tariff = Tariff(BUC, tou=day_night(0.2, 0.2), capacity=Capacity(contract_kw=5.0, penalty=1.5))
    usage = [
        Usage(_local(2026, 3, 3, 18), _local(2026, 3, 3, 18, 30), 4.0),
        Usage(_local(2026, 3, 3, 18, 30), _local(2026, 3, 3, 19), 3.0),  # same hour: 7 kWh
        Usage(_local(2026, 3, 3, 19), _local(2026, 3, 3, 20), 4.0),
    ]
    assert cost(tariff, usage).capacity_penalty == pytest.approx(2.0 * 1.5)


def test_dynamic_price_with_formula_fees_and_vat() -> None:
    start = datetime(2026, 3, 3, 0, tzinfo=UTC)
    series = PriceSeries.build(
        [
            PricePoint(start + timedelta(hours=k), start + timedelta(hours=k + 1), 0.1 * k)
            for k in range(3)
        ]
    )
    tariff = Tariff(
        BUC, dynamic=series, formula=SpotFormula(1.1, 0.02), fees_per_kwh=0.03, vat_pct=10
    )
    assert tariff.unit_price(start + timedelta(hours=1)) == pytest.approx(
        (0.11 + 0.02 + 0.03) * 1.1
    )
    assert tariff.unit_price(start + timedelta(hours=5)) is None
    assert tariff.zone_at(start) is None
    slots = tariff.slot_prices(start, timedelta(minutes=30), 2)
    assert slots == pytest.approx([0.05 * 1.1] * 2)
    with pytest.raises(TariffError, match="forecast_gap"):
        cost(tariff, [Usage(start, start + timedelta(hours=4), 4.0)])
    assert cost(tariff, _hourly(start, [1.0, 1.0])).energy == pytest.approx(0.02 + 0.13)


def test_tou_slot_prices_for_the_planner() -> None:
    tariff = Tariff(BUC, tou=day_night(0.3, 0.1))
    start = _local(2026, 3, 3, 21)
    assert tariff.slot_prices(start, timedelta(hours=1), 3) == [0.3, 0.1, 0.1]


def test_billing_period_starts_on_any_day_and_clamps_to_month_end() -> None:
    start, end = billing_period(_local(2026, 3, 10, 12), 15, BUC)
    assert (start, end) == (_local(2026, 2, 15), _local(2026, 3, 15))
    start, end = billing_period(_local(2026, 2, 28, 12), 31, BUC)
    assert (start, end) == (_local(2026, 2, 28), _local(2026, 3, 31))
    start, end = billing_period(_local(2026, 1, 5), 10, BUC)
    assert (start, end) == (_local(2025, 12, 10), _local(2026, 1, 10))
    start, end = billing_period(_local(2026, 12, 20), 10, BUC)
    assert end == _local(2027, 1, 10)
    with pytest.raises(TariffError, match="billing_day"):
        Tariff(BUC, tou=day_night(1, 1), billing_day=0)


def test_bill_to_date_and_forecast_include_standing_charges() -> None:
    tariff = Tariff(
        BUC,
        tou=day_night(0.2, 0.2),
        standing_per_day=0.5,
        standing_per_month=10.0,
        vat_pct=20,
        billing_day=1,
    )
    now = _local(2026, 4, 11)  # 10 days into a 30-day April
    usage = _hourly(_local(2026, 4, 1), [1.0] * 240) + _hourly(_local(2026, 3, 31), [5.0])
    bill = bill_to_date(tariff, usage, now)
    assert bill.kwh == pytest.approx(240)
    assert bill.standing == pytest.approx(11 * 0.5 + 10.0 / 3)  # started days, month pro rata
    assert bill.total == pytest.approx((240 * 0.2 + bill.standing) * 1.2)
    forecast = forecast_bill(tariff, usage, now)
    assert forecast.kwh == pytest.approx(720)
    assert forecast.standing == pytest.approx(30 * 0.5 + 10.0)
    assert forecast.total == pytest.approx((720 * 0.2 + 25.0) * 1.2)


def test_bad_tariffs_are_rejected() -> None:
    with pytest.raises(TariffError, match="bad_value"):
        Tariff(BUC)
    with pytest.raises(TariffError, match="bad_value"):
        Tariff(BUC, tou=day_night(1, 1), vat_pct=-1)
    with pytest.raises(TariffError, match="bad_value"):
        cost(
            Tariff(BUC, tou=day_night(1, 1)), [Usage(_local(2026, 1, 1, 1), _local(2026, 1, 1), 1)]
        )


def test_error_carries_code_and_placeholders() -> None:
    err = TariffError(TariffErrorCode.ZONES_GAP, day="workday", at="06:00")
    assert err.code is TariffErrorCode.ZONES_GAP
    assert err.placeholders == {"day": "workday", "at": "06:00"}
    assert str(err) == "zones_gap: at=06:00, day=workday"
    assert str(TariffError(TariffErrorCode.FORECAST_EMPTY)) == "forecast_empty"


def test_day_kind_order() -> None:
    assert day_kind(date(2026, 12, 5), lambda _d: False) is DayKind.WEEKEND
    assert day_kind(date(2026, 12, 7), lambda _d: True) is DayKind.HOLIDAY
    assert day_kind(date(2026, 12, 7), lambda _d: False) is DayKind.WORKDAY


def test_public_holidays_from_the_holidays_package() -> None:
    pytest.importorskip("holidays")
    check = holiday_checker("RO")
    assert check(date(2026, 12, 1))  # Romania's national day
    assert not check(date(2026, 12, 2))
    with pytest.raises(TariffError, match="holidays_unavailable"):
        holiday_checker("XX")


def test_holidays_unavailable_without_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    real = importlib.import_module

    def fake(name: str, package: str | None = None) -> object:
        if name == "holidays":
            raise ImportError(name)
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", fake)
    with pytest.raises(TariffError) as err:
        holiday_checker("RO", "B")
    assert err.value.code is TariffErrorCode.HOLIDAYS_UNAVAILABLE
    assert err.value.placeholders == {"country": "RO", "subdivision": "B"}
