"""Binary sensors of load management."""

from __future__ import annotations

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import LoadManagementEntity
from .manager import LoadManagementConfigEntry

SHEDDING = BinarySensorEntityDescription(key="shedding", translation_key="shedding")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: LoadManagementConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the "shedding active" sensor."""
    manager = entry.runtime_data
    async_add_entities([SheddingBinarySensor(manager, SHEDDING)])


class SheddingBinarySensor(LoadManagementEntity, BinarySensorEntity):
    """On while the engine holds at least one load off to respect the limit."""

    @property
    def is_on(self) -> bool:
        """True while shedding."""
        return self.manager.state().shedding_active
