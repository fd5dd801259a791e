"""Load management: the DLM engine driven by Home Assistant entities (its own entry kind)."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.storage import Store

from ..const import DOMAIN  # noqa: TID252
from .const import CONF_KIND, KIND_LOAD_MANAGEMENT, STORAGE_KEY, STORAGE_VERSION
from .guard import GuardLink
from .issues import IssueTracker
from .manager import LoadManagementConfigEntry, LoadManager
from .settings import managed_loads

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
]


def is_load_management(entry: ConfigEntry) -> bool:
    """True for a load-management entry (a hub entry has no kind or kind "hub")."""
    return entry.data.get(CONF_KIND) == KIND_LOAD_MANAGEMENT


async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Start the manager (adopting what it held before a restart) and its entities."""
    manager = LoadManager(hass, entry)
    await manager.async_start()
    entry.runtime_data = manager
    guard = GuardLink(hass, manager)
    guard.start()
    entry.async_on_unload(guard.stop)
    entry.async_on_unload(entry.add_update_listener(_async_update_listener))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


def can_remove_device(entry: ConfigEntry, device: dr.DeviceEntry) -> bool:
    """A managed load's device may go once its subentry is gone."""
    current = {(DOMAIN, entry.entry_id)} | {
        (DOMAIN, f"{entry.entry_id}-{load_id}") for load_id in managed_loads(entry)
    }
    return not device.identifiers & current


async def async_remove_entry(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Forget the persisted state and the repair issues of a removed entry."""
    await Store(hass, STORAGE_VERSION, STORAGE_KEY.format(entry_id=entry.entry_id)).async_remove()
    IssueTracker(hass, entry.entry_id).clear()


async def _async_update_listener(hass: HomeAssistant, entry: LoadManagementConfigEntry) -> None:
    """Loads added or removed: reload; anything else is applied in place."""
    manager = entry.runtime_data
    if set(managed_loads(entry)) != set(manager.loads):
        await hass.config_entries.async_reload(entry.entry_id)
        return
    manager.async_reconfigure(entry)


async def async_unload_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Stop acting (loads stay as they are) and unload the entities."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        manager: LoadManager = entry.runtime_data
        await manager.async_stop()
    return unloaded


__all__ = [
    "PLATFORMS",
    "async_remove_entry",
    "async_setup_entry",
    "async_unload_entry",
    "can_remove_device",
    "is_load_management",
]
