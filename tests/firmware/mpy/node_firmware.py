# Node firmware: supervised pulse inputs, battery and RSSI in reports, relaying through up to
# 3 relays, the 30-hop limit, deep-sleep snapshots, wake-on-radio registers on the driver.
import json
import os
import sys

from bhub.clock import SimClock
from bhub.outputs import OPEN, Output
from bhub.pulses import (
    LINE_OK,
    LINE_OPEN_CIRCUIT,
    LINE_SHORT_CIRCUIT,
    DebouncedCounter,
    PulseChannel,
)
from bhub.radio import airframe, airsec, cc1101
from bhub.radio.fake_cc1101 import FakeCC1101
from node.boards.sim import NodeStation
from node.node import SNAPSHOT_SIZE, Node
from sim.air import Air

STATE = sys.argv[1] if len(sys.argv) > 1 else "/tmp"
DECODER = airframe.OpenAirDecoder()


class Coil:
    def __init__(self):
        self.level = None

    def value(self, level):
        self.level = level


def make_node(
    clock, sent, *, node_id=7, channels=(), output=None, battery=lambda: 3600, tag="n", relay=True
):
    return Node(
        node_id,
        clock,
        lambda packet, wake: sent.append((packet, wake)),
        f"{STATE}/{tag}-{node_id}.bin",
        bytes(16),
        list(channels),
        output,
        battery,
        os.urandom,
        relay=relay,
        report_interval_s=900,
    )


def bounce(counter, start_us, closures):
    """Contact closures of 40 ms, each edge bouncing for 1.5 ms (as the sim board's reed)."""
    for k in range(closures):
        press = start_us + k * 200_000
        for level, at in ((1, press), (0, press + 40_000)):
            for i, offset in enumerate((0, 300, 700, 1_500)):
                counter.edge(level if i % 2 == 0 else 1 - level, at + offset)
            counter.edge(level, at + 1_700)
    counter.poll(start_us + closures * 200_000 + 100_000)


def inputs():
    clock = SimClock(5_000)
    line = {1: LINE_OK, 2: LINE_OK, 3: LINE_OK}
    magnet = [0]
    counters = [DebouncedCounter() for _ in range(3)]
    channels = [
        PulseChannel(
            i + 1,
            2,
            counters[i],
            read_line=lambda i=i: line[i + 1],
            read_magnet=lambda: magnet[0],
            confirm_samples=2,
        )
        for i in range(3)
    ]
    sent = []
    node = make_node(clock, sent, channels=channels, battery=lambda: 3250, tag="inputs")
    node.boot()
    node.last_rssi = -77
    bounce(counters[0], 0, 5)
    bounce(counters[1], 0, 2)
    node.run()
    first = DECODER.decode(sent[-1][0])
    out = {
        "first": [
            first.counts,
            first.channel_flags,
            first.battery_mv,
            first.battery_low,
            sent[-1][0][-2] - 256 if sent[-1][0][-2] > 127 else sent[-1][0][-2],
            sent[-1][1],
            first.epoch,
            sent[-1][0][-1],
        ]
    }
    line[2] = LINE_OPEN_CIRCUIT
    line[3] = LINE_SHORT_CIRCUIT
    magnet[0] = 1
    flags = []
    for _ in range(3):
        clock.advance(900)
        node.run()
        flags.append(DECODER.decode(sent[-1][0]).channel_flags)
    out["faults"] = flags  # confirmed after two equal readings
    out["due"] = node.due() - clock.monotonic()
    return out


def relaying():
    """hub - relay 1 - relay 2 - relay 3 - AD220 leaf (battery, not a relay, unpaired): the
    leaf's report reaches the hub 3 hops up; the relays are mains powered (always listening)."""
    clock = SimClock(1_000_000)
    air = Air(clock, airsec.LISTEN_INTERVAL_S)
    heard = []
    air.add(0, lambda raw, rssi: heard.append(raw), always_on=True)
    nodes = {}
    chain = [1, 2, 3, 9]
    for i, node_id in enumerate(chain):
        station = air.add(node_id, None, phase_s=0.1 * i)
        leaf = node_id == 9
        node = make_node(clock, [], node_id=node_id, tag="relay", relay=not leaf,
                         output=Output("ad220", Coil()) if leaf else None)  # fmt: skip
        NodeStation(air, station, node)
        nodes[node_id] = node
        air.link(node_id, chain[i - 1] if i else 0, -85)
    for node in nodes.values():
        node.boot()
    air.run_until(clock.monotonic() + 10)
    flooded = [nodes[n].stats["relayed"] for n in chain]
    # A command from the hub (for a node not in this net) teaches every node its distance.
    air.stations[0].send(airsec.encode(airsec.KIND_COMMAND, bytes(16), 0, 1, 99, 1, 0, 0, 0), True)
    air.run_until(clock.monotonic() + 10)
    distances = [nodes[n].hub_distance for n in chain]
    before = [nodes[n].stats["relayed"] for n in chain]
    for node in nodes.values():
        node._next_report = clock.monotonic()
    air.run_until(clock.monotonic() + 10)
    pruned = [nodes[n].stats["relayed"] - before[i] for i, n in enumerate(chain)]
    reports = [DECODER.decode(raw) for raw in heard]
    by_origin = {}
    for report in reports:
        if report is not None:
            by_origin.setdefault(report.node_id, []).append(report.hops)
    leaf = air.stations[9]
    relays_awake = [air.stations[n].always_on for n in chain]
    return {
        "relays_awake": relays_awake,
        "relay_sniffs": air.stations[1].sniffs(0, 100),
        "hops": sorted([k, v[:1]] for k, v in by_origin.items()),
        "flooded": flooded,
        "distances": distances,
        "pruned": pruned,
        "leaf_sniffs_per_s": leaf.sniffs(0, 100) / 100,
        "leaf_tx": [leaf.bursts_sent, round(leaf.tx_s, 3)],
    }


def hop_limit():
    sent = []
    node = make_node(SimClock(10), sent, tag="limit")
    node.boot()
    sent.clear()
    node.packet(airframe.encode_report(5, 1, [1], 3600, hops=29), -90)
    node.packet(airframe.encode_report(6, 1, [1], 3600, hops=30), -90)
    node.packet(airframe.encode_report(5, 1, [1], 3600, hops=29), -90)  # duplicate
    # (5, 1) and (5, 33) share a slot of a 32-slot direct-mapped cache: still no second relay.
    node.packet(airframe.encode_report(5, 33, [1], 3600, hops=1), -90)
    node.packet(airframe.encode_report(5, 1, [1], 3600, hops=3), -90)
    leaf_only = make_node(SimClock(10), [], node_id=8, relay=False, tag="limit")
    leaf_only.boot()
    leaf_only.packet(airframe.encode_report(5, 2, [1], 3600), -90)
    return {
        "relayed_hops": [DECODER.decode(p).hops for p, _ in sent],
        "non_relay": leaf_only.stats["relayed"],
    }


def sleep_cycle():
    clock = SimClock(100)
    sent = []
    coil = Coil()
    node = make_node(clock, sent, node_id=11, output=Output("load", coil), tag="sleep",
                     relay=False)  # fmt: skip
    node.boot()
    epoch = node.epoch
    node.key = bytes(range(16))
    node._save()
    node.packet(airsec.encode(airsec.KIND_COMMAND, node.key, 0, 1, 11, 1, 0, OPEN, 600), -60)
    node.run()
    snapshot = node.snapshot()
    clock.advance(120)  # deep sleep: the ESP32 reboots, RAM is gone, RTC memory is kept
    woken = make_node(clock, sent, node_id=11, output=Output("load", Coil()), tag="sleep",
                      relay=False)  # fmt: skip
    woken.resume(snapshot, 120)
    out = {
        "size": [len(snapshot), SNAPSHOT_SIZE],
        "epoch": [epoch, woken.epoch],
        "state": woken.output.state,
        "key": woken.key == node.key,
        "report_in": round(woken.due() - clock.monotonic(), 3),
    }
    clock.advance(481)
    woken.run()
    out["lease_end"] = [
        woken.output.state,
        woken.output.coil.level,
        DECODER.decode(sent[-1][0]).outputs,
    ]
    cold = make_node(clock, sent, node_id=11, output=Output("load", Coil()), tag="sleep",
                     relay=False)  # fmt: skip
    cold.boot()
    out["cold_epoch"] = cold.epoch
    return out


def listening():
    """Who listens, and what a paired leaf's CC1101 lets through to wake the MCU."""
    clock = SimClock(10)
    meter = make_node(clock, [], node_id=21, relay=False, tag="listen")
    relay = make_node(clock, [], node_id=22, tag="listen")
    leaf = make_node(
        clock, [], node_id=23, relay=False, output=Output("ad220", Coil()), tag="listen"
    )
    before = leaf.first_byte_filter()
    leaf.key = bytes(16)
    chip = FakeCC1101()
    radio = cc1101.CC1101(chip, chip.cs, chip.gdo0)
    radio.reset()
    radio.filter_first_byte(leaf.first_byte_filter())
    command = airsec.encode(airsec.KIND_COMMAND, bytes(16), 0, 1, 23, 1, 0, 0, 0)
    kept = [
        chip.receive_air(airframe.encode_on_air(packet))
        for packet in (airframe.encode_report(5, 1, [1], 3600), command)
    ]
    received = radio.receive()
    return {
        "listens": [meter.listens, relay.listens, leaf.listens],
        "filters": [relay.first_byte_filter(), before, leaf.first_byte_filter()],
        "kept": kept,
        "filtered": chip.filtered,
        "received": received is not None and received[0] == command,
    }


def join_backoff():
    """An output node nobody answers: JOINs at boot, then 60 s, 120 s, ... up to an hour."""
    clock = SimClock(0)
    sent = []
    node = make_node(clock, sent, node_id=31, output=Output("ad220", Coil()), tag="join")
    node.boot()
    joins = []
    for _ in range(9 * 3600):
        if node.due() <= clock.monotonic():
            before = len(sent)
            node.run()
            joins += [clock.monotonic() for p, _ in sent[before:] if p[0] & 0x0F == 5]
        clock.advance(1)
    return [int(joins[i + 1] - joins[i]) for i in range(len(joins) - 1)]


def wor_registers():
    chip = FakeCC1101()
    radio = cc1101.CC1101(chip, chip.cs, chip.gdo0)
    radio.reset()
    event0 = radio.wake_on_radio(airsec.LISTEN_INTERVAL_S)
    regs = chip.registers
    return {
        "event0": event0,
        "worevt": [regs[0x1E], regs[0x1F]],
        "worctrl": regs[0x20],
        "mcsm2": regs[0x16],
        "mcsm0": regs[0x18],
        "wor": chip.wor,
    }


print(
    json.dumps(
        {
            "inputs": inputs(),
            "relaying": relaying(),
            "hop_limit": hop_limit(),
            "sleep": sleep_cycle(),
            "wor": wor_registers(),
            "listening": listening(),
            "join_backoff": join_backoff(),
        }
    )
)
