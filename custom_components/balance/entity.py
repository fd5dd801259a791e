"""Base entity of the BALANCE integration."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import ClassVar, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import callback
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import MANUFACTURER
from .coordinator import BalanceCoordinator
from .inventory import NodeData

__all__ = ["MANUFACTURER", "BalanceEntity", "BalanceNodeStatusEntity", "async_follow_nodes"]

OBJECT_IDS: Final[dict[str, str]] = {
    "energy": "energy",
    "heat": "heat_energy",
    "water": "water",
    "gas": "gas",
    "power": "power",
    "heat_power": "heat_power",
    "water_flow": "water_flow",
    "gas_flow": "gas_flow",
    "battery": "battery",
    "battery_voltage": "battery_voltage",
    "rssi": "radio_signal",
    "hops": "relay_hops",
    "last_seen": "last_seen",
    "battery_low": "battery",
    "out_of_range": "out_of_range",
    "connectivity": "connectivity",
}
"""Entity id part of each description key (the English names of release 0.1)."""

REACHABILITY_KEYS = frozenset({"last_seen", "out_of_range"})
"""Node status entities that explain a silent node, so they stay available while it is."""

type NodeEntities = Callable[[NodeData], Iterable[Entity]]


class BalanceEntity(Entity):
    """An entity fed by the hub's push messages about one node."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    entity_domain: ClassVar[str]
    """The platform (sensor, binary_sensor, switch): the first part of the entity id."""

    def __init__(
        self,
        coordinator: BalanceCoordinator,
        node: NodeData,
        description: EntityDescription,
        unique_suffix: str,
        object_id: str,
    ) -> None:
        """Bind the entity to its node and description.

        The suggested entity id is ``<domain>.<node prefix>_<object_id>`` (e.g.
        ``sensor.balance_hub_bh_00a1b2_energy_1``): fixed, so renaming a meter or running HA
        in another language never changes what automations refer to.
        """
        self.coordinator = coordinator
        self.node_id = node.node_id
        self.entity_description = description
        self._attr_unique_id = f"{coordinator.hub_id}-{node.node_id}-{unique_suffix}"
        self._attr_device_info = coordinator.inventory.device_info(node, coordinator.hub_info)
        prefix = coordinator.inventory.object_id_prefix(node.node_id)
        self.entity_id = f"{self.entity_domain}.{prefix}_{object_id}"

    @property
    def node(self) -> NodeData | None:
        """Current data of the node (None once it left the inventory)."""
        return self.coordinator.nodes.get(self.node_id)

    _available_when_stale = False
    """Diagnostics that tell why a node is silent (last seen, out of range) stay available."""

    @property
    def available(self) -> bool:
        """Available while the link is up and the node is known and (radio) reachable."""
        node = self.node
        if not self.coordinator.connected or node is None:
            return False
        return self._available_when_stale or not node.stale

    async def async_added_to_hass(self) -> None:
        """Follow the node's updates and the link state."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.async_add_listener(self.async_write_ha_state, self.node_id)
        )
        self.async_on_remove(self.coordinator.async_add_listener(self.async_write_ha_state))


class BalanceNodeStatusEntity(BalanceEntity):
    """An entity showing a radio node's NODE_STATUS (battery, radio, reachability)."""

    def __init__(
        self, coordinator: BalanceCoordinator, node: NodeData, description: EntityDescription
    ) -> None:
        """Bind to one node; the description key makes the unique id."""
        super().__init__(
            coordinator, node, description, description.key, OBJECT_IDS[description.key]
        )
        self._available_when_stale = description.key in REACHABILITY_KEYS

    @property
    def available(self) -> bool:
        """Available once the node reported its status."""
        node = self.node
        return super().available and node is not None and node.status is not None


@callback
def async_follow_nodes(
    coordinator: BalanceCoordinator,
    entry: ConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    entities_of: NodeEntities,
) -> None:
    """Add the entities ``entities_of`` makes for each node: now, for nodes that join later,
    and for what a known node gains (a channel, an output, a capability), each only once."""
    added: set[str | None] = set()

    @callback
    def _add(node: NodeData) -> None:
        new = [entity for entity in entities_of(node) if entity.unique_id not in added]
        added.update(entity.unique_id for entity in new)
        if new:
            async_add_entities(new)

    entry.async_on_unload(coordinator.async_add_node_listener(_add))
