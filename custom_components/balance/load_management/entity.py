"""Base entities of load management: the "Load management" device and one device per load."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription

from ..const import DOMAIN  # noqa: TID252
from ..entity import MANUFACTURER  # noqa: TID252
from .manager import LoadManager
from .settings import LoadSettings


class LoadManagementEntity(Entity):
    """An entity of the load-management device, refreshed after every engine update."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, manager: LoadManager, description: EntityDescription) -> None:
        """Bind to the manager of one load-management entry."""
        entry_id = manager.entry.entry_id
        self.manager = manager
        self.entity_description = description
        self._attr_unique_id = f"{entry_id}-{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry_id)},
            manufacturer=MANUFACTURER,
            model="Load management",
            name=manager.entry.title,
        )

    async def async_added_to_hass(self) -> None:
        """Follow the manager's updates."""
        await super().async_added_to_hass()
        self.async_on_remove(self.manager.async_add_listener(self.async_write_ha_state))


class ManagedLoadEntity(LoadManagementEntity):
    """An entity of one managed load's device."""

    def __init__(
        self, manager: LoadManager, load: LoadSettings, description: EntityDescription
    ) -> None:
        """Bind to one managed load (a subentry)."""
        super().__init__(manager, description)
        entry_id = manager.entry.entry_id
        self.load_id = load.load_id
        self._attr_unique_id = f"{entry_id}-{load.load_id}-{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, f"{entry_id}-{load.load_id}")},
            manufacturer=MANUFACTURER,
            model="Managed load",
            name=load.name,
            via_device=(DOMAIN, entry_id),
        )

    @property
    def load(self) -> LoadSettings:
        """Current settings of the load."""
        return self.manager.loads[self.load_id]
