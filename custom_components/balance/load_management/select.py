"""The priority select of each managed load."""

from __future__ import annotations

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..dlm import Priority  # noqa: TID252
from .const import CONF_PRIORITY
from .entity import ManagedLoadEntity, async_setup_load_entities
from .manager import LoadManagementConfigEntry, LoadManager
from .settings import LoadSettings

PRIORITY = SelectEntityDescription(
    key="priority",
    translation_key="priority",
    entity_category=EntityCategory.CONFIG,
    options=[priority.value for priority in Priority],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: LoadManagementConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add one priority select per managed load."""
    async_setup_load_entities(entry, async_add_entities, _load_selects)


def _load_selects(manager: LoadManager, load: LoadSettings) -> list[ManagedLoadEntity]:
    return [PrioritySelect(manager, load, PRIORITY)]


class PrioritySelect(ManagedLoadEntity, SelectEntity):
    """Red (never off), yellow (off at most max-off) or green (deferrable)."""

    @property
    def current_option(self) -> str:
        """Current priority."""
        return self.load.priority.value

    async def async_select_option(self, option: str) -> None:
        """Store the new priority in the load's subentry."""
        entry = self.manager.entry
        subentry = entry.subentries[self.load_id]
        self.hass.config_entries.async_update_subentry(
            entry, subentry, data={**subentry.data, CONF_PRIORITY: option}
        )
