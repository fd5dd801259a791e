"""Sensors of meter insights: per meter (period, forecast, comparisons, indicators), per group."""

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
from homeassistant.const import PERCENTAGE, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from ..analytics import Balance  # noqa: TID252
from ..analytics.timebase import hour_start  # noqa: TID252
from .const import PHASE_NAMES
from .entity import InsightsEntity, remove_stale
from .group_compute import GroupReport
from .runtime import InsightsConfigEntry, InsightsRuntime, group_unit
from .settings import GroupSettings, MeterSettings

NOT_PROOF = (
    "A pointer for an inspection, never proof: common-area loads that follow one flat's habits "
    "or a meter wired to the wrong parent look the same."
)
MAX_RANKED = 10
_DEVICE_CLASS = {
    "electricity": SensorDeviceClass.ENERGY,
    "heat": SensorDeviceClass.ENERGY,
    "water": SensorDeviceClass.WATER,
    "gas": SensorDeviceClass.GAS,
}


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _pct(ratio: float | None) -> float | None:
    return None if ratio is None else round(ratio * 100.0, 1)


@dataclass(frozen=True, kw_only=True)
class MeterSensorDescription(SensorEntityDescription):
    """A sensor of one meter."""

    value_fn: Callable[[InsightsRuntime, MeterSettings], StateType]
    attrs_fn: Callable[[InsightsRuntime, MeterSettings], Mapping[str, Any]] | None = None
    in_meter_unit: bool = False
    exists_fn: Callable[[InsightsRuntime, MeterSettings], bool] = lambda r, m: True


def _report_attrs(runtime: InsightsRuntime, meter: MeterSettings) -> Mapping[str, Any]:
    found = runtime.reports.get(meter.meter_id)
    if found is None:
        return {}
    report = found.report
    return {
        "method": report.method,
        "backtest_mape": _round(found.backtest_mape, 2),
        "period_start": report.start.isoformat(),
        "period_end": report.end.isoformat(),
        "to_date": _round(runtime.period_to_date(meter.meter_id)),
        "average": _round(report.average),
        "last_year": _round(report.last_year),
        "expected": [
            {"date": day.isoformat(), "value": round(value, 3)} for day, value in report.expected
        ],
    }


def _report_value(name: str) -> Callable[[InsightsRuntime, MeterSettings], StateType]:
    def value(runtime: InsightsRuntime, meter: MeterSettings) -> StateType:
        found = runtime.reports.get(meter.meter_id)
        return None if found is None else _round(getattr(found.report, name))

    return value


def _ratio_attrs(runtime: InsightsRuntime, meter: MeterSettings) -> Mapping[str, Any]:
    found = runtime.reports.get(meter.meter_id)
    if found is None:
        return {}
    return {"normalised_ratio": _pct(found.report.normalised_ratio)}


def _last_year_attrs(runtime: InsightsRuntime, meter: MeterSettings) -> Mapping[str, Any]:
    found = runtime.reports.get(meter.meter_id)
    return {} if found is None else {"to_date": _round(found.report.last_year_to_date)}


METER_SENSORS: tuple[MeterSensorDescription, ...] = (
    MeterSensorDescription(
        key="period_to_date",
        translation_key="period_to_date",
        state_class=SensorStateClass.TOTAL,
        in_meter_unit=True,
        value_fn=lambda r, m: _round(r.period_to_date(m.meter_id)),
    ),
    MeterSensorDescription(
        key="forecast",
        translation_key="period_forecast",
        state_class=SensorStateClass.MEASUREMENT,
        in_meter_unit=True,
        value_fn=lambda r, m: _round(r.forecast(m.meter_id)),
        attrs_fn=_report_attrs,
    ),
    MeterSensorDescription(
        key="average",
        translation_key="period_average",
        state_class=SensorStateClass.MEASUREMENT,
        in_meter_unit=True,
        value_fn=_report_value("average"),
    ),
    MeterSensorDescription(
        key="last_year",
        translation_key="period_last_year",
        state_class=SensorStateClass.MEASUREMENT,
        in_meter_unit=True,
        value_fn=_report_value("last_year"),
        attrs_fn=_last_year_attrs,
    ),
    MeterSensorDescription(
        key="consumption_ratio",
        translation_key="consumption_ratio",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda r, m: _pct(
            r.reports[m.meter_id].report.consumption_ratio if m.meter_id in r.reports else None
        ),
        attrs_fn=_ratio_attrs,
    ),
    MeterSensorDescription(
        key="temperature_coefficient",
        translation_key="temperature_coefficient",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=_report_value("temperature_coefficient"),
        exists_fn=lambda r, m: r.settings.temperature_entity is not None,
    ),
    MeterSensorDescription(
        key="efficiency_ratio",
        translation_key="efficiency_ratio",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda r, m: _pct(r.efficiency_ratio(m.entity_id)),
        exists_fn=lambda r, m: r.in_group(m.entity_id),
    ),
)


class MeterSensor(InsightsEntity, SensorEntity):
    """A figure of one meter's billing period."""

    entity_description: MeterSensorDescription

    def __init__(
        self, runtime: InsightsRuntime, meter: MeterSettings, description: MeterSensorDescription
    ) -> None:
        """Bind to one meter."""
        super().__init__(runtime, meter.meter_id, meter.name, "Meter insights", description)
        self.meter = meter
        if description.in_meter_unit and description.state_class is SensorStateClass.TOTAL:
            self._attr_device_class = _DEVICE_CLASS[meter.medium]

    @property
    def native_unit_of_measurement(self) -> str | None:
        """The meter's own unit for amounts; per degree day for the temperature coefficient."""
        unit = self.runtime.alerts[self.meter.meter_id].unit
        if self.entity_description.in_meter_unit:
            return unit
        if self.entity_description.key == "temperature_coefficient" and unit:
            return f"{unit}/K·d"
        return self.entity_description.native_unit_of_measurement

    @property
    def native_value(self) -> StateType:
        """The figure, None until the first analysis."""
        return self.entity_description.value_fn(self.runtime, self.meter)

    @property
    def last_reset(self) -> datetime | None:
        """Start of the billing period (period to date only)."""
        found = self.runtime.reports.get(self.meter.meter_id)
        if self.entity_description.state_class is not SensorStateClass.TOTAL or found is None:
            return None
        return found.report.start

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Details of the figure."""
        attrs_fn = self.entity_description.attrs_fn
        return None if attrs_fn is None else attrs_fn(self.runtime, self.meter)


@dataclass(frozen=True, kw_only=True)
class GroupSensorDescription(SensorEntityDescription):
    """A sensor of one BALANCE group."""

    value_fn: Callable[[GroupReport], StateType]
    attrs_fn: Callable[[GroupReport, GroupSettings], Mapping[str, Any]] | None = None
    in_group_unit: bool = True
    exists_fn: Callable[[GroupSettings], bool] = lambda g: True


def _balance_attrs(balance: Balance | None) -> dict[str, Any]:
    if balance is None:
        return {}
    return {
        "parent": _round(balance.parent),
        "children": _round(balance.children),
        "complete": balance.complete,
        "missing": list(balance.missing),
        "hours": balance.hours,
    }


def _hourly_attrs(report: GroupReport, group: GroupSettings) -> Mapping[str, Any]:
    attrs = _balance_attrs(report.hourly)
    if report.hour is not None:
        attrs["hour"] = hour_start(report.hour).isoformat()
    return attrs


def _daily_attrs(report: GroupReport, group: GroupSettings) -> Mapping[str, Any]:
    return {
        "day": report.day.isoformat(),
        **_balance_attrs(report.daily),
        "untracked": _round(report.daily.untracked),
        "shares": {
            child: {"share_pct": round(share, 2), "losses": round(losses, 3)}
            for child, (share, losses) in report.shares.items()
        },
    }


def _plan_value(report: GroupReport) -> StateType:
    plan = report.plan
    if plan is None or plan.losses_before_kwh <= 0:
        return None
    return round((1.0 - plan.losses_after_kwh / plan.losses_before_kwh) * 100.0, 1)


def _plan_attrs(report: GroupReport, group: GroupSettings) -> Mapping[str, Any]:
    plan = report.plan
    if plan is None:
        return {"analysed_hours": report.analysed_hours}
    children = group.children
    return {
        "current": {c: PHASE_NAMES[(group.phases or {}).get(c, 0)] for c in children},
        "recommended": {c: PHASE_NAMES[p] for c, p in zip(children, plan.assignment, strict=True)},
        "moves": [
            {"meter": children[i], "from": PHASE_NAMES[a], "to": PHASE_NAMES[b]}
            for i, a, b in plan.moves
        ],
        "losses_before_kwh": round(plan.losses_before_kwh, 3),
        "losses_after_kwh": round(plan.losses_after_kwh, 3),
        "peak_imbalance_before_kw": round(plan.peak_imbalance_before_kw, 2),
        "peak_imbalance_after_kw": round(plan.peak_imbalance_after_kw, 2),
        "analysed_hours": report.analysed_hours,
    }


def _suspect_attrs(report: GroupReport, group: GroupSettings) -> Mapping[str, Any]:
    return {
        "ranking": [
            {
                "meter": s.meter,
                "confidence": round(s.confidence, 3),
                "missing_fraction_pct": round(s.missing_fraction * 100.0, 1),
                "correlation": round(s.correlation, 3),
                "suspected": s.suspected,
            }
            for s in report.suspects[:MAX_RANKED]
        ],
        "analysed_hours": report.analysed_hours,
        "note": NOT_PROOF,
    }


GROUP_SENSORS: tuple[GroupSensorDescription, ...] = (
    GroupSensorDescription(
        key="hourly_balance",
        translation_key="hourly_balance",
        value_fn=lambda r: _round(r.hourly.losses if r.hourly else None),
        attrs_fn=_hourly_attrs,
    ),
    GroupSensorDescription(
        key="losses",
        translation_key="group_losses",
        value_fn=lambda r: _round(r.daily.losses),
        attrs_fn=_daily_attrs,
    ),
    GroupSensorDescription(
        key="losses_pct",
        translation_key="group_losses_pct",
        native_unit_of_measurement=PERCENTAGE,
        in_group_unit=False,
        value_fn=lambda r: _round(r.daily.losses_pct, 2),
    ),
    GroupSensorDescription(
        key="untracked",
        translation_key="group_untracked",
        value_fn=lambda r: _round(r.daily.untracked),
    ),
    GroupSensorDescription(
        key="phase_recommendation",
        translation_key="phase_recommendation",
        native_unit_of_measurement=PERCENTAGE,
        in_group_unit=False,
        value_fn=_plan_value,
        attrs_fn=_plan_attrs,
        exists_fn=lambda g: g.phases is not None,
    ),
    GroupSensorDescription(
        key="suspects",
        translation_key="group_suspects",
        in_group_unit=False,
        value_fn=lambda r: sum(s.suspected for s in r.suspects),
        attrs_fn=_suspect_attrs,
    ),
)


class GroupSensor(InsightsEntity, SensorEntity):
    """A figure of one BALANCE group."""

    entity_description: GroupSensorDescription

    def __init__(
        self, runtime: InsightsRuntime, group: GroupSettings, description: GroupSensorDescription
    ) -> None:
        """Bind to one group."""
        super().__init__(runtime, group.group_id, group.name, "BALANCE group", description)
        self.settings = group
        if description.in_group_unit:
            self._attr_native_unit_of_measurement = group_unit(runtime.group_energy[group.group_id])

    @property
    def _report(self) -> GroupReport | None:
        return self.runtime.group_reports.get(self.settings.group_id)

    @property
    def native_value(self) -> StateType:
        """The figure, None until the first analysis."""
        report = self._report
        return None if report is None else self.entity_description.value_fn(report)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Details of the figure."""
        report, attrs_fn = self._report, self.entity_description.attrs_fn
        return None if report is None or attrs_fn is None else attrs_fn(report, self.settings)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: InsightsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors of every meter and group, each on its subentry."""
    runtime = entry.runtime_data
    added: list[InsightsEntity] = []
    for meter in runtime.meters.values():
        meter_sensors = [
            MeterSensor(runtime, meter, description)
            for description in METER_SENSORS
            if description.exists_fn(runtime, meter)
        ]
        added += meter_sensors
        async_add_entities(meter_sensors, config_subentry_id=meter.meter_id)
    for group in runtime.groups.values():
        group_sensors = [
            GroupSensor(runtime, group, description)
            for description in GROUP_SENSORS
            if description.exists_fn(group)
        ]
        added += group_sensors
        async_add_entities(group_sensors, config_subentry_id=group.group_id)
    remove_stale(hass, entry, "sensor", added)
