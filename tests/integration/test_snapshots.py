"""Snapshots of every entity and of the diagnostics."""

from __future__ import annotations

import pytest
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.balance.hub.messages import ChannelFlag

from .conftest import settle
from .hub_peer import NODE_ID, HubPeer


def _household(peer: HubPeer) -> None:
    """Readings of a small household."""
    peer.state.hub_time = 1_764_003_600
    peer.set_count(0, 1, 123_456, rate_mph=1_500_000)  # 123.456 kWh, 1500 W
    peer.set_count(0, 2, 45_678, rate_mph=120_000)  # 45.678 m³, 2 L/min
    peer.state.channel_flags[(NODE_ID, 1)] = ChannelFlag.MAGNETIC
    peer.set_count(NODE_ID, 1, 9_876, rate_mph=50_000)  # 98.76 m³ gas, 0.5 m³/h
    peer.set_count(NODE_ID, 2, 3_210, rate_mph=2_000)  # 3210 kWh heat, 2 kW
    peer.set_status(NODE_ID, battery_mv=3550, battery_pct=87, rssi=-81, hops=2,
                    last_seen=1_764_003_500, flags=0)  # fmt: skip


@pytest.fixture
def peer(peer: HubPeer) -> HubPeer:
    """The household's readings are in place before Home Assistant's first report."""
    _household(peer)
    return peer


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("platform", [Platform.SENSOR, Platform.BINARY_SENSOR, Platform.SWITCH])
async def test_entities(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    peer: HubPeer,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Every entity of a platform, with its registry entry and state."""
    _household(peer)
    await settle(hass)
    entries = [
        e
        for e in er.async_entries_for_config_entry(entity_registry, loaded_entry.entry_id)
        if e.domain != platform
    ]
    for entry in entries:
        entity_registry.async_remove(entry.entity_id)
    await snapshot_platform(hass, entity_registry, snapshot, loaded_entry.entry_id)


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: object,
    loaded_entry: MockConfigEntry,
    peer: HubPeer,
    snapshot: SnapshotAssertion,
) -> None:
    """Diagnostics carry the link, inventory and values, with secrets redacted."""
    _household(peer)
    await settle(hass)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, loaded_entry)
    assert diagnostics["entry"]["data"]["host"] == "**REDACTED**"
    assert diagnostics == snapshot(
        exclude=props("port", "entry_id", "hub_time", "uptime_s", "connects", "frames",
                      "report_seq", "created_at", "modified_at", "at")
    )  # fmt: skip
