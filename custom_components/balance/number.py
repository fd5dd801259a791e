"""Number platform of BALANCE: current setpoints of hub outputs and load management's limits."""

from __future__ import annotations

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import Platform, UnitOfElectricCurrent
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .coordinator import BalanceConfigEntry, BalanceCoordinator
from .entity import BalanceEntity, async_follow_nodes
from .inventory import NodeData
from .kinds import by_entry_kind
from .load_management import number as lm_number

PARALLEL_UPDATES = 1

MIN_CHARGING_A = 6  # IEC 61851; 0 pauses
CURRENT = NumberEntityDescription(
    key="current",
    translation_key="current",
    device_class=NumberDeviceClass.CURRENT,
    native_unit_of_measurement=UnitOfElectricCurrent.AMPERE,
    native_min_value=0,
    native_max_value=32,
    native_step=1,
    mode=NumberMode.BOX,
)


async def _async_setup_hub_entry(
    hass: HomeAssistant,
    entry: BalanceConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add one current setpoint per output that takes one, now and for nodes that join later."""
    coordinator = entry.runtime_data.coordinator

    async_follow_nodes(
        coordinator,
        entry,
        async_add_entities,
        lambda node: [
            BalanceOutputCurrent(coordinator, node, output)
            for output in range(node.info.outputs)
            if node.info.level_outputs >> output & 1
        ],
    )


async_setup_entry = by_entry_kind(
    hub=_async_setup_hub_entry, load_management=lm_number.async_setup_entry
)


class BalanceOutputCurrent(BalanceEntity, NumberEntity):
    """Current limit of an output (an EV charger): the value is the hub's, never assumed."""

    entity_domain = Platform.NUMBER

    def __init__(self, coordinator: BalanceCoordinator, node: NodeData, output: int) -> None:
        """Bind to one output of a node."""
        super().__init__(
            coordinator, node, CURRENT, f"current-{output}", f"output_{output + 1}_current"
        )
        self.output = output
        self._attr_translation_placeholders = {"output": str(output + 1)}

    @property
    def available(self) -> bool:
        """Available once the hub reported the setpoint in force."""
        node = self.node
        return super().available and node is not None and self.output in node.levels

    @property
    def native_value(self) -> float | None:
        """The setpoint in force, A (0: paused)."""
        node = self.node
        milliamps = node.levels.get(self.output) if node else None
        return None if milliamps is None else milliamps / 1000

    async def async_set_native_value(self, value: float) -> None:
        """Send the setpoint; between 0 and 6 A a charger cannot run."""
        if 0 < value < MIN_CHARGING_A:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="current_below_minimum",
                translation_placeholders={"minimum": str(MIN_CHARGING_A)},
            )
        await self.coordinator.async_set_output_level(
            self.node_id, self.output, round(value * 1000)
        )
