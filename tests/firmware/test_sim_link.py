"""The sim hub over real TCP: handshake, authentication, replay, keepalive, outputs, archive."""

from __future__ import annotations

import base64
import os
import time

import pytest
from simhub import Client

from custom_components.balance.hub.messages import (
    ALL_CHANNELS,
    ALL_NODES,
    MISSING,
    ArchiveEnd,
    ArchiveRecords,
    ArchiveRequest,
    AuthResult,
    AuthStatus,
    Counters,
    Disconnect,
    DisconnectReason,
    Error,
    ErrorCode,
    GuardAck,
    GuardPolicy,
    Hello,
    HubInfo,
    HubInfoRequest,
    NodeInfo,
    NodeListEnd,
    NodeListRequest,
    OutputAck,
    OutputLevel,
    OutputLevelAck,
    OutputLevelSet,
    OutputSet,
    OutputState,
    Ping,
    Pong,
    StateRequest,
    TimeAck,
    TimeSync,
)

PSK = os.urandom(32)
PSK_ARG = ("--psk", base64.b64encode(PSK).decode())


def test_plaintext_session_serves_inventory_and_state(start_sim):
    hub = start_sim()
    client = hub.connect()
    client.send(HubInfoRequest())
    info = client.wait_for(HubInfo)
    assert info.hub_id == "J100UC-SIM-0001"
    assert (info.nodes, info.outputs) == (2, 5)
    client.send(NodeListRequest())
    nodes, end = client.collect(NodeInfo, NodeListEnd)
    assert [n.node_id for n in nodes] == [0, 1001] and end.count == 2
    assert [(c.channel, c.medium) for c in nodes[0].channels] == [(1, 1), (2, 2)]
    assert [(c.channel, c.medium) for c in nodes[1].channels] == [(1, 3), (2, 4)]
    client.send(StateRequest())
    states = [client.wait_for(OutputState, output=i) for i in range(5)]
    assert all(s.state == 1 for s in states)  # safe state: loads powered
    client.send(Ping(1234))
    assert client.wait_for(Pong).token == 1234


def test_authenticated_session_and_mutual_proof(start_sim):
    hub = start_sim(*PSK_ARG)
    client = hub.connect(PSK)
    result = client.wait_for(AuthResult)
    assert result.status == AuthStatus.OK
    client.send(Ping(7))
    assert client.wait_for(Pong).token == 7


def test_wrong_key_is_rejected_and_connection_closed(start_sim):
    hub = start_sim(*PSK_ARG)
    client = hub.connect(os.urandom(32))
    client.decoder.set_key(None)  # BAD_KEY comes unauthenticated
    assert client.wait_for(AuthResult).status == AuthStatus.BAD_KEY
    with pytest.raises(ConnectionError):
        client.receive(5)


def test_requests_before_auth_are_refused_then_connection_closed(start_sim):
    hub = start_sim(*PSK_ARG)
    client = hub.connect(handshake=False)
    client.send(Hello(1, 1, 0, 0, os.urandom(16), "pytest"))
    client.wait_for(Hello)
    for _ in range(7):
        client.send(HubInfoRequest())
        assert client.wait_for(Error).code == ErrorCode.NOT_AUTHENTICATED
    client.send(HubInfoRequest())
    client.wait_for(Disconnect, reason=DisconnectReason.AUTH_FAILED)
    with pytest.raises(ConnectionError):
        client.receive(5)


def test_replayed_output_set_is_dropped(start_sim):
    hub = start_sim(*PSK_ARG)
    client = hub.connect(PSK)
    client.wait_for(AuthResult)
    command = client.send(OutputSet(1, 0, 0, 0))
    assert client.wait_for(OutputAck, cmd_id=1).state == 0
    client.send(OutputSet(2, 0, 0, 1))
    assert client.wait_for(OutputAck, cmd_id=2).state == 1
    client.sock.sendall(command)  # replay: would open output 0 again
    client.send(Ping(99))
    client.wait_for(Pong, token=99)
    client.send(StateRequest())
    assert client.wait_for(OutputState, output=0).state == 1


def test_new_authenticated_session_replaces_old(start_sim):
    hub = start_sim(*PSK_ARG)
    first = hub.connect(PSK)
    first.wait_for(AuthResult)
    second = hub.connect(PSK)
    second.wait_for(AuthResult)
    with pytest.raises(ConnectionError):
        first.receive(5)
        first.receive(5)
    second.send(Ping(3))
    assert second.wait_for(Pong).token == 3


def test_unknown_type_and_malformed_payload_get_errors(start_sim):
    from custom_components.balance.hub.frame import encode_frame

    client: Client = start_sim().connect()
    client.sock.sendall(encode_frame(0x7E, 50, b""))
    error = client.wait_for(Error)
    assert (error.ref_type, error.ref_seq, error.code) == (0x7E, 50, ErrorCode.UNKNOWN_TYPE)
    client.sock.sendall(encode_frame(OutputSet.TYPE, 51, b"\x00\x01"))
    error = client.wait_for(Error)
    assert (error.ref_type, error.code) == (OutputSet.TYPE, ErrorCode.MALFORMED)


def test_keepalive_timeout_closes_silent_connection(start_sim):
    client = start_sim("--link-timeout", "1.5").connect()
    started = time.monotonic()
    client.wait_for(Disconnect, timeout=5, reason=DisconnectReason.TIMEOUT)
    assert 1.0 < time.monotonic() - started < 4


def test_output_commands_report_state_then_ack(start_sim):
    client = start_sim().connect()
    client.send(OutputSet(10, 0, 9, 0))
    assert client.wait_for(OutputAck, cmd_id=10).result == 1  # unknown output
    client.send(OutputSet(11, 0, 0, 0))
    states, ack = client.collect(OutputState, OutputAck)
    assert (ack.cmd_id, ack.result, ack.state) == (11, 0, 0)
    assert [(s.output, s.state, s.cause) for s in states] == [(0, 0, 0)]
    client.send(OutputSet(12, 0, 0, 0))  # no change: acked, no OUTPUT_STATE
    states, ack = client.collect(OutputState, OutputAck)
    assert (ack.cmd_id, ack.state, states) == (12, 0, [])


def test_ev_output_takes_a_current_setpoint(start_sim):
    client = start_sim().connect()
    client.send(NodeListRequest())
    nodes, _ = client.collect(NodeInfo, NodeListEnd)
    assert [n.level_outputs for n in nodes] == [0b1, 0]  # only output 0 (the EV wallbox)
    client.send(StateRequest())
    assert client.wait_for(OutputLevel, output=0).milliamps == 32000  # no limit set yet
    client.send(OutputLevelSet(20, 0, 0, 10000))
    levels, ack = client.collect(OutputLevel, OutputLevelAck)
    assert (ack.cmd_id, ack.result, ack.milliamps) == (20, 0, 10000)
    assert [(lv.node_id, lv.output, lv.milliamps) for lv in levels] == [(0, 0, 10000)]
    client.send(OutputLevelSet(21, 0, 0, 3000))  # below the 6 A minimum: refused, 10 A stays
    assert (client.wait_for(OutputLevelAck, cmd_id=21).result,) == (2,)
    client.send(OutputLevelSet(22, 0, 1, 10000))  # the boiler's contactor takes no setpoint
    assert client.wait_for(OutputLevelAck, cmd_id=22).result == 1
    client.send(OutputLevelSet(23, 0, 0, 0))  # 0 pauses the charger
    assert client.wait_for(OutputLevelAck, cmd_id=23).milliamps == 0
    client.send(StateRequest())
    assert client.wait_for(OutputLevel, output=0).milliamps == 0


def test_time_sync_and_prefilled_archive(start_sim):
    now = int(time.time()) // 3600 * 3600
    client = start_sim("--fast-forward-days", "3").connect()
    client.send(TimeSync(now + 1800, 0))
    assert client.wait_for(TimeAck).unix_time == now + 1800
    start = now - 3 * 86400
    client.send(ArchiveRequest(5, 0, 1, start, now))
    records, end = client.collect(ArchiveRecords, ArchiveEnd)
    values = [v.count for r in records for v in r.values]
    assert end.status == 0 and end.records == len(values) == 72
    present = [v for v in values if v != MISSING]
    assert len(present) >= 70
    assert present == sorted(present) and present[-1] > present[0]  # cumulative energy
    client.send(ArchiveRequest(6, ALL_NODES, ALL_CHANNELS, start, now))
    records, end = client.collect(ArchiveRecords, ArchiveEnd)
    assert {(r.node_id, r.channel) for r in records} == {(0, 1), (0, 2), (1001, 1), (1001, 2)}
    assert end.records == 4 * 72
    assert all(len(r.values) <= 480 for r in records)


def test_long_requests_are_queued_then_busy(start_sim):
    """NODE_LIST / STATE answers run one at a time per session; two wait, more get BUSY."""
    from custom_components.balance.hub.frame import encode_frame

    client: Client = start_sim().connect()
    client.sock.sendall(
        b"".join(encode_frame(StateRequest.TYPE, seq, b"") for seq in range(10, 14))
    )
    busy = [client.wait_for(Error, code=ErrorCode.BUSY) for _ in range(2)]
    assert sorted(e.ref_seq for e in busy) == [12, 13]
    assert client.wait_for(OutputState, output=4).state == 1
    assert client.wait_for(OutputState, output=4).state == 1  # the second, queued one
    with pytest.raises(TimeoutError):
        client.wait_for(OutputState, timeout=1)


def test_guard_policy_is_acknowledged(start_sim):
    client = start_sim().connect()
    client.send(GuardPolicy(3, 5000, 0, 1, 1000, 60, ()))
    assert client.wait_for(GuardAck).status == 0
    client.send(GuardPolicy(4, 5000, 0, 1, 0, 60, ()))
    assert client.wait_for(GuardAck, policy_id=4).status == 1


def test_counters_are_pushed(start_sim):
    client = start_sim("--push-interval", "0.3").connect()
    report = client.wait_for(Counters, node_id=0)
    assert [r.channel for r in report.readings] == [1, 2]
