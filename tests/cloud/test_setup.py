"""A cloud account in real Home Assistant: meter devices, Energy-dashboard totals, polling."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (  # type: ignore[import-untyped]
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.balance import async_remove_config_entry_device
from custom_components.balance.const import DOMAIN

from .fake_server import PASSWORD, USERNAME, FakeBalanceServer, meter_item, status


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def _entity_id(hass: HomeAssistant, entry: MockConfigEntry, meter_key: str, key: str) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"cloud_{entry.unique_id}_{meter_key}_{key}"
    )
    assert entity_id is not None, (meter_key, key)
    return entity_id


async def test_meters_become_devices_with_energy_totals(
    hass: HomeAssistant, server: FakeBalanceServer, cloud_entry: MockConfigEntry
) -> None:
    """Each resource's register is a total_increasing sensor in its unit, on its own device."""
    await _setup(hass, cloud_entry)
    expected = {
        "1042_00A1B2C3": (SensorDeviceClass.ENERGY, "kWh", "12345.678"),
        "1042_W-778": (SensorDeviceClass.WATER, "m³", "321.125"),
        "1043_G-17": (SensorDeviceClass.GAS, "m³", "1500.5"),
        "1043_H-9": (SensorDeviceClass.ENERGY, "Gcal", "88.25"),
    }
    for meter_key, (device_class, unit, value) in expected.items():
        state = hass.states.get(_entity_id(hass, cloud_entry, meter_key, "total"))
        assert state is not None
        assert state.state == value
        assert state.attributes["device_class"] == device_class
        assert state.attributes["unit_of_measurement"] == unit
        assert state.attributes["state_class"] == SensorStateClass.TOTAL_INCREASING
        today = hass.states.get(_entity_id(hass, cloud_entry, meter_key, "today"))
        assert today is not None
        assert "state_class" not in today.attributes  # one total per meter for the dashboard
        assert today.attributes["unit_of_measurement"] == unit
    price = hass.states.get(_entity_id(hass, cloud_entry, "1042_00A1B2C3", "price"))
    assert price is not None
    assert (price.state, price.attributes["prices"]) == ("2.29", [2.29, 1.63])
    assert hass.states.get(_entity_id(hass, cloud_entry, "1042_00A1B2C3", "today")).attributes[
        "sum"
    ] == 9.64  # fmt: skip
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), cloud_entry.entry_id)
    names = sorted(device.name_by_user or device.name or "" for device in devices)
    assert names == [
        "Apartament 12 energie",
        "Gas meter G-17",
        "Heat meter H-9",
        "Water meter W-778",
    ]
    assert server.logins == 1


async def test_meter_of_unknown_resource_is_left_out(
    hass: HomeAssistant, server: FakeBalanceServer, cloud_entry: MockConfigEntry
) -> None:
    """A meter that does not say what it measures gets no entities (not a wrong unit)."""
    server.items.append(meter_item(9, "X-1", "steam", 5.0))
    await _setup(hass, cloud_entry)
    registry = er.async_get(hass)
    assert not [
        entry for entry in er.async_entries_for_config_entry(registry, cloud_entry.entry_id)
        if "9_X-1" in (entry.unique_id or "")
    ]  # fmt: skip
    assert cloud_entry.runtime_data.unknown_resource == {"9_X-1"}


async def test_resident_names_the_resource(
    hass: HomeAssistant, server: FakeBalanceServer, cloud_entry: MockConfigEntry
) -> None:
    """The options give a meter without a resource one (and correct another): after the
    reload it has the chosen device class and unit."""
    server.items.append(meter_item(9, "X-1", "", 5.5, unit="m3"))
    await _setup(hass, cloud_entry)
    result = await hass.config_entries.options.async_init(cloud_entry.entry_id)
    assert "- 9_X-1: 9_X-1" in result["description_placeholders"]["meters"]
    fields = {str(key): key for key in result["data_schema"].schema}
    assert fields["9_X-1"].default() == "auto"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"scan_minutes": 15, "9_X-1": "water", "1043_G-17": "heat"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert cloud_entry.options["resources"] == {"9_X-1": "water", "1043_G-17": "heat"}
    water = hass.states.get(_entity_id(hass, cloud_entry, "9_X-1", "total"))
    assert water is not None
    assert (water.state, water.attributes["device_class"]) == ("5.5", SensorDeviceClass.WATER)
    assert water.attributes["unit_of_measurement"] == "m³"
    gas = hass.states.get(_entity_id(hass, cloud_entry, "1043_G-17", "total"))
    assert gas is not None
    assert gas.attributes["device_class"] == SensorDeviceClass.ENERGY  # heat
    assert not cloud_entry.runtime_data.unknown_resource


async def test_expired_token_is_renewed_silently(
    hass: HomeAssistant, server: FakeBalanceServer, cloud_entry: MockConfigEntry
) -> None:
    """A 401 on the meter list: one new login, the values stay available, no reauth."""
    await _setup(hass, cloud_entry)
    coordinator = cloud_entry.runtime_data
    server.expire_tokens()
    server.set_total("00A1B2C3", 12350.0)
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert server.logins == 2
    assert coordinator.last_update_success
    assert hass.states.get(_entity_id(hass, cloud_entry, "1042_00A1B2C3", "total")).state == (
        "12350.0"
    )
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_errors_back_off_and_recover(
    hass: HomeAssistant, server: FakeBalanceServer, cloud_entry: MockConfigEntry
) -> None:
    """Failing polls double the interval (values unavailable); the first success resets it."""
    await _setup(hass, cloud_entry)
    coordinator = cloud_entry.runtime_data
    total = _entity_id(hass, cloud_entry, "1043_G-17", "total")
    base = coordinator.update_interval
    assert base == timedelta(minutes=15)
    intervals = []
    for fault in (status(502), status(503), status(500)):
        server.faults.append(fault)
        await coordinator.async_refresh()
        intervals.append(coordinator.update_interval)
    assert intervals == [base * 2, base * 4, base * 8]
    await hass.async_block_till_done()
    assert hass.states.get(total).state == STATE_UNAVAILABLE
    assert server.logins == 1  # errors are not answered with new logins
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert coordinator.update_interval == base
    assert hass.states.get(total).state == "1500.5"


async def test_backoff_is_capped(
    hass: HomeAssistant, server: FakeBalanceServer, cloud_entry: MockConfigEntry
) -> None:
    """However long the server fails, it is asked at least every 4 hours."""
    await _setup(hass, cloud_entry)
    coordinator = cloud_entry.runtime_data
    for _ in range(6):
        server.faults.append(status(503))
        await coordinator.async_refresh()
    assert coordinator.update_interval == timedelta(hours=4)


async def test_changed_password_starts_reauth(
    hass: HomeAssistant, server: FakeBalanceServer, cloud_entry: MockConfigEntry
) -> None:
    """Token refused and the password too: the entry asks the resident for the password."""
    await _setup(hass, cloud_entry)
    server.expire_tokens()
    server.password = "changed"
    await cloud_entry.runtime_data.async_refresh()
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [(flow["context"]["source"], flow["step_id"]) for flow in flows] == [
        (SOURCE_REAUTH, "cloud_reauth")
    ]


async def test_wrong_password_at_start_needs_reauth(
    hass: HomeAssistant, server: FakeBalanceServer, cloud_entry: MockConfigEntry
) -> None:
    """A password refused at start-up: setup error and a reauth flow, no retry loop."""
    server.password = "changed"
    cloud_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(cloud_entry.entry_id)
    await hass.async_block_till_done()
    assert cloud_entry.state is ConfigEntryState.SETUP_ERROR
    assert "refused the account's password" in str(cloud_entry.reason)
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN)


async def test_unreachable_at_start_retries(
    hass: HomeAssistant, server: FakeBalanceServer, cloud_entry: MockConfigEntry
) -> None:
    """A server down at start-up: the entry retries later, with the translated reason."""
    server.faults.append(status(503))
    cloud_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(cloud_entry.entry_id)
    assert cloud_entry.state is ConfigEntryState.SETUP_RETRY
    assert cloud_entry.reason == "The BALANCE server cannot be reached: HTTP 503"


async def test_slow_server_does_not_block_the_loop(
    hass: HomeAssistant, server: FakeBalanceServer, cloud_entry: MockConfigEntry
) -> None:
    """While the server takes its time, the event loop keeps running."""
    await _setup(hass, cloud_entry)
    server.delay = 0.5
    loop = asyncio.get_running_loop()
    refresh = hass.async_create_task(cloud_entry.runtime_data.async_refresh())
    await asyncio.sleep(0.05)
    started = loop.time()
    await asyncio.sleep(0.01)
    assert loop.time() - started < 0.1
    assert not refresh.done()
    await refresh


async def test_meters_come_and_go(
    hass: HomeAssistant, server: FakeBalanceServer, cloud_entry: MockConfigEntry
) -> None:
    """A new meter gets entities at the next poll; a dropped meter's device may be removed."""
    await _setup(hass, cloud_entry)
    coordinator = cloud_entry.runtime_data
    server.items.append(meter_item(1044, "E-2", "electricity", 10.5))
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(_entity_id(hass, cloud_entry, "1044_E-2", "total")).state == "10.5"
    server.items = [item for item in server.items if item["slave_uid"] != "W-778"]
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(_entity_id(hass, cloud_entry, "1042_W-778", "total")).state == (
        STATE_UNAVAILABLE
    )
    registry = dr.async_get(hass)
    water = registry.async_get_device({(DOMAIN, f"cloud_{cloud_entry.unique_id}_1042_W-778")})
    power = registry.async_get_device({(DOMAIN, f"cloud_{cloud_entry.unique_id}_1044_E-2")})
    assert water is not None and power is not None
    assert (await registry_remove(hass, water.id, cloud_entry)) is True
    assert (await registry_remove(hass, power.id, cloud_entry)) is False


async def registry_remove(hass: HomeAssistant, device_id: str, entry: MockConfigEntry) -> bool:
    """Ask the integration whether the device may go (what the UI's delete does)."""
    device = dr.async_get(hass).async_get(device_id)
    assert device is not None
    return await async_remove_config_entry_device(hass, entry, device)


async def test_diagnostics_redact_secrets(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    server: FakeBalanceServer,
    cloud_entry: MockConfigEntry,
) -> None:
    """Neither the password, the username nor the token appear in the diagnostics."""
    await _setup(hass, cloud_entry)
    token = cloud_entry.runtime_data.client.token
    assert token
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, cloud_entry)
    text = json.dumps(diagnostics)
    for secret in (PASSWORD, token, USERNAME):
        assert secret not in text
    assert diagnostics["client"]["logins"] == 1
    assert diagnostics["polling"]["last_update_success"] is True
    assert diagnostics["meters"]["1043_H-9"]["counter_indications"] == 88.25


async def test_unload_and_reload(
    hass: HomeAssistant, server: FakeBalanceServer, cloud_entry: MockConfigEntry
) -> None:
    """Unload leaves nothing running; a reload signs in again."""
    await _setup(hass, cloud_entry)
    assert await hass.config_entries.async_unload(cloud_entry.entry_id)
    assert cloud_entry.state is ConfigEntryState.NOT_LOADED
    assert await hass.config_entries.async_setup(cloud_entry.entry_id)
    await hass.async_block_till_done()
    assert cloud_entry.state is ConfigEntryState.LOADED
    assert server.logins == 2
