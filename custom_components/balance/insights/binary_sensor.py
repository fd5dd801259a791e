"""Alert binary sensors of meter insights: leaks, use while away, limits, silent channels.

Each is live (fed by the meter's state changes, a sample a minute) and clears itself when its
condition ends (docs/analytics.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..analytics import LeakKind  # noqa: TID252
from .entity import InsightsEntity, remove_stale
from .meter import MeterAlerts
from .runtime import InsightsConfigEntry, InsightsRuntime
from .settings import MeterSettings


@dataclass(frozen=True, kw_only=True)
class AlertDescription(BinarySensorEntityDescription):
    """An alert of one meter."""

    is_on_fn: Callable[[MeterAlerts], bool]
    exists_fn: Callable[[InsightsRuntime, MeterSettings], bool]
    attrs_fn: Callable[[MeterAlerts], Mapping[str, Any]] | None = None


def _leak(kind: LeakKind) -> AlertDescription:
    return AlertDescription(
        key=f"leak_{kind.value}",
        translation_key=f"leak_{kind.value}",
        device_class=BinarySensorDeviceClass.MOISTURE,
        is_on_fn=lambda a: a.leak is not None and kind in a.leak.active,
        exists_fn=lambda r, m: m.leak is not None,
    )


ALERTS: tuple[AlertDescription, ...] = (
    *(_leak(kind) for kind in LeakKind),
    AlertDescription(
        key="away",
        translation_key="used_while_away",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=lambda a: a.away is not None and a.away.active,
        exists_fn=lambda r, m: m.away_threshold is not None and r.settings.away_entity is not None,
        attrs_fn=lambda a: {"threshold": a.away.threshold if a.away else None},
    ),
    AlertDescription(
        key="above_limit",
        translation_key="above_limit",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=lambda a: a.above_limit is not None and a.above_limit.active,
        exists_fn=lambda r, m: m.limit is not None,
        attrs_fn=lambda a: {"limit": a.above_limit.limit if a.above_limit else None},
    ),
    AlertDescription(
        key="forecast_above_limit",
        translation_key="forecast_above_limit",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=lambda a: a.forecast_above_limit is not None and a.forecast_above_limit.active,
        exists_fn=lambda r, m: m.forecast_limit is not None,
        attrs_fn=lambda a: {
            "limit": a.forecast_above_limit.limit if a.forecast_above_limit else None
        },
    ),
    AlertDescription(
        key="silent_channel",
        translation_key="silent_channel",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=lambda a: a.silent_active,
        exists_fn=lambda r, m: m.silent_check,
        attrs_fn=lambda a: {"limit_h": a.silent.limit_h() if a.silent else None},
    ),
)


class AlertBinarySensor(InsightsEntity, BinarySensorEntity):
    """One alert of one meter."""

    entity_description: AlertDescription

    def __init__(
        self, runtime: InsightsRuntime, meter: MeterSettings, description: AlertDescription
    ) -> None:
        """Bind to one meter's alert."""
        super().__init__(runtime, meter.meter_id, meter.name, "Meter insights", description)
        self.meter = meter

    @property
    def _alerts(self) -> MeterAlerts:
        return self.runtime.alerts[self.meter.meter_id]

    @property
    def is_on(self) -> bool:
        """Whether the alert is raised now."""
        return self.entity_description.is_on_fn(self._alerts)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """The meter and the alert's setting."""
        attrs = {"meter": self.meter.entity_id}
        if attrs_fn := self.entity_description.attrs_fn:
            attrs |= attrs_fn(self._alerts)
        return attrs


async def async_setup_entry(
    hass: HomeAssistant,
    entry: InsightsConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add every meter's alerts, each on its subentry."""
    runtime = entry.runtime_data
    added: list[InsightsEntity] = []
    for meter in runtime.meters.values():
        alerts = [
            AlertBinarySensor(runtime, meter, description)
            for description in ALERTS
            if description.exists_fn(runtime, meter)
        ]
        added += alerts
        async_add_entities(alerts, config_subentry_id=meter.meter_id)
    remove_stale(hass, entry, "binary_sensor", added)
