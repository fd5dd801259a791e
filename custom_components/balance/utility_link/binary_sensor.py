"""Binary sensors of a utility link: DR active and VTN connected."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..openadr import ShedLevel  # noqa: TID252
from .entity import UtilityLinkEntity
from .link import UtilityLink, UtilityLinkConfigEntry


def _dr_active(link: UtilityLink) -> bool:
    term = link.term
    return term is not None and (term.limit_w is not None or term.shed > ShedLevel.NORMAL)


@dataclass(frozen=True, kw_only=True)
class UtilityLinkBinarySensorDescription(BinarySensorEntityDescription):
    """A binary sensor of the utility-link device."""

    is_on_fn: Callable[[UtilityLink], bool]


BINARY_SENSORS = (
    UtilityLinkBinarySensorDescription(
        key="dr_active", translation_key="dr_active", is_on_fn=_dr_active
    ),
    UtilityLinkBinarySensorDescription(
        key="vtn_connected",
        translation_key="vtn_connected",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        is_on_fn=lambda link: link.connected,
    ),
)


class UtilityLinkBinarySensor(UtilityLinkEntity, BinarySensorEntity):
    """DR active / VTN connected."""

    entity_description: UtilityLinkBinarySensorDescription

    @property
    def is_on(self) -> bool:
        """From the link's state."""
        return self.entity_description.is_on_fn(self.link)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: UtilityLinkConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """The binary sensors of one utility link."""
    async_add_entities(
        UtilityLinkBinarySensor(entry.runtime_data, description) for description in BINARY_SENSORS
    )
