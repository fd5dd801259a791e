"""What a resident reads: meter, module and statistic names; nothing floods the logbook."""

from __future__ import annotations

import time

import pytest
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.statistics import get_metadata
from homeassistant.const import CONF_NAME, EVENT_STATE_CHANGED
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.balance.const import (
    CONF_CHANNEL,
    CONF_MEDIUM,
    CONF_PULSE_CONSTANT,
    DOMAIN,
)

from .conftest import settle
from .hub_peer import HUB_ID, NODE_ID, HubPeer

HOUR = 3600


def _names(hass: HomeAssistant, entry: MockConfigEntry, device_name: str) -> list[str]:
    """Friendly names of the entry's entities on the device named ``device_name``."""
    devices = dr.async_get(hass)
    names = []
    for entity in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id):
        device = devices.async_get(entity.device_id) if entity.device_id else None
        if (
            device is not None
            and device.name == device_name
            and (state := hass.states.get(entity.entity_id))
        ):
            names.append(state.attributes["friendly_name"])
    return names


async def _configure(hass: HomeAssistant, entry: MockConfigEntry, choice: str, data: dict) -> None:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_CHANNEL: choice}
    )
    await hass.config_entries.options.async_configure(result["flow_id"], data)
    await settle(hass)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_default_names_come_from_the_meter_type(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """No "Energy 1" or "D100FC 00001001": meters by type, one "Battery" per module."""
    hub = _names(hass, loaded_entry, f"BALANCE hub {HUB_ID}")
    assert f"BALANCE hub {HUB_ID} Electricity" in hub
    assert f"BALANCE hub {HUB_ID} Power" in hub
    assert f"BALANCE hub {HUB_ID} Water" in hub
    assert f"BALANCE hub {HUB_ID} Water flow" in hub
    assert f"BALANCE hub {HUB_ID} Water open circuit" in hub
    module = _names(hass, loaded_entry, f"Radio module {NODE_ID:08X}")
    assert f"Radio module {NODE_ID:08X} Gas" in module
    assert f"Radio module {NODE_ID:08X} Heat power" in module
    assert len(module) == len(set(module)), "two entities of the module share a name"
    assert f"Radio module {NODE_ID:08X} Battery" in module
    assert f"Radio module {NODE_ID:08X} Battery low" in module


async def test_resident_names_a_channel_and_a_module(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A channel's name replaces its type; a module's name becomes its device's name."""
    mains = {CONF_MEDIUM: "electricity", CONF_PULSE_CONSTANT: 1000, CONF_NAME: "Mains"}
    await _configure(hass, loaded_entry, "0:1", mains)
    names = _names(hass, loaded_entry, f"BALANCE hub {HUB_ID}")
    assert f"BALANCE hub {HUB_ID} Mains" in names
    assert f"BALANCE hub {HUB_ID} Mains power" in names
    assert f"BALANCE hub {HUB_ID} Mains open circuit" in names
    # entity ids do not follow names: automations keep working
    assert hass.states.get("sensor.balance_hub_bh_00a1b2_energy_1") is not None
    await _configure(hass, loaded_entry, f"node:{NODE_ID}", {CONF_NAME: "Garage"})
    device = dr.async_get(hass).async_get_device({(DOMAIN, f"{HUB_ID}:{NODE_ID}")})
    assert device is not None and device.name == "Garage"
    assert hass.states.get("sensor.d100fc_00001001_gas_1").attributes["friendly_name"] == (
        "Garage Gas"
    )
    await _configure(hass, loaded_entry, f"node:{NODE_ID}", {CONF_NAME: ""})
    device = dr.async_get(hass).async_get_device({(DOMAIN, f"{HUB_ID}:{NODE_ID}")})
    assert device is not None and device.name == f"Radio module {NODE_ID:08X}"


async def test_statistic_carries_the_sensor_name(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    peer: HubPeer,
) -> None:
    """The Energy dashboard's statistic picker shows the total sensor's name, not an id."""
    newest = int(time.time()) // HOUR * HOUR
    peer.state.archive[(0, 1)] = {newest - 3 * HOUR + HOUR * i: 1000 * i for i in range(4)}
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await settle(hass, 20)
    await async_wait_recording_done(hass)
    metadata = await hass.async_add_executor_job(
        lambda: get_metadata(hass, statistic_source=DOMAIN)
    )
    meta = metadata["balance:bh_00a1b2_0_1_energy"][1]
    state = hass.states.get("sensor.balance_hub_bh_00a1b2_energy_1")
    assert state is not None
    assert meta["name"] == state.attributes["friendly_name"] == f"BALANCE hub {HUB_ID} Electricity"


async def test_reports_do_not_flood_the_logbook(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """Every minute's report changes no logbook-visible entity ("Last seen" is opt-in)."""
    registry = er.async_get(hass)
    last_seen = registry.async_get("sensor.d100fc_00001001_last_seen")
    assert last_seen is not None and last_seen.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    peer.set_status(NODE_ID, last_seen=peer.state.hub_time)
    await settle(hass)
    logged: list[str] = []

    @callback
    def _changed(event: Event) -> None:
        new = event.data["new_state"]
        # the logbook skips states with a unit (continuous sensors); everything else is a line
        if new is not None and "unit_of_measurement" not in new.attributes:
            logged.append(new.entity_id)

    hass.bus.async_listen(EVENT_STATE_CHANGED, _changed)
    for minute in range(1, 6):
        peer.set_status(NODE_ID, last_seen=peer.state.hub_time + 60 * minute)
        peer.set_count(NODE_ID, 1, 10 * minute)
        await settle(hass)
    assert logged == []
