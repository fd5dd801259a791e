"""The BALANCE integration: pulse meters, radio nodes and contactors behind a BALANCE hub.

Several kinds of config entry share the domain (see :mod:`.kinds`): hubs (:mod:`.hub_entry`),
load management (:mod:`.load_management`), tariffs and costs (:mod:`.pricing`), meter insights
(:mod:`.insights`), the utility link (:mod:`.utility_link`) and a BALANCE cloud account
(:mod:`.cloud`).
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.typing import ConfigType

from . import cloud, hub_entry, insights, load_management, pricing, utility_link
from .const import DOMAIN
from .kinds import by_entry_kind
from .load_management.manager import LoadManagementConfigEntry
from .load_management.services import async_setup_services
from .utility_link.services import async_setup_services as async_setup_utility_link_services

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions."""
    async_setup_services(hass)
    async_setup_utility_link_services(hass)
    return True


async def _async_can_remove_managed_device(
    hass: HomeAssistant, entry: LoadManagementConfigEntry, device_entry: dr.DeviceEntry
) -> bool:
    return load_management.can_remove_device(entry, device_entry)


async_setup_entry = by_entry_kind(
    hub=hub_entry.async_setup_entry,
    load_management=load_management.async_setup_entry,
    pricing=pricing.async_setup_entry,
    cloud=cloud.async_setup_entry,
    insights=insights.async_setup_entry,
    utility_link=utility_link.async_setup_entry,
)
async_unload_entry = by_entry_kind(
    hub=hub_entry.async_unload_entry,
    load_management=load_management.async_unload_entry,
    pricing=pricing.async_unload_entry,
    cloud=cloud.async_unload_entry,
    insights=insights.async_unload_entry,
    utility_link=utility_link.async_unload_entry,
)
async_remove_entry = by_entry_kind(
    hub=hub_entry.async_remove_entry,
    load_management=load_management.async_remove_entry,
    pricing=pricing.async_remove_entry,
    cloud=cloud.async_remove_entry,
    insights=insights.async_remove_entry,
    utility_link=utility_link.async_remove_entry,
)
async_remove_config_entry_device = by_entry_kind(
    hub=hub_entry.async_remove_config_entry_device,
    load_management=_async_can_remove_managed_device,
    pricing=pricing.async_remove_config_entry_device,
    cloud=cloud.async_remove_config_entry_device,
    insights=insights.async_remove_config_entry_device,
    utility_link=utility_link.async_remove_config_entry_device,
)

__all__ = ["async_setup", "async_setup_entry", "async_unload_entry"]
