"""Numbers of load management: the resident limit and each load's max-off time."""

from __future__ import annotations

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import EntityCategory, UnitOfPower, UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..dlm import Priority  # noqa: TID252
from .const import CONF_LIMIT_W, CONF_MAX_OFF_MIN, MAX_OFF_MIN_RANGE
from .entity import LoadManagementEntity, ManagedLoadEntity, async_setup_load_entities
from .manager import LoadManagementConfigEntry, LoadManager
from .settings import LoadSettings

LIMIT = NumberEntityDescription(
    key="limit",
    translation_key="limit",
    device_class=NumberDeviceClass.POWER,
    native_unit_of_measurement=UnitOfPower.WATT,
    native_min_value=100,
    native_max_value=200_000,
    native_step=10,
    mode=NumberMode.BOX,
)
MAX_OFF = NumberEntityDescription(
    key="max_off",
    translation_key="max_off",
    device_class=NumberDeviceClass.DURATION,
    entity_category=EntityCategory.CONFIG,
    native_unit_of_measurement=UnitOfTime.MINUTES,
    native_min_value=MAX_OFF_MIN_RANGE[0],
    native_max_value=MAX_OFF_MIN_RANGE[1],
    native_step=1,
    mode=NumberMode.SLIDER,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: LoadManagementConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the limit and the max-off number of each yellow load."""
    async_add_entities([ResidentLimitNumber(entry.runtime_data, LIMIT)])
    async_setup_load_entities(entry, async_add_entities, _load_numbers)


def _load_numbers(manager: LoadManager, load: LoadSettings) -> list[ManagedLoadEntity]:
    """Max off time applies to yellow loads only."""
    return [MaxOffNumber(manager, load, MAX_OFF)] if load.priority is Priority.YELLOW else []


class ResidentLimitNumber(LoadManagementEntity, NumberEntity):
    """The resident's own limit (W), kept in the entry options."""

    @property
    def native_value(self) -> float | None:
        """Current resident limit."""
        return self.manager.settings.limit_w

    async def async_set_native_value(self, value: float) -> None:
        """Store the new limit; the manager applies it at once."""
        entry = self.manager.entry
        self.hass.config_entries.async_update_entry(
            entry, options={**entry.options, CONF_LIMIT_W: value}
        )


class MaxOffNumber(ManagedLoadEntity, NumberEntity):
    """How long the load may stay shed (enforced for yellow loads)."""

    @property
    def native_value(self) -> float:
        """Current max-off time in minutes."""
        return self.load.max_off_min

    async def async_set_native_value(self, value: float) -> None:
        """Store it in the load's subentry."""
        entry = self.manager.entry
        subentry = entry.subentries[self.load_id]
        self.hass.config_entries.async_update_subentry(
            entry, subentry, data={**subentry.data, CONF_MAX_OFF_MIN: value}
        )
