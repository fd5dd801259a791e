"""Hub side of paired radio nodes: pairing, authenticated output commands, acks and retries.

A node joins with a JOIN frame tagged with its install key (the hub's provisioning list has
it); the hub answers ACCEPT with a fresh node key wrapped under the install key. OUTPUT_SET for
a radio node's output becomes a COMMAND with the node's next sequence number, retried with a new
frame counter and the same sequence until the node's ACK or the deadline, then answered as
OUTPUT_ACK. Relays are mains powered and always listen, so a command goes out as one packet
when relays are in between; to a battery node in direct range it is a wake-up burst (the node
sniffs once per listen interval). An open
(shed) output is leased for `hold_s`; the hub refreshes the lease every hold_s / 3, and a node
that hears nothing closes it again (load powered). See docs/hub-radio.md and docs/node.md.

Per paired node the hub keeps one 31-byte record in a single bytearray (node id, key, next
sequence, last join counter, output count, output states, which states are known) plus a dict
entry from node id to its offset; the same bytes are the flash file.
"""

import struct

from bhub.radio import airsec
from bhub.store import atomic_write, read_checked

from .outputs import CAUSE_HOST, RESULT_OK, RESULT_UNKNOWN_OUTPUT

RESULT_NOT_ACKNOWLEDGED = 4  # OUTPUT_ACK: the node did not confirm before the deadline
CAUSE_NODE = 5  # OUTPUT_STATE: the node changed the output itself (boot, lease expired)
MAX_OUTPUTS = 8
MAX_PENDING = 8
MAX_ATTEMPTS = 3
DEADLINE_S = 8.0  # final answer well inside the host's 10 s request timeout
BACKOFF_S = 0.25
HOP_S = 0.05  # one hop of a short frame with a clear-channel wait (8 ms of airtime)
_RECORD = ">I16sIIBBB"  # node id, key, next seq, join counter, outputs, states, known states
_RECORD_SIZE = 31
_KEY, _OUTPUTS, _STATES, _KNOWN = 4, 28, 29, 30  # offsets in a record


class AirCommands:
    """`transmit(packet, wake)` sends one packet (`wake`: a burst as long as the listen
    interval); `install_codes` maps node id -> 16-byte install key; `random_bytes(n)`."""

    def __init__(self, clock, transmit, state_path, install_codes, random_bytes,
                 listen_interval_s=airsec.LISTEN_INTERVAL_S, hold_s=900):  # fmt: skip
        self.clock = clock
        self.transmit = transmit
        self.state_path = state_path
        self.install_codes = install_codes
        self.random_bytes = random_bytes
        self.listen_interval_s = listen_interval_s
        self.hold_s = hold_s
        self.on_output = None  # (node_id, output, state, cause) after every known change
        self.hops_of = None  # node id -> relays between hub and node (lease refreshes)
        self._blob = bytearray()  # the records, back to back
        self._offsets = {}  # node id -> offset of its record in _blob
        self._pending = []  # [node, output, state, seq, attempts, due, deadline, done, hops]
        self._leases = {}  # (node, output) -> monotonic time of the next lease refresh
        # Relays remember recent (origin, counter) pairs: after a reboot the hub must not start
        # from the counter its last frames had, or they would be dropped as duplicates.
        self._frame_counter = struct.unpack(">H", random_bytes(2))[0]
        self.stats = {"sent": 0, "acked": 0, "failed": 0, "forged": 0, "joined": 0}
        self._load()

    # -- records -----------------------------------------------------------------------------

    def _load(self):
        data = read_checked(self.state_path) or b""
        self._blob = bytearray(data[: len(data) - len(data) % _RECORD_SIZE])
        for at in range(0, len(self._blob), _RECORD_SIZE):
            self._offsets[struct.unpack_from(">I", self._blob, at)[0]] = at
            self._blob[at + _KNOWN] = 0  # states are learnt again from the nodes' reports

    def _save(self):
        atomic_write(self.state_path, self._blob)

    def _byte(self, node_id, field):
        return self._blob[self._offsets[node_id] + field]

    def _set_byte(self, node_id, field, value):
        self._blob[self._offsets[node_id] + field] = value

    def _key(self, node_id):
        at = self._offsets[node_id] + _KEY
        return bytes(self._blob[at : at + airsec.KEY_SIZE])

    def _field(self, node_id):
        """(key, next seq, join counter, outputs, states, known) of a paired node."""
        return struct.unpack_from(_RECORD, self._blob, self._offsets[node_id])[1:]

    def _store(self, node_id, key, seq, join, outputs, states, known):
        at = self._offsets.get(node_id)
        if at is None:
            at = self._offsets[node_id] = len(self._blob)
            self._blob.extend(bytes(_RECORD_SIZE))
        struct.pack_into(_RECORD, self._blob, at, node_id, key, seq, join, outputs, states, known)

    def paired(self):
        return list(self._offsets)

    def outputs(self, node_id):
        """Output count of a paired node (0 if it is not paired)."""
        return self._byte(node_id, _OUTPUTS) if node_id in self._offsets else 0

    def known_states(self, node_id):
        """[(output, state)] of the outputs whose state the node has reported or acknowledged."""
        if node_id not in self._offsets:
            return []
        states, known = self._byte(node_id, _STATES), self._byte(node_id, _KNOWN)
        return [(i, (states >> i) & 1) for i in range(self.outputs(node_id)) if (known >> i) & 1]

    def _set_state(self, node_id, output, state, cause):
        bit = 1 << output
        states, known = self._byte(node_id, _STATES), self._byte(node_id, _KNOWN)
        old_known, old_state = known & bit, states & bit
        self._set_byte(node_id, _STATES, (states | bit) if state else (states & ~bit))
        self._set_byte(node_id, _KNOWN, known | bit)
        if (not old_known or bool(old_state) != bool(state)) and self.on_output:
            self.on_output(node_id, output, state, cause)
        lease = (node_id, output)
        if state:
            self._leases.pop(lease, None)
        elif lease not in self._leases:
            self._leases[lease] = self.clock.monotonic() + self.hold_s / 3

    # -- commands ----------------------------------------------------------------------------

    def command(self, node_id, output, state, hops, done):
        """Queue output `output` of `node_id` to `state`; `done(result, state)` is called once.
        Returns an immediate (result, state) when the command cannot be sent, else None."""
        if not 0 <= output < self.outputs(node_id) or state not in (0, 1):
            return RESULT_UNKNOWN_OUTPUT, 0
        for entry in self._pending:
            if entry[0] == node_id and entry[1] == output:
                self._finish(entry, RESULT_NOT_ACKNOWLEDGED, self._state(node_id, output))
                break
        if len(self._pending) >= MAX_PENDING:
            return RESULT_NOT_ACKNOWLEDGED, self._state(node_id, output)
        key, seq, join, outputs, states, known = self._field(node_id)
        self._store(node_id, key, seq + 1, join, outputs, states, known)
        self._save()  # a sequence number is never used twice, even across a reboot
        now = self.clock.monotonic()
        entry = [node_id, output, state, seq + 1, 0, now, now + DEADLINE_S, done, hops]
        self._pending.append(entry)
        self._send(entry, now)
        return None

    def _state(self, node_id, output):
        return (self._byte(node_id, _STATES) >> output) & 1

    def _send(self, entry, now):
        node_id, output, state, seq = entry[0], entry[1], entry[2], entry[3]
        self._frame_counter = (self._frame_counter + 1) & 0xFFFF
        packet = airsec.encode(airsec.KIND_COMMAND, self._key(node_id), airsec.HUB_AIR_ID,
                               self._frame_counter, node_id, seq, output, state,
                               0 if state else self.hold_s)  # fmt: skip
        entry[4] += 1
        # A round trip: one wake-up burst (the last hop, to the sleeping node) and one short
        # frame per hop down and up; wait 1.5 times that (other traffic defers frames) plus a
        # growing backoff, so 3 attempts fit the deadline through 3 relays.
        wait = 1.5 * self._round_trip_s(entry[8]) + BACKOFF_S * (1 << entry[4])
        entry[5] = min(now + wait, entry[6])
        self.stats["sent"] += 1
        self.transmit(packet, entry[8] == 0)  # relays listen: only a direct node needs a burst

    def _round_trip_s(self, hops):
        return self.listen_interval_s + 2 * (hops + 1) * HOP_S

    def _finish(self, entry, result, state):
        if entry in self._pending:
            self._pending.remove(entry)
        if result == RESULT_OK:
            self.stats["acked"] += 1
        elif result == RESULT_NOT_ACKNOWLEDGED:
            self.stats["failed"] += 1
        if entry[7] is not None:
            entry[7](result, state)

    def poll(self):
        """Retry commands whose ack is overdue, fail those past their deadline, refresh leases."""
        now = self.clock.monotonic()
        for entry in list(self._pending):
            if now < entry[5]:
                continue
            retry_ends = now + self._round_trip_s(entry[8])  # best case
            if entry[4] >= MAX_ATTEMPTS or retry_ends > entry[6]:
                self._finish(entry, RESULT_NOT_ACKNOWLEDGED, self._state(entry[0], entry[1]))
            else:
                self._send(entry, now)
        for (node_id, output), due in list(self._leases.items()):
            if now >= due and node_id in self._offsets:
                self._leases[(node_id, output)] = now + self.hold_s / 3
                if not any(e[0] == node_id and e[1] == output for e in self._pending):
                    hops = self.hops_of(node_id) if self.hops_of else 0
                    self.command(node_id, output, 0, hops, None)

    def next_due(self):
        """Monotonic time `poll` has work next, or None."""
        times = [entry[5] for entry in self._pending] + list(self._leases.values())
        return min(times) if times else None

    # -- received frames ---------------------------------------------------------------------

    def handle(self, packet):
        """Take an ACK or JOIN frame; False for anything else (meter reports go to the router)."""
        kind = airsec.kind_of(packet)
        if kind == airsec.KIND_ACK:
            self._ack(packet)
        elif kind == airsec.KIND_JOIN:
            self._join(packet)
        else:
            return kind in (airsec.KIND_COMMAND, airsec.KIND_ACCEPT)  # our own, relayed back
        return True

    def _ack(self, packet):
        node_id = airsec.header(packet)[0]
        if node_id not in self._offsets or not airsec.verify(self._key(node_id), packet):
            self.stats["forged"] += 1
            return
        seq, output, state, result = airsec.fields(airsec.KIND_ACK, packet)
        for entry in self._pending:
            if entry[0] == node_id and entry[3] == seq and entry[1] == output:
                if output < self.outputs(node_id):
                    self._set_state(node_id, output, state, CAUSE_HOST)
                self._finish(entry, result, state)
                return

    def _join(self, packet):
        node_id = airsec.header(packet)[0]
        install = self.install_codes.get(node_id)
        if install is None or not airsec.verify(install, packet):
            self.stats["forged"] += 1
            return
        hops = airsec.header(packet)[2]
        counter, nonce, outputs = airsec.fields(airsec.KIND_JOIN, packet)
        if node_id in self._offsets and counter <= self._field(node_id)[2]:
            self.stats["forged"] += 1  # a replayed JOIN must not change the key
            return
        key = self.random_bytes(airsec.KEY_SIZE)
        self._store(node_id, key, 0, counter, min(outputs, MAX_OUTPUTS), 0, 0)
        self._save()
        for entry in [e for e in self._pending if e[0] == node_id]:
            self._finish(entry, RESULT_NOT_ACKNOWLEDGED, 0)
        self.stats["joined"] += 1
        self._frame_counter = (self._frame_counter + 1) & 0xFFFF
        wrapped = airsec.wrap(install, node_id, counter, nonce, key)
        self.transmit(airsec.encode(airsec.KIND_ACCEPT, install, airsec.HUB_AIR_ID,
                                    self._frame_counter, node_id, counter, nonce, wrapped),
                      hops == 0)  # fmt: skip

    def reported(self, node_id, outputs_bits):
        """A meter report's output bits (bit set: load powered) from a paired node."""
        for output in range(self.outputs(node_id)):
            self._set_state(node_id, output, (outputs_bits >> output) & 1, CAUSE_NODE)
