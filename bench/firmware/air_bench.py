"""MicroPython half of the air-command bench: latency through 3 relays and the node battery life.

Network in the sim air (sim/air.py), every station the real CC1101 driver on a fake chip and
every node the node firmware: hub - relay 1 - relay 2 - relay 3 (mains powered, receivers always
on) - AD220 node (battery, not a relay), plus a metering-only battery leaf on relay 3; listen
interval 1 s (bhub.radio.airsec.LISTEN_INTERVAL_S), reports every 900 s.

air_command_latency_p95_s: OUTPUT_SET to acknowledged state (AirCommands' done callback), 95th
    percentile over COMMANDS commands at random moments, alternating open and close.
node_battery_years, meter_node_battery_years: one simulated day with COMMANDS_PER_DAY
    commands (each open one leased and refreshed by the hub), the duty cycle each battery node
    measured (MCU wakes, sniffs, receive and transmit airtime) times the currents of
    docs/node.md, on an ER18505 (4000 mAh, 90 % usable): for the AD220 node and for a
    metering-only leaf beside it (also behind relay 3). The relays' day is printed too (what
    they relay), not a battery life: they are mains powered.
"""

import json
import os
import sys

from bhub.aircmd import AirCommands
from bhub.clock import SimClock
from bhub.outputs import CLOSED, OPEN, Output
from bhub.radio.airsec import LISTEN_INTERVAL_S
from node.boards.sim import NodeStation
from node.node import Node
from sim.air import Air
from sim.prng import Prng

INTERVAL_S = LISTEN_INTERVAL_S
REPORT_S = 900
COMMANDS = 200
COMMANDS_PER_DAY = 24
DAY_S = 86_400
# Currents and charges (docs/node.md, "Current budget").
FLOOR_UA = 10.0 + 8.0 + 8.1 + 0.5  # ESP32 deep sleep, ULP sampling, input loops, CC1101 WOR
SNIFF_UC = 7.5  # one wake-on-radio sniff without a carrier
RX_MA = 16.0
TX_MA = 29.2  # +10 dBm at 433 MHz
WAKE_MC = 6.0  # ESP32 wake from deep sleep, boot and work: 0.2 s at 30 mA
CELL_MAH = 4000 * 0.9
HOURS_PER_YEAR = 8766


class Coil:
    def value(self, level):
        pass


def install_key(node_id):
    return bytes((node_id * 7 + i) & 0xFF for i in range(16))


def network(state_dir, tag):
    clock = SimClock(1_768_168_800)
    air = Air(clock, INTERVAL_S)
    hub_station = air.add(0, lambda raw, rssi: hub.handle(raw), always_on=True)
    hub = AirCommands(
        clock,
        hub_station.send,
        f"{state_dir}/{tag}-air.bin",
        {9: install_key(9)},
        os.urandom,
        INTERVAL_S,
    )
    hub.hops_of = lambda node_id: 3  # what the hub's node table says: 3 relays
    air.due.append(hub.next_due)
    air.work.append(hub.poll)
    nodes = {}
    links = ((1, 0), (2, 1), (3, 2), (9, 3), (8, 3))  # 8: a metering-only leaf beside node 9
    for node_id, parent in links:
        station = air.add(node_id, None, phase_s=(0.173 * node_id) % INTERVAL_S)
        leaf = node_id in (8, 9)
        node = Node(
            node_id,
            clock,
            None,
            f"{state_dir}/{tag}-{node_id}.bin",
            install_key(node_id),
            [],
            Output("ad220", Coil()) if node_id == 9 else None,
            lambda: 3600,
            os.urandom,
            relay=not leaf,
            listen_interval_s=INTERVAL_S,
            report_interval_s=REPORT_S,
        )
        NodeStation(air, station, node)
        nodes[node_id] = node
        air.link(node_id, parent, -85)
        node.boot()
    air.run_until(clock.monotonic() + 30)  # pairing
    return clock, air, hub, nodes


def command(clock, air, hub, state):
    answers = []
    started = clock.monotonic()
    hub.command(9, 0, state, 3, lambda result, reached: answers.append(clock.monotonic()))
    air.run_until(started + 10)
    return answers[0] - started if answers else None


def latency_p95(state_dir, prng):
    clock, air, hub, _ = network(state_dir, "latency")
    latencies = []
    for i in range(COMMANDS):
        air.run_until(clock.monotonic() + prng.uniform(0, 60))
        latency = command(clock, air, hub, OPEN if i % 2 else CLOSED)
        latencies.append(latency if latency is not None else 99.0)
    latencies.sort()
    return latencies[int(0.95 * (len(latencies) - 1))]


def battery_years(state_dir, prng):
    clock, air, hub, nodes = network(state_dir, "battery")
    start = clock.monotonic()
    before = {
        n: (dict(node.stats), air.stations[n].tx_s, air.stations[n].rx_s)
        for n, node in nodes.items()
    }
    gap = DAY_S / COMMANDS_PER_DAY
    for i in range(COMMANDS_PER_DAY):
        air.run_until(start + i * gap + prng.uniform(0, gap / 2))
        command(clock, air, hub, OPEN if i % 2 == 0 else CLOSED)
    air.run_until(start + DAY_S)
    years, details = {}, {}
    for node_id, node in nodes.items():
        stats, tx_s, rx_s = before[node_id]
        station = air.stations[node_id]
        day = {
            "sniffs": station.sniffs(start, start + DAY_S),
            "wakes": node.stats["wakes"] - stats["wakes"],
            "rx_s": station.rx_s - rx_s,
            "tx_s": station.tx_s - tx_s,
        }
        ua = {
            "floor": FLOOR_UA,
            "sniffs": day["sniffs"] * SNIFF_UC / DAY_S,
            "wakes": day["wakes"] * WAKE_MC * 1000 / DAY_S,
            "rx": day["rx_s"] * RX_MA * 1000 / DAY_S,
            "tx": day["tx_s"] * TX_MA * 1000 / DAY_S,
        }
        average_ua = sum(ua.values())
        years[node_id] = CELL_MAH * 1000 / average_ua / HOURS_PER_YEAR
        details[node_id] = {
            "per_day": {k: round(v, 1) for k, v in day.items()},
            "ua": {k: round(v, 1) for k, v in ua.items()},
            "average_ua": round(average_ua, 1),
            "years": round(years[node_id], 2),
        }
    for node_id in (1, 2, 3):  # mains powered: what they carried, not a battery life
        details[node_id] = {"relayed": nodes[node_id].stats["relayed"],
                            "tx_s": details[node_id]["per_day"]["tx_s"]}  # fmt: skip
    details["hub"] = hub.stats
    print(json.dumps(details))
    return years[9], years[8]


def main():
    state_dir = sys.argv[1] if len(sys.argv) > 1 else "/tmp"
    prng = Prng(14)
    p95 = latency_p95(state_dir, prng)
    node, meter = battery_years(state_dir, prng)
    print(
        json.dumps(
            {
                "air_command_latency_p95_s": round(p95, 3),
                "node_battery_years": round(node, 2),
                "meter_node_battery_years": round(meter, 2),
            }
        )
    )


main()
