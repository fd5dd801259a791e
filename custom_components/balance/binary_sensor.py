"""Binary sensors of the BALANCE integration: plausibility, safety, battery and the link."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import (
    NO_CHANNEL,
    BalanceConfigEntry,
    BalanceCoordinator,
    NodeData,
)
from .entity import BalanceEntity, BalanceNodeStatusEntity
from .hub.messages import AlarmKind, Capability, NodeFlag
from .load_management import binary_sensor as lm_binary_sensor
from .load_management import is_load_management

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class BalanceAlarmDescription(BinarySensorEntityDescription):
    """A binary sensor that follows one alarm kind."""

    alarm: AlarmKind


@dataclass(frozen=True, kw_only=True)
class BalanceNodeBinaryDescription(BinarySensorEntityDescription):
    """A binary sensor computed from a node."""

    is_on_fn: Callable[[NodeData], bool | None]


CHANNEL_ALARMS: tuple[BalanceAlarmDescription, ...] = (
    BalanceAlarmDescription(
        key="open_circuit",
        translation_key="open_circuit",
        device_class=BinarySensorDeviceClass.PROBLEM,
        alarm=AlarmKind.OPEN_CIRCUIT,
    ),
    BalanceAlarmDescription(
        key="short_circuit",
        translation_key="short_circuit",
        device_class=BinarySensorDeviceClass.PROBLEM,
        alarm=AlarmKind.SHORT_CIRCUIT,
    ),
    BalanceAlarmDescription(
        key="magnetic_field",
        translation_key="magnetic_field",
        device_class=BinarySensorDeviceClass.TAMPER,
        alarm=AlarmKind.MAGNETIC,
    ),
)

SAFETY_ALARMS: tuple[BalanceAlarmDescription, ...] = (
    BalanceAlarmDescription(
        key="phase_loss",
        translation_key="phase_loss",
        device_class=BinarySensorDeviceClass.SAFETY,
        alarm=AlarmKind.PHASE_LOSS,
    ),
    BalanceAlarmDescription(
        key="neutral_voltage",
        translation_key="neutral_voltage",
        device_class=BinarySensorDeviceClass.SAFETY,
        alarm=AlarmKind.NEUTRAL_VOLTAGE,
    ),
    BalanceAlarmDescription(
        key="arcing",
        translation_key="arcing",
        device_class=BinarySensorDeviceClass.SAFETY,
        alarm=AlarmKind.ARCING,
    ),
)

BATTERY_LOW = BalanceNodeBinaryDescription(
    key="battery_low",
    device_class=BinarySensorDeviceClass.BATTERY,
    entity_category=EntityCategory.DIAGNOSTIC,
    is_on_fn=lambda node: (
        None if node.status is None else bool(node.status.flags & NodeFlag.BATTERY_LOW)
    ),
)
OUT_OF_RANGE = BalanceNodeBinaryDescription(
    key="out_of_range",
    translation_key="out_of_range",
    device_class=BinarySensorDeviceClass.PROBLEM,
    entity_category=EntityCategory.DIAGNOSTIC,
    entity_registry_enabled_default=False,
    is_on_fn=lambda node: (
        None if node.status is None else bool(node.status.flags & NodeFlag.OUT_OF_RANGE)
    ),
)
CONNECTIVITY = BinarySensorEntityDescription(
    key="connectivity",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: BalanceConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add binary sensors for every node now and for nodes that join later."""
    if is_load_management(entry):
        await lm_binary_sensor.async_setup_entry(hass, entry, async_add_entities)
        return
    coordinator = entry.runtime_data.coordinator

    @callback
    def _add_node(node: NodeData) -> None:
        entities: list[BinarySensorEntity] = [
            BalanceAlarmBinarySensor(coordinator, node, channel.channel, description)
            for channel in node.channels.values()
            for description in CHANNEL_ALARMS
        ]
        if node.node_id == 0:
            entities.append(BalanceConnectivitySensor(coordinator, node))
            if coordinator.has_capability(Capability.SAFETY):
                entities.extend(
                    BalanceAlarmBinarySensor(coordinator, node, NO_CHANNEL, description)
                    for description in SAFETY_ALARMS
                )
        if coordinator.is_radio_node(node.node_id):
            entities.extend(
                BalanceNodeBinarySensor(coordinator, node, description)
                for description in (BATTERY_LOW, OUT_OF_RANGE)
            )
        async_add_entities(entities)

    entry.async_on_unload(coordinator.async_add_node_listener(_add_node))


class BalanceAlarmBinarySensor(BalanceEntity, BinarySensorEntity):
    """On while an alarm of the node (or one of its channels) is active."""

    entity_description: BalanceAlarmDescription

    def __init__(
        self,
        coordinator: BalanceCoordinator,
        node: NodeData,
        channel: int,
        description: BalanceAlarmDescription,
    ) -> None:
        """Bind to one alarm of a channel (NO_CHANNEL for node-wide alarms)."""
        suffix = description.key if channel == NO_CHANNEL else f"{channel}-{description.key}"
        super().__init__(coordinator, node, description, suffix)
        self.channel_no = channel
        if channel != NO_CHANNEL:
            ch = node.channels.get(channel)
            name = ch.name if ch and ch.name else str(channel)
            self._attr_translation_placeholders = {"channel": name}

    @property
    def is_on(self) -> bool:
        """True while the alarm is active."""
        node = self.node
        return node is not None and node.alarm(self.channel_no, self.entity_description.alarm)


class BalanceNodeBinarySensor(BalanceNodeStatusEntity, BinarySensorEntity):
    """Battery low / out of range of a radio node."""

    entity_description: BalanceNodeBinaryDescription

    @property
    def is_on(self) -> bool | None:
        """Flag from the node's last status."""
        node = self.node
        return None if node is None else self.entity_description.is_on_fn(node)


class BalanceConnectivitySensor(BalanceEntity, BinarySensorEntity):
    """On while the link to the hub is up; always available."""

    def __init__(self, coordinator: BalanceCoordinator, node: NodeData) -> None:
        """Bind to the hub device."""
        super().__init__(coordinator, node, CONNECTIVITY, CONNECTIVITY.key)

    @property
    def available(self) -> bool:
        """The link state is known even while the link is down."""
        return True

    @property
    def is_on(self) -> bool:
        """True while connected."""
        return self.coordinator.connected
