"""Entities of a day/night pricing entry driven by a real energy sensor and a frozen clock."""

from __future__ import annotations

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.energy.data import async_get_manager
from homeassistant.components.energy.validate import async_validate
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

from .conftest import DAY_NIGHT, ENERGY_ATTRS, METER, advance, setup_pricing

pytestmark = pytest.mark.usefixtures("romania")

VAT = 1.19


async def test_day_night_entities(hass: HomeAssistant, freeze: FrozenDateTimeFactory) -> None:
    hass.states.async_set(METER, "100.0", ENERGY_ATTRS)
    entry = await setup_pricing(hass, DAY_NIGHT)
    assert entry.state is ConfigEntryState.LOADED
    price = hass.states.get("sensor.home_tariff_current_price")
    assert price is not None
    assert price.attributes["unit_of_measurement"] == "RON/kWh"
    assert float(price.state) == pytest.approx((0.80 + 0.05) * VAT)
    zone = hass.states.get("sensor.home_tariff_current_tariff_zone")
    assert zone is not None and zone.state == "day"
    assert zone.attributes["options"] == ["day", "night"]
    start = hass.states.get("sensor.home_tariff_next_cheap_window_start")
    end = hass.states.get("sensor.home_tariff_next_cheap_window_end")
    assert start is not None and start.state == "2026-12-01T20:00:00+00:00"  # 22:00 local
    assert end is not None and end.state == "2026-12-02T05:00:00+00:00"

    # 1.5 kWh in 30 min at the day price, then 1 kWh more within the same clock hour
    await advance(hass, freeze, 1800)
    hass.states.async_set(METER, "101.5", ENERGY_ATTRS)
    await hass.async_block_till_done()
    today = hass.states.get("sensor.home_tariff_cost_today")
    assert today is not None and float(today.state) == pytest.approx(1.5 * 0.85 * VAT, abs=0.01)
    assert today.attributes["unit_of_measurement"] == "RON"
    exceeded = hass.states.get("binary_sensor.home_tariff_contracted_capacity_exceeded")
    assert exceeded is not None and exceeded.state == "off"
    await advance(hass, freeze, 900)
    hass.states.async_set(METER, "102.5", ENERGY_ATTRS)
    await hass.async_block_till_done()
    exceeded = hass.states.get("binary_sensor.home_tariff_contracted_capacity_exceeded")
    assert exceeded is not None and exceeded.state == "on"  # 2.5 kWh in this hour > 2 kW x 1 h
    use = hass.states.get("sensor.home_tariff_contracted_capacity_used_this_hour")
    assert use is not None and float(use.state) == pytest.approx(125.0)
    day_energy = hass.states.get("sensor.home_tariff_energy_day")
    assert day_energy is not None and float(day_energy.state) == pytest.approx(2.5)

    bill = hass.states.get("sensor.home_tariff_bill_to_date")
    assert bill is not None
    energy = 2.5 * 0.80
    fees = 2.5 * 0.05
    penalty = 0.5 * 1.5
    standing = 0.20 + 3.0 * (10.75 / (31 * 24))  # day 1 started; month pro rata to 10:45
    assert float(bill.state) == pytest.approx((energy + fees + penalty + standing) * VAT, abs=0.01)
    assert bill.attributes["capacity_penalty"] == pytest.approx(penalty, abs=0.01)
    forecast = hass.states.get("sensor.home_tariff_forecast_bill")
    assert forecast is not None and float(forecast.state) > float(bill.state)

    # the night zone starts at 22:00 local: zone and price follow the clock
    await advance(hass, freeze, 11.5 * 3600, step=900)
    zone = hass.states.get("sensor.home_tariff_current_tariff_zone")
    assert zone is not None and zone.state == "night"
    price = hass.states.get("sensor.home_tariff_current_price")
    assert price is not None and float(price.state) == pytest.approx((0.40 + 0.05) * VAT)


async def test_usage_while_ha_was_off_is_counted_after_restart(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory
) -> None:
    hass.states.async_set(METER, "100.0", ENERGY_ATTRS)
    entry = await setup_pricing(hass, DAY_NIGHT)
    await advance(hass, freeze, 600)
    hass.states.async_set(METER, "100.5", ENERGY_ATTRS)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(entry.entry_id)
    freeze.tick(3600)
    hass.states.async_set(METER, "101.5", ENERGY_ATTRS)  # while the entry was not running
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    day_energy = hass.states.get("sensor.home_tariff_energy_day")
    assert day_energy is not None and float(day_energy.state) == pytest.approx(1.5)
    # a meter reset (the total drops) is a new baseline, not negative energy
    hass.states.async_set(METER, "0.2", ENERGY_ATTRS)
    await hass.async_block_till_done()
    hass.states.async_set(METER, "0.4", ENERGY_ATTRS)  # same instant: counted with the next
    await hass.async_block_till_done()
    await advance(hass, freeze, 60)
    hass.states.async_set(METER, "0.7", ENERGY_ATTRS)
    await hass.async_block_till_done()
    day_energy = hass.states.get("sensor.home_tariff_energy_day")
    assert day_energy is not None and float(day_energy.state) == pytest.approx(2.0)


async def test_current_price_is_accepted_by_the_energy_dashboard(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory
) -> None:
    """HA's own Energy validation finds nothing wrong with the price entity."""
    assert await async_setup_component(hass, "energy", {})
    hass.states.async_set(METER, "100.0", ENERGY_ATTRS)
    await setup_pricing(hass, DAY_NIGHT)
    price = "sensor.home_tariff_current_price"
    manager = await async_get_manager(hass)
    await manager.async_update(
        {
            "energy_sources": [
                {
                    "type": "grid",
                    "flow_from": [
                        {
                            "stat_energy_from": METER,
                            "stat_cost": None,
                            "entity_energy_price": price,
                            "number_energy_price": None,
                        }
                    ],
                    "flow_to": [],
                    "cost_adjustment_day": 0.0,
                }
            ]
        }
    )
    validation = await async_validate(hass)
    problems = [
        issue.type
        for source in validation.energy_sources
        for issue in source.issues.values()
        if any(entity == price for entity, _ in issue.affected_entities)
    ]
    assert problems == []
    # the check is real: a price in the wrong unit is reported
    hass.states.async_set(price, "0.5", {"unit_of_measurement": "RON/m³"})
    validation = await async_validate(hass)
    assert "entity_unexpected_unit_energy_price" in validation.energy_sources[0].issues


async def test_a_public_holiday_of_ha_country_is_priced_like_the_weekend(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory
) -> None:
    """1 December is Romania's national day (a Tuesday in 2026): night price all day."""
    hass.states.async_set(METER, "100.0", ENERGY_ATTRS)
    await setup_pricing(hass, DAY_NIGHT | {"weekend_night": True, "holidays": True})
    zone = hass.states.get("sensor.home_tariff_current_tariff_zone")
    assert zone is not None and zone.state == "night"
    end = hass.states.get("sensor.home_tariff_next_cheap_window_end")
    assert end is not None and end.state == "2026-12-02T05:00:00+00:00"  # 07:00 on Wednesday
