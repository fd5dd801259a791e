"""Switches of the BALANCE integration: contactor outputs (AD220 and the hub's own)."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import BalanceConfigEntry, BalanceCoordinator
from .entity import BalanceEntity, async_follow_nodes
from .inventory import NodeData
from .kinds import by_entry_kind
from .load_management import switch as lm_switch

PARALLEL_UPDATES = 1

OUTPUT = SwitchEntityDescription(key="output", translation_key="output")


async def _async_setup_hub_entry(
    hass: HomeAssistant,
    entry: BalanceConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add one switch per contactor output, now and for nodes that join later."""
    coordinator = entry.runtime_data.coordinator

    async_follow_nodes(
        coordinator,
        entry,
        async_add_entities,
        lambda node: [
            BalanceOutputSwitch(coordinator, node, output) for output in range(node.info.outputs)
        ],
    )


async_setup_entry = by_entry_kind(
    hub=_async_setup_hub_entry, load_management=lm_switch.async_setup_entry
)


class BalanceOutputSwitch(BalanceEntity, SwitchEntity):
    """A contactor output; its state is what the hub reports, never assumed."""

    entity_domain = Platform.SWITCH

    def __init__(self, coordinator: BalanceCoordinator, node: NodeData, output: int) -> None:
        """Bind to one output of a node."""
        super().__init__(coordinator, node, OUTPUT, f"output-{output}", f"output_{output + 1}")
        self.output = output
        self._attr_translation_placeholders = {"output": str(output + 1)}

    @property
    def available(self) -> bool:
        """Available once the hub reported the output's state."""
        node = self.node
        return super().available and node is not None and self.output in node.outputs

    @property
    def is_on(self) -> bool | None:
        """True while the contactor is closed (load powered)."""
        node = self.node
        state = node.outputs.get(self.output) if node else None
        return None if state is None else bool(state.state)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Close the contactor (power the load)."""
        await self.coordinator.async_set_output(self.node_id, self.output, True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Open the contactor (cut the load)."""
        await self.coordinator.async_set_output(self.node_id, self.output, False)
