"""Node inventory of a BALANCE hub: nodes, their channels and their devices."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.util import slugify

from .backfill import ChannelSpec
from .compat import with_parent
from .const import (
    CONF_CHANNELS,
    CONF_MAX_RATE,
    CONF_MEDIUM,
    CONF_NODES,
    CONF_PULSE_CONSTANT,
    DEFAULT_PULSE_CONSTANT,
    DOMAIN,
    LOGGER,
    MANUFACTURER,
    RADIO_SILENT_AFTER,
    pulses_per_unit,
)
from .hub.messages import (
    AlarmKind,
    HubInfo,
    Medium,
    NodeFlag,
    NodeInfo,
    NodeKind,
    NodeStatus,
    OutputState,
)
from .metering import DEFAULT_MAX_RATE, ChannelTotal, rate_per_hour
from .names import RADIO_MODULE, Names, hub_name, node_label
from .totals import MeterTotals, channel_key


@dataclass(slots=True)
class ChannelData:
    """Live state of one pulse channel."""

    node_id: int
    channel: int
    medium: Medium
    pulse_constant: float
    total: ChannelTotal
    name: str | None = None
    count: int | None = None
    rate_mph: int | None = None
    flags: int = 0

    @property
    def value(self) -> float | None:
        """Meter total in kWh or m³, None before the first report."""
        if self.total.count is None:
            return None
        return round(self.total.total, 6)

    @property
    def rate_per_hour(self) -> float | None:
        """Current rate in units per hour (kW or m³/h)."""
        if self.rate_mph is None:
            return None
        return rate_per_hour(self.rate_mph, self.total.pulses_per_unit)


@dataclass(slots=True)
class NodeData:
    """Live state of one node (node 0 is the hub's own inputs and outputs)."""

    info: NodeInfo
    channels: dict[int, ChannelData] = field(default_factory=dict)
    status: NodeStatus | None = None
    outputs: dict[int, OutputState] = field(default_factory=dict)
    levels: dict[int, int] = field(default_factory=dict)
    """Current setpoint in force (mA) per output that takes one, as the hub reported it."""
    alarms: dict[tuple[int, int], bool] = field(default_factory=dict)
    report_seq: int | None = None
    epoch: int | None = None
    heard_at: float | None = None
    """Monotonic time of the last new report (a radio node's report_seq moved)."""
    stale: bool = False
    """A radio node the hub flags out of range, or silent for RADIO_SILENT_AFTER."""

    @property
    def node_id(self) -> int:
        """Radio id (0 for the hub)."""
        return self.info.node_id

    def is_stale(self, now: float) -> bool:
        """True when the node is out of range or has not reported for RADIO_SILENT_AFTER."""
        if self.info.kind != NodeKind.D100FC:
            return False
        if self.status is not None and self.status.flags & NodeFlag.OUT_OF_RANGE:
            return True
        return self.heard_at is not None and now - self.heard_at > RADIO_SILENT_AFTER

    def alarm(self, channel: int, kind: AlarmKind) -> bool:
        """True while the alarm is active."""
        return self.alarms.get((channel, kind), False)


class NodeInventory:
    """The nodes a hub lists, with their channels, and the device of each node."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry, hub_id: str, totals: MeterTotals
    ) -> None:
        """Start empty; :meth:`sync` fills it from the hub's NODE_LIST."""
        self.hass = hass
        self.entry = entry
        self.hub_id = hub_id
        self.totals = totals
        self.nodes: dict[int, NodeData] = {}
        self.hub_device_id: str | None = None
        self.names = Names()

    def _channel_options(self, node_id: int, channel: int) -> dict[str, Any]:
        options: dict[str, Any] = self.entry.options.get(CONF_CHANNELS, {})
        return dict(options.get(channel_key(node_id, channel), {}))

    def _make_channel(self, node_id: int, channel: int, medium: Medium) -> ChannelData:
        opts = self._channel_options(node_id, channel)
        medium = Medium(opts.get(CONF_MEDIUM, medium))
        constant = float(opts.get(CONF_PULSE_CONSTANT, DEFAULT_PULSE_CONSTANT[medium]))
        total = self.totals.restore(
            channel_key(node_id, channel),
            pulses_per_unit(medium, constant),
            float(opts.get(CONF_MAX_RATE, DEFAULT_MAX_RATE[medium])),
        )
        return ChannelData(node_id, channel, medium, constant, total, opts.get("name") or None)

    @callback
    def sync(self, inventory: Iterable[NodeInfo]) -> list[NodeData]:
        """Add nodes and channels that are new, forget nodes that are gone.

        Returns the nodes that are new or gained channels or outputs (their entities follow).
        """
        seen: set[int] = set()
        grown: list[NodeData] = []
        for info in inventory:
            seen.add(info.node_id)
            node = self.nodes.get(info.node_id)
            if node is None:
                node = NodeData(info)
                self.nodes[info.node_id] = node
                grown.append(node)
            elif info.outputs > node.info.outputs:
                grown.append(node)
            node.info = info
            known_channels = len(node.channels)
            for ch in info.channels:
                if ch.channel not in node.channels:
                    try:
                        medium = Medium(ch.medium)
                    except ValueError:
                        LOGGER.debug("Node %s channel %s: unknown medium %s",
                                     info.node_id, ch.channel, ch.medium)  # fmt: skip
                        continue
                    node.channels[ch.channel] = self._make_channel(info.node_id, ch.channel, medium)
            if len(node.channels) > known_channels and node not in grown:
                grown.append(node)
        for node_id in [n for n in self.nodes if n not in seen]:
            del self.nodes[node_id]
        self._remove_stale_devices()
        return grown

    # -------------------------------------------------------------------- devices

    @callback
    def register_hub(self, hub_info: HubInfo) -> None:
        """Create (or update) the hub's device; node devices are linked to it."""
        device = dr.async_get(self.hass).async_get_or_create(
            config_entry_id=self.entry.entry_id,
            identifiers={self.device_identifier(0)},
            manufacturer=MANUFACTURER,
            model=hub_info.model,
            name=self.node_name(0),
            serial_number=self.hub_id,
            sw_version=hub_info.firmware,
        )
        self.hub_device_id = device.id

    def device_info(self, node: NodeData, hub_info: HubInfo | None) -> DeviceInfo:
        """Device of a node: the hub for node 0, a D100FC module (via the hub) otherwise."""
        if node.node_id == 0:
            return DeviceInfo(
                identifiers={self.device_identifier(0)},
                manufacturer=MANUFACTURER,
                model=hub_info.model if hub_info else None,
                name=self.node_name(0),
                serial_number=self.hub_id,
                sw_version=hub_info.firmware if hub_info else None,
            )
        kind = "D100FC" if node.info.kind == NodeKind.D100FC else f"kind {node.info.kind}"
        info = DeviceInfo(
            identifiers={self.device_identifier(node.node_id)},
            manufacturer=MANUFACTURER,
            model=kind,
            name=self.node_name(node.node_id),
            serial_number=node_label(node.node_id),
            sw_version=node.info.firmware or None,
        )
        if not self.user_node_name(node.node_id):
            info["translation_key"] = RADIO_MODULE
            info["translation_placeholders"] = {"node": node_label(node.node_id)}
        if self.hub_device_id is None:
            return info
        return with_parent(info, self.hub_device_id, self.device_identifier(0))

    def device_identifier(self, node_id: int) -> tuple[str, str]:
        """Device registry identifier of a node (the hub itself for node 0)."""
        if node_id == 0:
            return (DOMAIN, self.hub_id)
        return (DOMAIN, f"{self.hub_id}:{node_id}")

    def _known_identifiers(self) -> set[tuple[str, str]]:
        known = {self.device_identifier(node_id) for node_id in self.nodes}
        known.add((DOMAIN, self.hub_id))
        return known

    @callback
    def _remove_stale_devices(self) -> None:
        registry = dr.async_get(self.hass)
        known = self._known_identifiers()
        for device in dr.async_entries_for_config_entry(registry, self.entry.entry_id):
            if not device.identifiers & known:
                registry.async_remove_device(device.id)  # a node device is this entry's alone

    def is_known_device(self, device: dr.DeviceEntry) -> bool:
        """True when the device is the hub or a node still in the hub's inventory."""
        return bool(device.identifiers & self._known_identifiers())

    @callback
    def update_hub_device(self, hub_info: HubInfo) -> None:
        """A reflashed hub reports a new firmware version after reconnecting."""
        if self.hub_device_id is not None:
            dr.async_get(self.hass).async_update_device(
                self.hub_device_id, sw_version=hub_info.firmware, model=hub_info.model
            )

    # ---------------------------------------------------------------------- views

    def user_node_name(self, node_id: int) -> str | None:
        """The name the resident gave a radio module in the options, if any."""
        nodes: dict[str, Any] = self.entry.options.get(CONF_NODES, {})
        return str(nodes.get(str(node_id), {}).get("name") or "") or None

    def node_name(self, node_id: int) -> str:
        """Name of a node's device (also in issues and logs), in HA's language."""
        if node_id == 0:
            return hub_name(self.hub_id)
        return self.user_node_name(node_id) or self.names.radio_module(node_id)

    def object_id_prefix(self, node_id: int) -> str:
        """Start of a node's entity ids; fixed, whatever the names and the language."""
        if node_id == 0:
            return slugify(hub_name(self.hub_id))
        return f"d100fc_{node_label(node_id).lower()}"

    def statistic_name(self, node: NodeData, channel: ChannelData) -> str:
        """Name of a channel's long-term statistic: what its total sensor is called."""
        return f"{self.node_name(node.node_id)} {self.names.meter(node, channel)}"

    def is_radio_node(self, node_id: int) -> bool:
        """True for D100FC-class nodes (they have a battery and a radio link)."""
        node = self.nodes.get(node_id)
        return node is not None and node.info.kind == NodeKind.D100FC

    def channel_specs(self) -> list[ChannelSpec]:
        """Every metered channel, as the archive backfill wants it."""
        return [
            ChannelSpec(
                node.node_id,
                channel.channel,
                channel.medium,
                channel.total.pulses_per_unit,
                self.statistic_name(node, channel),
                live=channel.total,
            )
            for node in self.nodes.values()
            for channel in node.channels.values()
        ]

    def channels(self) -> Iterable[ChannelData]:
        """Every channel of every node."""
        for node in self.nodes.values():
            yield from node.channels.values()
