"""The live ledger agrees with the batch bill; price intervals and cheap windows ahead."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from custom_components.balance.tariffs import (
    Blocks,
    Capacity,
    Ledger,
    PricePoint,
    PriceSeries,
    SpotFormula,
    Tariff,
    TariffError,
    TariffErrorCode,
    Usage,
    bill_to_date,
    cheap_windows,
    day_night,
    forecast_bill,
    horizon_end,
    parse_schedule,
    parse_zone_prices,
    price_intervals,
)
from custom_components.balance.tariffs.model import TimeOfUse

BUC = ZoneInfo("Europe/Bucharest")


def _tariff(**kw: object) -> Tariff:
    return Tariff(
        BUC,
        tou=day_night(0.8, 0.4, night_start=time(22, 30)),
        fees_per_kwh=0.05,
        standing_per_day=0.2,
        standing_per_month=3.0,
        vat_pct=19,
        capacity=Capacity(2.0, 1.5),
        billing_day=15,
        **kw,  # type: ignore[arg-type]
    )


def _readings(start: datetime, n: int, seed: int = 1) -> list[Usage]:
    """Irregular meter deltas (10 s .. 20 min apart), as a sensor delivers them."""
    rnd = random.Random(seed)
    out, t = [], start
    for _ in range(n):
        dt = timedelta(seconds=rnd.randint(10, 1200))
        out.append(Usage(t, t + dt, rnd.uniform(0, 4) * dt.total_seconds() / 3600))
        t += dt
    return out


def _dynamic_tariff() -> Tariff:
    t = datetime(2026, 11, 14, 22, tzinfo=UTC)
    quarter = timedelta(minutes=15)
    series = PriceSeries.build(
        [
            PricePoint(t + quarter * k, t + quarter * (k + 1), 0.05 + (k % 7) / 50)
            for k in range(960)
        ]
    )
    return Tariff(BUC, dynamic=series, formula=SpotFormula(1.1, 0.02), vat_pct=5, billing_day=15)


@pytest.mark.parametrize(
    "make",
    [
        _tariff,
        lambda: Tariff(BUC, blocks=Blocks(((30.0, 0.5), (None, 1.0))), billing_day=15),
        _dynamic_tariff,
    ],
    ids=["day_night_capacity", "blocks", "dynamic_quarters"],
)
def test_ledger_matches_the_batch_bill_and_forecast(make: Callable[[], Tariff]) -> None:
    tariff = make()
    start = datetime(2026, 11, 15, tzinfo=BUC)
    usage = _readings(start, 600)
    ledger = Ledger()
    for use in usage:
        ledger.add(tariff, use)
    now = usage[-1].end
    batch = bill_to_date(tariff, usage, now)
    live = ledger.bill(tariff, now)
    assert live.total == pytest.approx(batch.total)
    assert live.capacity_penalty == pytest.approx(batch.capacity_penalty)
    assert live.capacity_penalty > 0 or tariff.capacity is None
    assert live.by_zone_kwh == pytest.approx(batch.by_zone_kwh)
    assert ledger.forecast(tariff, now).total == pytest.approx(
        forecast_bill(tariff, usage, now).total
    )
    restored = Ledger.from_dict(ledger.to_dict())
    assert restored.bill(tariff, now) == live


def test_ledger_today_and_a_new_billing_period() -> None:
    tariff = _tariff()
    ledger = Ledger()
    day = datetime(2026, 12, 14, 23, tzinfo=BUC)  # one hour before the new period
    ledger.add(tariff, Usage(day, day + timedelta(hours=2), 2.0))  # 1 kWh each side
    midnight = datetime(2026, 12, 15, tzinfo=BUC)
    assert ledger.period_start == midnight
    assert ledger.kwh == pytest.approx(1.0)
    assert ledger.today_cost(tariff, midnight + timedelta(hours=1)) == pytest.approx(
        (0.4 + 0.05) * 1.19
    )
    assert ledger.today_cost(tariff, midnight + timedelta(days=1)) == 0.0
    assert ledger.this_hour_kwh(midnight + timedelta(minutes=30)) == pytest.approx(1.0)


def test_ledger_blocks_count_from_the_periods_energy() -> None:
    tariff = Tariff(BUC, blocks=Blocks(((100.0, 0.5), (None, 1.0))))
    ledger = Ledger()
    t = datetime(2026, 12, 2, tzinfo=BUC)
    for k in range(3):
        ledger.add(tariff, Usage(t + timedelta(hours=k), t + timedelta(hours=k + 1), 60.0))
    assert ledger.energy == pytest.approx(100 * 0.5 + 80 * 1.0)


def test_dynamic_gaps_are_unpriced_not_lost() -> None:
    t = datetime(2026, 12, 2, tzinfo=UTC)
    series = PriceSeries.build([PricePoint(t, t + timedelta(hours=1), 0.3)])
    tariff = Tariff(BUC, dynamic=series)
    ledger = Ledger()
    ledger.add(tariff, Usage(t, t + timedelta(hours=2), 2.0))
    assert ledger.kwh == pytest.approx(2.0)
    assert ledger.unpriced_kwh == pytest.approx(1.0)
    assert ledger.energy == pytest.approx(0.3)


def test_tou_intervals_on_the_autumn_dst_day() -> None:
    tariff = Tariff(BUC, tou=day_night(0.8, 0.4), fees_per_kwh=0.1, vat_pct=10)
    now = datetime(2026, 10, 24, 12, tzinfo=BUC)  # Saturday; Sunday has 25 hours
    end = horizon_end(now, tariff)
    assert end == datetime(2026, 10, 26, tzinfo=BUC)
    intervals = price_intervals(tariff, now, end)
    assert intervals[0][0] == now and intervals[-1][1] == end
    assert all(a[1] == b[0] for a, b in itertools.pairwise(intervals))
    assert sum((b - a for a, b, _ in intervals), timedelta()) == timedelta(hours=12 + 25)
    night = next(i for i in intervals if i[2] == pytest.approx((0.4 + 0.1) * 1.1))
    assert night[1] - night[0] == timedelta(hours=10)  # 22:00 -> 07:00 across the extra hour
    windows = cheap_windows(tariff, now, end)
    assert windows == [
        (
            datetime(2026, 10, 24, 22, tzinfo=BUC).astimezone(UTC),
            datetime(2026, 10, 25, 7, tzinfo=BUC),
        ),
        (datetime(2026, 10, 25, 22, tzinfo=BUC).astimezone(UTC), end),
    ]


def test_three_zone_cheap_windows_are_the_cheapest_zone() -> None:
    tou = TimeOfUse(
        parse_zone_prices("peak=1; mid=0.6; low=0.3"),
        parse_schedule(
            "* 00:00-06:00 low; * 06:00-17:00 mid; * 17:00-21:00 peak; * 21:00-24:00 mid"
        ),
    )
    tariff = Tariff(BUC, tou=tou)
    now = datetime(2026, 12, 2, 5, tzinfo=BUC)
    windows = cheap_windows(tariff, now, horizon_end(now, tariff))
    assert [(a.astimezone(BUC).hour, b.astimezone(BUC).hour) for a, b in windows] == [
        (5, 6),
        (0, 6),
    ]  # today from now, tomorrow; the horizon ends at midnight after tomorrow


def test_dynamic_intervals_apply_formula_fees_vat_and_quartile_windows() -> None:
    t = datetime(2026, 12, 2, 10, tzinfo=UTC)
    spots = [0.10, 0.20, 0.05, 0.06, 0.30, 0.40, 0.07, 0.50]
    step = timedelta(minutes=15)
    series = PriceSeries.build(
        [PricePoint(t + step * k, t + step * (k + 1), p) for k, p in enumerate(spots)]
    )
    tariff = Tariff(
        BUC, dynamic=series, formula=SpotFormula(1.1, 0.02), fees_per_kwh=0.03, vat_pct=20
    )
    now = t + timedelta(minutes=20)
    intervals = price_intervals(tariff, now, horizon_end(now, tariff))
    assert intervals[0][0] == t + step  # the interval holding now
    assert intervals[0][2] == pytest.approx((0.20 * 1.1 + 0.02 + 0.03) * 1.2)
    assert len(intervals) == 7
    assert cheap_windows(tariff, now, horizon_end(now, tariff)) == [(t + 2 * step, t + 4 * step)]


def test_a_dynamic_tariff_before_its_first_prices() -> None:
    tariff = Tariff(BUC, dynamic=PriceSeries(()))
    now = datetime(2026, 12, 2, 10, tzinfo=UTC)
    assert tariff.unit_price(now) is None
    assert price_intervals(tariff, now, horizon_end(now, tariff)) == []
    assert cheap_windows(tariff, now, horizon_end(now, tariff)) == []
    with pytest.raises(TariffError) as err:
        tariff.slot_prices(now, timedelta(minutes=15), 4)
    assert err.value.code is TariffErrorCode.FORECAST_EMPTY
