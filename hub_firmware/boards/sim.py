"""Host board: the hub firmware on the MicroPython unix port, wired to a simulated household.

    micropython -m boards.sim --scenario sim/scenarios/default.json --tcp 127.0.0.1:6638 \
        [--psk BASE64] [--serial-stdio] [--speed N] [--start-time UNIX] \
        [--fast-forward-days D] [--state-dir DIR] [--hub-id ID]

Inputs and outputs are fakes driven by the household (hub_firmware/sim): the main meter's S0
output feeds a fake hardware counter, the water meter's reed contact a bouncing fake pin with line
supervision and a magnet sensor, and each contactor output switches one appliance's supply, so
opening it removes the load from the main meter. D100FC radio nodes run the node firmware
(hub_firmware/node) on fake CC1101s in a simulated 433 MHz air (sim/air.py): node 1 reports gas
and heat; a scenario's `radio` section adds nodes, relays and AD220 outputs (docs/node.md).
Scenario faults drive the line, magnet, node battery/range, phase and neutral sensors, and a
`hub_power_cut` powers the hub off and on (counters revert to the last flush).
See docs/hub.md.
"""

import os
import sys
import time
from binascii import a2b_base64

import asyncio

from bhub.aircmd import AirCommands
from bhub.clock import SimClock
from bhub.hub import ALARM_NEUTRAL_VOLTAGE, ALARM_PHASE_LOSS, Hub, SafetyInput
from bhub.link import RECEIVE_TIMEOUT_MS, Session, StdioStream, serve_stream
from bhub.nodes import NodeTable
from bhub.outputs import Output
from bhub.pulses import (
    LINE_OK,
    LINE_OPEN_CIRCUIT,
    LINE_SHORT_CIRCUIT,
    DebouncedCounter,
    PulseChannel,
)
from bhub.radio.airframe import CH_MAGNETIC, CH_OPEN, CH_SHORT, OpenAirDecoder
from bhub.radio.airsec import HUB_AIR_ID, LISTEN_INTERVAL_S
from bhub.radio.router import Router
from node.boards.sim import SimNode, sim_install_key
from sim.air import Air
from sim.household import Household
from sim.scenario import load_scenario

HUB_ID = "J100UC-SIM-0001"
MEDIUM_ELECTRICITY, MEDIUM_WATER, MEDIUM_GAS, MEDIUM_HEAT = 1, 2, 3, 4
# Node 0 wired inputs: (channel, meter, medium, pulse constant, unit, mechanical contact).
WIRED = ((1, "electricity", MEDIUM_ELECTRICITY, 1000, "imp/kWh", False),
         (2, "water", MEDIUM_WATER, 1, "L/imp", True))
# Meters a radio node can count: meter -> (medium, constant, unit).
NODE_METERS = {"gas": (MEDIUM_GAS, 0.01, "m3/imp"), "heat": (MEDIUM_HEAT, 1, "kWh/imp"),
               "water": (MEDIUM_WATER, 1, "L/imp")}
# D100FC radio nodes without a scenario `radio` section; scenario node n has id 1000 + n.
DEFAULT_RADIO = {"nodes": [{"node": 1, "meters": ["gas", "heat"], "hears": [0]}]}
NODE_ID_BASE = 1000
LINK_RSSI_DBM = -71  # every radio link of the sim
# Contactor outputs of node 0, in output order: the appliance each one supplies.
OUTPUT_APPLIANCES = ("ev_charger", "boiler", "heat_pump", "dishwasher", "washing_machine")
NODE_REPORT_S = 60  # D100FC report interval
LINE_VOLTAGE_V = 230  # a current setpoint's power on one phase
MAX_STEP_S = 10  # household and hub steps never exceed this (thermostats, guard reaction)
FAST_FORWARD_STEP_S = 60  # before the links open nobody watches the guard react
LOOP_MS = 100
PHASE_LOST_BELOW_V = 100
NEUTRAL_FAULT_ABOVE_V = 20
_BOUNCE_US = (0, 300, 700, 1_500)  # edges of one bouncing contact closure (or release)
PULSE_LENGTH_US = 40_000


def log(*parts):
    print("sim:", *parts, file=sys.stderr)


class FakeCounter:
    """Stand-in for a hardware pulse counter (PCNT); the household adds pulses."""

    def __init__(self):
        self.count = 0

    def poll(self, now_us):
        pass


class BouncingContact:
    """A reed-switch meter output: each pulse closes for 40 ms, bouncing on both edges."""

    def __init__(self, counter):
        self.counter = counter

    def emit(self, pulses, start_us, span_us):
        """Feed `pulses` evenly spread over `span_us` after tick `start_us` to the counter."""
        spacing = span_us // pulses
        for k in range(pulses):
            press = time.ticks_add(start_us, k * spacing)
            for level, at in ((1, press), (0, time.ticks_add(press, PULSE_LENGTH_US))):
                for i, offset in enumerate(_BOUNCE_US):
                    bounce_level = level if i % 2 == 0 else 1 - level
                    self.counter.edge(bounce_level, time.ticks_add(at, offset))
                self.counter.edge(level, time.ticks_add(at, _BOUNCE_US[-1] + 200))


class CoilPin:
    """Contactor coil of one appliance: energised (1) opens its supply."""

    def __init__(self, household, appliance):
        self.household = household
        self.appliance = appliance

    def value(self, level):
        self.household.set_supply(self.appliance, not level)


class SimBoard:
    def __init__(self, scenario_path, start, state_dir, hub_id=HUB_ID, flush_interval_s=60):
        scenario = load_scenario(scenario_path)
        shift = start - scenario.start_ts
        for event in scenario.timeline.events:  # the scenario's hours count from `start`
            event.start_s += shift
            if event.end_s is not None:
                event.end_s += shift
        self.timeline = scenario.timeline
        self.household = Household(scenario.seed, start, scenario.household, scenario.timeline)
        self.clock = SimClock(start)
        self.state_dir = state_dir
        self.hub_id = hub_id
        self.flush_interval_s = flush_interval_s
        self.hub = None
        self._emitted = {}  # (node id, meter) -> pulses already delivered
        self._line = {}  # meter -> supervision ADC reading
        self._magnet = {}  # meter -> magnet sensor level
        self._faults = self._channel_faults(start)
        self._build_air(scenario.radio or DEFAULT_RADIO)
        self._power_up()
        self.air.run_until(start + 0.1)  # nodes are heard from the start (the hub is in RX)

    # -- radio nodes -------------------------------------------------------------------------

    def _build_air(self, radio):
        """The 433 MHz air, the hub's station and one SimNode per radio node of the scenario."""
        self.listen_interval_s = radio.get("listen_interval_s", LISTEN_INTERVAL_S)
        self.air = Air(self.clock, self.listen_interval_s)
        self.air.add(HUB_AIR_ID, self._hub_packet, always_on=True)
        self.radio_nodes = {}
        specs = sorted(radio.get("nodes", []), key=lambda spec: spec["node"])
        for spec in specs:
            node_id = NODE_ID_BASE + spec["node"]
            meters = [(meter, NODE_METERS[meter][0]) for meter in spec.get("meters", [])]
            self.radio_nodes[node_id] = SimNode(
                self.air, node_id, self.state_dir, meters, self.household, spec.get("output"),
                self._line_state, lambda m: self._faults.get(m, 0) & CH_MAGNETIC and 1,
                lambda n=spec["node"]: self._node_event("node_battery_low", n,
                                                        self.clock.monotonic()),
                lambda n=spec["node"]: self._node_event("node_out_of_range", n,
                                                        self.clock.monotonic()),
                self.listen_interval_s, NODE_REPORT_S,
                (node_id * 0.137) % self.listen_interval_s, spec.get("relay", True))  # fmt: skip
        for spec in specs:
            for heard in spec.get("hears", []):
                other = HUB_AIR_ID if heard == 0 else NODE_ID_BASE + heard
                self.air.link(NODE_ID_BASE + spec["node"], other, LINK_RSSI_DBM)
        self.air.due.append(lambda: self.hub.air.next_due() if self.hub else None)
        self.air.work.append(lambda: self.hub.air.poll())

    def _hub_packet(self, raw, rssi):
        """A packet the hub's radio received: pairing and acks, else a meter report."""
        if self.hub is None:  # no power
            return
        if self.hub.air.handle(raw):
            return
        report = self.router.handle(raw, rssi, int(self.clock.unix()))
        if report is not None:
            self.hub.air.reported(report.node_id, report.outputs)

    def _line_state(self, meter):
        flags = self._faults.get(meter, 0)
        return (LINE_OPEN_CIRCUIT if flags & CH_OPEN else
                LINE_SHORT_CIRCUIT if flags & CH_SHORT else LINE_OK)  # fmt: skip

    def _deliver_node_pulses(self):
        for node_id, sim_node in self.radio_nodes.items():
            for meter, counter in sim_node.counters.items():
                _, constant, unit = NODE_METERS[meter]
                total = self.household.pulse_count(meter, constant, unit)
                new = total - self._emitted.get((node_id, meter), total)
                self._emitted[(node_id, meter)] = total
                if new > 0 and not self._faults.get(meter, 0) & (CH_OPEN | CH_SHORT):
                    counter.count += new

    # -- hub power ---------------------------------------------------------------------------

    def _power_up(self):
        self._counters = {}
        channels = []
        for channel, meter, medium, _, _, mechanical in WIRED:
            counter = DebouncedCounter(now_us=self.clock.ticks_us()) if mechanical else FakeCounter()
            self._counters[meter] = counter
            channels.append(PulseChannel(channel, medium, counter,
                                         read_line=self._line_reader(meter),
                                         read_magnet=self._magnet_reader(meter)))
        outputs = [Output(name, CoilPin(self.household, name), level=self._level_setter(name))
                   for name in self._appliances()]
        self.nodes = NodeTable()
        self.router = Router(self.nodes, OpenAirDecoder())
        media = {node_id: tuple(medium for _, medium in sim_node.meters)
                 for node_id, sim_node in self.radio_nodes.items()}  # fmt: skip
        air = AirCommands(self.clock, self.air.stations[HUB_AIR_ID].send,
                          self.state_dir + "/air.bin",
                          {node_id: sim_install_key(node_id) for node_id in self.radio_nodes},
                          os.urandom, self.listen_interval_s)  # fmt: skip
        safety = (SafetyInput(ALARM_PHASE_LOSS, self._phase_loss),
                  SafetyInput(ALARM_NEUTRAL_VOLTAGE, self._neutral_fault))
        self.hub = Hub(self.hub_id, self.clock, channels, outputs, self.state_dir, self.nodes,
                       media, safety, model="J100UC sim", flush_interval_s=self.flush_interval_s,
                       air=air)
        self.hub.start()
        self._skip_pulses_while_off()

    def _power_down(self):
        for session in list(self.hub.sessions.values()):
            session.close()
        self.hub = None

    def _appliances(self):
        names = [a.name for a in self.household.appliances]
        return [name for name in OUTPUT_APPLIANCES if name in names]

    def _level_setter(self, name):
        """The EV wallbox takes a current setpoint: it draws min(setpoint, car's max) x 230 V."""
        if name != "ev_charger":
            return None
        charger = self.household.appliance(name)
        charger.set_power_limit(None)  # a booting hub has set no limit yet

        def set_level(milliamps):
            charger.set_power_limit(milliamps * LINE_VOLTAGE_V / 1000)
            return milliamps

        return set_level

    def _skip_pulses_while_off(self):
        """Pulses emitted while the hub had no power were never counted."""
        for _, meter, _, constant, unit, _ in WIRED:
            self._emitted[(0, meter)] = self.household.pulse_count(meter, constant, unit)

    def _line_reader(self, meter):
        return lambda: self._line.get(meter, LINE_OK)

    def _magnet_reader(self, meter):
        return lambda: self._magnet.get(meter, 0)

    def _phase_loss(self):
        lowest = min(self.household.phase_voltages_v())
        return lowest < PHASE_LOST_BELOW_V, int(lowest)

    def _neutral_fault(self):
        volts = self.household.neutral_voltage_v()
        return volts > NEUTRAL_FAULT_ABOVE_V, int(volts)

    # -- simulation --------------------------------------------------------------------------

    def advance(self, seconds, max_step_s=MAX_STEP_S):
        """Simulate `seconds` in steps of at most `max_step_s`."""
        while seconds > 0:
            dt = min(seconds, max_step_s)
            self._step(dt)
            seconds -= dt

    def _step(self, dt):
        now = self.clock.monotonic()
        self.household.step(now, dt)
        powered = not self.timeline.active("hub_power_cut", now)
        if powered and self.hub is None:
            self._power_up()
        elif not powered and self.hub is not None:
            self._power_down()
        faults = self._faults = self._channel_faults(now)
        if self.hub is not None:
            self._deliver_wired_pulses(dt, faults)
        self._deliver_node_pulses()
        self.air.run_until(now + dt)  # radio traffic in time order; moves the clock
        if self.hub is not None:
            self.hub.tick()

    def _channel_faults(self, now):
        """meter -> airframe channel flag bits from the scenario's line and magnet events."""
        faults = {}
        for kind, flag in (("pulse_open_circuit", CH_OPEN), ("pulse_short_circuit", CH_SHORT),
                           ("magnetic_tamper", CH_MAGNETIC)):
            for event in self.timeline.active(kind, now):
                meter = event.params["channel"]
                faults[meter] = faults.get(meter, 0) | flag
        for _, meter, _, _, _, _ in WIRED:
            flags = faults.get(meter, 0)
            self._line[meter] = (LINE_OPEN_CIRCUIT if flags & CH_OPEN else
                                 LINE_SHORT_CIRCUIT if flags & CH_SHORT else LINE_OK)
            self._magnet[meter] = 1 if flags & CH_MAGNETIC else 0
        return faults

    def _deliver_wired_pulses(self, dt, faults):
        start_us = self.clock.ticks_us()
        for _, meter, _, constant, unit, mechanical in WIRED:
            total = self.household.pulse_count(meter, constant, unit)
            new = total - self._emitted.get((0, meter), 0)
            self._emitted[(0, meter)] = total
            if new <= 0 or faults.get(meter, 0) & (CH_OPEN | CH_SHORT):
                continue  # a cut or shorted line carries no pulses
            counter = self._counters[meter]
            if mechanical:
                BouncingContact(counter).emit(new, start_us, int(dt * 1_000_000))
            else:
                counter.count += new

    def _node_event(self, kind, node, now):
        return any(event.params["node"] == node for event in self.timeline.active(kind, now))

    # -- real-time operation -----------------------------------------------------------------

    async def run(self, speed, push_interval_ms):
        """Follow real time (times `speed`); push state to connected hosts periodically."""
        last = time.ticks_ms()
        next_push = time.ticks_add(last, push_interval_ms)
        while True:
            await asyncio.sleep_ms(LOOP_MS)
            ticks = time.ticks_ms()
            self.advance(time.ticks_diff(ticks, last) * speed / 1000)
            last = ticks
            if time.ticks_diff(ticks, next_push) >= 0:
                next_push = time.ticks_add(ticks, push_interval_ms)
                if self.hub is not None:
                    self.hub.push()

    def stop(self):
        if self.hub is not None:
            self.hub.stop()


def parse_args(argv):
    options = {"scenario": None, "tcp": None, "psk": None, "serial-stdio": False, "speed": "1",
               "start-time": None, "fast-forward-days": "0", "state-dir": "/tmp/balance-sim",
               "hub-id": HUB_ID, "flush-interval": "60", "push-interval": "10",
               "link-timeout": str(RECEIVE_TIMEOUT_MS // 1000)}
    i = 0
    while i < len(argv):
        name = argv[i][2:]
        if not argv[i].startswith("--") or name not in options:
            raise SystemExit("unknown option " + argv[i])
        if name == "serial-stdio":
            options[name] = True
        else:
            i += 1
            options[name] = argv[i]
        i += 1
    if not options["scenario"]:
        raise SystemExit("--scenario is required")
    return options


def _makedirs(path):
    built = ""
    for part in path.split("/"):
        built = built + "/" + part if built or path.startswith("/") else part
        try:
            os.mkdir(built)
        except OSError:
            pass


async def serve(board, options):
    psk = a2b_base64(options["psk"]) if options["psk"] else None
    timeout_ms = int(float(options["link-timeout"]) * 1000)
    if options["tcp"]:
        host, port = options["tcp"].rsplit(":", 1)

        async def on_connect(reader, writer):
            if board.hub is None:  # the hub has no power
                writer.close()
                return
            await Session(board.hub, reader, writer, "tcp", psk, timeout_ms).run()

        await asyncio.start_server(on_connect, host, int(port))
        log("tcp listening on", options["tcp"])
    if options["serial-stdio"]:
        asyncio.create_task(serve_stream(lambda: board.hub, StdioStream(), psk, timeout_ms))
        log("serial on stdio")
    log("ready", board.hub_id)
    await board.run(float(options["speed"]), int(float(options["push-interval"]) * 1000))


def main(argv):
    options = parse_args(argv)
    days = float(options["fast-forward-days"])
    now = int(time.time())
    start = int(options["start-time"]) if options["start-time"] else now - int(days * 86400)
    _makedirs(options["state-dir"])
    board = SimBoard(options["scenario"], start, options["state-dir"], options["hub-id"],
                     int(options["flush-interval"]))
    if days:
        began = time.ticks_ms()
        board.advance(days * 86400, FAST_FORWARD_STEP_S)
        log("fast-forwarded", days, "days in", time.ticks_diff(time.ticks_ms(), began), "ms")
    try:
        asyncio.run(serve(board, options))
    finally:
        board.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
