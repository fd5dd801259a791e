"""Load management: the DLM engine driven by Home Assistant entities (its own entry kind)."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.storage import Store

from ..const import DOMAIN, MANUFACTURER  # noqa: TID252
from .const import CONF_KIND, CONF_POWER_ENTITY, KIND_LOAD_MANAGEMENT, STORAGE_KEY, STORAGE_VERSION
from .guard import GuardLink
from .issues import IssueTracker
from .manager import LoadManagementConfigEntry, LoadManager
from .planner_link import has_price_source
from .settings import ManagerSettings, entity_shape, entry_unique_id, managed_loads

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
]


def _platforms(manager: LoadManager) -> list[Platform]:
    """The entry's platforms: the calendar of planned runs only with a planner price source."""
    return [*PLATFORMS, Platform.CALENDAR] if manager.planner.enabled else PLATFORMS


def is_load_management(entry: ConfigEntry) -> bool:
    """True for a load-management entry (a hub entry has no kind or kind "hub")."""
    return entry.data.get(CONF_KIND) == KIND_LOAD_MANAGEMENT


async def async_setup_entry(hass: HomeAssistant, entry: LoadManagementConfigEntry) -> bool:
    """Start the manager (adopting what it held before a restart) and its entities."""
    _migrate_unique_id(hass, entry)
    manager = LoadManager(hass, entry)
    manager.device_id = (
        dr.async_get(hass)
        .async_get_or_create(
            config_entry_id=entry.entry_id,
            identifiers={(DOMAIN, entry.entry_id)},
            manufacturer=MANUFACTURER,
            model="Load management",
            name=entry.title,
        )
        .id
    )  # registered first: each managed load's device names it as its parent
    await manager.async_start()
    entry.runtime_data = manager
    guard = GuardLink(hass, manager)
    guard.start()
    entry.async_on_unload(guard.stop)
    entry.async_on_unload(entry.add_update_listener(_async_update_listener))
    try:
        await hass.config_entries.async_forward_entry_setups(entry, _platforms(manager))
    except BaseException:
        await manager.async_stop()  # no timers left behind by a failed setup
        raise
    return True


def _migrate_unique_id(hass: HomeAssistant, entry: LoadManagementConfigEntry) -> None:
    """Entries created before unique ids get the id of their power sensor (if still free)."""
    if entry.unique_id is not None:
        return
    unique_id = entry_unique_id(entry.options[CONF_POWER_ENTITY])
    if hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, unique_id) is None:
        hass.config_entries.async_update_entry(entry, unique_id=unique_id)


def can_remove_device(entry: LoadManagementConfigEntry, device: dr.DeviceEntry) -> bool:
    """A managed load's device may go once its subentry is gone."""
    current = {(DOMAIN, entry.entry_id)} | {
        (DOMAIN, f"{entry.entry_id}-{load_id}") for load_id in managed_loads(entry)
    }
    return not device.identifiers & current


async def async_remove_entry(hass: HomeAssistant, entry: LoadManagementConfigEntry) -> None:
    """Forget the persisted state and the repair issues of a removed entry."""
    await Store(hass, STORAGE_VERSION, STORAGE_KEY.format(entry_id=entry.entry_id)).async_remove()
    IssueTracker(hass, entry.entry_id).clear()


async def _async_update_listener(hass: HomeAssistant, entry: LoadManagementConfigEntry) -> None:
    """Options or managed loads changed: applied in place, entities follow without a reload.

    Only switching capacity periods, phase limits or the planner's price source on or off
    reloads: it adds or removes entities of the load-management device.
    """
    manager = entry.runtime_data
    planner = has_price_source(entry.options)
    if (
        entity_shape(ManagerSettings.from_options(entry.options)) != entity_shape(manager.settings)
        or planner != manager.planner.enabled
    ):
        hass.config_entries.async_schedule_reload(entry.entry_id)
        return
    manager.async_reconfigure(entry)


async def async_unload_entry(hass: HomeAssistant, entry: LoadManagementConfigEntry) -> bool:
    """Stop acting (loads stay as they are) and unload the entities."""
    unloaded = await hass.config_entries.async_unload_platforms(
        entry, _platforms(entry.runtime_data)
    )
    if unloaded:
        await entry.runtime_data.async_stop()
    return unloaded


__all__ = [
    "PLATFORMS",
    "async_remove_entry",
    "async_setup_entry",
    "async_unload_entry",
    "can_remove_device",
    "is_load_management",
]
