"""Per-meter insight sensors from real long-term statistics, in the real HA harness."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.models import StatisticData, StatisticMetaData
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    async_import_statistics,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.json import json_dumps
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (  # type: ignore[import-untyped]
    async_wait_recording_done,
)

from custom_components.balance.const import DOMAIN
from custom_components.balance.diagnostics import async_get_config_entry_diagnostics

from .conftest import TZ, import_hourly, meter_subentry, set_meter, set_time_zone, setup_insights

NOW = datetime(2026, 3, 20, 10, 30, tzinfo=UTC)
START = datetime(2025, 1, 1, tzinfo=UTC)
HOURS = int((NOW - START).total_seconds() // 3600)  # through 10:00 UTC (the last full hour)


def outdoor(day: date) -> float:
    """Daily mean outdoor temperature: a seasonal cycle (cold in January)."""
    return 11.0 - 12.0 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / 365)


def consumption(hour: int) -> float:
    """Hourly kWh: a weekday habit plus 0.5 kWh per heating degree day."""
    at = START + timedelta(hours=hour)
    day = at.astimezone(ZoneInfo(TZ)).date()
    daily = (10.0 if day.weekday() < 5 else 14.0) + 0.5 * max(0.0, 18.0 - outdoor(day))
    return round(daily / 24.0, 4)


@pytest.fixture
async def flat(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> list[float]:
    """Fifteen months of a heated flat's statistics and the outdoor temperature's."""
    await set_time_zone(hass)
    freezer.move_to(NOW)
    values = [consumption(h) for h in range(HOURS)]
    await import_hourly(hass, "sensor.flat", START, values)
    meta = StatisticMetaData(
        has_mean=True,
        has_sum=False,
        name=None,
        source="recorder",
        statistic_id="sensor.outside",
        unit_of_measurement="°C",
    )
    tz = ZoneInfo(TZ)
    rows = []  # one row a day is the day's mean (fewer rows: a faster import)
    for hour in range(0, HOURS, 24):
        at = START + timedelta(hours=hour)
        temp = outdoor(at.astimezone(tz).date())
        rows.append(StatisticData(start=at, mean=temp, min=temp, max=temp))
    async_import_statistics(hass, meta, rows)
    await async_wait_recording_done(hass)
    set_meter(hass, "sensor.flat", 5000.0)
    hass.states.async_set(
        "sensor.outside",
        "5",
        {"unit_of_measurement": "°C", "device_class": "temperature", "state_class": "measurement"},
    )
    return values


def _local_hours(first: datetime, last: datetime) -> range:
    return range(
        int((first - START).total_seconds() // 3600), int((last - START).total_seconds() // 3600)
    )


async def test_period_figures_from_statistics(hass: HomeAssistant, flat: list[float]) -> None:
    """To date, forecast with its method/backtest/curve, average, last year, ratio, coefficient."""
    entry = await setup_insights(
        hass,
        [meter_subentry("flat", "sensor.flat", "electricity")],
        billing_day=15,
        temperature_entity="sensor.outside",
    )
    tz = ZoneInfo(TZ)
    period_start = datetime(2026, 3, 15, tzinfo=tz)
    to_date = sum(flat[h] for h in _local_hours(period_start, NOW))
    state = hass.states.get("sensor.flat_period_to_date")
    assert float(state.state) == pytest.approx(to_date, abs=1e-3)
    assert state.attributes["last_reset"] == period_start.isoformat()
    assert state.attributes["device_class"] == "energy"

    forecast = hass.states.get("sensor.flat_period_forecast")
    attrs = forecast.attributes
    assert attrs["method"] == "weekday x degree days"
    assert attrs["period_start"] == period_start.isoformat()
    assert attrs["period_end"] == datetime(2026, 4, 15, tzinfo=tz).isoformat()
    assert 0 <= attrs["backtest_mape"] < 10
    assert attrs["expected"][0]["date"] == "2026-03-20"
    assert attrs["expected"][-1] == {"date": "2026-04-14", "value": float(forecast.state)}
    last_year = sum(
        flat[h]
        for h in _local_hours(datetime(2025, 3, 15, tzinfo=tz), datetime(2025, 4, 15, tzinfo=tz))
    )
    # a flat that follows the weather: this year's period is forecast near last year's
    assert float(forecast.state) == pytest.approx(last_year, rel=0.1)
    assert float(hass.states.get("sensor.flat_same_period_last_year").state) == pytest.approx(
        last_year, abs=1e-3
    )
    average = float(hass.states.get("sensor.flat_own_average").state)
    ratio = float(hass.states.get("sensor.flat_consumption_ratio").state)
    assert ratio == pytest.approx(float(forecast.state) / average * 100, abs=0.2)
    coefficient = hass.states.get("sensor.flat_temperature_coefficient")
    assert float(coefficient.state) == pytest.approx(0.5, abs=0.1)
    assert coefficient.attributes["unit_of_measurement"] == "kWh/K·d"
    assert hass.states.get("sensor.flat_efficiency_ratio") is None  # in no group

    diagnostics = json.loads(json_dumps(await async_get_config_entry_diagnostics(hass, entry)))
    assert diagnostics["settings"]["billing_day"] == 15
    assert diagnostics["meters"]["flat"]["report"]["method"] == "weekday x degree days"


async def test_live_consumption_and_late_statistics(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """The period to date follows the meter live; the hourly refresh takes its statistics."""
    await set_time_zone(hass)
    freezer.move_to(NOW)
    await import_hourly(hass, "sensor.flat", NOW - timedelta(days=30, minutes=30), [0.5] * 720)
    set_meter(hass, "sensor.flat", 5000.0)
    await setup_insights(hass, [meter_subentry("flat", "sensor.flat", "electricity")])
    before = float(hass.states.get("sensor.flat_period_to_date").state)
    set_meter(hass, "sensor.flat", 5002.5)
    freezer.tick(timedelta(minutes=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert float(hass.states.get("sensor.flat_period_to_date").state) == pytest.approx(before + 2.5)
    # the recorder compiles the hour 10:00-11:00 (the live 2.5 kWh are in it) and the next hour
    await import_hourly(hass, "sensor.flat", NOW.replace(minute=0), [3.0], base_sum=360.0)
    freezer.move_to(datetime(2026, 3, 20, 11, 5, tzinfo=UTC))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert float(hass.states.get("sensor.flat_period_to_date").state) == pytest.approx(
        before + 3.0, abs=1e-3
    )


async def test_balance_channel_reads_its_backfilled_statistic(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A BALANCE channel's meter: the complete ``balance:`` statistic, not the sensor's holes."""
    await set_time_zone(hass)
    freezer.move_to(NOW)
    entity_id = "sensor.balance_hub_bh_test_energy_1"
    er.async_get(hass).async_get_or_create(
        "sensor", DOMAIN, "bh_test-0-1-energy", suggested_object_id="balance_hub_bh_test_energy_1"
    )
    start = NOW.replace(minute=0) - timedelta(days=30)
    # HA was off: the sensor's own statistics only have the last 5 days
    await import_hourly(hass, entity_id, NOW.replace(minute=0) - timedelta(days=5), [0.5] * 120)
    meta = StatisticMetaData(
        has_mean=False,
        has_sum=True,
        name="Mains",
        source=DOMAIN,
        statistic_id="balance:bh_test_0_1_energy",
        unit_of_measurement="kWh",
    )
    async_add_external_statistics(
        hass,
        meta,
        [
            StatisticData(start=start + timedelta(hours=h), state=0.5 * h, sum=0.5 * h)
            for h in range(1, 721)
        ],
    )
    await async_wait_recording_done(hass)
    set_meter(hass, entity_id, 5000.0)
    await setup_insights(hass, [meter_subentry("mains", entity_id, "electricity")])
    # 1 to 20 March 10:00 UTC, local: 19 days x 12 kWh + 12 h x 0.5 kWh
    assert float(hass.states.get("sensor.mains_period_to_date").state) == pytest.approx(234.0)
