"""Sensors of a utility link: current DR limit and its end, price, participation statistics."""

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
from homeassistant.const import EntityCategory, UnitOfEnergy, UnitOfPower
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import UtilityLinkEntity
from .link import UtilityLink, UtilityLinkConfigEntry

RECENT_EVENTS = 10  # events listed in the energy-shed sensor's attributes


def _limit_kw(link: UtilityLink) -> float | None:
    term = link.term
    return None if term is None or term.limit_w is None else round(term.limit_w / 1000.0, 3)


def _dr_end(link: UtilityLink) -> datetime | None:
    term = link.term
    return term.end if term is not None and (term.limit_w is not None or term.shed) else None


def _dr_attrs(link: UtilityLink) -> Mapping[str, Any]:
    term = link.term
    if term is None:
        return {}
    return {"shed_level": int(term.shed), "event_ids": list(term.event_ids)}


def _price(link: UtilityLink) -> float | None:
    term = link.term
    return None if term is None else term.price


def _price_attrs(link: UtilityLink) -> Mapping[str, Any]:
    """The currency, and every announced price as a `forecast` the planner reads."""
    term = link.term
    attrs: dict[str, Any] = (
        {"currency": term.currency} if term is not None and term.currency else {}
    )
    attrs["forecast"] = [
        {"start": t.start.isoformat(), "end": t.end.isoformat(), "price": t.price}
        for t in link.directive.terms
        if t.price is not None
    ]
    return attrs


def _last_shed(link: UtilityLink) -> float | None:
    shed = link.stats.shed_kwh
    return shed[next(reversed(shed))] if shed else None


def _shed_attrs(link: UtilityLink) -> Mapping[str, Any]:
    recent = list(link.stats.shed_kwh.items())[-RECENT_EVENTS:]
    return {"per_event": dict(recent)}


@dataclass(frozen=True, kw_only=True)
class UtilityLinkSensorDescription(SensorEntityDescription):
    """A sensor of the utility-link device."""

    value_fn: Callable[[UtilityLink], float | int | datetime | None]
    attrs_fn: Callable[[UtilityLink], Mapping[str, Any]] | None = None


def _count(key: str, value_fn: Callable[[UtilityLink], int]) -> UtilityLinkSensorDescription:
    return UtilityLinkSensorDescription(
        key=key,
        translation_key=key,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=value_fn,
    )


SENSORS = (
    UtilityLinkSensorDescription(
        key="dr_limit",
        translation_key="dr_limit",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.KILO_WATT,
        value_fn=_limit_kw,
        attrs_fn=_dr_attrs,
    ),
    UtilityLinkSensorDescription(
        key="dr_end",
        translation_key="dr_end",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=_dr_end,
    ),
    UtilityLinkSensorDescription(
        key="dr_price",
        translation_key="dr_price",
        value_fn=_price,
        attrs_fn=_price_attrs,
    ),
    _count("events_accepted", lambda link: link.stats.accepted),
    _count("events_declined", lambda link: link.stats.declined),
    _count("events_opted_out", lambda link: link.stats.opted_out),
    UtilityLinkSensorDescription(
        key="energy_shed",
        translation_key="energy_shed",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        value_fn=_last_shed,
        attrs_fn=_shed_attrs,
    ),
)


class UtilityLinkSensor(UtilityLinkEntity, SensorEntity):
    """One value of the utility link."""

    entity_description: UtilityLinkSensorDescription

    @property
    def native_value(self) -> float | int | datetime | None:
        """From the link's state."""
        return self.entity_description.value_fn(self.link)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """Event ids, shed level, currency or the energy shed per event."""
        attrs_fn = self.entity_description.attrs_fn
        return attrs_fn(self.link) if attrs_fn else None


async def async_setup_entry(
    hass: HomeAssistant,
    entry: UtilityLinkConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """The sensors of one utility link."""
    async_add_entities(
        UtilityLinkSensor(entry.runtime_data, description) for description in SENSORS
    )
