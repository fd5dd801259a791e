"""Config flow, options flow and the managed-load subentry flow of load management."""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.balance.const import DOMAIN

from .conftest import HOUSE, POWER_ATTRS, lm_entry, make_house, setup_lm

SETTINGS = {
    "power_entity": HOUSE,
    "limit_w": 6000,
    "reaction_s": 30,
    "sensor_timeout_s": 120,
}


async def test_user_menu_creates_load_management(hass: HomeAssistant) -> None:
    """The user step offers load management next to the hub connections."""
    hass.states.async_set(HOUSE, "1200", POWER_ATTRS)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert "load_management" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "load_management"}
    )
    assert result["step_id"] == "load_management"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        SETTINGS | {"tariff_limit_w": 4000, "tariff_start": "17:00:00", "tariff_end": "22:00:00"},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Load management"
    assert result["data"] == {"kind": "load_management"}
    assert result["options"]["tariff_limit_w"] == 4000
    entry = result["result"]
    assert entry.supported_subentry_types == {"managed_load": {"supports_reconfigure": True}}


@pytest.mark.parametrize(
    ("extra", "state", "errors"),
    [
        ({"tariff_limit_w": 4000}, "1200", {"base": "tariff_incomplete"}),
        (
            {"tariff_limit_w": 4000, "tariff_start": "17:00:00", "tariff_end": "17:00:00"},
            "1200",
            {"tariff_end": "empty_period"},
        ),
        ({}, None, {"power_entity": "not_power_sensor"}),
    ],
)
async def test_settings_errors(
    hass: HomeAssistant, extra: dict[str, Any], state: str | None, errors: dict[str, str]
) -> None:
    """Incomplete tariff periods and sensors without a power unit are refused."""
    if state is None:
        hass.states.async_set(HOUSE, "20", {"unit_of_measurement": "°C"})
    else:
        hass.states.async_set(HOUSE, state, POWER_ATTRS)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "load_management"}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], SETTINGS | extra)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors


async def test_second_entry_for_same_sensor_aborts(hass: HomeAssistant) -> None:
    """One load management per house power sensor."""
    hass.states.async_set(HOUSE, "1200", POWER_ATTRS)
    MockConfigEntry(domain=DOMAIN, data={"kind": "load_management"}, options=SETTINGS).add_to_hass(
        hass
    )
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "load_management"}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], SETTINGS)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_options_flow_applies_in_place(hass: HomeAssistant) -> None:
    """The options flow changes the limits; the manager applies them without a reload."""
    await make_house(hass)
    entry = await setup_lm(hass, lm_entry())
    manager = entry.runtime_data
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "load_management"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], SETTINGS | {"limit_w": 7000, "contract_w": 6500}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.runtime_data is manager
    assert hass.states.get("sensor.load_management_effective_limit").state == "6500"
    assert hass.states.get("sensor.load_management_limit_reason").state == "contract"


async def test_reconfigure_entry(hass: HomeAssistant) -> None:
    """Reconfiguring a load-management entry shows its own settings form."""
    await make_house(hass)
    entry = await setup_lm(hass, lm_entry())
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "load_management_reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], SETTINGS | {"limit_w": 4500}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.options["limit_w"] == 4500


async def _start_subentry(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, "managed_load"), context={"source": SOURCE_USER}
    )


async def test_add_green_load(hass: HomeAssistant) -> None:
    """A green load asks for its schedule; the entry reloads with the new load's entities."""
    await make_house(hass)
    entry = await setup_lm(hass, lm_entry())
    hass.states.async_set("switch.ev_charger", "on", {"friendly_name": "EV charger"})
    result = await _start_subentry(hass, entry)
    assert result["step_id"] == "user"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            "switch_entity": "switch.ev_charger",
            "priority": "green",
            "rated_w": 7400,
            "max_off_min": 15,
            "min_on_min": 5,
        },
    )
    assert result["step_id"] == "green"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"deadline": "07:00:00"}
    )
    assert result["errors"] == {"run_min": "run_time_required"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {"deadline": "07:00:00", "run_min": 180, "window_start": "23:00:00"},
    )
    assert result["errors"] == {"base": "window_incomplete"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            "deadline": "07:00:00",
            "run_min": 180,
            "window_start": "23:00:00",
            "window_end": "06:00:00",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "EV charger"
    await hass.async_block_till_done()
    assert hass.states.get("sensor.ev_charger_state") is not None
    assert hass.states.get("select.ev_charger_priority").state == "green"


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            {"switch_entity": "switch.boiler", "priority": "yellow", "rated_w": 900},
            {"switch_entity": "already_managed"},
        ),
        ({"switch_entity": "switch.kettle", "priority": "yellow"}, {"base": "power_required"}),
    ],
)
async def test_subentry_errors(
    hass: HomeAssistant, data: dict[str, Any], errors: dict[str, str]
) -> None:
    """A switch is managed once, and the load's power must be known."""
    await make_house(hass)
    entry = await setup_lm(hass, lm_entry())
    result = await _start_subentry(hass, entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], data | {"max_off_min": 10, "min_on_min": 1}
    )
    assert result["errors"] == errors


async def test_reconfigure_load_and_priority_select(hass: HomeAssistant) -> None:
    """A load's settings change through its subentry, its select and its number."""
    await make_house(hass)
    entry = await setup_lm(hass, lm_entry())
    boiler = next(s for s in entry.subentries.values() if s.title == "Boiler")
    result = await entry.start_subentry_reconfigure_flow(hass, "managed_load", boiler.subentry_id)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        dict(boiler.data) | {"rated_w": 1800},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.runtime_data.loads[boiler.subentry_id].rated_w == 1800

    await hass.services.async_call(
        "select", "select_option",
        {"entity_id": "select.boiler_priority", "option": "green"}, blocking=True,
    )  # fmt: skip
    await hass.services.async_call(
        "number", "set_value", {"entity_id": "number.boiler_max_off_time", "value": 12},
        blocking=True,
    )  # fmt: skip
    await hass.async_block_till_done()
    load = entry.runtime_data.loads[boiler.subentry_id]
    assert (load.priority, load.max_off_min) == ("green", 12)
    assert hass.states.get("select.boiler_priority").state == "green"
    assert float(hass.states.get("number.boiler_max_off_time").state) == 12
