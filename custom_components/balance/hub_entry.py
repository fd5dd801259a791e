"""Set-up and tear-down of a hub entry: the client, the coordinator and the hub's device."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.const import (
    CONF_DEVICE,
    CONF_HOST,
    CONF_PORT,
    EVENT_HOMEASSISTANT_STOP,
    Platform,
)
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import device_registry as dr

from .const import CONF_CONNECTION, CONF_PSK, CONNECTION_SERIAL, DEFAULT_PORT
from .coordinator import BalanceConfigEntry, BalanceCoordinator, BalanceRuntimeData
from .hub import HubClient, parse_psk
from .totals import totals_store

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.NUMBER,
    Platform.SENSOR,
    Platform.SWITCH,
]


def create_client(data: Mapping[str, Any], **kwargs: Any) -> HubClient:
    """Build a hub client from config entry data."""
    psk = parse_psk(data[CONF_PSK]) if data.get(CONF_PSK) else None
    if data.get(CONF_CONNECTION) == CONNECTION_SERIAL:
        return HubClient(device=data[CONF_DEVICE], psk=psk, **kwargs)
    port = data.get(CONF_PORT, DEFAULT_PORT)
    return HubClient(host=data[CONF_HOST], port=port, psk=psk, **kwargs)


async def async_setup_entry(hass: HomeAssistant, entry: BalanceConfigEntry) -> bool:
    """Connect to the hub and set up its entities.

    A hub that does not answer properly raises ConfigEntryNotReady / ConfigEntryAuthFailed
    before anything is registered.
    """
    client = create_client(entry.data)
    coordinator = BalanceCoordinator(hass, entry, client)
    await coordinator.async_setup()
    entry.runtime_data = BalanceRuntimeData(client, coordinator)
    try:
        await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    except BaseException:
        await coordinator.async_shutdown()
        raise
    # No update listener: the options flow reloads the entry itself (see compat), and the
    # reauth / reconfigure / discovery flows reload it through HA; a listener would make
    # that a second reload, and newer HA refuses the combination.
    entry.async_on_unload(coordinator.async_shutdown)

    async def _async_stop(_event: Event) -> None:
        await coordinator.async_shutdown()

    entry.async_on_unload(hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _async_stop))
    return True


async def async_unload_entry(hass: HomeAssistant, entry: BalanceConfigEntry) -> bool:
    """Unload the platforms; the link closes with the entry's other unload callbacks."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: BalanceConfigEntry) -> None:
    """Forget the stored meter totals of a removed hub."""
    await totals_store(hass, entry.entry_id).async_remove()


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: BalanceConfigEntry, device_entry: dr.DeviceEntry
) -> bool:
    """Allow removing a node's device once the hub no longer lists the node."""
    return not entry.runtime_data.coordinator.inventory.is_known_device(device_entry)
