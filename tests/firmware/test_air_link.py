"""Radio-node outputs over the hub link: the sim hub (MicroPython) with the radio scenario.

Node 1005 runs the node firmware three relays from the hub; its AD220 output is announced in
NODE_INFO once the node paired, and OUTPUT_SET for it is answered when the node acknowledged the
authenticated air command (docs/node.md).
"""

from __future__ import annotations

import time

from conftest import FIRMWARE
from mpy_run import run_mpy
from simhub import Client

from custom_components.balance.hub.messages import (
    NodeInfo,
    NodeListEnd,
    NodeListRequest,
    OutputAck,
    OutputResult,
    OutputSet,
    OutputState,
    StateRequest,
)

RADIO = FIRMWARE / "sim" / "scenarios" / "radio.json"
AD220_NODE, METER_NODE = 1005, 1001
CLOSED, OPEN = 1, 0


def _nodes(client: Client) -> dict[int, NodeInfo]:
    client.send(NodeListRequest())
    infos, _ = client.collect(NodeInfo, NodeListEnd)
    return {info.node_id: info for info in infos}


def test_radio_output_is_switched_and_acknowledged(start_sim):
    hub = start_sim("--scenario", str(RADIO), "--speed", "10")
    client = hub.connect()
    deadline = time.monotonic() + 10
    while (nodes := _nodes(client)).get(AD220_NODE) is None or nodes[AD220_NODE].outputs != 1:
        assert time.monotonic() < deadline, "node 1005 did not pair"
        time.sleep(0.2)
    assert nodes[METER_NODE].outputs == 0  # a node without an AD220 never pairs
    assert set(nodes) == {0, 1001, 1002, 1003, 1004, 1005}
    client.send(StateRequest())
    assert client.wait_for(OutputState, node_id=AD220_NODE).state == CLOSED  # safe state

    client.send(OutputSet(7, AD220_NODE, 0, OPEN))
    pushed = client.wait_for(OutputState, node_id=AD220_NODE)  # pushed when the ACK came
    assert (pushed.state, pushed.cause) == (OPEN, 0)
    ack = client.wait_for(OutputAck, cmd_id=7)
    assert (ack.result, ack.state) == (OutputResult.OK, OPEN)

    for cmd_id, node_id, output in ((8, METER_NODE, 0), (9, AD220_NODE, 1), (10, 4242, 0)):
        client.send(OutputSet(cmd_id, node_id, output, OPEN))
        ack = client.wait_for(OutputAck, cmd_id=cmd_id)
        assert ack.result == OutputResult.UNKNOWN_OUTPUT
    client.close()


def test_hub_reboot_keeps_keys_and_sequence(tmp_path):
    """Keys and the next sequence number survive a hub power cut: the node takes the command
    after the reboot (a hub that restarted its sequence would be refused as a replay)."""
    result = run_mpy("air_power_cut.py", tmp_path)
    assert result["paired"] == [AD220_NODE] and result["hops"] == 3
    assert result["open"] == [[OutputResult.OK, OPEN]] and not result["supplied_open"]
    assert result["after_reboot"] == [[AD220_NODE], [[0, OPEN]]]  # learnt again from a report
    assert result["close"] == [[OutputResult.OK, CLOSED]] and result["supplied_close"]


def test_guard_policy_with_a_radio_output_is_accepted():
    """Before radio outputs existed a policy naming one was refused whole (no hub guard at all);
    now the hub guards its own outputs and leaves the radio one to the host."""
    result = run_mpy("air_guard.py")
    assert result == {"status": 0, "guarded": [0], "bad_hub_output": 1}
