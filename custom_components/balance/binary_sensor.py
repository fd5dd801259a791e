"""Binary sensors of the BALANCE integration: plausibility, safety, battery and the link."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import MEDIUM_KEYS
from .coordinator import NO_CHANNEL, BalanceConfigEntry, BalanceCoordinator
from .entity import BalanceEntity, BalanceNodeStatusEntity, async_follow_nodes
from .hub.messages import AlarmKind, Capability, NodeFlag
from .insights import binary_sensor as insights_binary_sensor
from .inventory import NodeData
from .kinds import by_entry_kind
from .load_management import binary_sensor as lm_binary_sensor
from .names import meter_placeholders
from .pricing import binary_sensor as pricing_binary_sensor
from .utility_link import binary_sensor as utility_link_binary_sensor

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
    translation_key="battery_low",
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
    is_on_fn=lambda node: node.stale,  # flagged by the hub, or silent for RADIO_SILENT_AFTER
)
CONNECTIVITY = BinarySensorEntityDescription(
    key="connectivity",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
)


async def _async_setup_hub_entry(
    hass: HomeAssistant,
    entry: BalanceConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add binary sensors for every node now and for nodes that join later."""
    coordinator = entry.runtime_data.coordinator

    def _entities(node: NodeData) -> list[BinarySensorEntity]:
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
        if coordinator.inventory.is_radio_node(node.node_id):
            entities.extend(
                BalanceNodeBinarySensor(coordinator, node, description)
                for description in (BATTERY_LOW, OUT_OF_RANGE)
            )
        return entities

    async_follow_nodes(coordinator, entry, async_add_entities, _entities)


async_setup_entry = by_entry_kind(
    hub=_async_setup_hub_entry,
    load_management=lm_binary_sensor.async_setup_entry,
    pricing=pricing_binary_sensor.async_setup_entry,
    insights=insights_binary_sensor.async_setup_entry,
    utility_link=utility_link_binary_sensor.async_setup_entry,
)


class BalanceAlarmBinarySensor(BalanceEntity, BinarySensorEntity):
    """On while an alarm of the node (or one of its channels) is active."""

    entity_domain = Platform.BINARY_SENSOR

    entity_description: BalanceAlarmDescription

    def __init__(
        self,
        coordinator: BalanceCoordinator,
        node: NodeData,
        channel: int,
        description: BalanceAlarmDescription,
    ) -> None:
        """Bind to one alarm of a channel (NO_CHANNEL for node-wide alarms).

        A channel's alarm is named after its meter: "Water 2 open circuit", "Mains magnetic
        field" (the resident's name for the channel).
        """
        if channel == NO_CHANNEL:
            super().__init__(coordinator, node, description, description.key, description.key)
        else:
            unique, object_id = f"{channel}-{description.key}", f"{description.key}_{channel}"
            super().__init__(coordinator, node, description, unique, object_id)
        self.channel_no = channel
        if (meter := node.channels.get(channel)) is not None:
            named = bool(meter.name)
            kind = "named" if named else MEDIUM_KEYS[meter.medium]
            self._attr_translation_key = f"{description.key}_{kind}"
            self._attr_translation_placeholders = meter_placeholders(node, meter)

    @property
    def is_on(self) -> bool:
        """True while the alarm is active."""
        node = self.node
        return node is not None and node.alarm(self.channel_no, self.entity_description.alarm)


class BalanceNodeBinarySensor(BalanceNodeStatusEntity, BinarySensorEntity):
    """Battery low / out of range of a radio node."""

    entity_domain = Platform.BINARY_SENSOR

    entity_description: BalanceNodeBinaryDescription

    @property
    def is_on(self) -> bool | None:
        """Flag from the node's last status."""
        node = self.node
        return None if node is None else self.entity_description.is_on_fn(node)


class BalanceConnectivitySensor(BalanceEntity, BinarySensorEntity):
    """On while the link to the hub is up; always available."""

    entity_domain = Platform.BINARY_SENSOR

    def __init__(self, coordinator: BalanceCoordinator, node: NodeData) -> None:
        """Bind to the hub device."""
        super().__init__(coordinator, node, CONNECTIVITY, CONNECTIVITY.key, CONNECTIVITY.key)

    @property
    def available(self) -> bool:
        """The link state is known even while the link is down."""
        return True

    @property
    def is_on(self) -> bool:
        """True while connected."""
        return self.coordinator.connected
