"""Base entity of a pricing entry: one device per tariff, updated by its runtime."""

from __future__ import annotations

from collections.abc import Iterable

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription

from ..const import DOMAIN, MANUFACTURER  # noqa: TID252
from .runtime import PricingConfigEntry, PricingRuntime


class PricingEntity(Entity):
    """An entity of a pricing entry."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: PricingConfigEntry, description: EntityDescription) -> None:
        """Bind to the entry's runtime."""
        self.entity_description = description
        self.runtime: PricingRuntime = entry.runtime_data
        self._attr_unique_id = f"{entry.entry_id}-{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            manufacturer=MANUFACTURER,
            model="Tariff",
            name=entry.title,
        )

    async def async_added_to_hass(self) -> None:
        """Follow the runtime."""
        self.async_on_remove(self.runtime.async_add_listener(self.async_write_ha_state))


@callback
def remove_stale_entities(
    hass: HomeAssistant, entry: PricingConfigEntry, domain: str, entities: Iterable[Entity]
) -> None:
    """Forget the entry's ``domain`` entities the tariff no longer has (zones, capacity)."""
    keep = {entity.unique_id for entity in entities}
    registry = er.async_get(hass)
    for registered in er.async_entries_for_config_entry(registry, entry.entry_id):
        if registered.domain == domain and registered.unique_id not in keep:
            registry.async_remove(registered.entity_id)
