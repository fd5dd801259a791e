"""Attacks on the sim hub (real MicroPython) over real TCP on 127.0.0.1 (issue 13, items 1, 3, 4).

The attacker is on the LAN without the key: it relays a genuine client's AUTH, floods
handshakes, never reads, or holds sockets open.
"""

from __future__ import annotations

import base64
import os
import socket
import time

import pytest
from simhub import Client, SimHub

from custom_components.balance.hub import auth
from custom_components.balance.hub.frame import encode_frame
from custom_components.balance.hub.messages import (
    Auth,
    AuthResult,
    AuthStatus,
    Disconnect,
    DisconnectReason,
    Error,
    ErrorCode,
    Hello,
    HubInfo,
    HubInfoRequest,
    Message,
    OutputAck,
    OutputSet,
    OutputState,
    Ping,
    Pong,
    StateRequest,
    TimeAck,
    TimeSync,
    encode_payload,
)

PSK = os.urandom(32)
PSK_ARG = ("--psk", base64.b64encode(PSK).decode())
MAX_REFUSALS = 8
HANDSHAKE_TIMEOUT_S = 10
MAX_SESSIONS = 4


def frame(message: Message, seq: int, key: bytes | None = None) -> bytes:
    return encode_frame(message.TYPE, seq, encode_payload(message), key)


def read_until_closed(client: Client, timeout: float) -> list[Message]:
    """Every message until the hub closes the connection; fails if it stays open."""
    received: list[Message] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            message = client.receive(0.2)
        except ConnectionError:
            return received
        if message is not None:
            received.append(message)
    raise AssertionError(f"the hub kept the connection open for {timeout} s")


def assert_still_serving(hub: SimHub, psk: bytes | None) -> None:
    assert hub.process.poll() is None, "the sim hub died"
    client = hub.connect(psk)
    client.send(Ping(4242))
    assert client.wait_for(Pong, token=4242)
    client.close()


def test_plain_frames_relayed_with_auth_are_never_served(start_sim):
    """Item 1: OUTPUT_SET and TIME_SYNC without a MAC, in the same segment as a genuine AUTH."""
    hub = start_sim(*PSK_ARG)
    client = hub.connect(handshake=False)
    nonce = os.urandom(16)
    client.send(Hello(1, 1, 0, 0, nonce, "relay"))
    hello = client.wait_for(Hello)
    key = auth.session_key(PSK, hello.nonce, nonce)
    year_ahead = int(time.time()) + 365 * 86400
    segment = (
        frame(Auth(auth.proof(key, auth.HOST_LABEL)), 1)
        + frame(OutputSet(66, 0, 0, 0), 2)  # would open the EV charger's contactor
        + frame(TimeSync(year_ahead, 0), 3)  # would move the hub clock a year ahead
    )
    client.sock.sendall(segment)
    client.decoder.set_key(key)
    client.key, client.seq = key, 4
    assert client.wait_for(AuthResult).status == AuthStatus.OK
    refused = [client.wait_for(Error) for _ in range(2)]
    assert {(e.ref_type, e.code) for e in refused} == {
        (OutputSet.TYPE, ErrorCode.NOT_AUTHENTICATED),
        (TimeSync.TYPE, ErrorCode.NOT_AUTHENTICATED),
    }
    client.send(StateRequest())
    assert client.wait_for(OutputState, output=0).state == 1  # still powered
    client.send(HubInfoRequest())
    info = client.wait_for(HubInfo)
    assert abs(info.hub_time - time.time()) < 60
    client.send(Ping(5))
    seen: list[Message] = []
    while not isinstance(message := client.receive(5), Pong):
        assert message is not None
        seen.append(message)
    assert not [m for m in seen if isinstance(m, OutputAck | TimeAck)]


@pytest.mark.parametrize("keyed", [True, False], ids=["key", "no_key"])
@pytest.mark.parametrize("payload", [b"\x01", None], ids=["malformed", "repeated"])
def test_handshake_floods_are_refusals(start_sim, keyed: bool, payload: bytes | None):
    """Item 3: malformed or repeated HELLOs are answered at most 8 times, then the hub closes."""
    hub = start_sim(*PSK_ARG) if keyed else start_sim()
    client = hub.connect(handshake=False)
    hello = Hello(1, 1, 0, 0, os.urandom(16), "flood")
    first = frame(hello, 0) if payload is None else b""
    flood = b"".join(
        encode_frame(Hello.TYPE, seq, payload if payload is not None else encode_payload(hello))
        for seq in range(1, 200)
    )
    client.sock.sendall(first + flood)
    received = read_until_closed(client, 5)
    assert len([m for m in received if isinstance(m, Error)]) <= MAX_REFUSALS
    assert Disconnect(DisconnectReason.AUTH_FAILED) in received
    assert_still_serving(hub, PSK if keyed else None)


@pytest.mark.parametrize("keyed", [True, False], ids=["key", "no_key"])
def test_peer_that_never_reads_is_closed(start_sim, keyed: bool):
    """Item 3: PINGs from a peer that never reads its PONGs: the hub's queue stays bounded."""
    hub = start_sim(*PSK_ARG) if keyed else start_sim()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", hub.port))
    client = Client(sock)
    client.handshake(PSK if keyed else None)
    if keyed:
        client.wait_for(AuthResult)
    sock.settimeout(1)
    deadline = time.monotonic() + 15
    closed = False
    while time.monotonic() < deadline and not closed:  # never read
        burst = b"".join(frame(Ping(i), client.seq + i, client.key) for i in range(2000))
        client.seq += 2000  # fresh sequence numbers: not replays
        try:
            sock.sendall(burst)
        except TimeoutError:
            continue
        except OSError:
            closed = True
    assert closed, "the hub kept serving a peer that never reads"
    assert_still_serving(hub, PSK if keyed else None)


def test_repeated_hello_does_not_hold_a_session(start_sim):
    """Item 4: HELLO again and again used to reset the receive timer forever."""
    hub = start_sim(*PSK_ARG, "--link-timeout", "2")
    client = hub.connect(handshake=False)
    started = time.monotonic()
    hello = Hello(1, 1, 0, 0, os.urandom(16), "holder")
    with pytest.raises(ConnectionError):
        while time.monotonic() - started < 8:
            client.send(hello)
            client.receive(0.3)
    assert time.monotonic() - started < 3.5


def test_handshake_has_a_fixed_deadline(start_sim):
    """Item 4: without AUTH a session lasts 10 s after connecting, whatever the link timeout."""
    hub = start_sim(*PSK_ARG)
    client = hub.connect(handshake=False)
    started = time.monotonic()
    client.send(Hello(1, 1, 0, 0, os.urandom(16), "idle"))
    client.wait_for(Hello)
    received = read_until_closed(client, HANDSHAKE_TIMEOUT_S + 3)
    assert Disconnect(DisconnectReason.TIMEOUT) in received
    assert HANDSHAKE_TIMEOUT_S - 1 < time.monotonic() - started < HANDSHAKE_TIMEOUT_S + 2


def test_session_limit_evicts_the_oldest_handshake(start_sim):
    """Item 4: 4 sessions at most; a new one closes the oldest unauthenticated one."""
    hub = start_sim(*PSK_ARG)
    holders = [hub.connect(handshake=False) for _ in range(MAX_SESSIONS)]
    time.sleep(0.3)
    host = hub.connect(PSK)  # the 5th: the first holder has to go
    assert host.wait_for(AuthResult).status == AuthStatus.OK
    with pytest.raises(ConnectionError):
        holders[0].receive(2)
    for holder in holders[1:]:
        assert holder.receive(0.2) is None  # still open, still waiting
    more = [hub.connect(handshake=False) for _ in range(MAX_SESSIONS)]
    time.sleep(0.3)
    host.send(Ping(8))
    assert host.wait_for(Pong, token=8)  # a ready session is never evicted
    for holder in holders[1:]:
        with pytest.raises(ConnectionError):
            holder.receive(2)
    for client in (*holders, *more, host):
        client.close()
