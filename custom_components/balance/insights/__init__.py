"""Meter insights: analytics, live alerts and BALANCE groups over any meter's statistics.

Its own entry kind (``insights``, one per installation): the entry holds the billing cycle and
the outdoor-temperature and "away" entities; each meter and each group is a subentry with its
own device. See docs/analytics.md.
"""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from ..const import DOMAIN  # noqa: TID252
from .runtime import InsightsConfigEntry, InsightsRuntime

PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.SENSOR]


async def async_setup_entry(hass: HomeAssistant, entry: InsightsConfigEntry) -> bool:
    """Start the runtime (first analysis in the background) and the entities."""
    runtime = InsightsRuntime(hass, entry)
    entry.runtime_data = runtime
    await runtime.async_start()
    entry.async_on_unload(runtime.async_stop)
    entry.async_on_unload(entry.add_update_listener(_async_update_listener))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def _async_update_listener(hass: HomeAssistant, entry: InsightsConfigEntry) -> None:
    """Settings, meters or groups changed: rebuild (nothing here acts on devices)."""
    hass.config_entries.async_schedule_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: InsightsConfigEntry) -> bool:
    """Unload the entities (the runtime stops with the entry's unload callbacks)."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: InsightsConfigEntry) -> None:
    """Nothing kept outside the entry (the groups' loss statistics stay in the recorder)."""


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: InsightsConfigEntry, device: dr.DeviceEntry
) -> bool:
    """A meter's or group's device may go once its subentry is gone."""
    current = {(DOMAIN, f"{entry.entry_id}-{sub_id}") for sub_id in entry.subentries}
    return not device.identifiers & current


__all__ = [
    "PLATFORMS",
    "async_remove_config_entry_device",
    "async_remove_entry",
    "async_setup_entry",
    "async_unload_entry",
]
