"""Base entity of the utility-link device, refreshed after every poll and directive change."""

from __future__ import annotations

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription

from ..const import DOMAIN, MANUFACTURER  # noqa: TID252
from .link import UtilityLink


class UtilityLinkEntity(Entity):
    """An entity of one utility link's device."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, link: UtilityLink, description: EntityDescription) -> None:
        """Bind to the link of one utility-link entry."""
        entry_id = link.entry.entry_id
        self.link = link
        self.entity_description = description
        self._attr_unique_id = f"{entry_id}-{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry_id)},
            manufacturer=MANUFACTURER,
            model="Utility link (OpenADR 3 VEN)",
            name=link.entry.title,
        )

    async def async_added_to_hass(self) -> None:
        """Follow the link's updates."""
        await super().async_added_to_hass()
        self.async_on_remove(self.link.async_add_listener(self._async_link_updated))

    @callback
    def _async_link_updated(self) -> None:
        self.async_write_ha_state()
