"""Utility link: an OpenADR 3 VEN in Home Assistant (its own entry kind).

The VEN core is plain Python in :mod:`..openadr`; this package runs it on HA's session and
clock, applies its directive through load management and exposes it as entities.
"""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.storage import Store

from ..const import DOMAIN, MANUFACTURER  # noqa: TID252
from ..openadr import EnrolmentError, VtnAuthError  # noqa: TID252
from . import push
from .const import STATS_KEY, STORAGE_KEY, STORAGE_VERSION
from .link import UtilityLink, UtilityLinkConfigEntry

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.CALENDAR,
    Platform.EVENT,
    Platform.SENSOR,
]


async def async_setup_entry(hass: HomeAssistant, entry: UtilityLinkConfigEntry) -> bool:
    """Reach the VTN (offline is fine: polling retries), then the entities, then polling."""
    link = UtilityLink(hass, entry)
    try:
        await link.async_start()
    except VtnAuthError as err:
        raise ConfigEntryAuthFailed(translation_domain=DOMAIN, translation_key="vtn_auth") from err
    except EnrolmentError as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN, translation_key="vtn_not_enrolled"
        ) from err
    entry.runtime_data = link
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, entry.entry_id)},
        manufacturer=MANUFACTURER,
        model="Utility link (OpenADR 3 VEN)",
        name=entry.title,
    )
    entry.async_on_unload(entry.add_update_listener(_async_update_listener))
    try:
        await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    except BaseException:
        await link.async_stop()
        raise
    link.async_start_polling()
    await push.async_subscribe(hass, link)
    return True


async def _async_update_listener(hass: HomeAssistant, entry: UtilityLinkConfigEntry) -> None:
    """Options changed: bounds, poll interval and meters apply in place."""
    entry.runtime_data.async_reconfigure(entry)


async def async_unload_entry(hass: HomeAssistant, entry: UtilityLinkConfigEntry) -> bool:
    """Stop polling and push, release the DR limit and holds, unload the entities."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        push.async_unsubscribe(hass, entry.runtime_data)
        await entry.runtime_data.async_stop()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: UtilityLinkConfigEntry) -> None:
    """Forget the report buffer and the statistics of a removed link."""
    for key in (STORAGE_KEY, STATS_KEY):
        await Store(hass, STORAGE_VERSION, key.format(entry_id=entry.entry_id)).async_remove()


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: UtilityLinkConfigEntry, device: dr.DeviceEntry
) -> bool:
    """The link's one device stays while the entry exists."""
    return False


__all__ = [
    "PLATFORMS",
    "async_remove_config_entry_device",
    "async_remove_entry",
    "async_setup_entry",
    "async_unload_entry",
]
