# Hub AirCommands and node firmware in the sim air: pairing, commands through relays, acks,
# retries, final failure, forged and replayed frames, leases, safe state at boot.
import json
import os
import sys

from bhub.aircmd import AirCommands
from bhub.clock import SimClock
from bhub.outputs import CLOSED, OPEN, Output
from bhub.radio import airsec
from node.boards.sim import NodeStation
from node.node import Node
from sim.air import Air

INTERVAL = airsec.LISTEN_INTERVAL_S
HOLD_S = 120
STATE = sys.argv[1] if len(sys.argv) > 1 else "/tmp"


def install_key(node_id):
    return bytes((node_id + i) & 0xFF for i in range(16))


class Coil:
    def __init__(self):
        self.level = None
        self.writes = 0

    def value(self, level):
        self.level = level
        self.writes += 1


class Net:
    """Hub station 0, relays 1..relays in a line, the AD220 node 50 at the far end."""

    def __init__(self, tag, relays=3, target_phase=0.31):
        self.clock = SimClock(1_000_000)
        self.air = Air(self.clock, INTERVAL)
        self.hub_heard = []
        self.events = []
        self.hub_station = self.air.add(0, self._hub_packet, always_on=True)
        self.hub = AirCommands(
            self.clock,
            self.hub_station.send,
            f"{STATE}/{tag}-air.bin",
            {50: install_key(50)},
            os.urandom,
            INTERVAL,
            HOLD_S,
        )
        self.hub.on_output = lambda *args: self.events.append(list(args))
        self.air.due.append(self.hub.next_due)
        self.air.work.append(self.hub.poll)
        self.nodes = {}
        chain = list(range(1, relays + 1)) + [50]  # noqa: RUF005  (MicroPython has no [*x])
        for i, node_id in enumerate(chain):
            self.add_node(tag, node_id, node_id == 50, 0.07 * i if node_id != 50 else target_phase)
            self.air.link(node_id, chain[i - 1] if i else 0, -80)
        self.coil = self.nodes[50].output.coil

    def add_node(self, tag, node_id, with_output, phase):
        station = self.air.add(node_id, None, phase_s=phase)
        output = Output("load", Coil()) if with_output else None
        node = Node(
            node_id,
            self.clock,
            None,
            f"{STATE}/{tag}-node{node_id}.bin",
            install_key(node_id),
            [],
            output,
            lambda: 3600,
            os.urandom,
            listen_interval_s=INTERVAL,
            report_interval_s=900,
        )
        NodeStation(self.air, station, node)
        node.boot()
        self.nodes[node_id] = node
        return node

    def _hub_packet(self, raw, rssi):
        self.hub_heard.append(raw)
        if not self.hub.handle(raw) and raw[0] & 0x0F == 1:
            self.hub.reported(airsec.header(raw)[0], raw[16])

    def run(self, seconds):
        self.air.run_until(self.clock.monotonic() + seconds)

    def command(self, state, hops=3):
        answers = []
        started = self.clock.monotonic()
        immediate = self.hub.command(
            50, 0, state, hops, lambda r, s: answers.append([r, s, self.clock.monotonic()])
        )
        if immediate is not None:
            return [list(immediate), 0]
        self.run(10)
        result, reached, at = answers[0]
        return [[result, reached], round(at - started, 3), len(answers)]


def scenario():
    out = {}
    net = Net("pair")
    node = net.nodes[50]
    out["boot_coil"] = net.coil.level  # safe state: coil off, load powered
    net.run(10)
    out["paired"] = [net.hub.paired(), node.key is not None, net.hub.outputs(50)]
    out["same_key"] = net.hub._key(50) == node.key
    out["known_after_join"] = net.hub.known_states(50)

    # Command through 3 relays: open the load, acknowledged by the node.
    out["open"] = net.command(OPEN)
    out["coil_after_open"] = net.coil.level
    out["hub_state"] = net.hub.known_states(50)
    out["events"] = net.events[:]
    latencies = []
    for i in range(6):
        net.run(0.113 * i)
        latencies.append(net.command(CLOSED if i % 2 == 0 else OPEN)[1])
    out["latencies"] = latencies
    out["sent_acked"] = [net.hub.stats["sent"], net.hub.stats["acked"], net.hub.stats["failed"]]

    # Forged command: right format, wrong key.  Replay: an old, genuine command again.
    state_before = node.output.state
    writes = net.coil.writes
    forged = airsec.encode(
        airsec.KIND_COMMAND, bytes(16), 0, 999, 50, node.last_seq + 5, 0, 1 - state_before, 0
    )
    node.packet(forged, -70)
    out["forged"] = [
        node.output.state == state_before,
        node.stats["forged"],
        net.coil.writes - writes,
    ]
    sent = [b for b in net.hub_heard if b[0] & 0x0F == airsec.KIND_COMMAND]
    old_open = next(raw for raw in sent if airsec.fields(airsec.KIND_COMMAND, raw)[3] == OPEN)
    net.command(CLOSED)
    writes = net.coil.writes
    node.packet(airsec.relayed(old_open, 3), -70)  # as if relay 3 sent it again
    out["replayed"] = [node.output.state, node.stats["replayed"], net.coil.writes - writes]
    # Tampered genuine frame: the state byte flipped.
    tampered = bytearray(old_open)
    tampered[21] ^= 1
    node.packet(bytes(tampered), -70)
    out["tampered"] = [node.output.state, node.stats["forged"]]

    # A replayed JOIN must not change the key.
    join = next(b for b in net.hub_heard if b[0] & 0x0F == airsec.KIND_JOIN)
    key = net.hub._key(50)
    net.hub.handle(join)
    out["join_replay"] = [net.hub._key(50) == key, net.hub.stats["joined"]]

    # Lost acknowledgement: relay 3 misses the ack once; the retry is answered, not re-executed.
    original = net.air.stations[3].on_packet
    dropped = []

    def drop_first_ack(raw, rssi):
        if raw[0] & 0x0F == airsec.KIND_ACK and not dropped:
            dropped.append(1)
            return
        original(raw, rssi)

    net.air.stations[3].on_packet = drop_first_ack
    commands = node.stats["commands"]
    out["retry"] = net.command(OPEN)
    out["retry_executed_once"] = node.stats["commands"] - commands
    net.air.stations[3].on_packet = original

    # Lease: the hub refreshes the open output; without the hub the node powers the load again.
    net.run(HOLD_S * 2)
    out["lease_refreshed"] = [node.output.state, net.hub.stats["sent"] > out["sent_acked"][0]]
    net.air.due.remove(net.hub.next_due)
    net.air.work.remove(net.hub.poll)  # the hub dies
    net.run(HOLD_S + 5)
    out["lease_expired"] = [node.output.state, net.coil.level]
    net.air.due.append(net.hub.next_due)
    net.air.work.append(net.hub.poll)
    net.run(901)  # the next report tells the hub
    out["hub_learns"] = [net.hub.known_states(50), net.events[-1]]

    # Unreachable: the node is gone; the hub answers 'not acknowledged' before 8 s.
    net.air.stations[3].neighbours.pop(50)
    out["unreachable"] = net.command(OPEN)

    # A node that lost its key (pairing button) and joins again ignores a replayed old ACCEPT.
    old_accept = next(b for b in net.hub_heard if b[0] & 0x0F == airsec.KIND_ACCEPT)
    key, replays = node.key, node.stats["replayed"]
    node.key = None
    node._send_join()  # a new join counter and nonce (the air is not run again: unheard)
    node.packet(old_accept, -70)
    out["accept_replay"] = [node.key is None, node.stats["replayed"] - replays]
    node.key = key

    # Unknown node or output: answered at once.
    out["unknown"] = [net.hub.command(77, 0, OPEN, 0, None), net.hub.command(50, 3, OPEN, 0, None)]

    # Reboot of the node while its output was open: safe state, pairing kept.
    net2 = Net("reboot", relays=0)
    net2.run(3)
    net2.command(OPEN, 0)
    node2 = net2.nodes[50]
    opened = node2.output.state
    rebooted = Node(
        50,
        net2.clock,
        net2.air.stations[50].send,
        f"{STATE}/reboot-node50.bin",
        install_key(50),
        [],
        Output("load", Coil()),
        lambda: 3600,
        os.urandom,
    )
    rebooted.boot()
    out["reboot"] = [
        opened,
        rebooted.output.state,
        rebooted.output.coil.level,
        rebooted.key == node2.key,
        rebooted.last_seq == node2.last_seq,
    ]
    return out


print(json.dumps(scenario()))
