"""Base entity of the BALANCE integration."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription

from .const import DOMAIN
from .coordinator import BalanceCoordinator, NodeData
from .hub.messages import NodeKind

MANUFACTURER = "BALANCE"


def node_device_info(coordinator: BalanceCoordinator, node: NodeData) -> DeviceInfo:
    """Device of a node: the hub for node 0, a D100FC module (via the hub) otherwise."""
    if node.node_id == 0:
        info = coordinator.hub_info
        return DeviceInfo(
            identifiers={coordinator.node_device_identifier(0)},
            manufacturer=MANUFACTURER,
            model=info.model if info else None,
            name=f"BALANCE hub {coordinator.hub_id}",
            serial_number=coordinator.hub_id,
            sw_version=info.firmware if info else None,
        )
    kind = "D100FC" if node.info.kind == NodeKind.D100FC else f"kind {node.info.kind}"
    return DeviceInfo(
        identifiers={coordinator.node_device_identifier(node.node_id)},
        manufacturer=MANUFACTURER,
        model=kind,
        name=f"{kind} {node.node_id:08X}",
        serial_number=f"{node.node_id:08X}",
        sw_version=node.info.firmware or None,
        via_device=(DOMAIN, coordinator.hub_id),
    )


class BalanceEntity(Entity):
    """An entity fed by the hub's push messages about one node."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self,
        coordinator: BalanceCoordinator,
        node: NodeData,
        description: EntityDescription,
        unique_suffix: str,
    ) -> None:
        """Bind the entity to its node and description."""
        self.coordinator = coordinator
        self.node_id = node.node_id
        self.entity_description = description
        self._attr_unique_id = f"{coordinator.hub_id}-{node.node_id}-{unique_suffix}"
        self._attr_device_info = node_device_info(coordinator, node)

    @property
    def node(self) -> NodeData | None:
        """Current data of the node (None once it left the inventory)."""
        return self.coordinator.nodes.get(self.node_id)

    @property
    def available(self) -> bool:
        """Available while the link is up and the node is known."""
        return self.coordinator.connected and self.node is not None

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
        super().__init__(coordinator, node, description, description.key)

    @property
    def available(self) -> bool:
        """Available once the node reported its status."""
        node = self.node
        return super().available and node is not None and node.status is not None
