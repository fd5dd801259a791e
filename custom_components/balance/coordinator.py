"""Push coordinator of a BALANCE hub: link supervision, node inventory and meter totals."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from awesomeversion import AwesomeVersion, AwesomeVersionException
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryNotReady,
    HomeAssistantError,
)
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later, async_track_time_change
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .backfill import ChannelSpec, async_backfill
from .const import (
    CONF_CHANNELS,
    CONF_MEDIUM,
    CONF_PULSE_CONSTANT,
    DEFAULT_PULSE_CONSTANT,
    DOMAIN,
    LOGGER,
    MIN_HUB_FIRMWARE,
    PLAUSIBILITY_ISSUE_AFTER,
    SAVE_DELAY,
    STORAGE_VERSION,
    pulses_per_unit,
)
from .hub import (
    HubAuthError,
    HubClient,
    HubError,
    HubIncompatibleError,
    HubRequestError,
)
from .hub.messages import (
    PROTOCOL_VERSION,
    Alarm,
    AlarmKind,
    ArchiveRecords,
    ChannelFlag,
    Counters,
    HubInfo,
    Medium,
    Message,
    NodeFlag,
    NodeInfo,
    NodeKind,
    NodeStatus,
    OutputAck,
    OutputResult,
    OutputState,
)
from .metering import ChannelTotal, rate_per_hour

type BalanceConfigEntry = ConfigEntry[BalanceRuntimeData]

PLAUSIBILITY_KINDS: dict[AlarmKind, ChannelFlag] = {
    AlarmKind.OPEN_CIRCUIT: ChannelFlag.OPEN_CIRCUIT,
    AlarmKind.SHORT_CIRCUIT: ChannelFlag.SHORT_CIRCUIT,
    AlarmKind.MAGNETIC: ChannelFlag.MAGNETIC,
}
SAFETY_KINDS = (AlarmKind.PHASE_LOSS, AlarmKind.NEUTRAL_VOLTAGE, AlarmKind.ARCING)
NO_CHANNEL = 0xFF
BACKFILL_MINUTE = 2  # the hub archives at the full hour; import a little after it


def totals_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Storage of a hub entry's channel totals (ChannelTotal.to_dict per channel)."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.totals")


def channel_key(node_id: int, channel: int) -> str:
    """Key of a channel in options and storage."""
    return f"{node_id}:{channel}"


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
    alarms: dict[tuple[int, int], bool] = field(default_factory=dict)
    report_seq: int | None = None
    epoch: int | None = None

    @property
    def node_id(self) -> int:
        """Radio id (0 for the hub)."""
        return self.info.node_id

    def alarm(self, channel: int, kind: AlarmKind) -> bool:
        """True while the alarm is active."""
        return self.alarms.get((channel, kind), False)


@dataclass(slots=True)
class BalanceRuntimeData:
    """What a loaded config entry keeps."""

    client: HubClient
    coordinator: BalanceCoordinator


type NodeListener = Callable[[NodeData], None]


class BalanceCoordinator:
    """Keeps the state pushed by one hub and tells entities when it changes."""

    def __init__(self, hass: HomeAssistant, entry: BalanceConfigEntry, client: HubClient) -> None:
        """Set up the coordinator; nothing runs before :meth:`async_setup`."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.hub_info: HubInfo | None = None
        self.nodes: dict[int, NodeData] = {}
        self.connected = False
        self.last_connected: float | None = None
        self.last_disconnected: float | None = None
        self.disconnect_reason: str | None = None
        self._listeners: dict[int | None, list[CALLBACK_TYPE]] = {}
        self._node_listeners: list[NodeListener] = []
        self._store = totals_store(hass, entry.entry_id)
        self._stored: dict[str, Any] = {}
        self._unsubs: list[CALLBACK_TYPE] = []
        self._plausibility_timers: dict[tuple[int, int, int], CALLBACK_TYPE] = {}
        self._refresh_task: asyncio.Task[None] | None = None
        self._backfill_task: asyncio.Task[None] | None = None

    # --------------------------------------------------------------------- setup

    @property
    def hub_id(self) -> str:
        """Hub id (the config entry's unique id)."""
        if self.hub_info is not None:
            return self.hub_info.hub_id
        return str(self.entry.unique_id)

    async def async_setup(self) -> None:
        """Connect, load the inventory and start receiving; raise if the hub is not there."""
        self._stored = await self._store.async_load() or {}
        try:
            info = await self.client.connect()
        except HubAuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        except HubIncompatibleError as err:
            self._firmware_issue(str(err.hub_version))
            raise ConfigEntryNotReady(
                translation_domain=DOMAIN,
                translation_key="incompatible",
                translation_placeholders={"error": str(err)},
            ) from err
        except HubError as err:
            raise ConfigEntryNotReady(
                translation_domain=DOMAIN,
                translation_key="cannot_connect",
                translation_placeholders={"target": self.client.target, "error": str(err)},
            ) from err
        if info.hub_id != self.entry.unique_id:
            await self.client.disconnect()
            raise ConfigEntryNotReady(
                translation_domain=DOMAIN,
                translation_key="wrong_hub",
                translation_placeholders={"expected": str(self.entry.unique_id),
                                          "found": info.hub_id},
            )  # fmt: skip
        self.hub_info = info
        self.connected = True
        self.last_connected = time.time()
        self._check_firmware()
        self._sync_nodes(self.client.nodes.values())
        self._unsubs.append(self.client.add_listener(self._on_message))
        self._unsubs.append(self.client.add_connection_listener(self._on_connection))
        try:
            await self.client.request_state()
        except HubError as err:  # pragma: no cover - link lost in the same instant
            LOGGER.debug("State request failed: %s", err)
        self.client.start()
        self._start_backfill()
        self._unsubs.append(
            async_track_time_change(self.hass, self._on_new_hour, minute=BACKFILL_MINUTE, second=0)
        )

    async def async_shutdown(self) -> None:
        """Stop the link and persist the totals."""
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        for cancel in self._plausibility_timers.values():
            cancel()
        self._plausibility_timers.clear()
        for task in (self._refresh_task, self._backfill_task):
            if task is not None and not task.done():
                task.cancel()
        await self.client.disconnect()
        await self._store.async_save(self._totals_snapshot())

    # ----------------------------------------------------------------- listeners

    @callback
    def async_add_listener(
        self, update: CALLBACK_TYPE, node_id: int | None = None
    ) -> CALLBACK_TYPE:
        """Call ``update`` when the node changes (``node_id`` None: when the link goes up/down)."""
        self._listeners.setdefault(node_id, []).append(update)

        @callback
        def remove() -> None:
            self._listeners[node_id].remove(update)

        return remove

    @callback
    def async_add_node_listener(self, listener: NodeListener) -> CALLBACK_TYPE:
        """Call ``listener`` for every node known now and each node that appears later."""
        self._node_listeners.append(listener)
        for node in list(self.nodes.values()):
            listener(node)

        @callback
        def remove() -> None:
            self._node_listeners.remove(listener)

        return remove

    @callback
    def _notify(self, node_id: int | None) -> None:
        for update in list(self._listeners.get(node_id, ())):
            update()

    # ------------------------------------------------------------------ inventory

    def _channel_options(self, node_id: int, channel: int) -> dict[str, Any]:
        options: dict[str, Any] = self.entry.options.get(CONF_CHANNELS, {})
        return dict(options.get(channel_key(node_id, channel), {}))

    def _make_channel(self, node_id: int, channel: int, medium: Medium) -> ChannelData:
        opts = self._channel_options(node_id, channel)
        medium = Medium(opts.get(CONF_MEDIUM, medium))
        constant = float(opts.get(CONF_PULSE_CONSTANT, DEFAULT_PULSE_CONSTANT[medium]))
        ppu = pulses_per_unit(medium, constant)
        stored = self._stored.get(channel_key(node_id, channel))
        total = ChannelTotal.from_dict(stored, ppu) if stored else ChannelTotal(ppu)
        return ChannelData(node_id, channel, medium, constant, total, opts.get("name") or None)

    @callback
    def _sync_nodes(self, inventory: Any) -> None:
        """Add nodes and channels that are new; remove devices of nodes that are gone."""
        seen: set[int] = set()
        new: list[NodeData] = []
        for info in inventory:
            seen.add(info.node_id)
            node = self.nodes.get(info.node_id)
            if node is None:
                node = NodeData(info)
                self.nodes[info.node_id] = node
                new.append(node)
            node.info = info
            for ch in info.channels:
                if ch.channel not in node.channels:
                    try:
                        medium = Medium(ch.medium)
                    except ValueError:
                        LOGGER.debug("Node %s channel %s: unknown medium %s",
                                     info.node_id, ch.channel, ch.medium)  # fmt: skip
                        continue
                    node.channels[ch.channel] = self._make_channel(info.node_id, ch.channel, medium)
        for node_id in [n for n in self.nodes if n not in seen]:
            del self.nodes[node_id]
        self._remove_stale_devices()
        for node in new:
            for listener in list(self._node_listeners):
                listener(node)

    def node_device_identifier(self, node_id: int) -> tuple[str, str]:
        """Device registry identifier of a node (the hub itself for node 0)."""
        if node_id == 0:
            return (DOMAIN, self.hub_id)
        return (DOMAIN, f"{self.hub_id}:{node_id}")

    @callback
    def _remove_stale_devices(self) -> None:
        registry = dr.async_get(self.hass)
        known = {self.node_device_identifier(node_id) for node_id in self.nodes}
        known.add((DOMAIN, self.hub_id))
        for device in dr.async_entries_for_config_entry(registry, self.entry.entry_id):
            if not device.identifiers & known:
                registry.async_update_device(device.id, remove_config_entry_id=self.entry.entry_id)

    def is_known_device(self, device: dr.DeviceEntry) -> bool:
        """True when the device is the hub or a node still in the hub's inventory."""
        known = {self.node_device_identifier(node_id) for node_id in self.nodes}
        known.add((DOMAIN, self.hub_id))
        return bool(device.identifiers & known)

    @callback
    def _schedule_refresh(self) -> None:
        """Fetch the node inventory again (a node joined that we do not know yet)."""
        if self._refresh_task is None or self._refresh_task.done():
            self._refresh_task = self.entry.async_create_background_task(
                self.hass, self._async_refresh_nodes(), "balance node refresh"
            )

    async def _async_refresh_nodes(self) -> None:
        try:
            nodes = await self.client.request_node_list()
            self._sync_nodes(nodes)
            await self.client.request_state()
        except HubError as err:
            LOGGER.debug("Node list refresh failed: %s", err)

    # ------------------------------------------------------------------ messages

    @callback
    def _on_message(self, message: Message) -> None:
        if isinstance(message, Counters):
            self._on_counters(message)
        elif isinstance(message, NodeStatus):
            self._on_status(message)
        elif isinstance(message, OutputState):
            node = self._node(message.node_id)
            if node is not None:
                node.outputs[message.output] = message
                self._notify(message.node_id)
        elif isinstance(message, Alarm):
            self._on_alarm(message)
        elif isinstance(message, HubInfo):
            self.hub_info = message

    def _node(self, node_id: int) -> NodeData | None:
        node = self.nodes.get(node_id)
        if node is None:
            self._schedule_refresh()
        return node

    @callback
    def _on_counters(self, message: Counters) -> None:
        node = self._node(message.node_id)
        if node is None:
            return
        if node.report_seq == message.report_seq and node.epoch == message.epoch:
            return  # a duplicate report
        node.report_seq = message.report_seq
        node.epoch = message.epoch
        for reading in message.readings:
            channel = node.channels.get(reading.channel)
            if channel is None:
                self._schedule_refresh()
                continue
            channel.total.update(reading.count, message.epoch)
            channel.count = reading.count
            channel.rate_mph = reading.rate_mph
            if channel.flags != reading.flags:
                channel.flags = reading.flags
                for kind, flag in PLAUSIBILITY_KINDS.items():
                    self._set_alarm(node, reading.channel, kind, bool(reading.flags & flag))
        self._store.async_delay_save(self._totals_snapshot, SAVE_DELAY)
        self._notify(message.node_id)

    @callback
    def _on_status(self, message: NodeStatus) -> None:
        node = self._node(message.node_id)
        if node is None:
            return
        node.status = message
        issue_id = f"battery_low_{self.hub_id}_{message.node_id}"
        if message.flags & NodeFlag.BATTERY_LOW:
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="battery_low",
                translation_placeholders={
                    "node": self.node_name(message.node_id),
                    "percent": str(message.battery_pct),
                },
            )
        else:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
        self._notify(message.node_id)

    @callback
    def _on_alarm(self, message: Alarm) -> None:
        node = self._node(message.node_id)
        if node is None:
            return
        try:
            kind = AlarmKind(message.kind)
        except ValueError:
            return
        self._set_alarm(node, message.channel, kind, bool(message.active))
        self._notify(message.node_id)

    @callback
    def _set_alarm(self, node: NodeData, channel: int, kind: AlarmKind, active: bool) -> None:
        node.alarms[(channel, kind)] = active
        if kind not in PLAUSIBILITY_KINDS:
            return
        key = (node.node_id, channel, int(kind))
        issue_id = f"plausibility_{self.hub_id}_{node.node_id}_{channel}_{int(kind)}"
        if active:
            if key not in self._plausibility_timers:

                @callback
                def _lasting(_now: Any) -> None:
                    self._plausibility_timers.pop(key, None)
                    ir.async_create_issue(
                        self.hass,
                        DOMAIN,
                        issue_id,
                        is_fixable=False,
                        severity=ir.IssueSeverity.ERROR,
                        translation_key=f"plausibility_{kind.name.lower()}",
                        translation_placeholders={
                            "node": self.node_name(node.node_id),
                            "channel": str(channel),
                        },
                    )
                    self._plausibility_timers[key] = lambda: None

                self._plausibility_timers[key] = async_call_later(
                    self.hass, PLAUSIBILITY_ISSUE_AFTER, _lasting
                )
            return
        cancel = self._plausibility_timers.pop(key, None)
        if cancel is not None:
            cancel()
        ir.async_delete_issue(self.hass, DOMAIN, issue_id)

    def node_name(self, node_id: int) -> str:
        """Human readable node name for issues and logs."""
        if node_id == 0:
            return f"BALANCE hub {self.hub_id}"
        return f"D100FC {node_id:08X}"

    # ----------------------------------------------------------------- connection

    @callback
    def _on_connection(self, connected: bool, error: HubError | None) -> None:
        if connected:
            if not self.connected:
                LOGGER.info("BALANCE hub %s is connected again", self.hub_id)
            self.connected = True
            self.last_connected = time.time()
            self.disconnect_reason = None
            self.hub_info = self.client.hub_info or self.hub_info
            self._update_hub_device()
            self._check_firmware()
            self._sync_nodes(self.client.nodes.values())
            self.entry.async_create_background_task(
                self.hass, self._async_after_reconnect(), "balance state request"
            )
            self._notify(None)
            return
        if self.connected:
            LOGGER.info("BALANCE hub %s is unavailable: %s", self.hub_id, error)
            self.connected = False
            self.last_disconnected = time.time()
            self.disconnect_reason = str(error) if error else None
            self._notify(None)
        if isinstance(error, HubAuthError):
            self.entry.async_start_reauth(self.hass)

    async def _async_after_reconnect(self) -> None:
        try:
            await self.client.request_state()
        except HubError as err:  # pragma: no cover - link lost again at once
            LOGGER.debug("State request failed: %s", err)
            return
        self._start_backfill()

    @callback
    def _on_new_hour(self, _now: datetime) -> None:
        """The hub has archived another hour: import it while the link is up."""
        if self.connected:
            self._start_backfill()

    @callback
    def _start_backfill(self) -> None:
        """Run the archive backfill after each (re)connect and every hour."""
        if self._backfill_task is not None and not self._backfill_task.done():
            return
        self._backfill_task = self.entry.async_create_background_task(
            self.hass, self._async_backfill(), "balance archive backfill"
        )

    async def _async_backfill(self) -> None:
        try:
            result = await async_backfill(
                self.hass,
                self.hub_id,
                self.channel_specs(),
                self.client.request_archive,
                dt_util.utcnow(),
            )
        except HubError as err:
            LOGGER.debug("Archive backfill interrupted: %s", err)
        except Exception:
            LOGGER.exception("Archive backfill of %s failed", self.hub_id)
        else:
            LOGGER.debug("Archive backfill of %s: %s", self.hub_id, result)

    def channel_specs(self) -> list[ChannelSpec]:
        """Every metered channel, as the archive backfill wants it."""
        return [
            ChannelSpec(
                node.node_id,
                channel.channel,
                channel.medium,
                channel.total.pulses_per_unit,
                channel.name,
                live=channel.total,
            )
            for node in self.nodes.values()
            for channel in node.channels.values()
        ]

    @callback
    def _update_hub_device(self) -> None:
        """A reflashed hub reports a new firmware version after reconnecting."""
        registry = dr.async_get(self.hass)
        device = registry.async_get_device({(DOMAIN, self.hub_id)})
        if device is not None and self.hub_info is not None:
            registry.async_update_device(
                device.id, sw_version=self.hub_info.firmware, model=self.hub_info.model
            )

    @callback
    def _check_firmware(self) -> None:
        firmware = self.hub_info.firmware if self.hub_info else ""
        hello = self.client.hub_hello
        outdated = hello is not None and hello.version < PROTOCOL_VERSION
        with contextlib.suppress(AwesomeVersionException):
            outdated |= AwesomeVersion(firmware) < AwesomeVersion(MIN_HUB_FIRMWARE)
        if outdated:
            self._firmware_issue(firmware)
        else:
            ir.async_delete_issue(self.hass, DOMAIN, f"firmware_outdated_{self.hub_id}")

    def _firmware_issue(self, firmware: str) -> None:
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"firmware_outdated_{self.hub_id}",
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="firmware_outdated",
            translation_placeholders={
                "hub": self.hub_id,
                "firmware": firmware,
                "minimum": MIN_HUB_FIRMWARE,
            },
        )

    # ------------------------------------------------------------------- actions

    async def async_set_output(self, node_id: int, output: int, state: bool) -> None:
        """Switch an output and record the state the hub reports back."""
        try:
            ack: OutputAck = await self.client.set_output(node_id, output, state)
        except HubError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="output_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        node = self.nodes.get(node_id)
        if node is not None and ack.result in (OutputResult.OK, OutputResult.REFUSED):
            previous = node.outputs.get(output)
            node.outputs[output] = OutputState(
                node_id, output, ack.state, 0, previous.hub_time if previous else 0
            )
            self._notify(node_id)
        if ack.result != OutputResult.OK:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="output_refused",
                translation_placeholders={"result": OutputResult(ack.result).name.lower()},
            )

    async def async_request_archive(
        self, node_id: int, channel: int, start: int, end: int
    ) -> list[ArchiveRecords]:
        """Hourly archive of one channel (see HubClient.request_archive)."""
        return await self.client.request_archive(node_id, channel, start, end)

    async def async_count_at(self, node_id: int, channel: int, when: float) -> tuple[int, int]:
        """Pulse count and epoch of a channel at a past time, from the hourly archive.

        Interpolates linearly between the two hour boundaries around ``when``.
        Raises HubError when the archive has no values there.
        """
        start = int(when // 3600 * 3600)
        records = await self.client.request_archive(node_id, channel, start, start + 7200)
        values = [v.count for r in records for v in r.values]
        if len(values) < 2 or 0xFFFFFFFF in values[:2] or not records:
            raise HubRequestError("no archive values at that time")
        before, after = values[0], values[1]
        step = (after - before) % (1 << 32)
        count = (before + math.floor(step * (when - start) / 3600)) % (1 << 32)
        return count, records[0].epoch

    async def async_calibrate(
        self,
        key: str,
        *,
        pulses_per_unit_: float | None = None,
        register: float | None = None,
        register_time: float | None = None,
    ) -> None:
        """Apply a new pulse constant and/or a meter register reading to a channel total."""
        node_id, channel_no = (int(x) for x in key.split(":"))
        channel = self.nodes[node_id].channels[channel_no]
        total = channel.total
        if pulses_per_unit_ is not None and pulses_per_unit_ != total.pulses_per_unit:
            total.set_pulses_per_unit(pulses_per_unit_)
        if register is not None:
            if register_time is not None and time.time() - register_time > 60:
                count, epoch = await self.async_count_at(node_id, channel_no, register_time)
                total.set_register(register, count, epoch)
            elif total.count is not None and total.epoch is not None:
                total.set_register(register, total.count, total.epoch)
            else:
                total.offset = register
        self._stored[key] = total.to_dict()
        await self._store.async_save(self._totals_snapshot())
        self._notify(node_id)

    def _totals_snapshot(self) -> dict[str, Any]:
        data = dict(self._stored)
        for node in self.nodes.values():
            for channel in node.channels.values():
                data[channel_key(node.node_id, channel.channel)] = channel.total.to_dict()
        self._stored = data
        return data

    def has_capability(self, flag: int) -> bool:
        """True when the hub announced the capability in its HELLO."""
        hello = self.client.hub_hello
        return hello is not None and bool(hello.capabilities & flag)

    def is_radio_node(self, node_id: int) -> bool:
        """True for D100FC-class nodes (they have a battery and a radio link)."""
        node = self.nodes.get(node_id)
        return node is not None and node.info.kind == NodeKind.D100FC
