"""Base entity of meter insights: one device per meter and per group (the subentries)."""

from __future__ import annotations

from collections.abc import Iterable

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription

from ..const import DOMAIN, MANUFACTURER  # noqa: TID252
from .runtime import InsightsRuntime


class InsightsEntity(Entity):
    """An entity of one meter or group, refreshed after every analysis or alert change."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self,
        runtime: InsightsRuntime,
        subentry_id: str,
        name: str,
        model: str,
        description: EntityDescription,
    ) -> None:
        """Bind to one subentry (a meter or a group) of the insights entry."""
        self.runtime = runtime
        self.subentry_id = subentry_id
        self.entity_description = description
        entry_id = runtime.entry.entry_id
        self._attr_unique_id = f"{entry_id}-{subentry_id}-{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, f"{entry_id}-{subentry_id}")},
            manufacturer=MANUFACTURER,
            model=model,
            name=name,
        )

    async def async_added_to_hass(self) -> None:
        """Follow the runtime's updates."""
        await super().async_added_to_hass()
        self.async_on_remove(self.runtime.async_add_listener(self._async_updated))

    @callback
    def _async_updated(self) -> None:
        self.async_write_ha_state()


@callback
def remove_stale(
    hass: HomeAssistant, entry: ConfigEntry, domain: str, entities: Iterable[InsightsEntity]
) -> None:
    """Remove this platform's entities a changed meter or group no longer has."""
    wanted = {entity.unique_id for entity in entities}
    registry = er.async_get(hass)
    for found in er.async_entries_for_config_entry(registry, entry.entry_id):
        if found.domain == domain and found.unique_id not in wanted:
            registry.async_remove(found.entity_id)
