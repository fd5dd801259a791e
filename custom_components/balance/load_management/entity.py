"""Base entities of load management: the "Load management" device and one device per load."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from homeassistant.core import callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..compat import with_parent  # noqa: TID252
from ..const import DOMAIN, MANUFACTURER  # noqa: TID252
from ..dlm import LoadKind  # noqa: TID252
from .manager import LoadManagementConfigEntry, LoadManager
from .settings import LoadSettings

_MODELS = {
    LoadKind.SWITCH: "Managed load",
    LoadKind.CHARGER: "Managed EV charger",
    LoadKind.POWER_LIMIT: "Managed power-limit load",
    LoadKind.CLIMATE: "Managed climate load",
}


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
        self.async_on_remove(self.manager.async_add_listener(self._async_manager_updated))

    @callback
    def _async_manager_updated(self) -> None:
        self.async_write_ha_state()


class ManagedLoadEntity(LoadManagementEntity):
    """An entity of one managed load's device."""

    def __init__(
        self, manager: LoadManager, load: LoadSettings, description: EntityDescription
    ) -> None:
        """Bind to one managed load (a subentry)."""
        super().__init__(manager, description)
        entry_id = manager.entry.entry_id
        self.load_id = load.load_id
        self.load_key = f"{load.load_id}-{description.key}"
        self._attr_unique_id = f"{entry_id}-{self.load_key}"
        info = DeviceInfo(
            identifiers={(DOMAIN, f"{entry_id}-{load.load_id}")},
            manufacturer=MANUFACTURER,
            model=_MODELS[load.kind],
            name=load.name,
        )
        assert manager.device_id is not None
        self._attr_device_info = with_parent(info, manager.device_id, (DOMAIN, entry_id))

    @callback
    def _async_manager_updated(self) -> None:
        if self.load_id in self.manager.loads:  # a removed load's entities are going away
            self.async_write_ha_state()

    @property
    def load(self) -> LoadSettings:
        """Current settings of the load."""
        return self.manager.loads[self.load_id]


type LoadEntities = Callable[[LoadManager, LoadSettings], Iterable[ManagedLoadEntity]]


@callback
def async_setup_load_entities(
    entry: LoadManagementConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    entities_of: LoadEntities,
) -> None:
    """Add each managed load's entities of a platform, and follow later changes in place.

    A load added, or changed so that it gets other entities (a yellow load's max-off), gets
    them without a reload; entities it no longer has are removed. Entities of a removed
    load go with its subentry.
    """
    manager = entry.runtime_data
    added: dict[str, ManagedLoadEntity] = {}

    @callback
    def _sync() -> None:
        wanted = {
            entity.load_key: entity
            for load in manager.loads.values()
            for entity in entities_of(manager, load)
        }
        registry = er.async_get(manager.hass)
        for key in added.keys() - wanted.keys():
            gone = added.pop(key)
            if gone.load_id in manager.loads and gone.registry_entry is not None:
                registry.async_remove(gone.entity_id)
        for load_id in manager.loads:
            new = [
                entity
                for key, entity in wanted.items()
                if entity.load_id == load_id and key not in added
            ]
            added.update((entity.load_key, entity) for entity in new)
            if new:
                async_add_entities(new, config_subentry_id=load_id)

    _sync()
    entry.async_on_unload(manager.async_add_loads_listener(_sync))
