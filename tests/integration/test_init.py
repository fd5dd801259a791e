"""Set-up, unload, reconnect, availability, devices and repair issues."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from unittest.mock import patch

import pytest
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP, STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.balance.const import DOMAIN
from custom_components.balance.hub.messages import (
    Alarm,
    AlarmKind,
    ChannelFlag,
    ChannelInfo,
    ChannelReading,
    Counters,
    Medium,
    NodeInfo,
    NodeKind,
    NodeStatus,
)

from .conftest import eventually, settle
from .hub_peer import HUB_ID, NODE_ID, HubPeer

CONNECTIVITY = "binary_sensor.balance_hub_bh_00a1b2_connectivity"
ENERGY = "sensor.balance_hub_bh_00a1b2_energy_1"
GAS = "sensor.d100fc_00001001_gas_1"


async def test_setup_and_unload(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """The entry loads, entities exist, unload closes the link."""
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert hass.states.get(CONNECTIVITY).state == STATE_ON
    client = loaded_entry.runtime_data.client
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    assert loaded_entry.state is ConfigEntryState.NOT_LOADED
    assert not client.connected
    assert hass.states.get(ENERGY).state == STATE_UNAVAILABLE


async def test_not_ready_when_hub_absent(
    hass: HomeAssistant, config_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """A hub that does not answer gives ConfigEntryNotReady, not a half-built entry."""
    await peer.stop()
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert not hass.states.async_entity_ids()
    assert not dr.async_entries_for_config_entry(dr.async_get(hass), config_entry.entry_id)


async def test_not_ready_when_hub_silent(
    hass: HomeAssistant, config_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """A socket that accepts but never answers the handshake is not a hub."""
    peer.silent = True
    config_entry.add_to_hass(hass)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("custom_components.balance.hub.client.CONNECT_TIMEOUT", 0.2)
        await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY


async def test_wrong_hub_id(
    hass: HomeAssistant, config_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """Another hub at the configured address is not adopted."""
    peer.state.hub_id = "BH-OTHER"
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY


async def test_incompatible_hub(
    hass: HomeAssistant, config_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """A hub that needs a newer protocol: not ready and a repair issue."""
    peer.state.version = peer.state.min_version = 2
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"firmware_outdated_{HUB_ID}")


async def test_outdated_firmware_issue(
    hass: HomeAssistant, config_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """Firmware older than the minimum raises a repair issue; an update clears it."""
    peer.state.firmware = "0.9.0"
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    registry = ir.async_get(hass)
    assert registry.async_get_issue(DOMAIN, f"firmware_outdated_{HUB_ID}")
    peer.state.firmware = "1.3.0"
    await peer.drop()
    await eventually(
        lambda: registry.async_get_issue(DOMAIN, f"firmware_outdated_{HUB_ID}") is None
    )
    device = dr.async_get(hass).async_get_device({(DOMAIN, HUB_ID)})
    assert device is not None and device.sw_version == "1.3.0"


async def test_bad_key_starts_reauth(
    hass: HomeAssistant, secure_entry: MockConfigEntry, secure_peer: HubPeer
) -> None:
    """A key the hub refuses: setup error and a reauth flow."""
    secure_peer.psk = bytes(32)
    secure_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(secure_entry.entry_id)
    assert secure_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress()
    assert [f["context"]["source"] for f in flows] == [SOURCE_REAUTH]


async def test_key_changed_while_running_starts_reauth(
    hass: HomeAssistant, secure_entry: MockConfigEntry, secure_peer: HubPeer
) -> None:
    """The hub gets a new key while HA runs: reconnect fails with auth, reauth starts."""
    secure_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(secure_entry.entry_id)
    await settle(hass)
    assert secure_entry.runtime_data.client.authenticated
    secure_peer.psk = bytes(32)
    await secure_peer.drop()
    await eventually(lambda: bool(hass.config_entries.flow.async_progress()), hass)
    assert hass.states.get(CONNECTIVITY).state == STATE_OFF


async def test_link_loss_and_return(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    peer: HubPeer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Entities go unavailable while the hub is away, one log line each way."""
    peer.set_count(0, 1, 1000)
    await settle(hass)
    assert hass.states.get(ENERGY).state == "1.0"
    caplog.clear()
    caplog.set_level(logging.INFO, logger="custom_components.balance")
    port = peer.port
    await peer.stop()
    await eventually(lambda: hass.states.get(ENERGY).state == STATE_UNAVAILABLE, hass)
    assert hass.states.get(CONNECTIVITY).state == STATE_OFF
    await asyncio.sleep(0.3)  # several failed reconnects: still one line
    peer.state.counts[(0, 1)] = 1300  # within 1.45 kWh in a moment at 43.5 kW
    await peer.start_tcp(port)
    await eventually(lambda: hass.states.get(ENERGY).state == "1.3", hass)
    assert hass.states.get(CONNECTIVITY).state == STATE_ON
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("custom_components")]
    assert len([m for m in lines if "unavailable" in m]) == 1
    assert len([m for m in lines if "connected again" in m]) == 1


async def test_node_joins_later(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """A node unknown at setup appears without a reload when it reports."""
    new_id = 0x2002
    peer.state.nodes[new_id] = NodeInfo(
        new_id, NodeKind.D100FC, "0.9.1", (ChannelInfo(1, Medium.WATER, 0),), 0
    )
    peer.set_count(new_id, 1, 42)
    await eventually(lambda: hass.states.get("sensor.d100fc_00002002_water_1") is not None, hass)
    await eventually(
        lambda: hass.states.get("sensor.d100fc_00002002_water_1").state == "0.042", hass
    )
    device = dr.async_get(hass).async_get_device({(DOMAIN, f"{HUB_ID}:{new_id}")})
    hub = dr.async_get(hass).async_get_device({(DOMAIN, HUB_ID)})
    assert device is not None and device.via_device_id == hub.id


async def test_stale_devices(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """Nodes that left the hub lose their device; only unknown devices can be removed."""
    registry = dr.async_get(hass)
    assert await async_setup_component(hass, "config", {})
    node_device = registry.async_get_device({(DOMAIN, f"{HUB_ID}:{NODE_ID}")})
    hub_device = registry.async_get_device({(DOMAIN, HUB_ID)})
    coordinator = loaded_entry.runtime_data.coordinator
    assert coordinator.inventory.is_known_device(node_device)
    from custom_components.balance import async_remove_config_entry_device

    assert not await async_remove_config_entry_device(hass, loaded_entry, hub_device)
    assert not await async_remove_config_entry_device(hass, loaded_entry, node_device)
    ghost = registry.async_get_or_create(
        config_entry_id=loaded_entry.entry_id, identifiers={(DOMAIN, f"{HUB_ID}:999")}
    )
    assert await async_remove_config_entry_device(hass, loaded_entry, ghost)
    # The node leaves the hub's inventory: its device goes at the next reconnect.
    del peer.state.nodes[NODE_ID]
    await peer.drop()
    await eventually(lambda: registry.async_get_device({(DOMAIN, f"{HUB_ID}:{NODE_ID}")}) is None)


async def test_counter_reset_no_dip(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """A new epoch (reflash, battery change) continues the total: no dip, no spike.

    (Counter wraps: tests/integration/test_counter_integrity.py; steps stay within what the
    meter can measure since the previous report.)"""
    peer.set_count(0, 1, 1000)
    await settle(hass)
    assert hass.states.get(ENERGY).state == "1.0"
    peer.state.epoch = 2
    peer.set_count(0, 1, 300)
    await settle(hass)
    assert hass.states.get(ENERGY).state == "1.3"
    # a stale report (same epoch, lower count) changes nothing
    peer.set_count(0, 1, 200)
    await settle(hass)
    assert hass.states.get(ENERGY).state == "1.3"


async def test_totals_survive_restart(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """Totals are stored: a reload after a hub reflash (counters at 0) keeps the total."""
    peer.set_count(0, 1, 1250)
    await settle(hass)
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    peer.state.epoch = 7
    peer.state.counts.clear()
    peer.set_count(0, 1, 10)
    await settle(hass)
    assert hass.states.get(ENERGY).state == "1.26"


async def test_battery_and_plausibility_issues(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """Battery low and a plausibility alarm lasting an hour become repair issues."""
    registry = ir.async_get(hass)
    peer.set_status(NODE_ID, battery_pct=9, flags=1)
    await settle(hass)
    assert registry.async_get_issue(DOMAIN, f"battery_low_{HUB_ID}_{NODE_ID}")
    peer.set_status(NODE_ID, battery_pct=100, flags=0)
    await settle(hass)
    assert registry.async_get_issue(DOMAIN, f"battery_low_{HUB_ID}_{NODE_ID}") is None

    issue = f"plausibility_{HUB_ID}_{NODE_ID}_1_{int(AlarmKind.OPEN_CIRCUIT)}"
    peer.raise_alarm(NODE_ID, 1, AlarmKind.OPEN_CIRCUIT, True)
    await settle(hass)
    assert hass.states.get("binary_sensor.d100fc_00001001_open_circuit_1").state == STATE_ON
    assert registry.async_get_issue(DOMAIN, issue) is None
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=61))
    await hass.async_block_till_done()
    assert registry.async_get_issue(DOMAIN, issue)
    peer.raise_alarm(NODE_ID, 1, AlarmKind.OPEN_CIRCUIT, False)
    await settle(hass)
    assert registry.async_get_issue(DOMAIN, issue) is None
    assert hass.states.get("binary_sensor.d100fc_00001001_open_circuit_1").state == STATE_OFF

    # A short alarm from the channel flags never becomes an issue.
    magnetic = f"plausibility_{HUB_ID}_0_2_{int(AlarmKind.MAGNETIC)}"
    peer.state.channel_flags[(0, 2)] = ChannelFlag.MAGNETIC
    peer.set_count(0, 2, 1)
    await settle(hass)
    assert hass.states.get("binary_sensor.balance_hub_bh_00a1b2_magnetic_field_2").state == STATE_ON
    peer.state.channel_flags[(0, 2)] = 0
    peer.set_count(0, 2, 2)
    await settle(hass)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(hours=2))
    await hass.async_block_till_done()
    assert registry.async_get_issue(DOMAIN, magnetic) is None


async def test_safety_alarm(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """Phase loss turns the hub's safety sensor on and is a critical repair issue at once."""
    registry = ir.async_get(hass)
    issue_id = f"safety_{HUB_ID}_0_{int(AlarmKind.PHASE_LOSS)}"
    peer.raise_alarm(0, 0xFF, AlarmKind.PHASE_LOSS, True)
    await settle(hass)
    assert hass.states.get("binary_sensor.balance_hub_bh_00a1b2_phase_loss").state == STATE_ON
    issue = registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.CRITICAL
    assert issue.translation_key == "safety_phase_loss"
    peer.raise_alarm(0, 0xFF, AlarmKind.PHASE_LOSS, False)
    await settle(hass)
    assert hass.states.get("binary_sensor.balance_hub_bh_00a1b2_phase_loss").state == STATE_OFF
    assert registry.async_get_issue(DOMAIN, issue_id) is None


async def test_stop_event_closes_link(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """Home Assistant stopping closes the hub link."""
    client = loaded_entry.runtime_data.client
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert not client.connected


async def test_unusual_messages(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """Duplicates, unknown nodes, channels, media and alarm kinds are handled quietly."""
    coordinator = loaded_entry.runtime_data.coordinator
    peer.set_count(0, 1, 1000)
    await settle(hass)
    duplicate = Counters(0, 1, peer.state.report_seq, peer.state.epoch,
                         (ChannelReading(1, 9999, 0, 0),))  # fmt: skip
    peer.push(duplicate)
    await settle(hass)
    assert hass.states.get(ENERGY).state == "1.0"
    # an unknown channel, an unknown node's status and alarm, an unknown alarm kind
    peer.push(Counters(0, 1, 999, peer.state.epoch, (ChannelReading(9, 5, 0, 0),)))
    peer.push(NodeStatus(0x3003, 3000, 50, -90, 3, 0, 0))
    peer.push(Alarm(0x3003, 1, AlarmKind.MAGNETIC, 1, 0, 0))
    peer.push(Alarm(0, 1, 200, 1, 0, 0))
    # a channel with a medium this integration does not know
    peer.state.nodes[0x3003] = NodeInfo(
        0x3003, NodeKind.D100FC, "1", (ChannelInfo(1, 9, 0), ChannelInfo(2, Medium.GAS, 0)), 0
    )
    await settle(hass, 20)
    assert 0x3003 in coordinator.nodes
    assert list(coordinator.nodes[0x3003].channels) == [2]
    # the backfill seam's archive access
    peer.state.archive[(0, 1)] = {7200: 5}
    records = await coordinator.async_request_archive(0, 1, 7200, 10800)
    assert records[0].values[0].count == 5
    assert [spec.channel for spec in coordinator.inventory.channel_specs()][:2] == [1, 2]


async def test_calibrate_before_first_report(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """A register reading given before any pulse becomes the offset."""
    coordinator = loaded_entry.runtime_data.coordinator
    peer.state.nodes[0x4004] = NodeInfo(
        0x4004, NodeKind.D100FC, "1", (ChannelInfo(1, Medium.WATER, 0),), 0
    )
    peer.push(NodeStatus(0x4004, 3000, 50, -90, 3, 0, 0))
    await eventually(lambda: 0x4004 in coordinator.nodes, hass)
    await coordinator.async_calibrate(f"{0x4004}:1", register=12.5)
    assert coordinator.nodes[0x4004].channels[1].total.total == 12.5


async def test_backfill_failure_is_logged(
    hass: HomeAssistant, config_entry: MockConfigEntry, peer: HubPeer,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    """An unexpected backfill error is logged and the entry keeps working."""
    config_entry.add_to_hass(hass)
    with patch(
        "custom_components.balance.backfill.async_backfill", side_effect=RuntimeError("boom")
    ):
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await settle(hass)
    assert "Archive backfill of BH-00A1B2 failed" in caplog.text
    assert config_entry.state is ConfigEntryState.LOADED


async def test_platform_failure_closes_link(
    hass: HomeAssistant, config_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """If the platforms cannot be set up, the link does not linger."""
    config_entry.add_to_hass(hass)
    with patch(
        "homeassistant.config_entries.ConfigEntries.async_forward_entry_setups",
        side_effect=RuntimeError("platform bug"),
    ):
        await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    await settle(hass)
    assert not any(link for link in peer.links if not link.closed)


async def test_remove_entry_forgets_totals(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, peer: HubPeer, hass_storage: dict
) -> None:
    """Removing the hub deletes its stored totals."""
    peer.set_count(0, 1, 10)
    await settle(hass)
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    key = f"{DOMAIN}.{loaded_entry.entry_id}.totals"
    assert key in hass_storage
    await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage


async def test_backfill_runs_every_hour_while_connected(
    hass: HomeAssistant, config_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """The archive is imported again a little after each full hour, only while connected."""
    config_entry.add_to_hass(hass)
    with patch("custom_components.balance.backfill.async_backfill") as backfill:
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await settle(hass)
        after_setup = backfill.call_count
        next_hour = dt_util.utcnow().replace(minute=2, second=0, microsecond=0) + timedelta(hours=1)
        async_fire_time_changed(hass, next_hour)
        await settle(hass)
        assert backfill.call_count == after_setup + 1
        config_entry.runtime_data.coordinator.connected = False
        async_fire_time_changed(hass, next_hour + timedelta(hours=1))
        await settle(hass)
        assert backfill.call_count == after_setup + 1
