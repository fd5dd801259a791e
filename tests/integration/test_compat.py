"""Forward compatibility: the flows keep working under the rules of the newest HA releases.

HA 2026.8 reports, and 2026.11 refuses, a reloading flow result (``async_update_reload_and_abort``,
``_abort_if_unique_id_configured(updates=...)``) on an entry that has update listeners, and
``OptionsFlowWithReload`` (2025.8+) refuses entries with update listeners. The harness runs an
older HA, so ``newest_ha_guards`` installs those guards; every flow must pass under them and
reload the entry exactly once.
"""

from __future__ import annotations

import base64
import logging
import warnings
from collections.abc import Generator
from typing import Any
from unittest.mock import AsyncMock, patch

import pytest
from homeassistant.components import usb
from homeassistant.config_entries import SOURCE_ZEROCONF, ConfigEntry, ConfigFlow
from homeassistant.const import CONF_HOST, CONF_NAME, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import selector
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.storage import Store
from pytest_homeassistant_custom_component.common import MockConfigEntry
from serial.tools.list_ports_common import ListPortInfo  # type: ignore[import-untyped]

from custom_components.balance import compat
from custom_components.balance.const import (
    CONF_CHANNEL,
    CONF_MEDIUM,
    CONF_PSK,
    CONF_PULSE_CONSTANT,
    DOMAIN,
)
from tests.load_management.conftest import HOUSE, lm_entry, make_house

from .conftest import settle
from .hub_peer import HubPeer
from .test_config_flow import zeroconf_info

LISTENER_ERROR = "Cannot update and reload entry with update listeners"


@pytest.fixture
def newest_ha_guards() -> Generator[None]:
    """Refuse reloading flow results on entries with update listeners, as HA 2026.11 does."""
    update_reload_and_abort = ConfigFlow.async_update_reload_and_abort
    abort_if_configured = ConfigFlow._abort_if_unique_id_configured

    def guarded_update(self: ConfigFlow, entry: ConfigEntry, **kwargs: Any) -> Any:
        if entry.update_listeners:
            raise ValueError(LISTENER_ERROR)
        return update_reload_and_abort(self, entry, **kwargs)

    def guarded_abort(self: ConfigFlow, *args: Any, **kwargs: Any) -> None:
        entry = self.hass.config_entries.async_entry_for_domain_unique_id(
            self.handler, str(self.unique_id)
        )
        updates = args[0] if args else kwargs.get("updates")
        if updates and entry is not None and entry.update_listeners:
            raise ValueError(LISTENER_ERROR)
        abort_if_configured(self, *args, **kwargs)

    with (
        patch.object(ConfigFlow, "async_update_reload_and_abort", guarded_update),
        patch.object(ConfigFlow, "_abort_if_unique_id_configured", guarded_abort),
    ):
        yield


@pytest.fixture
def reloads(hass: HomeAssistant) -> Generator[AsyncMock]:
    """Count the entry reloads (a flow must reload once, never twice)."""
    with patch.object(
        hass.config_entries, "async_reload", wraps=hass.config_entries.async_reload
    ) as spy:
        yield spy


async def test_hub_entry_has_no_update_listener(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """The options flow reloads by itself; the hub entry registers no update listener."""
    assert loaded_entry.update_listeners == []


@pytest.mark.usefixtures("newest_ha_guards")
async def test_reauth_under_newest_rules(
    hass: HomeAssistant, secure_entry: MockConfigEntry, secure_peer: HubPeer, reloads: AsyncMock
) -> None:
    """Reauthentication updates the key and reloads the hub once."""
    secure_entry.add_to_hass(hass)
    new_key = bytes(range(100, 132))
    secure_peer.psk = new_key
    await hass.config_entries.async_setup(secure_entry.entry_id)
    secure_entry.async_start_reauth(hass)
    flow_id = hass.config_entries.flow.async_progress()[0]["flow_id"]
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_PSK: base64.b64encode(new_key).decode()}
    )
    assert result["reason"] == "reauth_successful"
    await settle(hass)
    assert reloads.await_count == 1
    assert secure_entry.runtime_data.client.authenticated


@pytest.mark.usefixtures("newest_ha_guards")
async def test_reconfigure_under_newest_rules(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, reloads: AsyncMock
) -> None:
    """Moving the hub to another port reloads it once."""
    moved = HubPeer()
    await moved.start_tcp()
    try:
        result = await loaded_entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: moved.port}
        )
        assert result["reason"] == "reconfigure_successful"
        await settle(hass)
        assert reloads.await_count == 1
        assert loaded_entry.runtime_data.client.port == moved.port
    finally:
        assert await hass.config_entries.async_unload(loaded_entry.entry_id)
        await moved.stop()


@pytest.mark.usefixtures("newest_ha_guards")
async def test_zeroconf_update_under_newest_rules(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, reloads: AsyncMock
) -> None:
    """A loaded hub announced on a new address is updated and reloaded once."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=zeroconf_info(4321)
    )
    assert result["reason"] == "already_configured"
    await settle(hass)
    assert loaded_entry.data[CONF_PORT] == 4321
    assert reloads.await_count == 1


async def test_options_reload_once(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, peer: HubPeer, reloads: AsyncMock
) -> None:
    """Saving changed channel options reloads once; saving them unchanged does not reload."""
    await settle(hass)
    settings = {CONF_MEDIUM: "electricity", CONF_PULSE_CONSTANT: 500, CONF_NAME: "Mains"}
    for expected_reloads in (1, 1):
        result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_CHANNEL: "0:1"}
        )
        result = await hass.config_entries.options.async_configure(result["flow_id"], settings)
        assert result["type"] is FlowResultType.CREATE_ENTRY
        await settle(hass)
        assert reloads.await_count == expected_reloads
    state = hass.states.get("sensor.balance_hub_bh_00a1b2_energy_1")
    assert state is not None
    assert state.attributes["friendly_name"] == "BALANCE hub BH-00A1B2 Mains"


@pytest.mark.usefixtures("newest_ha_guards")
async def test_load_management_reconfigure_with_listener(hass: HomeAssistant) -> None:
    """Load management keeps its update listener; its reconfigure must not ask HA to reload."""
    await make_house(hass)
    entry = lm_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {"power_entity": HOUSE, "limit_w": 4500, "reaction_s": 30, "sensor_timeout_s": 120},
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.options["limit_w"] == 4500
    assert entry.runtime_data.settings.limit_w == 4500


DEPRECATION_MARKERS = (
    "deprecated",
    "detected that custom integration",
    "detected code that",
    "will stop working",
    "please report",
)


async def test_no_deprecation_warnings(
    hass: HomeAssistant,
    secure_entry: MockConfigEntry,
    secure_peer: HubPeer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Setup, reload, reauth and reconfigure log no HA deprecation or usage report."""
    caplog.set_level(logging.WARNING)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        secure_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(secure_entry.entry_id)
        await settle(hass)
        assert await hass.config_entries.async_reload(secure_entry.entry_id)
        await settle(hass)
        secure_entry.async_start_reauth(hass)
        flow_id = hass.config_entries.flow.async_progress()[0]["flow_id"]
        await hass.config_entries.flow.async_configure(
            flow_id, {CONF_PSK: secure_entry.data[CONF_PSK]}
        )
        await settle(hass)
        result = await secure_entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: secure_peer.port}
        )
        assert result["reason"] == "reconfigure_successful"
        await settle(hass)
        assert await hass.config_entries.async_unload(secure_entry.entry_id)
    reported = [
        record.getMessage()
        for record in caplog.records
        if any(marker in record.getMessage().lower() for marker in DEPRECATION_MARKERS)
    ]
    assert reported == []
    from_ha = [
        str(w.message)
        for w in caught
        if issubclass(w.category, DeprecationWarning) and "homeassistant" in w.filename
    ]
    assert from_ha == []


def test_device_parent_by_id_where_ha_takes_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """HA 2026.8+ DeviceInfo has via_device_id: the parent is named by its device id."""
    info = DeviceInfo(identifiers={(DOMAIN, "node")}, name="Radio module")
    assert compat.with_parent(info, "hub-device-id", (DOMAIN, "hub")) == {
        **info,
        "via_device": (DOMAIN, "hub"),
    }
    monkeypatch.setattr(
        DeviceInfo, "__optional_keys__", DeviceInfo.__optional_keys__ | {"via_device_id"}
    )
    assert compat.with_parent(info, "hub-device-id", (DOMAIN, "hub")) == {
        **info,
        "via_device_id": "hub-device-id",
    }


def test_serial_ports_on_releases_with_and_without_helpers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HA's serial port selector where it exists; pyserial labels and paths where usb lacks them."""
    assert compat.native_serial_port_selector() is None
    monkeypatch.setattr(selector, "SerialPortSelector", selector.TextSelector, raising=False)
    assert isinstance(compat.native_serial_port_selector(), selector.TextSelector)
    port = ListPortInfo("/dev/ttyUSB7")
    port.description, port.vid, port.pid = "BALANCE hub", 0x303A, 0x1001
    assert "/dev/ttyUSB7" in compat.port_label(port)
    monkeypatch.delattr(usb, "human_readable_device_name")
    monkeypatch.delattr(usb, "get_serial_by_id")
    assert compat.port_label(port) == "BALANCE hub (/dev/ttyUSB7)"
    assert compat.serial_by_id("/dev/ttyUSB7") == "/dev/ttyUSB7"


def test_native_reloading_options_flow_is_used_where_it_exists() -> None:
    """On this HA (2025.4) the integration's own reloading flow stands in for the native one."""
    assert compat.ReloadingOptionsFlow is compat.SelfReloadingOptionsFlow
    assert not compat.HAS_NATIVE_RELOADING_OPTIONS_FLOW


async def test_totals_snapshot_is_not_changed_after_it_is_handed_over(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """HA 2025.10/11 call the delayed-save data function in a worker thread: what it returns
    must be a snapshot taken on the loop, never a view of dicts the loop keeps changing."""
    handed: list[Any] = []
    original = Store.async_delay_save

    def record(self: Store[Any], data_func: Any, delay: float = 0) -> None:
        handed.append(data_func)
        original(self, data_func, delay)

    with patch.object(Store, "async_delay_save", record):
        peer.set_count(0, 1, 100)
        await settle(hass)
        assert handed
        first = handed[-1]
        frozen = {key: dict(value) for key, value in first().items()}
        peer.set_count(0, 1, 200)
        peer.set_count(0, 2, 50)
        await settle(hass)
    assert first() == frozen  # called late (as a worker thread may), it still gives its moment
    assert handed[-1]() != frozen


async def test_device_removal_goes_to_the_entry_kind(hass: HomeAssistant) -> None:
    """Removing a device asks the load-management kind about its own devices."""
    from custom_components.balance import async_remove_config_entry_device

    await make_house(hass)
    entry = lm_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    registry = dr.async_get(hass)
    gone = registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, f"{entry.entry_id}-gone")}
    )
    own = registry.async_get_device({(DOMAIN, entry.entry_id)})
    assert own is not None
    assert await async_remove_config_entry_device(hass, entry, gone)
    assert not await async_remove_config_entry_device(hass, entry, own)
