"""The BALANCE integration: pulse meters, radio nodes and contactors behind a BALANCE hub."""

from __future__ import annotations

from homeassistant.const import EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.typing import ConfigType

from . import load_management
from .config_flow import create_client
from .const import DOMAIN
from .coordinator import (
    BalanceConfigEntry,
    BalanceCoordinator,
    BalanceRuntimeData,
    totals_store,
)
from .entity import MANUFACTURER
from .load_management.services import async_setup_services

PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.SENSOR, Platform.SWITCH]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: BalanceConfigEntry) -> bool:
    """Set up a hub entry, or a load-management entry (its own kind, see load_management).

    A hub that does not answer properly raises ConfigEntryNotReady / ConfigEntryAuthFailed
    before anything is registered.
    """
    if load_management.is_load_management(entry):
        return await load_management.async_setup_entry(hass, entry)
    client = create_client(entry.data)
    coordinator = BalanceCoordinator(hass, entry, client)
    await coordinator.async_setup()
    entry.runtime_data = BalanceRuntimeData(client, coordinator)
    info = coordinator.hub_info
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, coordinator.hub_id)},
        manufacturer=MANUFACTURER,
        model=info.model if info else None,
        name=f"BALANCE hub {coordinator.hub_id}",
        serial_number=coordinator.hub_id,
        sw_version=info.firmware if info else None,
    )
    try:
        await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    except BaseException:
        await coordinator.async_shutdown()
        raise
    entry.async_on_unload(entry.add_update_listener(_async_update_listener))

    async def _async_stop(_event: Event) -> None:
        await coordinator.async_shutdown()

    entry.async_on_unload(hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _async_stop))
    return True


async def _async_update_listener(hass: HomeAssistant, entry: BalanceConfigEntry) -> None:
    """Options changed: rebuild the entities with the new channel settings."""
    await hass.config_entries.async_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: BalanceConfigEntry) -> bool:
    """Unload the platforms and close the link."""
    if load_management.is_load_management(entry):
        return await load_management.async_unload_entry(hass, entry)
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.coordinator.async_shutdown()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: BalanceConfigEntry) -> None:
    """Forget the stored meter totals of a removed hub."""
    if not load_management.is_load_management(entry):
        await totals_store(hass, entry.entry_id).async_remove()
    else:
        await load_management.async_remove_entry(hass, entry)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: BalanceConfigEntry, device_entry: dr.DeviceEntry
) -> bool:
    """Allow removing a node's device once the hub no longer lists the node."""
    if load_management.is_load_management(entry):
        return load_management.can_remove_device(entry, device_entry)
    return not entry.runtime_data.coordinator.is_known_device(device_entry)


__all__ = ["BalanceCoordinator", "async_setup_entry", "async_unload_entry"]
