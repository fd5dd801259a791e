"""433 MHz air of the sim: stations with a (fake) CC1101 each, who hears whom, and time.

Discrete events in simulated time. Every station's radio is the real CC1101 driver on a
FakeCC1101 (bhub.radio.fake_cc1101); this module only decides when a burst reaches which chip:
- a burst lasts its airtime at 38.4 kBaud (preamble, sync, length, packet, CRC); a wake-up
  burst repeats the packet for one listen interval more, so a sleeping receiver catches a copy;
- before sending, a station waits until no station it hears is transmitting (CCA);
- a receiver that is always on (the hub, mains-powered relays) gets the burst at the end of
  its first copy; a sleeping node sniffs once per listen interval (wake-on-radio, at its own
  phase) and gets a wake-up burst at the end of the first copy after its first sniff in the
  burst; a plain burst to a sleeping node is lost.
Counters per station feed the node battery budget: sniffs, receive and transmit airtime.
"""

import heapq

from bhub.radio import cc1101
from bhub.radio.fake_cc1101 import FakeCC1101

BITRATE = 38_383
_OVERHEAD_BYTES = 4 + 2 + 1 + 2  # preamble, sync word, length, CRC


def airtime_s(packet_len):
    return (packet_len + _OVERHEAD_BYTES) * 8 / BITRATE


class Station:
    """One radio: `on_packet(raw, rssi)` is called for each packet its driver receives."""

    def __init__(self, air, station_id, on_packet, always_on, phase_s):
        self.air = air
        self.station_id = station_id
        self.on_packet = on_packet
        self.always_on = always_on
        self.phase_s = phase_s
        self.listening = lambda: True  # False: receiver powered down between own transmissions
        self.chip = FakeCC1101()
        self.radio = cc1101.CC1101(self.chip, self.chip.cs, self.chip.gdo0)
        self.radio.reset()
        self.radio.start_receive()
        self.neighbours = {}  # station id -> RSSI (dBm) at which this station hears it
        self.busy_until = 0.0
        self.tx_s = 0.0
        self.rx_s = 0.0  # receiving bursts (sniffs not included)
        self.bursts_sent = 0
        self.lost = 0

    def send(self, packet, wake):
        """Transmit through the driver; the air delivers the burst (called by the firmware)."""
        self.radio.transmit(packet)
        burst = self.chip.transmitted.pop()
        self.air.transmit(self, burst, len(packet), wake)

    def sniffs(self, start, end):
        """Wake-on-radio sniffs in [start, end) (0 for an always-on receiver)."""
        if self.always_on or not self.listening():
            return 0
        interval = self.air.listen_interval_s
        first = (start - self.phase_s) // interval
        return max(0, int((end - self.phase_s) // interval - first))

    def first_sniff(self, after):
        interval = self.air.listen_interval_s
        k = -(-(after - self.phase_s) // interval)
        return self.phase_s + k * interval


class Air:
    """`clock` is the sim's SimClock; stations share it (monotonic seconds)."""

    def __init__(self, clock, listen_interval_s):
        self.clock = clock
        self.listen_interval_s = listen_interval_s
        self.stations = {}
        self._events = []  # (time, order, station, burst, rssi)
        self._order = 0
        self.due = []  # callables () -> next monotonic time of work, or None
        self.work = []  # callables () run when their due time comes (same order as `due`)

    def add(self, station_id, on_packet, always_on=False, phase_s=0.0):
        station = Station(self, station_id, on_packet, always_on, phase_s)
        self.stations[station_id] = station
        return station

    def link(self, a, b, rssi_dbm):
        """`a` and `b` hear each other at `rssi_dbm`."""
        self.stations[a].neighbours[b] = rssi_dbm
        self.stations[b].neighbours[a] = rssi_dbm

    def transmit(self, sender, burst, packet_len, wake):
        now = self.clock.monotonic()
        start = max([now, sender.busy_until] + [self.stations[n].busy_until
                                                for n in sender.neighbours])  # fmt: skip
        copy = airtime_s(packet_len)
        length = copy + (self.listen_interval_s if wake else 0)
        sender.busy_until = start + length
        sender.tx_s += length
        sender.bursts_sent += 1
        for station_id, rssi in sender.neighbours.items():
            receiver = self.stations[station_id]
            if not receiver.listening():
                receiver.lost += 1
                continue
            if receiver.always_on:
                at = start + copy
            elif wake:
                at = receiver.first_sniff(start) + copy
            else:
                receiver.lost += 1
                continue
            receiver.rx_s += copy
            self._order += 1
            heapq.heappush(self._events, (at, self._order, station_id, burst, rssi))

    def _advance_to(self, t):
        dt = t - self.clock.monotonic()
        if dt > 0:
            self.clock.advance(dt)

    def run_until(self, end):
        """Deliver bursts and run due work in time order up to monotonic `end`, moving the clock."""
        while True:
            at = self._events[0][0] if self._events else None
            which = -1
            for i, due in enumerate(self.due):
                t = due()
                if t is not None and (at is None or t < at):
                    at, which = t, i
            if at is None or at > end:
                break
            self._advance_to(at)
            if which >= 0:
                self.work[which]()
                continue
            _, _, station_id, burst, rssi = heapq.heappop(self._events)
            station = self.stations[station_id]
            if station.chip.receive_air(burst, rssi):
                received = station.radio.receive()
                while received is not None:
                    station.on_packet(received[0], received[1])
                    received = station.radio.receive()
        self._advance_to(end)
