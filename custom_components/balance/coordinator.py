"""Push coordinator of a BALANCE hub: the link, message routing and the platforms' callbacks.

The coordinator owns the hub client and supervises the link (connect, disconnect, reconnect,
reauthentication). It routes each pushed message to the part that keeps that state:

- :class:`~.inventory.NodeInventory`: nodes, channels and their devices;
- :class:`~.totals.MeterTotals`: COUNTERS applied to the channel totals, and their storage;
- :class:`~.repairs.HubRepairs`: repair issues (battery, plausibility, firmware);
- :class:`~.backfill.BackfillScheduler`: the hourly archive import into statistics;

and tells the entities that follow a node (or the link) when it changed.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryNotReady,
    HomeAssistantError,
)
from homeassistant.helpers.event import async_track_time_interval

from .backfill import BackfillScheduler
from .const import DOMAIN, LOGGER
from .hub import (
    HubAuthError,
    HubClient,
    HubDowngradeError,
    HubError,
    HubIncompatibleError,
    HubRequestError,
)
from .hub.messages import (
    Alarm,
    AlarmKind,
    ArchiveRecords,
    Counters,
    HubInfo,
    Message,
    NodeInfo,
    NodeStatus,
    OutputAck,
    OutputLevel,
    OutputLevelAck,
    OutputResult,
    OutputState,
)
from .inventory import ChannelData, NodeData, NodeInventory
from .repairs import PLAUSIBILITY_KINDS, HubRepairs
from .totals import MeterTotals

type BalanceConfigEntry = ConfigEntry[BalanceRuntimeData]

SILENT_CHECK_INTERVAL = timedelta(seconds=30)
NO_CHANNEL = 0xFF


@dataclass(slots=True)
class BalanceRuntimeData:
    """What a loaded hub entry keeps."""

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
        self.connected = False
        self.last_connected: float | None = None
        self.last_disconnected: float | None = None
        self.disconnect_reason: str | None = None
        hub_id = str(entry.unique_id)
        self.totals = MeterTotals(hass, entry.entry_id)
        self.inventory = NodeInventory(hass, entry, hub_id, self.totals)
        self.repairs = HubRepairs(hass, hub_id, self.inventory.node_name)
        self.backfill = BackfillScheduler(
            hass, entry, hub_id, self.inventory.channel_specs, client.request_archive
        )
        self._listeners: dict[int | None, list[CALLBACK_TYPE]] = {}
        self._node_listeners: list[NodeListener] = []
        self._unsubs: list[CALLBACK_TYPE] = []
        self._refresh_task: asyncio.Task[None] | None = None
        self._capabilities = 0

    @property
    def hub_id(self) -> str:
        """Hub id (the config entry's unique id)."""
        if self.hub_info is not None:
            return self.hub_info.hub_id
        return str(self.entry.unique_id)

    @property
    def nodes(self) -> dict[int, NodeData]:
        """The nodes the hub lists, by radio id."""
        return self.inventory.nodes

    # ---------------------------------------------------------------- link: setup

    async def async_setup(self) -> None:
        """Connect, load the inventory and start receiving; raise if the hub is not there."""
        await self.totals.async_load()
        await self.inventory.names.async_load(self.hass)
        try:
            info = await self.client.connect()
        except HubAuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        except HubIncompatibleError as err:
            self.repairs.firmware_outdated(str(err.hub_version))
            raise ConfigEntryNotReady(
                translation_domain=DOMAIN,
                translation_key="incompatible",
                translation_placeholders={"error": str(err)},
            ) from err
        except HubDowngradeError as err:
            self.repairs.downgrade(self.client.target)
            raise ConfigEntryNotReady(
                translation_domain=DOMAIN,
                translation_key="downgrade",
                translation_placeholders={"target": self.client.target},
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
        self.repairs.downgrade(None)
        self.inventory.register_hub(info)
        self._check_firmware()
        self._sync_nodes(self.client.nodes.values())
        self._unsubs.append(self.client.add_listener(self._on_message))
        self._unsubs.append(self.client.add_connection_listener(self._on_connection))
        try:
            await self.client.request_state()
        except HubError as err:  # pragma: no cover - link lost in the same instant
            LOGGER.debug("State request failed: %s", err)
        self.client.start()
        self.backfill.start()
        self._unsubs.append(self.backfill.track_hours(lambda: self.connected))
        self._unsubs.append(
            async_track_time_interval(self.hass, self._check_silent_nodes, SILENT_CHECK_INTERVAL)
        )

    async def async_shutdown(self) -> None:
        """Stop the link and persist the totals."""
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        self.repairs.cancel()
        self.backfill.cancel()
        if self._refresh_task is not None and not self._refresh_task.done():
            self._refresh_task.cancel()
        await self.client.disconnect()
        await self.totals.async_save(self.inventory.channels())

    # ------------------------------------------------------------ link: up and down

    @callback
    def _on_connection(self, connected: bool, error: HubError | None) -> None:
        if connected:
            if not self.connected:
                LOGGER.info("BALANCE hub %s is connected again", self.hub_id)
            self.connected = True
            self.last_connected = time.time()
            self.disconnect_reason = None
            self.hub_info = self.client.hub_info or self.hub_info
            self._link_trusted()
            if self.hub_info is not None:
                self.inventory.update_hub_device(self.hub_info)
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
        elif isinstance(error, HubDowngradeError):
            self.repairs.downgrade(self.client.target)

    @callback
    def _link_trusted(self) -> None:
        """The hub proved the key again (or needs none): clear the downgrade issue and drop a
        reauth flow that a forged or passing refusal started."""
        self.repairs.downgrade(None)
        for flow in self.entry.async_get_active_flows(self.hass, {SOURCE_REAUTH}):
            self.hass.config_entries.flow.async_abort(flow["flow_id"])

    async def _async_after_reconnect(self) -> None:
        try:
            await self.client.request_state()
        except HubError as err:  # pragma: no cover - link lost again at once
            LOGGER.debug("State request failed: %s", err)
            return
        self.backfill.start()

    @callback
    def _check_firmware(self) -> None:
        firmware = self.hub_info.firmware if self.hub_info else ""
        self.repairs.check_firmware(firmware, self.client.hub_hello)

    def has_capability(self, flag: int) -> bool:
        """True when the hub announced the capability in its HELLO."""
        hello = self.client.hub_hello
        return hello is not None and bool(hello.capabilities & flag)

    # -------------------------------------------------------- platform callbacks

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
        """Call ``listener`` for every node now, and again for each node that appears later or
        gains channels, outputs or (the hub) capabilities; it adds the entities it lacks."""
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

    @callback
    def _sync_nodes(self, inventory: Iterable[NodeInfo]) -> None:
        """Take the hub's node list; platforms add entities for what is new."""
        grown = self.inventory.sync(inventory)
        hello = self.client.hub_hello
        capabilities = hello.capabilities if hello is not None else 0
        if capabilities != self._capabilities and 0 in self.nodes and self.nodes[0] not in grown:
            grown.append(self.nodes[0])  # e.g. safety sensors announced after a reflash
        self._capabilities = capabilities
        for node in grown:
            for listener in list(self._node_listeners):
                listener(node)

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

    def _node(self, node_id: int) -> NodeData | None:
        node = self.nodes.get(node_id)
        if node is None:
            self._schedule_refresh()
        return node

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
                if message.output >= node.info.outputs:
                    self._schedule_refresh()  # an output added to a known node
                node.outputs[message.output] = message
                self._notify(message.node_id)
        elif isinstance(message, OutputLevel):
            node = self._node(message.node_id)
            if node is not None:
                node.levels[message.output] = message.milliamps
                self._notify(message.node_id)
        elif isinstance(message, Alarm):
            self._on_alarm(message)
        elif isinstance(message, HubInfo):
            self.hub_info = message

    @callback
    def _on_counters(self, message: Counters) -> None:
        node = self._node(message.node_id)
        if node is None:
            return
        applied = self.totals.apply(node, message)
        if applied is None:
            return  # a duplicate report
        node.heard_at = time.monotonic()
        self._update_stale(node)
        if applied.unknown_channel:
            self._schedule_refresh()
        for channel, flags in applied.flags.items():
            for kind, flag in PLAUSIBILITY_KINDS.items():
                self._set_alarm(node, channel, kind, bool(flags & flag))
        for channel in applied.implausible:
            self.repairs.implausible_counter(node.channels[channel])
        self._notify(message.node_id)

    @callback
    def _on_status(self, message: NodeStatus) -> None:
        node = self._node(message.node_id)
        if node is None:
            return
        node.status = message
        self.repairs.battery(message)
        self._update_stale(node)
        self._notify(message.node_id)

    @callback
    def _update_stale(self, node: NodeData) -> bool:
        """Re-evaluate whether a radio node is stale; True when that changed."""
        stale = node.is_stale(time.monotonic())
        changed = stale != node.stale
        if changed:
            LOGGER.info("%s is %s", self.inventory.node_name(node.node_id),
                        "silent or out of range" if stale else "reporting again")  # fmt: skip
        node.stale = stale
        return changed

    @callback
    def _check_silent_nodes(self, _now: datetime) -> None:
        """A silent node sends nothing: look at every radio node now and then."""
        for node in list(self.nodes.values()):
            if self._update_stale(node):
                self._notify(node.node_id)

    @callback
    def _on_alarm(self, message: Alarm) -> None:
        node = self._node(message.node_id)
        if node is None:
            return
        try:
            kind = AlarmKind(message.kind)
        except ValueError:
            return
        per_channel = kind in PLAUSIBILITY_KINDS  # the others are node-wide (NO_CHANNEL)
        if message.channel not in (node.channels if per_channel else (NO_CHANNEL,)):
            if per_channel:
                self._schedule_refresh()  # a channel we do not know yet
            return  # keep no state and raise no issue for it (a hostile hub could flood them)
        self._set_alarm(node, message.channel, kind, bool(message.active))
        self._notify(message.node_id)

    @callback
    def _set_alarm(self, node: NodeData, channel: int, kind: AlarmKind, active: bool) -> None:
        node.alarms[(channel, kind)] = active
        self.repairs.plausibility(node.node_id, channel, kind, active)
        self.repairs.safety(node.node_id, kind, active)

    # ------------------------------------------------------------------- actions

    async def async_set_output(self, node_id: int, output: int, state: bool) -> None:
        """Switch an output and record the state the hub reports back."""
        ack: OutputAck = await _output_command(self.client.set_output(node_id, output, state))
        node = self.nodes.get(node_id)
        if node is not None and ack.result in (OutputResult.OK, OutputResult.REFUSED):
            previous = node.outputs.get(output)
            node.outputs[output] = OutputState(
                node_id, output, ack.state, 0, previous.hub_time if previous else 0
            )
            self._notify(node_id)
        _raise_unless_ok(ack.result)

    async def async_set_output_level(self, node_id: int, output: int, milliamps: int) -> None:
        """Set an output's current limit and record the limit the hub reports in force."""
        ack: OutputLevelAck = await _output_command(
            self.client.set_output_level(node_id, output, milliamps)
        )
        node = self.nodes.get(node_id)
        if node is not None and ack.result != OutputResult.UNKNOWN_OUTPUT:
            node.levels[output] = ack.milliamps
            self._notify(node_id)
        _raise_unless_ok(ack.result)

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
        channel: ChannelData = self.nodes[node_id].channels[channel_no]
        await self.totals.async_calibrate(
            channel,
            self.async_count_at,
            pulses_per_unit_=pulses_per_unit_,
            register=register,
            register_time=register_time,
        )
        self.repairs.implausible_counter(channel)  # a calibration clears the flag
        self._notify(node_id)


async def _output_command[A](command: Awaitable[A]) -> A:
    """The hub's answer to an output command; a failed link is a translated error."""
    try:
        return await command
    except HubError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="output_failed",
            translation_placeholders={"error": str(err)},
        ) from err


def _raise_unless_ok(result: int) -> None:
    """A refused output command is a translated error naming the hub's reason."""
    if result != OutputResult.OK:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="output_refused",
            translation_placeholders={"result": OutputResult(result).name.lower()},
        )
