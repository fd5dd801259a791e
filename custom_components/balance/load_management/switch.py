"""The "DLM enabled" switch of load management."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import LoadManagementEntity
from .manager import LoadManagementConfigEntry

ENABLED = SwitchEntityDescription(
    key="enabled", translation_key="enabled", entity_category=EntityCategory.CONFIG
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: LoadManagementConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the DLM switch."""
    manager = entry.runtime_data
    async_add_entities([DlmEnabledSwitch(manager, ENABLED)])


class DlmEnabledSwitch(LoadManagementEntity, SwitchEntity):
    """Off: every load the engine holds is restored and nothing is switched any more."""

    @property
    def is_on(self) -> bool:
        """True while DLM acts."""
        return self.manager.enabled

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Resume load management."""
        await self.manager.async_set_enabled(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Restore every held load and stop acting."""
        await self.manager.async_set_enabled(False)
