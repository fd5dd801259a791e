"""BALANCE cloud: meters of an existing BALANCE server account (its own entry kind).

The plain-Python client is :mod:`.api`; this package is the Home Assistant side: a polling
coordinator, meter sensors and hourly long-term statistics. See docs/cloud.md.
"""

from __future__ import annotations

from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import CloudClient
from .coordinator import CloudConfigEntry, CloudCoordinator, resource_overrides, scan_interval
from .sensor import device_identifier
from .statistics import HourlyImporter

PLATFORMS: list[Platform] = [Platform.SENSOR]


async def async_setup_entry(hass: HomeAssistant, entry: CloudConfigEntry) -> bool:
    """Sign in, read the meters once and add their sensors."""
    client = CloudClient(
        async_get_clientsession(hass),
        entry.data[CONF_URL],
        entry.data[CONF_USERNAME],
        entry.data[CONF_PASSWORD],
    )
    coordinator = CloudCoordinator(hass, entry, client, HourlyImporter(hass, str(entry.unique_id)))
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def _async_options_updated(hass: HomeAssistant, entry: CloudConfigEntry) -> None:
    """A new polling interval applies in place; chosen resources change entities: reload."""
    coordinator = entry.runtime_data
    if resource_overrides(entry) != coordinator.overrides:
        hass.config_entries.async_schedule_reload(entry.entry_id)
        return
    coordinator.set_interval(scan_interval(entry))


async def async_unload_entry(hass: HomeAssistant, entry: CloudConfigEntry) -> bool:
    """Unload the sensors (the statistics stay)."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: CloudConfigEntry) -> None:
    """Nothing to forget: the entry keeps no storage, its statistics stay as history."""


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: CloudConfigEntry, device: dr.DeviceEntry
) -> bool:
    """A meter's device may go once the server no longer lists the meter."""
    listed = {device_identifier(entry, key) for key in entry.runtime_data.data}
    return not device.identifiers & listed


__all__ = [
    "PLATFORMS",
    "async_remove_config_entry_device",
    "async_remove_entry",
    "async_setup_entry",
    "async_unload_entry",
]
