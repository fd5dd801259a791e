"""Sim board of the radio node: the node firmware on fakes, as a station of sim.air.

Only the hardware is fake: the CC1101 (bhub.radio.fake_cc1101 behind the real driver), the
pulse counter the sleeping node keeps (the household adds pulses, as the ESP32's ULP would
count them), the line-supervision and magnet inputs, the AD220 coil (it opens or closes one
household appliance's supply) and the battery voltage.
"""

import hashlib
import os

from bhub.outputs import Output
from bhub.pulses import LINE_OK, PulseChannel
from node.node import Node

SIM_INSTALL_SALT = b"balance-sim-install-key"
NODE_CONFIRM_SAMPLES = 2  # line faults count after two equal readings (two reports)


def sim_install_key(node_id):
    """Install key of a sim node (a real node has a random one on its label and in flash)."""
    return hashlib.sha256(SIM_INSTALL_SALT + str(node_id).encode()).digest()[:16]


class SimCounter:
    """Pulse counter kept while the node sleeps; the household adds pulses."""

    def __init__(self):
        self.count = 0

    def poll(self, now_us):
        pass


class ApplianceCoil:
    """AD220 coil: energised (1) opens the contactor, so the appliance loses its supply."""

    def __init__(self, household, appliance):
        self.household = household
        self.appliance = appliance

    def value(self, level):
        self.household.set_supply(self.appliance, not level)


class NodeStation:
    """Wires a Node to its sim.air station as the ESP32 board wires it to its CC1101: packets
    in, due work, a relay's receiver always on (mains powered), the first-byte filter.
    `silent()` true: the node is out of range (hears and sends nothing)."""

    def __init__(self, air, station, node, silent=None):
        self.station = station
        self.node = node
        self.silent = silent or (lambda: False)
        self._filter = None
        station.on_packet = self._packet
        station.always_on = node.relay
        station.listening = lambda: node.listens
        node.transmit = self._transmit
        air.due.append(node.due)
        air.work.append(self._run)

    def _transmit(self, packet, wake):
        if not self.silent():
            self.station.send(packet, wake)

    def _packet(self, raw, rssi):
        if not self.silent():
            self.node.packet(raw, rssi)
            self._refilter()

    def _run(self):
        self.node.run()
        self._refilter()

    def _refilter(self):
        wanted = self.node.first_byte_filter()
        if wanted != self._filter:
            self._filter = wanted
            self.station.radio.filter_first_byte(wanted)


class SimNode:
    """One node in the sim: `meters` are (name, medium) of its inputs; `appliance` is what its
    AD220 output supplies (None: no output). `line(meter)` and `magnet(meter)` read the
    scenario's faults, `battery_low()` and `silent()` the node's own events."""

    def __init__(self, air, node_id, state_dir, meters, household, appliance, line, magnet,
                 battery_low, silent, listen_interval_s, report_interval_s, phase_s,
                 relay=True):  # fmt: skip
        self.node_id = node_id
        self.meters = meters
        station = air.add(node_id, None, phase_s=phase_s)
        self.counters = {}
        channels = []
        for i, (meter, medium) in enumerate(meters):
            counter = self.counters[meter] = SimCounter()
            channels.append(PulseChannel(i + 1, medium, counter,
                                         read_line=lambda m=meter: line(m) or LINE_OK,
                                         read_magnet=lambda m=meter: magnet(m),
                                         confirm_samples=NODE_CONFIRM_SAMPLES))  # fmt: skip
        output = None
        if appliance is not None:
            output = Output(appliance, ApplianceCoil(household, appliance))
        self.node = Node(node_id, air.clock, None, state_dir + "/node-%d.bin" % node_id,
                         sim_install_key(node_id), channels, output,
                         lambda: 3250 if battery_low() else 3610, os.urandom,
                         relay=relay, listen_interval_s=listen_interval_s,
                         report_interval_s=report_interval_s)  # fmt: skip
        self.station = NodeStation(air, station, self.node, silent).station
        self.node.boot()
