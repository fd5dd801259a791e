"""Sensors of cloud meters: the register (Energy dashboard), today's consumption, the price."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.components.sensor import (
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from ..const import DOMAIN, MANUFACTURER  # noqa: TID252
from .api import CloudMeter
from .coordinator import CloudConfigEntry, CloudCoordinator
from .resources import ResourceKind, meter_unit, resource_kind

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class CloudSensorDescription(SensorEntityDescription):
    """A sensor of one cloud meter."""

    value_fn: Callable[[CloudMeter], float | None]
    exists_fn: Callable[[CloudMeter], bool] = lambda _meter: True
    metered: bool = True
    """In the meter's unit, with its device class."""
    attrs_fn: Callable[[CloudMeter], Mapping[str, Any]] | None = None


SENSORS: tuple[CloudSensorDescription, ...] = (
    CloudSensorDescription(
        key="total",
        translation_key="cloud_total",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda meter: meter.total,
    ),
    # No state class: the register above is the one total for the Energy dashboard.
    CloudSensorDescription(
        key="today",
        translation_key="cloud_today",
        value_fn=lambda meter: meter.today,
        attrs_fn=lambda meter: {"sum": meter.amount} if meter.amount is not None else {},
    ),
    CloudSensorDescription(
        key="price",
        translation_key="cloud_price",
        metered=False,
        exists_fn=lambda meter: bool(meter.prices),
        value_fn=lambda meter: meter.prices[0] if meter.prices else None,
        attrs_fn=lambda meter: {"prices": list(meter.prices)},
    ),
)


def device_identifier(entry: CloudConfigEntry, meter_key: str) -> tuple[str, str]:
    """Device registry identifier of a cloud meter."""
    return DOMAIN, f"cloud_{entry.unique_id}_{meter_key}"


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CloudConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of every meter now and of meters the server lists later."""
    coordinator = entry.runtime_data
    known: set[str] = set()

    @callback
    def _add_new_meters() -> None:
        new = [meter for key, meter in coordinator.data.items() if key not in known]
        known.update(meter.key for meter in new)
        async_add_entities(
            CloudMeterSensor(coordinator, meter, kind, description)
            for meter in new
            if (kind := resource_kind(meter)) is not None
            for description in SENSORS
            if description.exists_fn(meter)
        )

    _add_new_meters()
    entry.async_on_unload(coordinator.async_add_listener(_add_new_meters))


class CloudMeterSensor(CoordinatorEntity[CloudCoordinator], SensorEntity):
    """One value of one cloud meter."""

    _attr_has_entity_name = True
    entity_description: CloudSensorDescription

    def __init__(
        self,
        coordinator: CloudCoordinator,
        meter: CloudMeter,
        kind: ResourceKind,
        description: CloudSensorDescription,
    ) -> None:
        """Bind to a meter of the account."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        self.entity_description = description
        self.meter_key = meter.key
        self._attr_unique_id = f"cloud_{entry.unique_id}_{meter.key}_{description.key}"
        if description.metered:
            self._attr_device_class = kind.device_class
            self._attr_native_unit_of_measurement = meter_unit(meter, kind)
            self._attr_suggested_display_precision = kind.precision
        device = DeviceInfo(
            identifiers={device_identifier(entry, meter.key)},
            manufacturer=MANUFACTURER,
            serial_number=meter.slave_uid,
        )
        if meter.name:
            device["name"] = meter.name
        else:
            device["translation_key"] = f"cloud_{kind.key}"
            device["translation_placeholders"] = {"meter": meter.slave_uid}
        self._attr_device_info = device

    @property
    def meter(self) -> CloudMeter | None:
        """The meter's last data, None when the server no longer lists it."""
        return self.coordinator.data.get(self.meter_key)

    @property
    def available(self) -> bool:
        """Available while the server lists the meter with a value."""
        meter = self.meter
        return (
            super().available
            and meter is not None
            and self.entity_description.value_fn(meter) is not None
        )

    @property
    def native_value(self) -> float | None:
        """The value the server sent last."""
        meter = self.meter
        return None if meter is None else self.entity_description.value_fn(meter)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """The price list, or the day's ``sum`` as the server sends it."""
        meter = self.meter
        attrs_fn = self.entity_description.attrs_fn
        return attrs_fn(meter) if meter is not None and attrs_fn is not None else None
