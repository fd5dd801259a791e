"""Sensors of load management: effective limit, its reason, headroom and per-load state."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import UnitOfPower, UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..dlm import EngineState, LimitReason, LoadStatus  # noqa: TID252
from .entity import LoadManagementEntity, ManagedLoadEntity
from .manager import LoadManager


@dataclass(frozen=True, kw_only=True)
class LoadManagementSensorDescription(SensorEntityDescription):
    """A sensor of the load-management device."""

    value_fn: Callable[[EngineState], float | str | None]
    attrs_fn: Callable[[EngineState], Mapping[str, Any]] | None = None


@dataclass(frozen=True, kw_only=True)
class ManagedLoadSensorDescription(SensorEntityDescription):
    """A sensor of a managed load."""

    value_fn: Callable[[LoadManager, str], float | str | None]


def _watts(value: float | None) -> float | None:
    return None if value is None else round(value)


SENSORS: tuple[LoadManagementSensorDescription, ...] = (
    LoadManagementSensorDescription(
        key="effective_limit",
        translation_key="effective_limit",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda s: _watts(s.limit_w),
        attrs_fn=lambda s: {"reason": s.limit_reason.value},
    ),
    LoadManagementSensorDescription(
        key="limit_reason",
        translation_key="limit_reason",
        device_class=SensorDeviceClass.ENUM,
        options=[reason.value for reason in LimitReason],
        value_fn=lambda s: s.limit_reason.value,
    ),
    LoadManagementSensorDescription(
        key="headroom",
        translation_key="headroom",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda s: _watts(s.headroom_w),
    ),
)

LOAD_SENSORS: tuple[ManagedLoadSensorDescription, ...] = (
    ManagedLoadSensorDescription(
        key="load_state",
        translation_key="load_state",
        device_class=SensorDeviceClass.ENUM,
        options=[status.value for status in LoadStatus],
        value_fn=lambda manager, load_id: manager.load_status(load_id).value,
    ),
    ManagedLoadSensorDescription(
        key="off_today",
        translation_key="off_today",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MINUTES,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=0,
        value_fn=lambda manager, load_id: round(
            manager.state().loads[load_id].off_today_s / 60.0, 1
        ),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of the load-management device and of each managed load."""
    manager: LoadManager = entry.runtime_data
    async_add_entities(LoadManagementSensor(manager, description) for description in SENSORS)
    for load in manager.loads.values():
        async_add_entities(
            (ManagedLoadSensor(manager, load, description) for description in LOAD_SENSORS),
            config_subentry_id=load.load_id,
        )


class LoadManagementSensor(LoadManagementEntity, SensorEntity):
    """A value of the engine state."""

    entity_description: LoadManagementSensorDescription

    @property
    def native_value(self) -> float | str | None:
        """Current value."""
        return self.entity_description.value_fn(self.manager.state())

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Extra attributes (the binding limit's reason)."""
        attrs_fn = self.entity_description.attrs_fn
        return None if attrs_fn is None else attrs_fn(self.manager.state())


class ManagedLoadSensor(ManagedLoadEntity, SensorEntity):
    """A value of one managed load."""

    entity_description: ManagedLoadSensorDescription

    @property
    def native_value(self) -> float | str | None:
        """Current value."""
        return self.entity_description.value_fn(self.manager, self.load_id)
