"""Sensors of load management: effective limit, its reason, headroom and per-load state."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, UnitOfEnergy, UnitOfPower, UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from ..dlm import PHASES, EngineState, LimitReason, LoadKind, LoadState, LoadStatus  # noqa: TID252
from .actuators import charger_phases
from .entity import LoadManagementEntity, ManagedLoadEntity, async_setup_load_entities
from .manager import LoadManagementConfigEntry, LoadManager
from .planner_link import plannable
from .schedule import Schedule
from .settings import LoadSettings


@dataclass(frozen=True, kw_only=True)
class LoadManagementSensorDescription(SensorEntityDescription):
    """A sensor of the load-management device."""

    value_fn: Callable[[EngineState], float | str | None]
    attrs_fn: Callable[[EngineState], Mapping[str, Any]] | None = None


@dataclass(frozen=True, kw_only=True)
class ManagedLoadSensorDescription(SensorEntityDescription):
    """A sensor of a managed load."""

    value_fn: Callable[[LoadManager, str], float | str | datetime | None]
    attrs_fn: Callable[[LoadManager, str], Mapping[str, Any]] | None = None


def _kwh(value: float | None) -> float | None:
    return None if value is None else round(value / 1000.0, 2)


def _load(manager: LoadManager, load_id: str) -> LoadState:
    return manager.state().loads[load_id]


def _current_a(manager: LoadManager, load_id: str) -> Mapping[str, Any]:
    load = manager.loads[load_id]
    setpoint = _load(manager, load_id).setpoint_w
    if setpoint is None or load.kind is not LoadKind.CHARGER:
        return {}
    return {"current_a": round(setpoint / (load.voltage * charger_phases(manager.hass, load)), 1)}


def _watts(value: float | None) -> float | None:
    return None if value is None else round(value)


SENSORS: tuple[LoadManagementSensorDescription, ...] = (
    LoadManagementSensorDescription(
        key="effective_limit",
        translation_key="effective_limit",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda s: _watts(s.limit_w),
        attrs_fn=lambda s: {
            "reason": s.limit_reason.value,
            "hard_limit_w": _watts(s.hard_limit_w),
            "soft_limit_w": _watts(s.soft_limit_w),
        },
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
        suggested_display_precision=0,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda s: _watts(s.headroom_w),
    ),
)

CAPACITY_SENSORS: tuple[LoadManagementSensorDescription, ...] = (
    LoadManagementSensorDescription(
        key="capacity_average",
        translation_key="capacity_average",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda s: _watts(s.capacity.average_w) if s.capacity else None,
        attrs_fn=lambda s: (
            {
                "target_w": _watts(s.capacity.target_w),
                "period_start": dt_util.utc_from_timestamp(s.capacity.period_start_s).isoformat(),
            }
            if s.capacity
            else {}
        ),
    ),
    LoadManagementSensorDescription(
        key="capacity_projection",
        translation_key="capacity_projection",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda s: _watts(s.capacity.projected_w) if s.capacity else None,
    ),
    LoadManagementSensorDescription(
        key="month_peak",
        translation_key="month_peak",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        value_fn=lambda s: _watts(s.capacity.month_peak_w) if s.capacity else None,
        attrs_fn=lambda s: (
            {"period_start": dt_util.utc_from_timestamp(s.capacity.month_peak_start_s).isoformat()}
            if s.capacity and s.capacity.month_peak_start_s is not None
            else {}
        ),
    ),
)

PHASE_SENSORS: tuple[LoadManagementSensorDescription, ...] = tuple(
    LoadManagementSensorDescription(
        key=f"headroom_{phase.lower()}",
        translation_key="phase_headroom",
        translation_placeholders={"phase": phase},
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda s, phase=phase: _watts(s.phase_headroom_w.get(phase)),  # type: ignore[misc]
    )
    for phase in PHASES
)

SETPOINT = ManagedLoadSensorDescription(
    key="setpoint",
    translation_key="setpoint",
    device_class=SensorDeviceClass.POWER,
    native_unit_of_measurement=UnitOfPower.WATT,
    suggested_display_precision=0,
    state_class=SensorStateClass.MEASUREMENT,
    value_fn=lambda manager, load_id: _watts(_load(manager, load_id).setpoint_w),
    attrs_fn=_current_a,
)

JOB_SENSORS: tuple[ManagedLoadSensorDescription, ...] = (
    ManagedLoadSensorDescription(
        key="job_energy",
        translation_key="job_energy",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda manager, load_id: _kwh(_load(manager, load_id).energy_wh),
    ),
    ManagedLoadSensorDescription(
        key="expected_energy",
        translation_key="expected_energy",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        value_fn=lambda manager, load_id: _kwh(_load(manager, load_id).expected_wh),
    ),
    ManagedLoadSensorDescription(
        key="shortfall",
        translation_key="shortfall",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        value_fn=lambda manager, load_id: _kwh(_load(manager, load_id).shortfall_wh),
    ),
    ManagedLoadSensorDescription(
        key="departure",
        translation_key="departure",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda manager, load_id: (
            None
            if (deadline := _load(manager, load_id).deadline_s) is None
            else dt_util.utc_from_timestamp(deadline)
        ),
    ),
)

EXPECTED_SOC = ManagedLoadSensorDescription(
    key="expected_soc",
    translation_key="expected_soc",
    native_unit_of_measurement=PERCENTAGE,
    suggested_display_precision=0,
    value_fn=lambda manager, load_id: _load(manager, load_id).expected_soc_pct,
)


def _schedule(manager: LoadManager, load_id: str) -> Schedule | None:
    return manager.planner.schedules.get(load_id)


PLAN_SENSORS: tuple[ManagedLoadSensorDescription, ...] = (
    ManagedLoadSensorDescription(
        key="planned_start",
        translation_key="planned_start",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda manager, load_id: (
            None if (s := _schedule(manager, load_id)) is None else s.planned_start
        ),
    ),
    ManagedLoadSensorDescription(
        key="planned_end",
        translation_key="planned_end",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda manager, load_id: (
            None if (s := _schedule(manager, load_id)) is None else s.planned_end
        ),
    ),
    ManagedLoadSensorDescription(
        key="planned_energy",
        translation_key="planned_energy",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda manager, load_id: (
            None if (s := _schedule(manager, load_id)) is None else round(s.energy_kwh, 3)
        ),
        attrs_fn=lambda manager, load_id: (
            {}
            if (s := _schedule(manager, load_id)) is None
            else {"cost": None if s.cost is None else round(s.cost, 4), "feasible": not s.shortfall}
        ),
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
    entry: LoadManagementConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of the load-management device and of each managed load."""
    manager = entry.runtime_data
    descriptions = list(SENSORS)
    if manager.settings.capacity is not None:
        descriptions += CAPACITY_SENSORS
    if manager.settings.phase_limits_w:
        descriptions += PHASE_SENSORS
    async_add_entities(LoadManagementSensor(manager, description) for description in descriptions)
    async_setup_load_entities(entry, async_add_entities, _load_sensors)


def _load_sensors(manager: LoadManager, load: LoadSettings) -> list[ManagedLoadEntity]:
    descriptions = list(LOAD_SENSORS)
    if load.power_range_w() is not None:
        descriptions.append(SETPOINT)
    if load.kind is LoadKind.CHARGER:
        descriptions += JOB_SENSORS
        if load.soc_entity and load.battery_kwh:
            descriptions.append(EXPECTED_SOC)
    if manager.planner.enabled and plannable(load):
        descriptions += PLAN_SENSORS
    return [ManagedLoadSensor(manager, load, description) for description in descriptions]


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
    def native_value(self) -> float | str | datetime | None:
        """Current value."""
        return self.entity_description.value_fn(self.manager, self.load_id)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Extra attributes (a charger's setpoint also in A)."""
        attrs_fn = self.entity_description.attrs_fn
        return None if attrs_fn is None else attrs_fn(self.manager, self.load_id)
