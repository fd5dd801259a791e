"""Table of radio nodes (up to 240) and their meter channels (up to 720) in preallocated arrays.

Each node owns a fixed slot with room for 3 channels, so the whole table is a handful of
`array`s sized at construction (19 bytes per node plus 5 per channel slot: 8160 bytes for 240
nodes) and one dict from node id to slot. A report allocates nothing but a new node's dict entry.
"""

from array import array

FLAG_BATTERY_LOW = 0x01  # as NODE_STATUS flags (docs/protocol.md)
FLAG_OUT_OF_RANGE = 0x02
CHANNELS_PER_NODE = 3
BATTERY_EMPTY_MV = 3000  # ER18505 (Li-SOCl2) under load: 0 %
BATTERY_FULL_MV = 3600  # nominal 3.6 V: 100 %
_U32 = 1 << 32


class TableFullError(Exception):
    """A new node does not fit in the table (max_nodes reached)."""


def _newer(value, stored, modulus):
    """True if `value` follows `stored` in serial-number arithmetic modulo `modulus`."""
    return 0 < (value - stored) % modulus < modulus // 2


class NodeView:
    """Read-only view of one node's slot; stays valid, reading the table's current values."""

    def __init__(self, table, slot):
        self._table = table
        self._slot = slot

    @property
    def slot(self):
        """Index of the node in the table (0..max_nodes-1); its channels are at
        slot * CHANNELS_PER_NODE onwards in per-channel arrays."""
        return self._slot

    @property
    def node_id(self):
        return self._table._ids[self._slot]

    @property
    def channel_count(self):
        return self._table._channel_count[self._slot]

    @property
    def counts(self):
        base = self._slot * CHANNELS_PER_NODE
        return tuple(self._table._counts[base : base + self.channel_count])

    @property
    def channel_flags(self):
        base = self._slot * CHANNELS_PER_NODE
        return tuple(self._table._channel_flags[base : base + self.channel_count])

    @property
    def epoch(self):
        return self._table._epoch[self._slot]

    @property
    def battery_mv(self):
        return self._table._battery_mv[self._slot]

    @property
    def battery_pct(self):
        """Rough state of charge: linear between 3.0 V and 3.6 V (Li-SOCl2 has a flat curve)."""
        span = BATTERY_FULL_MV - BATTERY_EMPTY_MV
        return max(0, min(100, (self.battery_mv - BATTERY_EMPTY_MV) * 100 // span))

    @property
    def rssi(self):
        return self._table._rssi[self._slot]

    @property
    def hops(self):
        return self._table._hops[self._slot]

    @property
    def last_seen(self):
        return self._table._last_seen[self._slot]

    @property
    def flags(self):
        return self._table._flags[self._slot]

    @property
    def report_seq(self):
        return self._table._report_seq[self._slot]


class NodeTable:
    """Latest state of every radio node heard, by node id (u32)."""

    def __init__(self, max_nodes=240, max_channels=720, battery_low_mv=3300):
        self.max_nodes = max_nodes
        self.max_channels = max_channels
        self.battery_low_mv = battery_low_mv
        self._slots = {}  # node id -> slot
        self._channels_used = 0
        self._ids = array("I", bytes(4 * max_nodes))
        self._channel_count = bytearray(max_nodes)
        self._epoch = bytearray(max_nodes)
        self._battery_mv = array("H", bytes(2 * max_nodes))
        self._rssi = array("b", bytes(max_nodes))
        self._hops = bytearray(max_nodes)
        self._last_seen = array("I", bytes(4 * max_nodes))
        self._flags = bytearray(max_nodes)
        self._report_seq = array("I", bytes(4 * max_nodes))
        self._counts = array("I", bytes(4 * CHANNELS_PER_NODE * max_nodes))
        self._channel_flags = bytearray(CHANNELS_PER_NODE * max_nodes)

    def __len__(self):
        return len(self._slots)

    def __contains__(self, node_id):
        return node_id in self._slots

    def ids(self):
        """Iterator over known node ids, in the order they were first heard."""
        for slot in range(len(self._slots)):
            yield self._ids[slot]

    def channel_total(self):
        """Channels across all nodes (at most max_channels)."""
        return self._channels_used

    def slot(self, node_id):
        """Slot of `node_id` (see NodeView.slot), or None if it was never heard."""
        return self._slots.get(node_id)

    def get(self, node_id):
        """NodeView of `node_id`, or None if it was never heard."""
        slot = self._slots.get(node_id)
        return None if slot is None else NodeView(self, slot)

    def update(self, node_id, counts, battery_mv, rssi, hops, flags, now, channel_flags=(),
               epoch=0):  # fmt: skip
        """Store one accepted report; True if `node_id` is new, False if it was known.

        `counts` are up to 3 cumulative u32 counters, `flags` the node's own status bits
        (FLAG_BATTERY_LOW), `channel_flags` one byte per channel, `epoch` the node's u8 counter
        epoch. Counters never move backwards within an epoch: an older report (a late relayed
        copy) refreshes last_seen/rssi but keeps the newer counts. Channels beyond max_channels
        are dropped. Raises TableFullError when a new node does not fit.
        """
        slot = self._slots.get(node_id)
        is_new = slot is None
        if is_new:
            slot = len(self._slots)
            if slot >= self.max_nodes:
                raise TableFullError(node_id)
            self._slots[node_id] = slot
            self._ids[slot] = node_id
            self._epoch[slot] = epoch
        self._store_counts(slot, counts, channel_flags, epoch & 0xFF, is_new)
        self._battery_mv[slot] = battery_mv
        self._rssi[slot] = max(-128, min(127, rssi))
        self._hops[slot] = hops
        self._last_seen[slot] = now
        low = (flags & FLAG_BATTERY_LOW) or battery_mv < self.battery_low_mv
        self._flags[slot] = FLAG_BATTERY_LOW if low else 0
        self._report_seq[slot] = (self._report_seq[slot] + 1) & 0xFFFFFFFF
        return is_new

    def _store_counts(self, slot, counts, channel_flags, epoch, is_new):
        stored_epoch = self._epoch[slot]
        if not is_new and epoch != stored_epoch and not _newer(epoch, stored_epoch, 256):
            return  # a report from before the node's last counter restart
        fresh_epoch = is_new or epoch != stored_epoch
        self._epoch[slot] = epoch
        old_count = self._channel_count[slot]
        wanted = min(len(counts), CHANNELS_PER_NODE)
        channels = min(wanted, old_count + self.max_channels - self._channels_used)
        self._channels_used += channels - old_count
        self._channel_count[slot] = channels
        base = slot * CHANNELS_PER_NODE
        for i in range(channels):
            if not fresh_epoch and i < old_count and _newer(self._counts[base + i], counts[i], _U32):
                continue  # this channel's stored count is newer
            self._counts[base + i] = counts[i]
            self._channel_flags[base + i] = channel_flags[i] if i < len(channel_flags) else 0

    def mark_stale(self, now, timeout_s):
        """Flag nodes not heard for `timeout_s` as out of range; list the ids that just became so."""
        became_stale = []
        for slot in range(len(self._slots)):
            flags = self._flags[slot]
            if not flags & FLAG_OUT_OF_RANGE and now - self._last_seen[slot] >= timeout_s:
                self._flags[slot] = flags | FLAG_OUT_OF_RANGE
                became_stale.append(self._ids[slot])
        return became_stale
