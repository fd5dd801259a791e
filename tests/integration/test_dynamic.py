"""Dynamic devices and stale radio nodes: entities follow the hub without a reload."""

from __future__ import annotations

from datetime import timedelta

import pytest
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.balance.const import RADIO_SILENT_AFTER
from custom_components.balance.hub.messages import (
    Capability,
    ChannelInfo,
    Medium,
    NodeFlag,
    NodeInfo,
    NodeKind,
    OutputState,
)

from .conftest import eventually, settle
from .hub_peer import ALL_CAPS, NODE_ID, HubPeer

GAS_3 = "sensor.balance_hub_bh_00a1b2_gas_3"
OUTPUT_3 = "switch.balance_hub_bh_00a1b2_output_3"
PHASE_LOSS = "binary_sensor.balance_hub_bh_00a1b2_phase_loss"
NODE_GAS = "sensor.d100fc_00001001_gas_1"
NODE_LAST_SEEN = "sensor.d100fc_00001001_last_seen"
NODE_OUT_OF_RANGE = "binary_sensor.d100fc_00001001_out_of_range"


def _grow_hub(peer: HubPeer, *, channels: int = 2, outputs: int = 2) -> None:
    media = (Medium.ELECTRICITY, Medium.WATER, Medium.GAS)
    peer.state.nodes[0] = NodeInfo(
        0,
        NodeKind.HUB,
        "1.2.0",
        tuple(ChannelInfo(ch, media[ch - 1], 0) for ch in range(1, channels + 1)),
        outputs,
    )


async def test_channel_added_to_known_node(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    peer: HubPeer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A meter wired to a new input of the hub gets its entities at its first report."""
    assert hass.states.get(GAS_3) is None
    _grow_hub(peer, channels=3)
    peer.set_count(0, 3, 250)
    await eventually(lambda: hass.states.get(GAS_3) is not None, hass)
    await eventually(lambda: hass.states.get(GAS_3).state == "2.5", hass)  # 250 x 10 L
    assert hass.states.get("sensor.balance_hub_bh_00a1b2_gas_flow_3") is not None
    assert hass.states.get("binary_sensor.balance_hub_bh_00a1b2_open_circuit_3") is not None
    assert "does not generate unique IDs" not in caplog.text


async def test_output_added_to_known_node(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """A contactor added to the hub appears as a switch when the hub reports it."""
    assert hass.states.get(OUTPUT_3) is None
    _grow_hub(peer, outputs=3)
    peer.push(OutputState(0, 2, 1, 0, peer.state.hub_time))
    await eventually(lambda: hass.states.get(OUTPUT_3) is not None, hass)
    await settle(hass)
    assert hass.states.get(OUTPUT_3).state == "on"


async def test_safety_capability_after_reflash(
    hass: HomeAssistant, config_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """A hub that announces safety sensors after a firmware update gets them without reload."""
    peer.state.capabilities = ALL_CAPS & ~Capability.SAFETY
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await settle(hass)
    assert hass.states.get(PHASE_LOSS) is None
    peer.state.capabilities = ALL_CAPS
    await peer.drop()
    await eventually(lambda: hass.states.get(PHASE_LOSS) is not None, hass)
    assert hass.states.get(PHASE_LOSS).state == "off"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_out_of_range_node_is_unavailable(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """The hub flags a module out of range: its meters go unavailable, the reason stays shown."""
    peer.set_count(NODE_ID, 1, 100)
    peer.set_status(NODE_ID, last_seen=peer.state.hub_time)
    await settle(hass)
    assert hass.states.get(NODE_GAS).state != STATE_UNAVAILABLE
    peer.set_status(NODE_ID, flags=NodeFlag.OUT_OF_RANGE)
    await settle(hass)
    assert hass.states.get(NODE_GAS).state == STATE_UNAVAILABLE
    assert hass.states.get(NODE_LAST_SEEN).state != STATE_UNAVAILABLE
    assert hass.states.get(NODE_OUT_OF_RANGE).state == "on"
    peer.set_status(NODE_ID, flags=0)
    await settle(hass)
    assert hass.states.get(NODE_GAS).state != STATE_UNAVAILABLE


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_silent_node_is_unavailable(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """A module silent past its report interval goes unavailable until it reports again."""
    peer.set_count(NODE_ID, 1, 100)
    peer.set_status(NODE_ID, last_seen=peer.state.hub_time)
    await settle(hass)
    node = loaded_entry.runtime_data.coordinator.nodes[NODE_ID]
    assert node.heard_at is not None
    node.heard_at -= RADIO_SILENT_AFTER + 1  # as if the last report came that long ago
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=31))
    await settle(hass)
    assert hass.states.get(NODE_GAS).state == STATE_UNAVAILABLE
    assert hass.states.get(NODE_LAST_SEEN).state != STATE_UNAVAILABLE
    assert hass.states.get(NODE_OUT_OF_RANGE).state == "on"
    hub_node = hass.states.get("sensor.balance_hub_bh_00a1b2_energy_1")
    assert hub_node is not None and hub_node.state != STATE_UNAVAILABLE
    peer.set_count(NODE_ID, 1, 110)
    await settle(hass)
    assert hass.states.get(NODE_GAS).state != STATE_UNAVAILABLE
