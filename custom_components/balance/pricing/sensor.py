"""Sensors of a pricing entry: price, zone, cheap windows, energy per zone, costs and bills."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, Platform, UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from ..tariffs import Bill, billing_period, cheap_windows, horizon_end, price_intervals  # noqa: TID252
from .entity import PricingEntity, remove_stale_entities
from .runtime import PricingConfigEntry, PricingRuntime

PARALLEL_UPDATES = 0
FORECAST_ATTRIBUTE = "forecast"


def next_cheap_window(runtime: PricingRuntime, now: datetime) -> tuple[datetime, datetime] | None:
    """The cheap window holding ``now``, or the next one within the horizon."""
    tariff = runtime.tariff
    for start, end in cheap_windows(tariff, now, horizon_end(now, tariff)):
        if end > now:
            return start, end
    return None


def _price(runtime: PricingRuntime, now: datetime) -> float | None:
    price = runtime.tariff.unit_price(now, runtime.ledger.kwh)
    return None if price is None else round(price, 5)


def _window_start(runtime: PricingRuntime, now: datetime) -> datetime | None:
    window = next_cheap_window(runtime, now)
    return None if window is None else window[0]


def _window_end(runtime: PricingRuntime, now: datetime) -> datetime | None:
    window = next_cheap_window(runtime, now)
    return None if window is None else window[1]


def _money(value: float) -> float:
    return round(value, 2)


def _cost_period(runtime: PricingRuntime, now: datetime) -> float:
    """Energy and fees of the period so far, with VAT (no standing charges, no penalty)."""
    bill = runtime.ledger.bill(runtime.tariff, now)
    return _money(runtime.tariff.gross(bill.energy + bill.fees))


def _capacity_use(runtime: PricingRuntime, now: datetime) -> float | None:
    capacity = runtime.tariff.capacity
    if capacity is None or capacity.contract_kw <= 0:
        return None
    return round(runtime.ledger.this_hour_kwh(now) / capacity.contract_kw * 100.0, 1)


def _bill_attributes(bill: Bill, runtime: PricingRuntime, now: datetime) -> dict[str, Any]:
    start, end = billing_period(now, runtime.tariff.billing_day, runtime.tariff.tz)
    return {
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "energy_kwh": round(bill.kwh, 3),
        "energy": _money(bill.energy),
        "fees": _money(bill.fees),
        "capacity_penalty": _money(bill.capacity_penalty),
        "standing": _money(bill.standing),
        "net": _money(bill.net),
        "vat": _money(bill.vat),
        "unpriced_kwh": round(runtime.ledger.unpriced_kwh, 3),
    }


@dataclass(frozen=True, kw_only=True)
class PricingSensorDescription(SensorEntityDescription):
    """A sensor computed from the runtime at a moment."""

    value_fn: Callable[[PricingRuntime, datetime], StateType | datetime]
    exists_fn: Callable[[PricingRuntime], bool] = lambda _runtime: True
    attributes_fn: Callable[[PricingRuntime, datetime], dict[str, Any]] | None = None
    reset_fn: Callable[[PricingRuntime, datetime], datetime] | None = None
    monetary: bool = False


def _has_zones(runtime: PricingRuntime) -> bool:
    return runtime.tariff.tou is not None


def _has_windows(runtime: PricingRuntime) -> bool:
    return runtime.tariff.blocks is None


def _period_start(runtime: PricingRuntime, now: datetime) -> datetime:
    return billing_period(now, runtime.tariff.billing_day, runtime.tariff.tz)[0]


def _midnight(runtime: PricingRuntime, now: datetime) -> datetime:
    return datetime.combine(now.astimezone(runtime.tariff.tz).date(), time(0), runtime.tariff.tz)


def _forecast(runtime: PricingRuntime, now: datetime) -> dict[str, Any]:
    """Prices ahead from the start of this hour (so the attribute changes hourly, not by minute)."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    intervals = price_intervals(
        runtime.tariff, hour, horizon_end(now, runtime.tariff), runtime.ledger.kwh
    )
    return {
        FORECAST_ATTRIBUTE: [
            {"start": a.isoformat(), "end": b.isoformat(), "price": round(p, 5)}
            for a, b, p in intervals
        ]
    }


SENSORS: tuple[PricingSensorDescription, ...] = (
    PricingSensorDescription(
        key="current_price",
        translation_key="current_price",
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=4,
        value_fn=_price,
        attributes_fn=_forecast,
    ),
    PricingSensorDescription(
        key="current_zone",
        translation_key="current_zone",
        device_class=SensorDeviceClass.ENUM,
        exists_fn=_has_zones,
        value_fn=lambda runtime, now: runtime.tariff.zone_at(now),
    ),
    PricingSensorDescription(
        key="next_cheap_window_start",
        translation_key="next_cheap_window_start",
        device_class=SensorDeviceClass.TIMESTAMP,
        exists_fn=_has_windows,
        value_fn=_window_start,
    ),
    PricingSensorDescription(
        key="next_cheap_window_end",
        translation_key="next_cheap_window_end",
        device_class=SensorDeviceClass.TIMESTAMP,
        exists_fn=_has_windows,
        value_fn=_window_end,
    ),
    PricingSensorDescription(
        key="cost_today",
        translation_key="cost_today",
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        monetary=True,
        value_fn=lambda runtime, now: _money(runtime.ledger.today_cost(runtime.tariff, now)),
        reset_fn=_midnight,
    ),
    PricingSensorDescription(
        key="cost_period",
        translation_key="cost_period",
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        monetary=True,
        value_fn=_cost_period,
        reset_fn=_period_start,
    ),
    PricingSensorDescription(
        key="bill_to_date",
        translation_key="bill_to_date",
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        monetary=True,
        value_fn=lambda runtime, now: _money(runtime.ledger.bill(runtime.tariff, now).total),
        attributes_fn=lambda runtime, now: _bill_attributes(
            runtime.ledger.bill(runtime.tariff, now), runtime, now
        ),
        reset_fn=_period_start,
    ),
    PricingSensorDescription(
        key="forecast_bill",
        translation_key="forecast_bill",
        device_class=SensorDeviceClass.MONETARY,
        monetary=True,
        value_fn=lambda runtime, now: _money(runtime.ledger.forecast(runtime.tariff, now).total),
        attributes_fn=lambda runtime, now: _bill_attributes(
            runtime.ledger.forecast(runtime.tariff, now), runtime, now
        ),
    ),
    PricingSensorDescription(
        key="capacity_use",
        translation_key="capacity_use",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        exists_fn=lambda runtime: runtime.tariff.capacity is not None,
        value_fn=_capacity_use,
        attributes_fn=lambda runtime, now: {
            "this_hour_kwh": round(runtime.ledger.this_hour_kwh(now), 3),
            "hours_over_contract": runtime.ledger.hours_over_contract(runtime.tariff),
            "capacity_penalty": _money(runtime.ledger.penalty(runtime.tariff)),
        },
    ),
)


class PricingSensor(PricingEntity, SensorEntity):
    """One sensor of a pricing entry."""

    entity_description: PricingSensorDescription
    _unrecorded_attributes = frozenset({FORECAST_ATTRIBUTE})

    def __init__(self, entry: PricingConfigEntry, description: PricingSensorDescription) -> None:
        """Units follow HA's currency; the zone sensor lists the tariff's zones."""
        super().__init__(entry, description)
        currency = entry.runtime_data.hass.config.currency
        if description.key == "current_price":
            self._attr_native_unit_of_measurement = f"{currency}/{UnitOfEnergy.KILO_WATT_HOUR}"
        elif description.monetary:
            self._attr_native_unit_of_measurement = currency
        if description.key == "current_zone" and (tou := self.runtime.tariff.tou) is not None:
            self._attr_options = list(tou.prices)

    @property
    def native_value(self) -> StateType | datetime:
        """Value now."""
        return self.entity_description.value_fn(self.runtime, dt_util.utcnow())

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Breakdowns and forecasts."""
        if self.entity_description.attributes_fn is None:
            return None
        return self.entity_description.attributes_fn(self.runtime, dt_util.utcnow())

    @property
    def last_reset(self) -> datetime | None:
        """Start of the day or billing period of a total."""
        if self.entity_description.reset_fn is None:
            return None
        return self.entity_description.reset_fn(self.runtime, dt_util.utcnow())


class ZoneEnergySensor(PricingEntity, SensorEntity):
    """Energy of one time-of-use zone in this billing period."""

    _attr_device_class = SensorDeviceClass.ENERGY
    _attr_state_class = SensorStateClass.TOTAL
    _attr_native_unit_of_measurement = UnitOfEnergy.KILO_WATT_HOUR
    _attr_suggested_display_precision = 2
    _attr_translation_key = "zone_energy"

    def __init__(self, entry: PricingConfigEntry, zone: str) -> None:
        """Bind to a zone."""
        super().__init__(entry, SensorEntityDescription(key=f"energy_{zone}"))
        self._attr_translation_key = "zone_energy"
        self._attr_translation_placeholders = {"zone": zone}
        self.zone = zone

    @property
    def native_value(self) -> float:
        """kWh of the zone so far this period."""
        return round(self.runtime.ledger.by_zone_kwh.get(self.zone, 0.0), 3)

    @property
    def last_reset(self) -> datetime:
        """Start of the billing period."""
        return _period_start(self.runtime, dt_util.utcnow())


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PricingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors that apply to the entry's tariff type."""
    runtime = entry.runtime_data
    entities: list[SensorEntity] = [
        PricingSensor(entry, description)
        for description in SENSORS
        if description.exists_fn(runtime)
    ]
    if (tou := runtime.tariff.tou) is not None:
        entities += [ZoneEnergySensor(entry, zone) for zone in tou.prices]
    remove_stale_entities(hass, entry, Platform.SENSOR, entities)
    async_add_entities(entities)
