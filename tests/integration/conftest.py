"""Fixtures of the integration tests: a real hub peer on 127.0.0.1 and a config entry."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncGenerator, Callable, Generator
from unittest.mock import PropertyMock, patch

import pytest
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.balance.const import (
    CONF_CONNECTION,
    CONF_PSK,
    CONNECTION_TCP,
    DOMAIN,
)
from custom_components.balance.hub import Backoff

from .hub_peer import HUB_ID, HubPeer

PSK = bytes(range(32))
PSK_TEXT = base64.b64encode(PSK).decode()


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    socket_enabled: None, recorder_mock: object, enable_custom_integrations: None
) -> None:
    """Load custom_components/balance (and the recorder it depends on) in every test.

    Sockets are enabled; the HA plugin still only lets them connect to 127.0.0.1.
    """


@pytest.fixture(autouse=True)
def fast_backoff() -> Generator[None]:
    """Reconnect within tens of milliseconds instead of seconds."""
    with patch(
        "custom_components.balance.hub.client.Backoff",
        lambda: Backoff(minimum=0.02, maximum=0.1),
    ):
        yield


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots with Home Assistant's serializer (stable registry entries and states)."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create the entities that are disabled by default enabled."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


@pytest.fixture
async def peer() -> AsyncGenerator[HubPeer]:
    """A plaintext hub on 127.0.0.1."""
    hub = HubPeer()
    await hub.start_tcp()
    yield hub
    await hub.stop()


@pytest.fixture
async def secure_peer() -> AsyncGenerator[HubPeer]:
    """A hub that requires the pre-shared key PSK."""
    hub = HubPeer(psk=PSK)
    await hub.start_tcp()
    yield hub
    await hub.stop()


@pytest.fixture
def config_entry(peer: HubPeer) -> MockConfigEntry:
    """A config entry for the plaintext peer."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"BALANCE hub {HUB_ID}",
        unique_id=HUB_ID,
        data={CONF_CONNECTION: CONNECTION_TCP, CONF_HOST: "127.0.0.1", CONF_PORT: peer.port},
    )


@pytest.fixture
def secure_entry(secure_peer: HubPeer) -> MockConfigEntry:
    """A config entry for the keyed peer."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"BALANCE hub {HUB_ID}",
        unique_id=HUB_ID,
        data={
            CONF_CONNECTION: CONNECTION_TCP,
            CONF_HOST: "127.0.0.1",
            CONF_PORT: secure_peer.port,
            CONF_PSK: PSK_TEXT,
        },
    )


@pytest.fixture
async def loaded_entry(
    hass: HomeAssistant, config_entry: MockConfigEntry, peer: HubPeer
) -> MockConfigEntry:
    """The plaintext entry, set up, with the initial state received."""
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await settle(hass)
    return config_entry


async def settle(hass: HomeAssistant, rounds: int = 5) -> None:
    """Let frames travel through the sockets and HA process them."""
    for _ in range(rounds):
        await asyncio.sleep(0.01)
        await hass.async_block_till_done()


async def eventually(check: Callable[[], object], hass: HomeAssistant | None = None) -> None:
    """Poll ``check`` until it is true (frames cross real sockets), for at most 5 s."""
    async with asyncio.timeout(5):
        while not check():
            await asyncio.sleep(0.01)
            if hass is not None:
                await hass.async_block_till_done()
