"""What Home Assistant makes of each resource a BALANCE server meters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import UnitOfEnergy, UnitOfVolume
from homeassistant.util.unit_conversion import EnergyConverter, VolumeConverter

from ..hub.messages import Medium  # noqa: TID252
from ..metering import DEFAULT_MAX_RATE  # noqa: TID252
from .api import CloudMeter, Resource


@dataclass(frozen=True, slots=True)
class ResourceKind:
    """Device class, units and statistic suffix of one resource."""

    key: str
    device_class: SensorDeviceClass
    default_unit: str
    units: frozenset[str]
    unit_class: str
    precision: int
    medium: Medium


_ENERGY_UNITS: Final = frozenset(
    {
        UnitOfEnergy.KILO_WATT_HOUR,
        UnitOfEnergy.MEGA_WATT_HOUR,
        UnitOfEnergy.GIGA_JOULE,
        UnitOfEnergy.GIGA_CALORIE,
    }
)
_VOLUME_UNITS: Final = frozenset({UnitOfVolume.CUBIC_METERS, UnitOfVolume.LITERS})

RESOURCES: Final[dict[Resource, ResourceKind]] = {
    Resource.ELECTRICITY: ResourceKind(
        "energy",
        SensorDeviceClass.ENERGY,
        UnitOfEnergy.KILO_WATT_HOUR,
        _ENERGY_UNITS,
        EnergyConverter.UNIT_CLASS,
        2,
        Medium.ELECTRICITY,
    ),
    Resource.HEAT: ResourceKind(
        "heat",
        SensorDeviceClass.ENERGY,
        UnitOfEnergy.KILO_WATT_HOUR,
        _ENERGY_UNITS,
        EnergyConverter.UNIT_CLASS,
        3,
        Medium.HEAT,
    ),
    Resource.WATER: ResourceKind(
        "water",
        SensorDeviceClass.WATER,
        UnitOfVolume.CUBIC_METERS,
        _VOLUME_UNITS,
        VolumeConverter.UNIT_CLASS,
        3,
        Medium.WATER,
    ),
    Resource.GAS: ResourceKind(
        "gas",
        SensorDeviceClass.GAS,
        UnitOfVolume.CUBIC_METERS,
        _VOLUME_UNITS,
        VolumeConverter.UNIT_CLASS,
        3,
        Medium.GAS,
    ),
}


def resource_kind(meter: CloudMeter) -> ResourceKind | None:
    """The kind of a meter whose resource is known, else None (it is not imported)."""
    return RESOURCES.get(meter.resource) if meter.resource is not None else None


def meter_unit(meter: CloudMeter, kind: ResourceKind) -> str:
    """The unit the server names if it fits the resource, else the resource's usual unit."""
    return meter.unit if meter.unit in kind.units else kind.default_unit


def max_per_hour(kind: ResourceKind, unit: str) -> float:
    """What a household meter of the resource can measure in an hour, in ``unit``.

    The hub's defaults (docs/statistics.md, "Implausible reports"): 43.5 kW, 10 m³/h of water,
    16 m³/h of gas, 50 kW of heat.
    """
    energy = kind.unit_class == EnergyConverter.UNIT_CLASS
    converter = EnergyConverter if energy else VolumeConverter
    return converter.convert(DEFAULT_MAX_RATE[kind.medium], kind.default_unit, unit)
