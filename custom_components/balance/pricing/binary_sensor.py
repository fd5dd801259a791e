"""Binary sensor of a pricing entry: this clock hour's energy is above the contracted capacity."""

from __future__ import annotations

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .entity import PricingEntity, remove_stale_entities
from .runtime import PricingConfigEntry

PARALLEL_UPDATES = 0

CAPACITY_EXCEEDED = BinarySensorEntityDescription(
    key="capacity_exceeded",
    translation_key="capacity_exceeded",
    device_class=BinarySensorDeviceClass.PROBLEM,
)


class CapacityExceededSensor(PricingEntity, BinarySensorEntity):
    """On while the energy of this clock hour exceeds contract_kw x 1 h (penalised)."""

    @property
    def is_on(self) -> bool:
        """True when this hour is billed at the penalty rate above the contract."""
        capacity = self.runtime.tariff.capacity
        assert capacity is not None
        return self.runtime.ledger.this_hour_kwh(dt_util.utcnow()) > capacity.contract_kw


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PricingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """The capacity sensor exists when the tariff has a contracted capacity."""
    entities = []
    if entry.runtime_data.tariff.capacity is not None:
        entities.append(CapacityExceededSensor(entry, CAPACITY_EXCEEDED))
    remove_stale_entities(hass, entry, Platform.BINARY_SENSOR, entities)
    async_add_entities(entities)
