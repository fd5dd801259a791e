"""Hub core: node 0 (the hub's wired inputs and contactor outputs), radio nodes, and the
messages of docs/protocol.md. Boards build a Hub from their hardware and call `tick()` about
once a second (hub clock) and `push()` every push interval (real time)."""

import asyncio
from array import array

from .archive import HOUR_S, Archive
from .guard import Guard, power_w
from .link import ERROR_BUSY, ERROR_UNKNOWN_TYPE, MAX_SESSIONS
from .nodes import CHANNELS_PER_NODE
from .outputs import (
    CAUSE_HOST,
    RESULT_HARDWARE_FAULT,
    RESULT_OK,
    RESULT_UNKNOWN_OUTPUT,
    OutputBank,
)
from .protocol import TYPES, MessageError, decode_payload, encode_payload
from .pulses import FLAG_MAGNETIC, FLAG_OPEN_CIRCUIT, FLAG_SHORT_CIRCUIT, RateTable
from .store import CounterStore, atomic_write, read_checked

FIRMWARE_VERSION = "1.0.0"
HUB_NODE = 0
ALL_NODES = 0xFFFFFFFF
NO_CHANNEL = 0xFF
KIND_HUB, KIND_D100FC = 0, 1
# HELLO capabilities: counters, outputs, archive, guard, radio, safety, time sync.
CAP_COUNTERS, CAP_OUTPUTS, CAP_ARCHIVE, CAP_GUARD, CAP_RADIO, CAP_SAFETY, CAP_TIME_SYNC = (
    1, 2, 4, 8, 16, 32, 64)
# ALARM kinds.
ALARM_OPEN_CIRCUIT, ALARM_SHORT_CIRCUIT, ALARM_MAGNETIC = 1, 2, 3
ALARM_PHASE_LOSS, ALARM_NEUTRAL_VOLTAGE, ALARM_ARCING = 4, 5, 6
ALARM_BATTERY_LOW, ALARM_NODE_LOST = 7, 8
_CHANNEL_ALARMS = ((FLAG_OPEN_CIRCUIT, ALARM_OPEN_CIRCUIT), (FLAG_SHORT_CIRCUIT, ALARM_SHORT_CIRCUIT),
                   (FLAG_MAGNETIC, ALARM_MAGNETIC))
NODE_FLAG_BATTERY_LOW, NODE_FLAG_OUT_OF_RANGE = 1, 2
ARCHIVE_COMPLETE, ARCHIVE_PARTIAL, ARCHIVE_BUSY = 0, 1, 2
NODE_LOST_AFTER_S = 3600
MAX_PENDING_LISTINGS = 2  # NODE_LIST / STATE requests queued per session; more: ERROR(BUSY)


class SafetyInput:
    """A hub-level safety sensor (phase loss, neutral voltage, arcing): `read()` -> (active, value)."""

    def __init__(self, kind, read):
        self.kind = kind
        self.read = read


class Hub:
    def __init__(self, hub_id, clock, channels, outputs, state_dir, nodes=None, node_media=None,
                 safety=(), model="BALANCE hub", flush_interval_s=60, archive_hours=1488,
                 archive_columns=48, air=None):
        self.hub_id = hub_id
        self.model = model
        self.clock = clock
        self.channels = channels  # PulseChannel of node 0, by wired input
        self.outputs = OutputBank(outputs, clock, self._output_changed)
        self.guard = Guard(self.outputs, clock)
        self.nodes = nodes  # bhub.nodes.NodeTable or None
        self.node_media = node_media or {}  # radio node id -> media of its channels
        self.air = air  # bhub.aircmd.AirCommands: outputs of paired radio nodes, or None
        if air is not None:
            air.on_output = self._radio_output_changed
            air.hops_of = self._hops_of
        self.safety = safety
        self.store = CounterStore(state_dir + "/counters.bin", flush_interval_s)
        self.archive = Archive(state_dir, archive_hours, archive_columns)
        self.capabilities = CAP_COUNTERS | CAP_OUTPUTS | CAP_ARCHIVE | CAP_GUARD | CAP_TIME_SYNC
        if nodes is not None:
            self.capabilities |= CAP_RADIO
        if safety:
            self.capabilities |= CAP_SAFETY
        self.epoch = 0
        self.boot = 0  # raised and persisted at every start (1..2**32-1); 0 before start()
        self.boot_counts = {}  # wired channel -> count it resumed from at this boot
        self.sessions = {}  # transport -> the session that receives pushes
        self.open_sessions = []  # every admitted session, oldest first (at most MAX_SESSIONS)
        self.alarms = {}  # (node_id, channel, kind) -> (hub_time, value) of active alarms
        self._policy_path = state_dir + "/guard.bin"
        self._boot_time = clock.monotonic()
        self._report_seq = 0
        self._hour = None
        # Per radio node / channel, by NodeTable slot (channel i of a node at slot * 3 + i):
        # report_seq last examined (0: never), channel flags last examined, pulse rates.
        slots = nodes.max_nodes if nodes is not None else 0
        self._examined_seq = array("I", bytes(4 * slots))
        self._examined_flags = bytearray(CHANNELS_PER_NODE * slots)
        self._node_rates = RateTable(CHANNELS_PER_NODE * slots)
        self._dirty_nodes = []
        self._archive_busy = set()
        self._listings = {}  # session -> NODE_LIST / STATE producers queued for it
        self._pushing = False
        self._handlers = {
            TYPES["ping"]: self._ping,
            TYPES["pong"]: _ignore,
            TYPES["disconnect"]: self._disconnect,
            TYPES["error"]: _ignore,
            TYPES["hub_info_request"]: self._hub_info,
            TYPES["output_set"]: self._output_set,
            TYPES["output_level_set"]: self._output_level_set,
            TYPES["archive_request"]: self._archive_request,
            TYPES["guard_policy"]: self._guard_policy,
            TYPES["heartbeat"]: self._heartbeat,
            TYPES["time_sync"]: self._time_sync,
        }
        self._listers = {TYPES["node_list_request"]: self._node_list,
                         TYPES["state_request"]: self._state}

    # -- life cycle ------------------------------------------------------------------------

    def start(self):
        """Restore counters, count this boot, restore the guard policy, put outputs in their
        safe state. The boot number is written before any report can carry it."""
        self.epoch, boot, counts = self.store.load()
        self.boot = boot % 0xFFFFFFFF + 1
        for channel in self.channels:
            channel.base = counts.get(channel.channel, 0)
            self.archive.column(HUB_NODE, channel.channel)
        self.boot_counts = self._counts()
        policy = read_checked(self._policy_path)
        if policy:
            try:
                self.guard.set_policy(decode_payload(TYPES["guard_policy"], policy))
            except MessageError:
                pass
        self.outputs.boot()
        self.store.save(self.epoch, self.boot, self._counts(), self.clock.monotonic())

    def stop(self):
        """Orderly stop (soft reboot): persist every counter."""
        self.store.save(self.epoch, self.boot, self._counts())

    def _counts(self):
        return {channel.channel: channel.count for channel in self.channels}

    # -- periodic work ---------------------------------------------------------------------

    def tick(self):
        """Sample inputs, run the guard, archive full hours and flush counters when due."""
        now = self.clock.monotonic()
        unix = int(self.clock.unix())
        for channel in self.channels:
            changed = channel.sample(now, self.clock.ticks_us())
            if changed:
                self._channel_alarms(HUB_NODE, channel.channel, changed, channel.flags, unix)
        for sensor in self.safety:
            active, value = sensor.read()
            self._set_alarm(HUB_NODE, NO_CHANNEL, sensor.kind, active, value, unix)
        if self.nodes is not None:
            self._scan_nodes(now, unix)
        if self.guard.step(self.meter_power_w()):
            self._broadcast_guard_status()
        hour = unix // HOUR_S
        if self._hour is not None and hour != self._hour:
            self._archive_hour(hour * HOUR_S)
        self._hour = hour
        if self.store.due(now):
            self.store.save(self.epoch, self.boot, self._counts(), now)

    def push(self):
        """Periodic pushes to connected hosts: node 0, guard status, then changed radio nodes.

        Radio nodes go out paced by each session's queue; while a push is still going out,
        newly changed nodes wait for the next one.
        """
        if not self.sessions:
            self._dirty_nodes = []
            return
        self._broadcast(lambda s: self._send_counters(s, HUB_NODE))
        if self.guard.policy:
            self._broadcast_guard_status()
        if self._dirty_nodes and not self._pushing:
            self._pushing = True
            asyncio.create_task(self._push_nodes())

    async def _push_nodes(self):
        try:
            while self._dirty_nodes:
                node_id = self._dirty_nodes.pop(0)
                for session in list(self.sessions.values()):
                    await session.room()
                    self._send_counters(session, node_id)
                    self._send_node_status(session, node_id)
        finally:
            self._pushing = False

    def meter_power_w(self):
        """Main meter power for the guard, from its pulse rate (0 without a policy)."""
        policy = self.guard.policy
        if not policy:
            return 0
        rate = self._rate_mph(policy["meter_node"], policy["meter_channel"])
        return power_w(rate, policy["meter_imp_per_kwh"])

    def _rate_mph(self, node_id, channel_no):
        now = self.clock.monotonic()
        if node_id == HUB_NODE:
            for channel in self.channels:
                if channel.channel == channel_no:
                    return channel.rate_mph(now)
            return 0
        slot = self.nodes.slot(node_id) if self.nodes is not None else None
        if slot is None or not 0 < channel_no <= CHANNELS_PER_NODE:
            return 0
        return self._node_rates.rate_mph(slot * CHANNELS_PER_NODE + channel_no - 1, now)

    def _archive_hour(self, hour_start):
        # Flush first: no archived count may exceed the flushed one, so counts resumed after a
        # power cut never go below an archived hour.
        counts = self._counts()
        self.store.save(self.epoch, self.boot, counts, self.clock.monotonic())
        values = {}
        for channel in self.channels:
            column = self.archive.column(HUB_NODE, channel.channel)
            if column is not None:
                values[column] = (counts[channel.channel], self.epoch)
        if self.nodes is not None:
            for node_id in self.nodes.ids():
                node = self.nodes.get(node_id)
                for i, count in enumerate(node.counts):
                    column = self.archive.column(node_id, i + 1)
                    if column is not None:
                        values[column] = (count, node.epoch)
        self.archive.record(hour_start, values)

    def _scan_nodes(self, now, unix):
        for node_id in self.nodes.mark_stale(unix, NODE_LOST_AFTER_S):
            self._set_alarm(node_id, NO_CHANNEL, ALARM_NODE_LOST, True, 0, unix)
            self._mark_dirty(node_id)
        for node_id in self.nodes.ids():
            node = self.nodes.get(node_id)
            slot = node.slot
            if self._examined_seq[slot] == node.report_seq:
                continue
            self._examined_seq[slot] = node.report_seq
            self._mark_dirty(node_id)
            base = slot * CHANNELS_PER_NODE
            for i, count in enumerate(node.counts):
                self._node_rates.update(base + i, count, now)
            flags = node.flags
            self._set_alarm(node_id, NO_CHANNEL, ALARM_BATTERY_LOW,
                            flags & NODE_FLAG_BATTERY_LOW, node.battery_mv, unix)
            self._set_alarm(node_id, NO_CHANNEL, ALARM_NODE_LOST,
                            flags & NODE_FLAG_OUT_OF_RANGE, 0, unix)
            channel_flags = node.channel_flags
            for i in range(CHANNELS_PER_NODE):
                old = self._examined_flags[base + i]
                channel_flag = channel_flags[i] if i < len(channel_flags) else 0
                self._examined_flags[base + i] = channel_flag
                if channel_flag != old and i < len(channel_flags):
                    self._channel_alarms(node_id, i + 1, channel_flag ^ old, channel_flag, unix)

    def _mark_dirty(self, node_id):
        if node_id not in self._dirty_nodes:
            self._dirty_nodes.append(node_id)

    # -- alarms and outputs ----------------------------------------------------------------

    def _channel_alarms(self, node_id, channel, changed, flags, unix):
        for flag, kind in _CHANNEL_ALARMS:
            if changed & flag:
                self._set_alarm(node_id, channel, kind, flags & flag, 0, unix)

    def _set_alarm(self, node_id, channel, kind, active, value, unix):
        key = (node_id, channel, kind)
        if bool(active) == (key in self.alarms):
            return
        if active:
            self.alarms[key] = (unix, value)
        else:
            del self.alarms[key]
        self._broadcast(lambda s: self._send_alarm(s, key, 1 if active else 0, unix, value))

    def _radio_output_changed(self, node_id, output, state, cause):
        unix = int(self.clock.unix())
        self._broadcast(lambda s: s.send_named("output_state", node_id=node_id, output=output,
                                               state=state, cause=cause, hub_time=unix))

    def _hops_of(self, node_id):
        node = self.nodes.get(node_id) if self.nodes is not None else None
        return node.hops if node is not None else 0

    def _output_changed(self, index, state, cause):
        unix = int(self.clock.unix())
        self._broadcast(lambda s: s.send_named("output_state", node_id=HUB_NODE, output=index,
                                               state=state, cause=cause, hub_time=unix))

    # -- sending ---------------------------------------------------------------------------

    def admit(self, session):
        """A connection opened: True if it may run. At MAX_SESSIONS the oldest session still in
        its handshake is closed to make room; if every session is ready, the new one is refused."""
        if len(self.open_sessions) >= MAX_SESSIONS:
            pending = [s for s in self.open_sessions if not s.ready]
            if not pending:
                return False
            pending[0].abort()
            self.release(pending[0])
        self.open_sessions.append(session)
        return True

    def release(self, session):
        if session in self.open_sessions:
            self.open_sessions.remove(session)

    def attach(self, session):
        """A session finished its handshake: it replaces the older one of its transport."""
        old = self.sessions.get(session.transport)
        self.sessions[session.transport] = session
        if old is not None and old is not session:
            old.close()

    def detach(self, session):
        if self.sessions.get(session.transport) is session:
            del self.sessions[session.transport]

    def _broadcast(self, send):
        for session in list(self.sessions.values()):
            send(session)

    def _broadcast_guard_status(self):
        self._broadcast(self._send_guard_status)

    def _send_counters(self, session, node_id):
        now = self.clock.monotonic()
        unix = int(self.clock.unix())
        if node_id == HUB_NODE:
            self._report_seq = (self._report_seq + 1) & 0xFFFFFFFF
            readings = [{"channel": c.channel, "count": c.count, "rate_mph": c.rate_mph(now),
                         "flags": c.flags} for c in self.channels]
            seq, epoch, boot = self._report_seq, self.epoch, self.boot
            boot_counts = [{"channel": channel, "count": count}
                           for channel, count in sorted(self.boot_counts.items())]
        else:
            node = self.nodes.get(node_id)
            readings = [{"channel": i + 1, "count": count,
                         "rate_mph": self._rate_mph(node_id, i + 1),
                         "flags": node.channel_flags[i]} for i, count in enumerate(node.counts)]
            seq, epoch, boot, boot_counts = node.report_seq, node.epoch, 0, []
        session.send_named("counters", node_id=node_id, hub_time=unix, report_seq=seq,
                           epoch=epoch, readings=readings, boot=boot, boot_counts=boot_counts)

    def _send_node_status(self, session, node_id):
        if node_id == HUB_NODE:
            session.send_named("node_status", node_id=HUB_NODE, battery_mv=0, battery_pct=100,
                               rssi=0, hops=0, last_seen=int(self.clock.unix()), flags=0)
            return
        node = self.nodes.get(node_id)
        session.send_named("node_status", node_id=node_id, battery_mv=node.battery_mv,
                           battery_pct=node.battery_pct, rssi=node.rssi, hops=node.hops,
                           last_seen=node.last_seen, flags=node.flags)

    def _send_alarm(self, session, key, active, unix, value):
        node_id, channel, kind = key
        session.send_named("alarm", node_id=node_id, channel=channel, kind=kind, active=active,
                           hub_time=unix, value=value)

    def _send_guard_status(self, session):
        session.send_named("guard_status", policy_id=self.guard.policy_id, mode=self.guard.mode,
                           power_w=self.meter_power_w(), shed=len(self.guard.shed),
                           hub_time=int(self.clock.unix()))

    def _node_ids(self):
        return [HUB_NODE] + (list(self.nodes.ids()) if self.nodes is not None else [])

    # -- requests --------------------------------------------------------------------------

    def handle(self, session, msg_type, fields, seq):
        lister = self._listers.get(msg_type)
        if lister is not None:
            self._queue_listing(session, lister, msg_type, seq)
            return
        handler = self._handlers.get(msg_type)
        if handler is None:
            session.error(msg_type, seq, ERROR_UNKNOWN_TYPE)
        else:
            handler(session, fields)

    def _queue_listing(self, session, lister, msg_type, seq):
        """NODE_LIST and STATE answers are long: one at a time per session, paced."""
        pending = self._listings.get(session)
        if pending is None:
            self._listings[session] = [lister]
            asyncio.create_task(self._serve_listings(session))
        elif len(pending) < MAX_PENDING_LISTINGS:
            pending.append(lister)
        else:
            session.error(msg_type, seq, ERROR_BUSY)

    async def _serve_listings(self, session):
        pending = self._listings[session]
        try:
            while pending and not session.closed:
                await pending[0](session)
                pending.pop(0)
        finally:
            del self._listings[session]

    def _ping(self, session, ping):
        session.send_named("pong", token=ping["token"])

    def _disconnect(self, session, _):
        session.close()

    def _hub_info(self, session, _):
        channels = len(self.channels) + (self.nodes.channel_total() if self.nodes else 0)
        session.send_named("hub_info", hub_id=self.hub_id, firmware=FIRMWARE_VERSION,
                           model=self.model,
                           uptime_s=int(self.clock.monotonic() - self._boot_time),
                           hub_time=int(self.clock.unix()), counter_epoch=self.epoch,
                           nodes=len(self._node_ids()), channels=channels,
                           outputs=len(self.outputs), flags=0)

    async def _node_list(self, session):
        node_ids = self._node_ids()
        for node_id in node_ids:
            await session.room()
            if node_id == HUB_NODE:
                channels = [{"channel": c.channel, "medium": c.medium,
                             "flags": c.supervised_flags} for c in self.channels]
                session.send_named("node_info", node_id=HUB_NODE, kind=KIND_HUB,
                                   firmware=FIRMWARE_VERSION, channels=channels,
                                   outputs=len(self.outputs),
                                   level_outputs=self.outputs.level_mask())
                continue
            media = self.node_media.get(node_id, ())
            count = self.nodes.get(node_id).channel_count
            channels = [{"channel": i + 1, "medium": media[i] if i < len(media) else 0,
                         "flags": FLAG_OPEN_CIRCUIT | FLAG_SHORT_CIRCUIT | FLAG_MAGNETIC}
                        for i in range(count)]
            session.send_named("node_info", node_id=node_id, kind=KIND_D100FC, firmware="",
                               channels=channels,
                               outputs=self.air.outputs(node_id) if self.air else 0)
        session.send_named("node_list_end", count=len(node_ids))

    async def _state(self, session):
        for node_id in self._node_ids():
            await session.room()
            self._send_counters(session, node_id)
            self._send_node_status(session, node_id)
        unix = int(self.clock.unix())
        for index, output in enumerate(self.outputs.outputs):
            session.send_named("output_state", node_id=HUB_NODE, output=index,
                               state=output.state, cause=output.cause, hub_time=unix)
            if output.level:
                session.send_named("output_level", node_id=HUB_NODE, output=index,
                                   milliamps=output.level_ma, hub_time=unix)
        for node_id in self.air.paired() if self.air else ():
            await session.room()
            for index, state in self.air.known_states(node_id):
                session.send_named("output_state", node_id=node_id, output=index, state=state,
                                   cause=CAUSE_HOST, hub_time=unix)
        for key, (since, value) in list(self.alarms.items()):
            await session.room()
            self._send_alarm(session, key, 1, since, value)
        if self.guard.policy:
            self._send_guard_status(session)

    def _output_set(self, session, command):
        if command["node_id"] != HUB_NODE:
            self._radio_output_set(session, command)
            return
        result, state = self.outputs.set(command["output"], command["state"], CAUSE_HOST)
        self.guard.release(command["output"])
        session.send_named("output_ack", cmd_id=command["cmd_id"], result=result, state=state)

    def _radio_output_set(self, session, command):
        """A radio node's output: an air command, answered when the node acknowledges it."""
        cmd_id, node_id = command["cmd_id"], command["node_id"]

        def done(result, state):
            if not session.closed:
                session.send_named("output_ack", cmd_id=cmd_id, result=result, state=state)

        known = self.nodes is not None and node_id in self.nodes
        if self.air is None or not known:
            done(RESULT_UNKNOWN_OUTPUT, 0)
            return
        answer = self.air.command(node_id, command["output"], command["state"],
                                  self._hops_of(node_id), done)  # fmt: skip
        if answer is not None:
            done(*answer)

    def _output_level_set(self, session, command):
        if command["node_id"] != HUB_NODE:
            result, milliamps = RESULT_UNKNOWN_OUTPUT, 0
        else:
            index = command["output"]
            result, milliamps = self.outputs.set_level(index, command["milliamps"])
            if result in (RESULT_OK, RESULT_HARDWARE_FAULT):
                unix = int(self.clock.unix())
                self._broadcast(lambda s: s.send_named("output_level", node_id=HUB_NODE,
                                                       output=index, milliamps=milliamps,
                                                       hub_time=unix))
        session.send_named("output_level_ack", cmd_id=command["cmd_id"], result=result,
                           milliamps=milliamps)

    def _guard_policy(self, session, policy):
        status = self.guard.set_policy(policy)
        if status == 0:
            atomic_write(self._policy_path, encode_payload(TYPES["guard_policy"], policy))
        session.send_named("guard_ack", policy_id=policy["policy_id"], status=status)
        if status == 0:
            self._send_guard_status(session)

    def _heartbeat(self, session, heartbeat):
        if self.guard.heartbeat(heartbeat["policy_id"]):
            self._broadcast_guard_status()  # control passed back to the host
        else:
            self._send_guard_status(session)

    def _time_sync(self, session, sync):
        previous = int(self.clock.unix())
        self.clock.set_unix(sync["unix_time"] + sync["ms"] / 1000)
        self._hour = int(self.clock.unix()) // HOUR_S
        session.send_named("time_ack", previous_time=previous, unix_time=sync["unix_time"])

    def _archive_request(self, session, request):
        if session in self._archive_busy:
            session.send_named("archive_end", req_id=request["req_id"], records=0,
                               status=ARCHIVE_BUSY)
            return
        self._archive_busy.add(session)
        asyncio.create_task(self._serve_archive(session, request))

    async def _serve_archive(self, session, request):
        """Send ARCHIVE_RECORDS per matching channel, pacing on the session's queue."""
        try:
            start = request["start"] // HOUR_S * HOUR_S
            end = -(-request["end"] // HOUR_S) * HOUR_S
            oldest = self.archive.oldest_start(self.clock.unix())
            newest_end = (int(self.clock.unix()) // HOUR_S + 1) * HOUR_S
            status = ARCHIVE_COMPLETE
            if start < oldest or end > newest_end:
                status = ARCHIVE_PARTIAL
                start, end = max(start, oldest), min(end, newest_end)
            sent = 0
            for column, (node_id, channel) in enumerate(self.archive.columns):
                if request["node_id"] not in (ALL_NODES, node_id):
                    continue
                if request["channel"] not in (NO_CHANNEL, channel):
                    continue
                for run_start, epoch, values in self.archive.chunks(column, start, end):
                    session.send_named("archive_records", req_id=request["req_id"],
                                       node_id=node_id, channel=channel, start=run_start,
                                       epoch=epoch, values=[{"count": v} for v in values])
                    sent += len(values)
                    await session.room()
                    await asyncio.sleep_ms(0)
            session.send_named("archive_end", req_id=request["req_id"], records=sent,
                               status=status)
        finally:
            self._archive_busy.discard(session)


def _ignore(session, fields):
    pass

