"""Cost statistics for the hub's backfilled ``balance:`` energy statistic, on the real recorder.

The energy statistic is written by the integration's own backfill from an hourly archive (as
the hub delivers it); the Energy dashboard uses it as grid consumption; the pricing entry then
writes ``balance:..._energy_cost`` hour by hour, also for hours backfilled later.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.energy.data import async_get_manager
from homeassistant.components.recorder.statistics import get_metadata, statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (  # type: ignore[import-untyped]
    async_wait_recording_done,
)

from custom_components.balance.backfill import ChannelSpec, async_backfill, statistic_id
from custom_components.balance.hub.messages import ArchiveRecords, ArchiveValue, Medium
from custom_components.balance.pricing.statistics import meter_statistic_id

from .conftest import DAY_NIGHT, ENERGY_ATTRS, METER, setup_pricing

pytestmark = pytest.mark.usefixtures("romania")

BUC = ZoneInfo("Europe/Bucharest")
HUB = "bh_test"
MAINS = ChannelSpec(0, 1, Medium.ELECTRICITY, 1000.0, "Mains")
ENERGY_ID = statistic_id(HUB, MAINS)
COST_ID = f"{ENERGY_ID}_cost"
FIRST = datetime(2026, 11, 30, 18, tzinfo=UTC)  # 20:00 local: two day hours, then night
HOUR = timedelta(hours=1)
TARIFF = {k: v for k, v in DAY_NIGHT.items() if k not in ("contract_kw", "capacity_penalty")}


def _kwh(k: int) -> float:
    return float(k % 3 + 1)


def _archive(hours: int, first: datetime = FIRST) -> list[ArchiveRecords]:
    """Counts at each hour boundary from FIRST: hour k uses (k % 3 + 1) kWh."""
    counts, total = [], 5000
    for k in range(hours + 1):
        counts.append(ArchiveValue(total))
        total += int(_kwh(k) * 1000)
    start = int(first.timestamp())
    return [ArchiveRecords(1, 0, 1, start, 1, tuple(counts))]


async def _backfill(
    hass: HomeAssistant, hours: int, now: datetime, first: datetime = FIRST
) -> None:
    async def fetch(node: int, channel: int, start: int, end: int) -> list[ArchiveRecords]:
        return _archive(hours, first)

    await async_backfill(hass, HUB, [MAINS], fetch, now, lookback=timedelta(days=2))
    await async_wait_recording_done(hass)


async def _cost_rows(hass: HomeAssistant) -> list[dict[str, Any]]:
    await hass.async_block_till_done(wait_background_tasks=True)  # the cost run is one
    await async_wait_recording_done(hass)
    stats = await hass.async_add_executor_job(
        lambda: statistics_during_period(hass, FIRST - HOUR, None, {COST_ID}, "hour", None, {"sum"})
    )
    return [dict(row) for row in stats.get(COST_ID, [])]


def _expected(hours: int) -> list[float]:
    """Cost sum of each row: the baseline row (0), then one row per consumed hour."""
    sums, total = [0.0], 0.0
    for k in range(hours):
        start = (FIRST + HOUR * k).astimezone(BUC)  # the row of hour k starts here
        price = 0.40 if start.hour >= 22 or start.hour < 7 else 0.80
        total += _kwh(k) * (price + 0.05) * 1.19
        sums.append(total)
    return sums


async def test_cost_statistic_follows_the_backfilled_energy_statistic(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    now = datetime(2026, 12, 1, 6, 3, tzinfo=UTC)
    freezer.move_to(now)
    await _backfill(hass, 12, now)  # HA was off: 12 hours arrive at once
    await _use_in_energy_dashboard(hass)
    hass.states.async_set(METER, "10", ENERGY_ATTRS)
    await setup_pricing(hass, TARIFF)
    rows = await _cost_rows(hass)
    assert [row["sum"] for row in rows] == pytest.approx(_expected(12))
    meta = await hass.async_add_executor_job(lambda: get_metadata(hass, statistic_ids={COST_ID}))
    assert meta[COST_ID][1]["source"] == "balance"
    assert meta[COST_ID][1]["name"] == "Mains cost"  # named after the energy statistic
    assert meta[COST_ID][1]["has_sum"] is True

    # three more hours, imported by the hub's next backfill; costed at minute 7
    later = now + 3 * HOUR
    freezer.move_to(later)
    await _backfill(hass, 15, later)
    freezer.move_to(later.replace(minute=7))
    async_fire_time_changed(hass)
    rows = await _cost_rows(hass)
    assert [row["sum"] for row in rows] == pytest.approx(_expected(15))


async def _use_in_energy_dashboard(hass: HomeAssistant) -> None:
    manager = await async_get_manager(hass)
    await manager.async_update(
        {
            "energy_sources": [
                {
                    "type": "grid",
                    "flow_from": [
                        {
                            "stat_energy_from": ENERGY_ID,
                            "stat_cost": COST_ID,
                            "entity_energy_price": None,
                            "number_energy_price": None,
                        }
                    ],
                    "flow_to": [],
                    "cost_adjustment_day": 0.0,
                }
            ]
        }
    )


async def test_balance_meter_sensor_maps_to_its_statistic(hass: HomeAssistant) -> None:
    entry = er.async_get(hass).async_get_or_create(
        "sensor", "balance", f"{HUB}-0-1-energy", suggested_object_id="mains_energy"
    )
    assert meter_statistic_id(hass, entry.entity_id) == ENERGY_ID
    other = er.async_get(hass).async_get_or_create("sensor", "balance", f"{HUB}-0-1-power")
    assert meter_statistic_id(hass, other.entity_id) is None
    assert meter_statistic_id(hass, METER) is None


async def test_dynamic_cost_uses_the_prices_of_each_hour_and_skips_unknown_ones(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Hours backfilled after the fact are priced at the spot price they were used at."""
    midnight = datetime(2026, 12, 1, tzinfo=BUC)
    first = midnight.astimezone(UTC) - 2 * HOUR  # two hours of yesterday: no price known
    now = datetime(2026, 12, 1, 6, 3, tzinfo=UTC)
    freezer.move_to(now)
    await _backfill(hass, 8, now, first)
    spots = [0.10 + 0.01 * k for k in range(24)]
    rows = [
        {"time": (midnight + HOUR * k).isoformat(sep=" "), "price": price}
        for k, price in enumerate(spots)
    ]
    hass.states.async_set("sensor.entsoe_price", "0.1", {"prices": rows})
    hass.states.async_set(METER, "10", ENERGY_ATTRS)
    # the entry costs the hub's own meter sensor: its statistic, without the Energy dashboard
    meter = er.async_get(hass).async_get_or_create(
        "sensor", "balance", f"{HUB}-0-1-energy", suggested_object_id="mains_energy"
    )
    hass.states.async_set(meter.entity_id, "10", ENERGY_ATTRS)
    options = {
        "tariff_type": "dynamic",
        "energy_entity": meter.entity_id,
        "price_entity": "sensor.entsoe_price",
        "price_scale": 1.0,
        "spot_multiplier": 1.0,
        "spot_markup": 0.0,
        "vat_pct": 10.0,
        "billing_day": 1,
    }
    await setup_pricing(hass, options)
    sums = [row["sum"] for row in await _cost_rows(hass)]
    expected, total = [0.0], 0.0
    for k in range(8):  # hour k from `first`; the first two are yesterday's (unpriced)
        if k >= 2:
            total += _kwh(k) * spots[k - 2] * 1.1
        expected.append(total)
    assert sums == pytest.approx(expected)
