"""Routes received air packets: decode, drop duplicates, update the node table, relay.

Relay rule: a report not seen before is retransmitted once with hops + 1 when this station
relays (a `transmit` callable is given) and it has passed fewer than MAX_HOPS (30) relays.
A J100UC-role hub is the sink and normally does not relay; relay stations run the same rules.
"""

from array import array

from bhub.nodes import FLAG_BATTERY_LOW, TableFullError

DEDUP_SLOTS = 256
DEDUP_WINDOW_S = 60


class DuplicateFilter:
    """Remembers (origin, frame counter) pairs for `window_s` seconds in a direct-mapped cache.

    A slot collision evicts the older pair, so a duplicate may at worst be accepted again:
    harmless, because counters are cumulative and the table never moves them backwards.
    """

    def __init__(self, slots=DEDUP_SLOTS, window_s=DEDUP_WINDOW_S):
        self._mask = slots - 1  # slots must be a power of two
        self._window_s = window_s
        self._origin = array("I", bytes(4 * slots))
        self._counter = array("H", bytes(2 * slots))
        self._seen_at = array("I", bytes(4 * slots))
        self._used = bytearray(slots)

    def seen(self, origin, counter, now):
        """True if (origin, counter) was seen within the window; records it either way."""
        slot = (origin ^ (origin >> 11) ^ (counter * 40503)) & self._mask
        if (
            self._used[slot]
            and self._origin[slot] == origin
            and self._counter[slot] == counter
            and now - self._seen_at[slot] < self._window_s
        ):
            return True
        self._used[slot] = 1
        self._origin[slot] = origin
        self._counter[slot] = counter
        self._seen_at[slot] = now
        return False


class Router:
    """Turns received packets into NodeTable updates; counts every outcome."""

    def __init__(self, table, decoder, relay_id=0, transmit=None, duplicates=None):
        self.table = table
        self.decoder = decoder
        self.relay_id = relay_id
        self.transmit = transmit
        self.duplicates = duplicates or DuplicateFilter()
        self.frames_received = 0
        self.frames_invalid = 0
        self.frames_duplicate = 0
        self.frames_routed = 0
        self.frames_relayed = 0
        self.frames_table_full = 0

    def handle(self, raw, rssi, now):
        """Route one received packet (`rssi` in dBm, `now` unix s); the accepted NodeReport or None.

        The report's `new_node` is True when the table learnt the node with it.
        """
        self.frames_received += 1
        report = self.decoder.decode(raw)
        if report is None:
            self.frames_invalid += 1
            return None
        if self.duplicates.seen(report.node_id, report.frame_counter, now):
            self.frames_duplicate += 1
            return None
        try:
            report.new_node = self.table.update(
                report.node_id, report.counts, report.battery_mv, rssi, report.hops,
                FLAG_BATTERY_LOW if report.battery_low else 0, now, report.channel_flags,
                report.epoch,
            )  # fmt: skip
        except TableFullError:
            self.frames_table_full += 1
            return None
        self.frames_routed += 1
        if self.transmit is not None:
            relayed = self.decoder.relayed(raw, self.relay_id)
            if relayed is not None:
                self.transmit(relayed)
                self.frames_relayed += 1
        return report

    def stats(self):
        """Counters as a dict (monotonic)."""
        return {
            "received": self.frames_received,
            "invalid": self.frames_invalid,
            "duplicate": self.frames_duplicate,
            "routed": self.frames_routed,
            "relayed": self.frames_relayed,
            "table_full": self.frames_table_full,
        }
