"""D100FC-class radio node: pulse inputs, one AD220 output, pairing, commands, relaying.

The node is event driven; its board calls `boot()` once, `packet(raw, rssi)` for every packet
the radio received, and `run()` when `due()` has come, then sleeps (docs/node.md):
- a battery node's radio sniffs once per listen interval (CC1101 wake-on-radio) while the MCU
  sleeps; a command or ACCEPT for it is sent as a wake-up burst one listen interval long;
- a relay is mains powered and keeps its receiver on, so frames for the hub (reports, joins,
  acks) and commands between relays go out as single packets (docs/node.md, "Current budget");
- the AD220 output drives a normally-closed contactor: coil off = load powered, at boot and
  whenever an open command's lease (`hold_s`) runs out without a refresh from the hub.
"""

import struct
from array import array

from bhub.outputs import CLOSED, OPEN, RESULT_HARDWARE_FAULT, RESULT_OK, RESULT_UNKNOWN_OUTPUT
from bhub.radio import airframe, airsec
from bhub.radio.airsec import LISTEN_INTERVAL_S
from bhub.store import atomic_write, read_checked

BATTERY_LOW_MV = 3300
REPORT_INTERVAL_S = 900
JOIN_RETRY_S = 60  # doubling after each unanswered JOIN, up to an hour
JOIN_RETRY_MAX_S = 3600
RECENT_FRAMES = 16
HEARD_NODES = 64  # a relay's table of which nodes it hears directly
UNKNOWN_DISTANCE = 0xFF
_STATE = ">16sIIBB"  # node key, last command seq, join counter, epoch, that command's result
_STATE_SIZE = 26
# Frame counter, rssi, then report, join and lease end as seconds from the snapshot (small
# numbers: the ESP32 port's floats are 32-bit), nonce, hub distance.
_SNAPSHOT = ">Hbfff4sB"
SNAPSHOT_SIZE = struct.calcsize(_SNAPSHOT) + 1 + 6 * RECENT_FRAMES
_NO_LEASE = -1e9
_RESULT_REFUSED = 2


def _distance_offset(raw, kind):
    """Where a frame for the hub carries its last sender's hub distance (after the fields the
    hub decodes; the tag does not cover it, each relay rewrites it); len(raw) when none."""
    if kind in (airsec.KIND_ACK, airsec.KIND_JOIN):
        return airsec.size(kind)
    if kind == 0 and raw[0] == (airframe.FORMAT_VERSION << 4) | airframe.KIND_REPORT:
        return 17 + 5 * (raw[13] & airframe.STATUS_CHANNELS) + 1  # after the RSSI byte
    return len(raw)


class RecentFrames:
    """The last `size` (origin, frame counter) pairs seen, oldest replaced first.

    Fully associative, so a frame is never relayed twice while it is among the last `size`
    (a direct-mapped cache can evict it early and two relays then bounce it up to the hop
    limit), and small enough to keep in RTC memory across deep sleep (6 bytes a pair).
    """

    def __init__(self, size=RECENT_FRAMES):
        self.origins = array("I", bytes(4 * size))
        self.counters = array("H", bytes(2 * size))
        self.next = 0

    def seen(self, origin, counter):
        """True if (origin, counter) is among the recent pairs; records it either way."""
        for i in range(len(self.origins)):
            if self.origins[i] == origin and self.counters[i] == counter:
                return True
        self.origins[self.next] = origin
        self.counters[self.next] = counter
        self.next = (self.next + 1) % len(self.origins)
        return False

    def to_bytes(self):
        return bytes([self.next]) + bytes(self.origins) + bytes(self.counters)

    def load(self, data):
        size = len(self.origins)
        self.next = data[0] % size
        self.origins = array("I", data[1 : 1 + 4 * size])
        self.counters = array("H", data[1 + 4 * size : 1 + 6 * size])


class Node:
    """`transmit(packet, wake)` sends a packet (`wake`: as a wake-up burst); `channels` are
    bhub.pulses.PulseChannel (up to 3); `output` a bhub.outputs.Output or None; `battery_mv()`
    reads the cell under load; `random_bytes(n)`. `relay` true: a mains-powered relay whose
    receiver is always on; false: a battery node that sniffs once per listen interval."""

    def __init__(self, node_id, clock, transmit, state_path, install_key, channels, output,
                 battery_mv, random_bytes, relay=True, listen_interval_s=LISTEN_INTERVAL_S,
                 report_interval_s=REPORT_INTERVAL_S):  # fmt: skip
        self.node_id = node_id
        self.clock = clock
        self.transmit = transmit
        self.state_path = state_path
        self.install_key = install_key
        self.channels = channels[: airframe.MAX_CHANNELS]
        self.output = output
        self.battery_mv = battery_mv
        self.random_bytes = random_bytes
        self.relay = relay
        self.listen_interval_s = listen_interval_s
        self.report_interval_s = report_interval_s
        self.key = None
        self.last_seq = 0
        self._last_result = RESULT_OK  # what the command `last_seq` was answered
        self.join_counter = 0
        self._join_retry_s = JOIN_RETRY_S
        self.epoch = 0
        self.hub_distance = UNKNOWN_DISTANCE  # hops to the hub (1: heard directly), learnt
        self.last_rssi = 0  # dBm of the last frame heard
        self._nonce = b""
        self._frame_counter = 0
        self._next_report = 0.0
        self._next_join = 0.0
        self._lease_ends = None
        self._recent = RecentFrames()
        self._heard = {}  # relays: origin -> True if last heard directly (hops 0)
        self.stats = {"forged": 0, "replayed": 0, "relayed": 0, "commands": 0, "reports": 0,
                      "wakes": 0}  # fmt: skip

    # -- life cycle --------------------------------------------------------------------------

    def boot(self):
        """Safe state first (load powered), then restore the pairing and start a new epoch."""
        if self.output is not None:
            self.output.state = self.output.drive(CLOSED)
        self._load()
        self.epoch = (self.epoch + 1) & 0xFF  # counters restart at every cold boot
        self._frame_counter = struct.unpack(">H", self.random_bytes(2))[0]
        self._save()
        now = self.clock.monotonic()
        self._next_report = now
        self._next_join = now

    def snapshot(self):
        """What the node keeps across deep sleep (RTC memory), timers relative to now."""
        now = self.clock.monotonic()
        lease = _NO_LEASE if self._lease_ends is None else self._lease_ends - now
        nonce = self._nonce + bytes(4 - len(self._nonce))
        return struct.pack(_SNAPSHOT, self._frame_counter, self.last_rssi,
                           self._next_report - now, self._next_join - now, lease, nonce,
                           self.hub_distance) + self._recent.to_bytes()  # fmt: skip

    def resume(self, snapshot, slept_s):
        """Wake from deep sleep `slept_s` after `snapshot`: pairing from flash, timers from the
        snapshot, no new epoch; the output keeps its state (the ULP kept the AD220 shed)."""
        self._load()
        (self._frame_counter, self.last_rssi, report, join, lease, self._nonce,
         self.hub_distance) = struct.unpack_from(_SNAPSHOT, snapshot)  # fmt: skip
        self._recent.load(snapshot[struct.calcsize(_SNAPSHOT) :])
        base = self.clock.monotonic() - slept_s
        self._next_report, self._next_join = base + report, base + join
        self._lease_ends = None if lease == _NO_LEASE else base + lease
        if self.output is not None:
            self.output.state = OPEN if self._lease_ends is not None else CLOSED

    def _load(self):
        data = read_checked(self.state_path)
        if data and len(data) == _STATE_SIZE:
            (key, self.last_seq, self.join_counter, self.epoch,
             self._last_result) = struct.unpack(_STATE, data)  # fmt: skip
            self.key = key if any(key) else None

    def _save(self):
        atomic_write(self.state_path, struct.pack(_STATE, self.key or bytes(16), self.last_seq,
                                                  self.join_counter, self.epoch,
                                                  self._last_result))  # fmt: skip

    def due(self):
        """Monotonic time of the node's next own work (report, join retry, lease end)."""
        times = [self._next_report]
        if self._wants_key():
            times.append(self._next_join)
        if self._lease_ends is not None:
            times.append(self._lease_ends)
        return min(times)

    @property
    def listens(self):
        """A node that neither relays nor has an output needs nothing from the air: its radio
        stays powered down between its own reports (no sniffing)."""
        return self.relay or self.output is not None

    def first_byte_filter(self):
        """First packet byte the radio may keep (None: all). A paired node that does not relay
        only needs commands, so its CC1101 drops everything else without waking the MCU."""
        if self.relay or self.key is None:
            return None
        return (airframe.FORMAT_VERSION << 4) | airsec.KIND_COMMAND

    def _wants_key(self):
        """Only a node with an output takes commands, so only it pairs."""
        return self.key is None and self.output is not None

    def run(self):
        """Do the work that is due: end an expired lease, join (output nodes, until paired),
        report."""
        now = self.clock.monotonic()
        self.stats["wakes"] += 1
        if self._lease_ends is not None and now >= self._lease_ends:
            self._lease_ends = None
            self._drive(CLOSED)  # the hub stopped refreshing the shed: power the load again
            self._next_report = now  # tell the hub at once
        if self._wants_key() and now >= self._next_join:
            self._next_join = now + self._join_retry_s
            self._join_retry_s = min(2 * self._join_retry_s, JOIN_RETRY_MAX_S)
            self._send_join()
        if now >= self._next_report:
            self._report(now)

    # -- sending -----------------------------------------------------------------------------

    def _next_counter(self):
        self._frame_counter = (self._frame_counter + 1) & 0xFFFF
        self._recent.seen(self.node_id, self._frame_counter)
        return self._frame_counter

    def _report(self, now):
        self._next_report = now + self.report_interval_s
        counts, flags = [], []
        for channel in self.channels:
            channel.sample(now, 0)
            counts.append(channel.count)
            flags.append(channel.flags)
        battery = self.battery_mv()
        closed = self.output is not None and self.output.state == CLOSED
        packet = airframe.encode_report(self.node_id, self._next_counter(), counts, battery,
                                        flags, self.epoch, battery < BATTERY_LOW_MV,
                                        1 if closed else 0)  # fmt: skip
        self.stats["reports"] += 1
        rssi = struct.pack("b", max(-128, min(127, self.last_rssi)))
        self.transmit(packet + rssi + bytes([self.hub_distance]), False)  # relays listen

    def _send_join(self):
        self.join_counter += 1
        self._save()  # a JOIN counter is never reused, so a replayed ACCEPT cannot match
        self._nonce = self.random_bytes(4)
        outputs = 1 if self.output is not None else 0
        self.transmit(airsec.encode(airsec.KIND_JOIN, self.install_key, self.node_id,
                                    self._next_counter(), self.join_counter, self._nonce,
                                    outputs) + bytes([self.hub_distance]), False)  # fmt: skip

    # -- receiving ---------------------------------------------------------------------------

    def packet(self, raw, rssi):
        """One packet from the radio: act on it if it is for this node, else maybe relay it."""
        self.stats["wakes"] += 1
        if len(raw) < 12 or raw[7] > airframe.MAX_HOPS:
            return
        self.last_rssi = rssi
        origin, counter, hops = airsec.header(raw)
        if origin == self.node_id:
            return  # our own frame, relayed back
        new = not self._recent.seen(origin, counter)
        if new and origin == airsec.HUB_AIR_ID:
            self.hub_distance = hops + 1  # the first copy of a flood came the shortest way
        elif new and self.relay:
            self._learn_neighbour(origin, hops)
        kind = airsec.kind_of(raw)
        target = airsec.fields(kind, raw)[0] if kind in (airsec.KIND_COMMAND,
                                                         airsec.KIND_ACCEPT) else None
        if target == self.node_id:
            if kind == airsec.KIND_COMMAND:
                self._command(raw)
            else:
                self._accept(raw)
            return
        if not self.relay or not new:
            return
        at = _distance_offset(raw, kind)
        if not self._on_path(hops, raw[at] if at < len(raw) else UNKNOWN_DISTANCE, target):
            return
        out = airsec.relayed(raw, self.node_id)
        if out is None:
            return
        if at < len(out):
            out = out[:at] + bytes([self.hub_distance]) + out[at + 1 :]
        self.stats["relayed"] += 1
        # Only a battery node sleeps, and only a command or ACCEPT is for one: burst it when
        # its target was last heard directly, or never (relays and the hub always listen).
        self.transmit(out, target is not None and self._heard.get(target, True))

    def _learn_neighbour(self, origin, hops):
        """Relays: remember whether `origin` was last heard directly (first copies only)."""
        if origin not in self._heard and len(self._heard) >= HEARD_NODES:
            self._heard.pop(next(iter(self._heard)))
        self._heard[origin] = hops == 0

    def _on_path(self, hops, sender_distance, target):
        """Relay a frame only away from where it came: a command one ring further out than its
        sender (at distance `hops`), a frame for the hub only when closer to the hub than its
        sender. Unknown distances flood."""
        if self.hub_distance == UNKNOWN_DISTANCE:
            return True
        if target is not None:
            return self.hub_distance == hops + 1
        return sender_distance == UNKNOWN_DISTANCE or self.hub_distance < sender_distance

    def _command(self, raw):
        if not airsec.verify(self.key, raw):
            self.stats["forged"] += 1
            return
        _, seq, output, state, hold_s = airsec.fields(airsec.KIND_COMMAND, raw)
        if seq < self.last_seq or (seq == self.last_seq and seq == 0):
            self.stats["replayed"] += 1
            return
        if seq == self.last_seq:  # the hub's retry: our ack was lost; answer, switch nothing
            result = self._last_result
        elif self.output is None or output != 0:
            result = RESULT_UNKNOWN_OUTPUT
        elif state not in (OPEN, CLOSED):
            result = _RESULT_REFUSED
        else:
            self.last_seq, self._last_result = seq, RESULT_OK
            self._save()  # before switching: a replay after a power cut is still refused
            self.stats["commands"] += 1
            reached = self._drive(state)
            self._lease_ends = self.clock.monotonic() + hold_s if state == OPEN and hold_s else None
            result = RESULT_OK if reached == state else RESULT_HARDWARE_FAULT
        if seq != self.last_seq or result != self._last_result:
            self.last_seq, self._last_result = seq, result  # answered the same if retried
            self._save()
        reached = self.output.state if self.output is not None else 0
        self.transmit(airsec.encode(airsec.KIND_ACK, self.key, self.node_id,
                                    self._next_counter(), seq, output, reached, result)
                      + bytes([self.hub_distance]), False)  # fmt: skip

    def _accept(self, raw):
        if self.key is not None or not airsec.verify(self.install_key, raw):
            self.stats["forged"] += 1
            return
        _, counter, nonce, wrapped = airsec.fields(airsec.KIND_ACCEPT, raw)
        if counter != self.join_counter or nonce != self._nonce:
            self.stats["replayed"] += 1
            return
        self.key = airsec.wrap(self.install_key, self.node_id, counter, nonce, wrapped)
        self.last_seq = 0
        self._save()
        self._report(self.clock.monotonic())  # tells the hub the output state at once

    def _drive(self, state):
        self.output.state = self.output.drive(state)
        return self.output.state
