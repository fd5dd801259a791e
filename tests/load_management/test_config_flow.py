"""Config flow, options flow and the managed-load subentry flow of load management."""

from __future__ import annotations

from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.balance.const import DOMAIN

from .conftest import HOUSE, POWER_ATTRS, advance, lm_entry, make_house, setup_lm

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
    assert entry.unique_id == f"load_management:{HOUSE}"
    assert entry.supported_subentry_types == {
        kind: {"supports_reconfigure": True}
        for kind in ("managed_load", "charger", "power_limit", "climate_load")
    }


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
    assert result["reason"] == "power_sensor_managed"


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
        (
            {
                "switch_entity": "switch.fridge",
                "priority": "yellow",
                "rated_w": 150,
                "comfort_entity": "sensor.fridge_temperature",
            },
            {"restore_above_c": "comfort_bound_required"},
        ),
        (
            {
                "switch_entity": "switch.fridge",
                "priority": "yellow",
                "rated_w": 150,
                "restore_above_c": 8,
            },
            {"comfort_entity": "comfort_entity_required"},
        ),
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
        "number", "set_value", {"entity_id": "number.boiler_max_off_time", "value": 12},
        blocking=True,
    )  # fmt: skip
    await hass.async_block_till_done()
    assert entry.runtime_data.loads[boiler.subentry_id].max_off_min == 12
    assert float(hass.states.get("number.boiler_max_off_time").state) == 12

    await hass.services.async_call(
        "select", "select_option",
        {"entity_id": "select.boiler_priority", "option": "green"}, blocking=True,
    )  # fmt: skip
    await hass.async_block_till_done()
    assert entry.runtime_data.loads[boiler.subentry_id].priority == "green"
    assert hass.states.get("select.boiler_priority").state == "green"
    # max-off applies to yellow loads only: a green load has no such number
    assert hass.states.get("number.boiler_max_off_time") is None
    assert er.async_get(hass).async_get("number.boiler_max_off_time") is None

    await hass.services.async_call(
        "select", "select_option",
        {"entity_id": "select.boiler_priority", "option": "yellow"}, blocking=True,
    )  # fmt: skip
    await hass.async_block_till_done()
    assert float(hass.states.get("number.boiler_max_off_time").state) == 12


async def test_reconfigure_applies_in_place(hass: HomeAssistant) -> None:
    """Reconfigure does not reload: HA 2026.11 refuses to reload an entry with listeners."""
    await make_house(hass)
    entry = await setup_lm(hass, lm_entry())
    manager = entry.runtime_data
    assert entry.update_listeners
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], SETTINGS | {"limit_w": 4500}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.runtime_data is manager  # applied by the update listener, no reload
    assert manager.settings.limit_w == 4500


async def test_unique_id_and_duplicates_after_creation(hass: HomeAssistant) -> None:
    """A legacy entry gets its sensor's unique id; options cannot take another's sensor."""
    await make_house(hass)
    hass.states.async_set("sensor.other_power", "100", POWER_ATTRS)
    other = MockConfigEntry(
        domain=DOMAIN,
        data={"kind": "load_management"},
        options=SETTINGS | {"power_entity": "sensor.other_power"},
        unique_id="load_management:sensor.other_power",
    )
    other.add_to_hass(hass)
    entry = await setup_lm(hass, lm_entry())
    assert entry.unique_id == f"load_management:{HOUSE}"  # migrated at setup

    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], SETTINGS | {"power_entity": "sensor.other_power"}
    )
    assert result["errors"] == {"power_entity": "power_sensor_managed"}
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], SETTINGS | {"power_entity": "sensor.other_power"}
    )
    assert result["errors"] == {"power_entity": "power_sensor_managed"}

    hass.states.async_set("sensor.new_meter", "100", POWER_ATTRS)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], SETTINGS | {"power_entity": "sensor.new_meter"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.unique_id == "load_management:sensor.new_meter"


async def test_adding_loads_does_not_flap_entities(hass: HomeAssistant) -> None:
    """Adding or removing a managed load never makes the other entities unavailable."""
    await make_house(hass)
    entry = await setup_lm(hass, lm_entry())
    manager = entry.runtime_data
    flaps: list[str] = []

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if new is not None and new.state == "unavailable":
            flaps.append(event.data["entity_id"])

    hass.bus.async_listen(EVENT_STATE_CHANGED, _changed)
    for name in ("kettle", "pump"):
        hass.states.async_set(f"switch.{name}", "on", {"friendly_name": name.capitalize()})
        result = await _start_subentry(hass, entry)
        result = await hass.config_entries.subentries.async_configure(
            result["flow_id"],
            {"switch_entity": f"switch.{name}", "priority": "yellow", "rated_w": 800},
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        await hass.async_block_till_done()
    assert hass.states.get("sensor.kettle_state") is not None
    assert hass.states.get("number.pump_max_off_time") is not None
    kettle = next(s for s in entry.subentries.values() if s.title == "Kettle")
    hass.config_entries.async_remove_subentry(entry, kettle.subentry_id)
    await hass.async_block_till_done()
    assert hass.states.get("sensor.kettle_state") is None
    assert entry.runtime_data is manager
    assert flaps == []


@pytest.mark.parametrize(
    ("extra", "errors"),
    [
        ({"phase_l1_entity": HOUSE}, {"base": "phases_incomplete"}),
        (
            {"phase_l1_entity": HOUSE, "phase_l2_entity": HOUSE, "phase_l3_entity": HOUSE},
            {"phase_limit_a": "phase_limit_required"},
        ),
        ({"hard_limit_w": 5000}, {"limit_w": "above_hard_limit"}),
    ],
)
async def test_limit_options_errors(
    hass: HomeAssistant, extra: dict[str, Any], errors: dict[str, str]
) -> None:
    """Per-phase sensors come as three with a fuse; the limit stays under the main fuse."""
    await make_house(hass)
    entry = await setup_lm(hass, lm_entry())
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], SETTINGS | extra)
    assert result["errors"] == errors


async def test_capacity_option_adds_its_sensors(hass: HomeAssistant) -> None:
    """A capacity target adds this period's average and projection and the month's peak."""
    await make_house(hass)
    entry = await setup_lm(hass, lm_entry())
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        SETTINGS | {"capacity_target_w": 2500, "capacity_period_min": "15", "hard_limit_w": 9000},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    for key in ("capacity_period_average", "capacity_period_projection", "month_peak_period"):
        assert hass.states.get(f"sensor.load_management_{key}") is not None, key
    assert (
        hass.states.get("sensor.load_management_effective_limit").attributes["hard_limit_w"] == 9000
    )


async def test_add_charger_subentry(hass: HomeAssistant) -> None:
    """A charger: its number and unit are checked, then the vehicle step; reconfigure too."""
    await make_house(hass)
    entry = await setup_lm(hass, lm_entry())
    hass.states.async_set(
        "number.wallbox_current",
        "16",
        {"unit_of_measurement": "A", "min": 6, "max": 32, "friendly_name": "Wallbox current"},
    )
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "charger"), context={"source": SOURCE_USER}
    )
    charger = {
        "name": "Wallbox",
        "setpoint_entity": "number.wallbox_current",
        "setpoint_unit": "W",
        "phases": "1",
        "voltage": 230,
        "min_current_a": 6,
        "max_current_a": 32,
        "priority": "green",
        "exceed_soft": False,
        "min_on_min": 1,
    }
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], charger)
    assert result["errors"] == {"setpoint_unit": "unit_mismatch"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], charger | {"setpoint_unit": "A"}
    )
    assert result["errors"] == {"switch_entity": "cannot_pause"}  # min 6 A, no switch
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        charger | {"setpoint_unit": "A", "min_current_a": 20, "max_current_a": 10},
    )
    assert result["errors"] == {"max_current_a": "min_above_max"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        charger | {"setpoint_unit": "A", "switch_entity": "switch.washer", "phases": "1",
                   "phase_switch_entity": "switch.boiler"},
    )  # fmt: skip
    assert result["errors"] == {"phase_switch_entity": "phase_switch_needs_three"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], charger | {"setpoint_unit": "A", "switch_entity": "switch.ev"}
    )
    assert result["step_id"] == "vehicle"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"target_soc": 80}
    )
    assert result["errors"] == {"target_soc": "soc_needs_sensor"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"energy_kwh": 12, "departure_time": "07:00:00"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Wallbox"
    await hass.async_block_till_done()
    assert hass.states.get("sensor.wallbox_setpoint") is not None
    assert hass.states.get("sensor.wallbox_energy_this_job") is not None
    assert hass.states.get("number.wallbox_max_off_time") is None  # green: no max-off

    sub = next(s for s in entry.subentries.values() if s.subentry_type == "charger")
    result = await entry.start_subentry_reconfigure_flow(hass, "charger", sub.subentry_id)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {k: v for k, v in charger.items() if k != "name"}
        | {"setpoint_unit": "A", "switch_entity": "switch.ev", "max_current_a": 16},
    )  # fmt: skip
    assert result["step_id"] == "vehicle"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"energy_kwh": 8}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    load = entry.runtime_data.loads[sub.subentry_id]
    assert (load.max_current_a, load.energy_kwh, load.departure_time) == (16, 8, None)


async def test_add_climate_subentry(hass: HomeAssistant) -> None:
    """A climate load: the set-back power must be below the power at the setpoint."""
    await make_house(hass)
    entry = await setup_lm(hass, lm_entry())
    hass.states.async_set("climate.living", "heat", {"temperature": 21})
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "climate_load"), context={"source": SOURCE_USER}
    )
    data = {
        "climate_entity": "climate.living",
        "max_w": 1200,
        "min_w": 1500,
        "setback_k": 2,
        "comfort_min_c": 18,
        "comfort_max_c": 28,
        "priority": "yellow",
        "max_off_min": 15,
        "min_on_min": 1,
    }
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], data)
    assert result["errors"] == {"min_w": "setback_above_max"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], data | {"min_w": 500}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert hass.states.get("sensor.living_setpoint") is not None


async def test_removed_load_is_not_left_off(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory
) -> None:
    """A load removed while load management held it off is switched back on."""
    house = await make_house(hass)
    entry = await setup_lm(hass, lm_entry())
    await advance(hass, freeze, 10)
    assert not house.is_on("washer")  # shed for the 5 kW limit
    washer = next(s for s in entry.subentries.values() if s.title == "Washer")
    hass.config_entries.async_remove_subentry(entry, washer.subentry_id)
    await advance(hass, freeze, 5)
    assert house.is_on("washer")
    assert "load_washer" not in entry.runtime_data.loads
