"""Sensors of the BALANCE integration: meter totals, power/flow and node health."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
    EntityCategory,
    Platform,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfPower,
    UnitOfVolume,
    UnitOfVolumeFlowRate,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .cloud import sensor as cloud_sensor
from .coordinator import BalanceConfigEntry, BalanceCoordinator
from .entity import OBJECT_IDS, BalanceEntity, BalanceNodeStatusEntity, async_follow_nodes
from .hub.messages import Medium, NodeStatus
from .insights import sensor as insights_sensor
from .inventory import ChannelData, NodeData
from .kinds import by_entry_kind
from .load_management import sensor as lm_sensor
from .names import METER_NAMED, meter_placeholders
from .pricing import sensor as pricing_sensor
from .utility_link import sensor as utility_link_sensor

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class BalanceChannelSensorDescription(SensorEntityDescription):
    """A sensor computed from one pulse channel."""

    exists_fn: Callable[[ChannelData], bool]
    value_fn: Callable[[ChannelData], StateType]
    named_key: str
    """Translation key once the resident named the channel ("{name} power")."""


@dataclass(frozen=True, kw_only=True)
class BalanceNodeSensorDescription(SensorEntityDescription):
    """A sensor of a radio node's health."""

    value_fn: Callable[[NodeStatus], StateType | datetime]


def _flow_l_min(channel: ChannelData) -> float | None:
    rate = channel.rate_per_hour  # m³/h
    return None if rate is None else round(rate * 1000 / 60, 3)


def _power_w(channel: ChannelData) -> float | None:
    rate = channel.rate_per_hour  # kW
    return None if rate is None else round(rate * 1000, 1)


def _flow_m3_h(channel: ChannelData) -> float | None:
    rate = channel.rate_per_hour
    return None if rate is None else round(rate, 4)


def _metering(medium: Medium) -> Callable[[ChannelData], bool]:
    return lambda channel: channel.medium is medium


def _last_seen(status: NodeStatus) -> datetime | None:
    return datetime.fromtimestamp(status.last_seen, UTC) if status.last_seen else None


CHANNEL_SENSORS: tuple[BalanceChannelSensorDescription, ...] = (
    BalanceChannelSensorDescription(
        key="energy",
        translation_key="energy",
        named_key=METER_NAMED,
        exists_fn=_metering(Medium.ELECTRICITY),
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=2,
        value_fn=lambda ch: ch.value,
    ),
    BalanceChannelSensorDescription(
        key="heat",
        translation_key="heat",
        named_key=METER_NAMED,
        exists_fn=_metering(Medium.HEAT),
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=2,
        value_fn=lambda ch: ch.value,
    ),
    BalanceChannelSensorDescription(
        key="water",
        translation_key="water",
        named_key=METER_NAMED,
        exists_fn=_metering(Medium.WATER),
        device_class=SensorDeviceClass.WATER,
        native_unit_of_measurement=UnitOfVolume.CUBIC_METERS,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=3,
        value_fn=lambda ch: ch.value,
    ),
    BalanceChannelSensorDescription(
        key="gas",
        translation_key="gas",
        named_key=METER_NAMED,
        exists_fn=_metering(Medium.GAS),
        device_class=SensorDeviceClass.GAS,
        native_unit_of_measurement=UnitOfVolume.CUBIC_METERS,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=3,
        value_fn=lambda ch: ch.value,
    ),
    BalanceChannelSensorDescription(
        key="power",
        translation_key="power",
        named_key="power_named",
        exists_fn=_metering(Medium.ELECTRICITY),
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=_power_w,
    ),
    BalanceChannelSensorDescription(
        key="heat_power",
        translation_key="heat_power",
        named_key="power_named",
        exists_fn=_metering(Medium.HEAT),
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=_power_w,
    ),
    BalanceChannelSensorDescription(
        key="water_flow",
        translation_key="water_flow",
        named_key="flow_named",
        exists_fn=_metering(Medium.WATER),
        device_class=SensorDeviceClass.VOLUME_FLOW_RATE,
        native_unit_of_measurement=UnitOfVolumeFlowRate.LITERS_PER_MINUTE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=_flow_l_min,
    ),
    BalanceChannelSensorDescription(
        key="gas_flow",
        translation_key="gas_flow",
        named_key="flow_named",
        exists_fn=_metering(Medium.GAS),
        device_class=SensorDeviceClass.VOLUME_FLOW_RATE,
        native_unit_of_measurement=UnitOfVolumeFlowRate.CUBIC_METERS_PER_HOUR,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=3,
        value_fn=_flow_m3_h,
    ),
)

NODE_SENSORS: tuple[BalanceNodeSensorDescription, ...] = (
    BalanceNodeSensorDescription(
        key="battery",
        device_class=SensorDeviceClass.BATTERY,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda st: st.battery_pct,
    ),
    BalanceNodeSensorDescription(
        key="battery_voltage",
        translation_key="battery_voltage",
        device_class=SensorDeviceClass.VOLTAGE,
        native_unit_of_measurement=UnitOfElectricPotential.VOLT,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda st: st.battery_mv / 1000,
    ),
    BalanceNodeSensorDescription(
        key="rssi",
        translation_key="rssi",
        device_class=SensorDeviceClass.SIGNAL_STRENGTH,
        native_unit_of_measurement=SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda st: st.rssi,
    ),
    BalanceNodeSensorDescription(
        key="hops",
        translation_key="hops",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda st: st.hops,
    ),
    BalanceNodeSensorDescription(
        key="last_seen",
        translation_key="last_seen",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,  # changes at every report: opt in
        value_fn=_last_seen,
    ),
)


async def _async_setup_hub_entry(
    hass: HomeAssistant,
    entry: BalanceConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add sensors for every node now and for nodes that join later."""
    coordinator = entry.runtime_data.coordinator

    def _entities(node: NodeData) -> list[SensorEntity]:
        entities: list[SensorEntity] = [
            BalanceChannelSensor(coordinator, node, channel, description)
            for channel in node.channels.values()
            for description in CHANNEL_SENSORS
            if description.exists_fn(channel)
        ]
        if coordinator.inventory.is_radio_node(node.node_id):
            entities.extend(
                BalanceNodeSensor(coordinator, node, description) for description in NODE_SENSORS
            )
        return entities

    async_follow_nodes(coordinator, entry, async_add_entities, _entities)


async_setup_entry = by_entry_kind(
    hub=_async_setup_hub_entry,
    load_management=lm_sensor.async_setup_entry,
    pricing=pricing_sensor.async_setup_entry,
    cloud=cloud_sensor.async_setup_entry,
    insights=insights_sensor.async_setup_entry,
    utility_link=utility_link_sensor.async_setup_entry,
)


class BalanceChannelSensor(BalanceEntity, SensorEntity):
    """Total, power or flow of one meter channel."""

    entity_domain = Platform.SENSOR

    entity_description: BalanceChannelSensorDescription

    def __init__(
        self,
        coordinator: BalanceCoordinator,
        node: NodeData,
        channel: ChannelData,
        description: BalanceChannelSensorDescription,
    ) -> None:
        """Bind to one channel."""
        super().__init__(
            coordinator,
            node,
            description,
            f"{channel.channel}-{description.key}",
            f"{OBJECT_IDS[description.key]}_{channel.channel}",
        )
        self.channel_no = channel.channel
        if channel.name:
            self._attr_translation_key = description.named_key
        self._attr_translation_placeholders = meter_placeholders(node, channel)

    @property
    def channel(self) -> ChannelData | None:
        """Current data of the channel."""
        node = self.node
        return node.channels.get(self.channel_no) if node else None

    @property
    def available(self) -> bool:
        """Available while the link is up and the channel has reported."""
        channel = self.channel
        return super().available and channel is not None and channel.count is not None

    @property
    def native_value(self) -> StateType:
        """Value computed from the channel."""
        channel = self.channel
        return None if channel is None else self.entity_description.value_fn(channel)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """A total's implausible report, held back or not counted (docs/statistics.md)."""
        channel = self.channel
        if self.entity_description.state_class is not SensorStateClass.TOTAL_INCREASING:
            return None
        if channel is None or channel.total.flag is None:
            return None
        return {"implausible_report": channel.total.flag.as_dict()}


class BalanceNodeSensor(BalanceNodeStatusEntity, SensorEntity):
    """Battery, radio and reachability of a D100FC node."""

    entity_domain = Platform.SENSOR

    entity_description: BalanceNodeSensorDescription

    @property
    def native_value(self) -> StateType | datetime:
        """Value from the node's last status."""
        node = self.node
        if node is None or node.status is None:
            return None
        return self.entity_description.value_fn(node.status)
