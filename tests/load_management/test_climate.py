"""Soft shed of a real climate entity (HA's demo heat pump) and of a power-limit number."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.balance.const import DOMAIN
from custom_components.balance.load_management.const import KIND_LOAD_MANAGEMENT

from .conftest import HOUSE, POWER_ATTRS, advance

DEMO_PLATFORMS = "homeassistant.components.demo.COMPONENTS_WITH_CONFIG_ENTRY_DEMO_PLATFORM"
HEAT_PUMP = "climate.heatpump"  # demo: heating, 20 °C setpoint


def _subentry(kind: str, title: str, data: dict[str, Any]) -> ConfigSubentryDataWithId:
    return ConfigSubentryDataWithId(
        data=data, subentry_id=f"load_{kind}", subentry_type=kind, title=title, unique_id=None
    )


async def _setup(hass: HomeAssistant, subentry: ConfigSubentryDataWithId) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        entry_id="load_management",
        title="Load management",
        data={"kind": KIND_LOAD_MANAGEMENT},
        options={"power_entity": HOUSE, "limit_w": 5000, "reaction_s": 10, "sensor_timeout_s": 60},
        subentries_data=[subentry],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_climate_set_back_before_off(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory
) -> None:
    """Over the limit the heat pump's setpoint goes 20 -> 18 °C (not off), and back later."""
    assert await async_setup_component(hass, "homeassistant", {})
    with patch(DEMO_PLATFORMS, [Platform.CLIMATE]):
        assert await async_setup_component(hass, "demo", {})
    await hass.async_block_till_done()
    base = {"w": 4200.0}

    def target() -> float:
        return float(hass.states.get(HEAT_PUMP).attributes["temperature"])

    @callback
    def publish(*_: Any) -> None:
        climate = hass.states.get(HEAT_PUMP)
        heat = 0.0 if climate.state == "off" else (1500.0 if target() >= 20 else 600.0)
        hass.states.async_set(HOUSE, str(base["w"] + heat), POWER_ATTRS)

    async_track_state_change_event(hass, [HEAT_PUMP], publish)
    publish()
    assert target() == 20
    data = {
        "climate_entity": HEAT_PUMP,
        "max_w": 1500,
        "min_w": 600,
        "setback_k": 2,
        "comfort_min_c": 18,
        "comfort_max_c": 28,
        "priority": "yellow",
        "max_off_min": 15,
        "min_on_min": 1,
    }
    await _setup(hass, _subentry("climate_load", "Heat pump", data))
    await advance(hass, freeze, 20)
    assert hass.states.get(HEAT_PUMP).state == "heat"  # soft shed: still heating
    assert target() == 18
    assert hass.states.get("sensor.heat_pump_state").state == "reduced"

    base["w"] = 2000.0
    publish()
    await advance(hass, freeze, 400, step=5)
    assert target() == 20  # the resident's setpoint is back
    assert hass.states.get("sensor.heat_pump_state").state == "on"


async def test_power_limit_lowered(hass: HomeAssistant, freeze: FrozenDateTimeFactory) -> None:
    """A heater's power-limit number (W) is lowered to what fits before it is shed."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(
        hass,
        "input_number",
        {"input_number": {"heater": {"min": 0, "max": 3000, "step": 100, "initial": 3000}}},
    )
    assert await async_setup_component(
        hass,
        "template",
        {
            "template": [
                {
                    "number": [
                        {
                            "name": "Heater limit",
                            "state": "{{ states('input_number.heater') | float(0) }}",
                            "set_value": {
                                "action": "input_number.set_value",
                                "target": {"entity_id": "input_number.heater"},
                                "data": {"value": "{{ value }}"},
                            },
                            "min": 0,
                            "max": 3000,
                            "step": 100,
                            "unit_of_measurement": "W",
                        }
                    ]
                }
            ]
        },
    )
    await hass.async_block_till_done()

    @callback
    def publish(*_: Any) -> None:
        heater = float(hass.states.get("number.heater_limit").state)
        hass.states.async_set(HOUSE, str(3500 + heater), POWER_ATTRS)

    async_track_state_change_event(hass, ["number.heater_limit"], publish)
    publish()
    data = {
        "setpoint_entity": "number.heater_limit",
        "setpoint_unit": "W",
        "min_w": 500,
        "max_w": 3000,
        "priority": "yellow",
        "max_off_min": 15,
        "min_on_min": 1,
    }
    await _setup(hass, _subentry("power_limit", "Heater", data))
    await advance(hass, freeze, 20)
    limit = float(hass.states.get("number.heater_limit").state)
    assert 500 <= limit <= 1500
    assert 3500 + limit <= 5000
    assert hass.states.get("sensor.heater_state").state == "reduced"


async def test_setback_survives_a_reload(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory
) -> None:
    """The resident's setpoint is persisted while set back, and put back after a reload."""
    assert await async_setup_component(hass, "homeassistant", {})
    with patch(DEMO_PLATFORMS, [Platform.CLIMATE]):
        assert await async_setup_component(hass, "demo", {})
    await hass.async_block_till_done()
    base = {"w": 4200.0}

    def target() -> float:
        return float(hass.states.get(HEAT_PUMP).attributes["temperature"])

    @callback
    def publish(*_: Any) -> None:
        heat = 1500.0 if target() >= 20 else 600.0
        hass.states.async_set(HOUSE, str(base["w"] + heat), POWER_ATTRS)

    async_track_state_change_event(hass, [HEAT_PUMP], publish)
    publish()
    data = {
        "climate_entity": HEAT_PUMP,
        "max_w": 1500,
        "min_w": 600,
        "priority": "yellow",
        "max_off_min": 15,
        "min_on_min": 1,
    }
    entry = await _setup(hass, _subentry("climate_load", "Heat pump", data))
    await advance(hass, freeze, 20)
    assert target() == 18
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    base["w"] = 2000.0
    publish()
    await advance(hass, freeze, 400, step=5)
    assert target() == 20
