"""Config flow, discovery, reauth, reconfigure and options, against real hub peers."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from ipaddress import ip_address
from unittest.mock import patch

import pytest
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    SOURCE_USB,
    SOURCE_USER,
    SOURCE_ZEROCONF,
)
from homeassistant.const import CONF_DEVICE, CONF_HOST, CONF_NAME, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.usb import UsbServiceInfo
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from serial.tools.list_ports_common import ListPortInfo

from custom_components.balance.const import (
    CONF_CHANNEL,
    CONF_CHANNELS,
    CONF_CONNECTION,
    CONF_MEDIUM,
    CONF_PSK,
    CONF_PULSE_CONSTANT,
    CONF_REGISTER,
    CONF_REGISTER_TIME,
    CONNECTION_SERIAL,
    CONNECTION_TCP,
    DOMAIN,
)

from .conftest import PSK_TEXT, settle
from .hub_peer import HUB_ID, HubPeer

OTHER_PSK = "A" * 43 + "="


@pytest.fixture
async def serial_peer() -> AsyncGenerator[HubPeer]:
    """A hub on a pty (serial)."""
    hub = HubPeer()
    hub.start_serial()
    yield hub
    await hub.stop()


@pytest.fixture
def ports(serial_peer: HubPeer) -> Generator[list[ListPortInfo]]:
    """The serial ports the flow lists: the peer's pty."""
    port = ListPortInfo(serial_peer.serial_path)
    port.description = "BALANCE hub"
    port.manufacturer = "BALANCE"
    port.vid, port.pid = 0x303A, 0x1001
    found = [port]
    with patch(
        "custom_components.balance.config_flow.serial.tools.list_ports.comports",
        return_value=found,
    ):
        yield found


def zeroconf_info(port: int, **props: str) -> ZeroconfServiceInfo:
    """A zeroconf announcement of the test hub."""
    return ZeroconfServiceInfo(
        ip_address=ip_address("127.0.0.1"),
        ip_addresses=[ip_address("127.0.0.1")],
        hostname="bh-00a1b2.local.",
        name=f"{HUB_ID}._balance-hub._tcp.local.",
        port=port,
        type="_balance-hub._tcp.local.",
        properties={"id": HUB_ID, "fw": "1.2.0", "key": "0", **props},
    )


async def test_user_network(hass: HomeAssistant, peer: HubPeer) -> None:
    """Menu -> network -> entry with the hub id as unique id."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "network"}
    )
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: peer.port}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == HUB_ID
    assert result["data"] == {
        CONF_CONNECTION: CONNECTION_TCP,
        CONF_HOST: "127.0.0.1",
        CONF_PORT: peer.port,
    }
    await settle(hass)


async def test_user_network_errors(
    hass: HomeAssistant, secure_peer: HubPeer, peer: HubPeer
) -> None:
    """Wrong, missing and malformed keys and a dead port give translated errors."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "network"}
    )
    flow_id = result["flow_id"]
    base = {CONF_HOST: "127.0.0.1", CONF_PORT: secure_peer.port}
    for psk, error in (
        (None, {CONF_PSK: "key_required"}),
        ("not base64!", {CONF_PSK: "invalid_key"}),
        (OTHER_PSK, {CONF_PSK: "invalid_auth"}),
    ):
        data = base if psk is None else {**base, CONF_PSK: psk}
        result = await hass.config_entries.flow.async_configure(flow_id, data)
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == error
    await peer.stop()
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_HOST: "127.0.0.1", CONF_PORT: peer.port}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    peer.state.version = peer.state.min_version = 3
    await peer.start_tcp(peer.port)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_HOST: "127.0.0.1", CONF_PORT: peer.port}
    )
    assert result["errors"] == {"base": "incompatible"}
    result = await hass.config_entries.flow.async_configure(flow_id, {**base, CONF_PSK: PSK_TEXT})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_PSK] == PSK_TEXT
    await settle(hass)


async def test_user_duplicate(
    hass: HomeAssistant, config_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """The same hub twice is aborted."""
    config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "network"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: peer.port}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_user_serial(
    hass: HomeAssistant, serial_peer: HubPeer, ports: list[ListPortInfo]
) -> None:
    """Menu -> serial -> pick the pty -> entry."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "serial"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "serial"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DEVICE: serial_peer.serial_path}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        CONF_CONNECTION: CONNECTION_SERIAL,
        CONF_DEVICE: serial_peer.serial_path,
    }
    await settle(hass)
    entry = result["result"]
    assert entry.runtime_data.client.connected
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_user_serial_no_ports_takes_a_typed_path(hass: HomeAssistant) -> None:
    """Without detected ports the serial step still takes a path typed by hand."""
    with patch(
        "custom_components.balance.config_flow.serial.tools.list_ports.comports",
        return_value=[],
    ):
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"next_step_id": "serial"}
        )
        assert result["type"] is FlowResultType.FORM
        assert result["step_id"] == "serial"
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_DEVICE: "/dev/does-not-exist"}
        )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}


async def test_user_serial_cannot_connect(
    hass: HomeAssistant, serial_peer: HubPeer, ports: list[ListPortInfo]
) -> None:
    """A port that is not there gives cannot_connect."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "serial"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DEVICE: "/dev/does-not-exist"}
    )
    assert result["errors"] == {"base": "cannot_connect"}


async def test_zeroconf(hass: HomeAssistant, peer: HubPeer) -> None:
    """A discovered hub without a key: confirm creates the entry."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=zeroconf_info(peer.port)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "discovery_confirm"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_HOST] == "127.0.0.1"
    await settle(hass)


async def test_zeroconf_with_key(hass: HomeAssistant, secure_peer: HubPeer) -> None:
    """A discovered hub with key=1 asks for the key; a wrong key is an error."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=zeroconf_info(secure_peer.port, key="1")
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PSK: OTHER_PSK}
    )
    assert result["errors"] == {CONF_PSK: "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_PSK: PSK_TEXT})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await settle(hass)


async def test_zeroconf_updates_host(
    hass: HomeAssistant, config_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """A known hub announced on a new address updates the entry."""
    config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=zeroconf_info(4321)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert config_entry.data[CONF_PORT] == 4321


async def test_zeroconf_serial_entry_not_changed(hass: HomeAssistant, peer: HubPeer) -> None:
    """A hub configured on USB is not moved to the network by an announcement."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=HUB_ID,
        data={CONF_CONNECTION: CONNECTION_SERIAL, CONF_DEVICE: "/dev/ttyACM0"},
    )
    entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=zeroconf_info(peer.port)
    )
    assert result["reason"] == "already_configured"
    assert entry.data == {CONF_CONNECTION: CONNECTION_SERIAL, CONF_DEVICE: "/dev/ttyACM0"}


async def test_zeroconf_not_balance(hass: HomeAssistant) -> None:
    """An announcement without an id is not a hub."""
    info = zeroconf_info(1)
    info.properties.pop("id")
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=info
    )
    assert result["reason"] == "not_balance_hub"


def usb_info(path: str) -> UsbServiceInfo:
    """A USB discovery of the pty."""
    return UsbServiceInfo(
        device=path,
        vid="303A",
        pid="1001",
        serial_number="1234",
        manufacturer="BALANCE",
        description="balance hub",
    )


async def test_usb(hass: HomeAssistant, serial_peer: HubPeer) -> None:
    """A plugged-in hub: confirm creates a serial entry."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=usb_info(serial_peer.serial_path)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "discovery_confirm"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == HUB_ID
    await settle(hass)
    assert await hass.config_entries.async_unload(result["result"].entry_id)


async def test_usb_with_key_and_errors(hass: HomeAssistant, serial_peer: HubPeer) -> None:
    """A USB hub that has a key asks for it; an absent device aborts."""
    serial_peer.psk = bytes(range(32))
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=usb_info(serial_peer.serial_path)
    )
    assert result["step_id"] == "discovery_confirm"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_PSK: PSK_TEXT})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await settle(hass)
    assert await hass.config_entries.async_unload(result["result"].entry_id)

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=usb_info("/dev/does-not-exist")
    )
    assert result["reason"] == "cannot_connect"


async def test_usb_updates_device(hass: HomeAssistant, serial_peer: HubPeer) -> None:
    """A known serial hub on another port updates the entry's device."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=HUB_ID,
        data={CONF_CONNECTION: CONNECTION_SERIAL, CONF_DEVICE: "/dev/ttyACM9"},
    )
    entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=usb_info(serial_peer.serial_path)
    )
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_DEVICE] == serial_peer.serial_path


async def test_reauth(
    hass: HomeAssistant, secure_entry: MockConfigEntry, secure_peer: HubPeer
) -> None:
    """The hub's key changed: reauth with the new key reloads the entry."""
    secure_entry.add_to_hass(hass)
    new_key = bytes(range(100, 132))
    secure_peer.psk = new_key
    await hass.config_entries.async_setup(secure_entry.entry_id)
    result = secure_entry.async_start_reauth(hass)  # type: ignore[func-returns-value]
    flows = hass.config_entries.flow.async_progress()
    flow_id = flows[0]["flow_id"]
    result = await hass.config_entries.flow.async_configure(flow_id, {CONF_PSK: OTHER_PSK})
    assert result["errors"] == {CONF_PSK: "invalid_auth"}
    import base64

    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_PSK: base64.b64encode(new_key).decode()}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await settle(hass)
    assert secure_entry.runtime_data.client.authenticated


async def test_reconfigure_network(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """Move the hub to another port; another hub there is refused."""
    other = HubPeer()
    other.state.hub_id = "BH-OTHER"
    await other.start_tcp()
    moved = HubPeer()
    await moved.start_tcp()
    try:
        result = await loaded_entry.start_reconfigure_flow(hass)
        assert result["step_id"] == SOURCE_RECONFIGURE
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: other.port}
        )
        assert result["reason"] == "wrong_hub"
        result = await loaded_entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: moved.port}
        )
        assert result["reason"] == "reconfigure_successful"
        assert loaded_entry.data[CONF_PORT] == moved.port
        await settle(hass)
        assert loaded_entry.runtime_data.client.port == moved.port
    finally:
        assert await hass.config_entries.async_unload(loaded_entry.entry_id)
        await other.stop()
        await moved.stop()


async def test_reconfigure_serial(
    hass: HomeAssistant, serial_peer: HubPeer, ports: list[ListPortInfo]
) -> None:
    """A serial entry is reconfigured with a port list."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=HUB_ID,
        data={CONF_CONNECTION: CONNECTION_SERIAL, CONF_DEVICE: "/dev/ttyACM9"},
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DEVICE: serial_peer.serial_path}
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_DEVICE] == serial_peer.serial_path
    await settle(hass)
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_options_channel(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """Pulse constant, register reading now and a name make HA show the meter display."""
    peer.set_count(0, 1, 2000)
    await settle(hass)
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    assert result["step_id"] == "init"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_CHANNEL: "0:1"}
    )
    assert result["step_id"] == "channel"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_MEDIUM: "electricity",
            CONF_PULSE_CONSTANT: 500,
            CONF_REGISTER: 12345.6,
            CONF_NAME: "Mains",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_entry.options[CONF_CHANNELS]["0:1"] == {
        CONF_MEDIUM: 1,
        CONF_PULSE_CONSTANT: 500.0,
        CONF_NAME: "Mains",
    }
    await settle(hass)
    state = hass.states.get("sensor.balance_hub_bh_00a1b2_energy_1")
    assert state.attributes["friendly_name"] == "BALANCE hub BH-00A1B2 Mains"
    assert float(state.state) == pytest.approx(12345.6)
    peer.set_count(0, 1, 2500)  # 500 pulses at 500 imp/kWh
    await settle(hass)
    state = hass.states.get("sensor.balance_hub_bh_00a1b2_energy_1")
    assert float(state.state) == pytest.approx(12346.6)


async def test_options_register_in_the_past(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """A reading taken earlier uses the hub's hourly archive."""
    now = int(dt_util.utcnow().timestamp())
    hour = now // 3600 * 3600 - 3 * 3600
    peer.state.archive[(0, 2)] = {hour: 100, hour + 3600: 200}
    peer.set_count(0, 2, 300)  # within what the meter can measure since the first report
    await settle(hass)
    when = dt_util.as_local(dt_util.utc_from_timestamp(hour + 1800))
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_CHANNEL: "0:2"}
    )
    base = {CONF_MEDIUM: "water", CONF_PULSE_CONSTANT: 1}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {**base, CONF_REGISTER: 100, CONF_REGISTER_TIME: "2999-01-01 00:00:00"},
    )
    assert result["errors"] == {CONF_REGISTER_TIME: "time_in_future"}
    old = dt_util.as_local(dt_util.utc_from_timestamp(hour - 20 * 3600))
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {**base, CONF_REGISTER: 100, CONF_REGISTER_TIME: old.strftime("%Y-%m-%d %H:%M:%S")},
    )
    assert result["errors"] == {"base": "archive_unavailable"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {**base, CONF_REGISTER: 100, CONF_REGISTER_TIME: when.strftime("%Y-%m-%d %H:%M:%S")},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await settle(hass)
    # 150 pulses at the reading (1 L each), 300 now: 100 m³ + 0.15 m³
    state = hass.states.get("sensor.balance_hub_bh_00a1b2_water_2")
    assert float(state.state) == pytest.approx(100.15)


async def test_options_not_loaded(hass: HomeAssistant, config_entry: MockConfigEntry) -> None:
    """Options need a connected hub."""
    config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(config_entry.entry_id)
    assert result["reason"] == "not_loaded"
