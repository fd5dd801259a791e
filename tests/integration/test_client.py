"""The asyncio hub client on its own, against the real-socket hub peer."""

from __future__ import annotations

import random
from collections.abc import AsyncGenerator

import pytest

from custom_components.balance.hub import client as client_mod
from custom_components.balance.hub.client import (
    Backoff,
    HubAuthError,
    HubClient,
    HubConnectionError,
    HubError,
    HubIncompatibleError,
    HubRequestError,
    describe,
)
from custom_components.balance.hub.frame import encode_frame
from custom_components.balance.hub.messages import (
    ArchiveEnd,
    ArchiveRequest,
    AuthResult,
    AuthStatus,
    Counters,
    Disconnect,
    GuardPolicy,
    Hello,
    Message,
    Ping,
    Pong,
    TimeSync,
)

from .conftest import PSK, eventually
from .hub_peer import HubPeer, _Link


@pytest.fixture
async def hub() -> AsyncGenerator[HubPeer]:
    """A plaintext peer (no Home Assistant needed)."""
    peer = HubPeer()
    await peer.start_tcp()
    yield peer
    await peer.stop()


def test_backoff_sequence() -> None:
    """1, 2, 4 ... capped at 60 s, each within ±20 %, and reset."""
    backoff = Backoff(rng=random.Random(1))
    delays = [backoff.next_delay() for _ in range(10)]
    for delay, base in zip(delays, (1, 2, 4, 8, 16, 32, 60, 60, 60, 60), strict=True):
        assert base * 0.8 <= delay <= base * 1.2
    backoff.reset()
    assert 0.8 <= backoff.next_delay() <= 1.2


def test_client_needs_a_target() -> None:
    """Either host or device."""
    with pytest.raises(ValueError):
        HubClient()
    assert HubClient(device="/dev/ttyACM0").target == "/dev/ttyACM0"


async def test_keepalive_and_time_sync(hub: HubPeer) -> None:
    """PING after idle, TIME_SYNC on connect and periodically, PONG to the hub's PING."""
    client = HubClient(host="127.0.0.1", port=hub.port, keepalive_interval=0.05,
                       time_sync_interval=0.1)  # fmt: skip
    await client.connect()
    link = hub.links[-1]

    def count(kind: type[Message]) -> int:
        return sum(isinstance(m, kind) for m in link.received)

    await eventually(lambda: count(Ping) >= 2 and count(TimeSync) >= 2)
    link.send(Ping(77))
    await eventually(lambda: any(isinstance(m, Pong) and m.token == 77 for m in link.received))
    assert await client.ping() >= 0
    await client.disconnect()
    await eventually(lambda: isinstance(link.received[-1], Disconnect))


async def test_receive_timeout(hub: HubPeer) -> None:
    """A hub that goes silent is dropped after the receive timeout."""
    client = HubClient(host="127.0.0.1", port=hub.port, receive_timeout=0.2,
                       keepalive_interval=5)  # fmt: skip
    events: list[tuple[bool, HubError | None]] = []
    client.add_connection_listener(lambda up, err: events.append((up, err)))
    await client.connect()
    hub.silent = True
    await eventually(lambda: bool(events))
    assert events[0][0] is False
    assert "in time" in str(events[0][1])
    assert not client.connected
    with pytest.raises(HubConnectionError):
        await client.request_state()
    await client.disconnect()


async def test_supervisor_reconnects_and_resets_backoff(
    hub: HubPeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The link comes back after a drop; a long session resets the backoff."""
    monkeypatch.setattr(client_mod, "BACKOFF_RESET_AFTER", 0.0)
    client = HubClient(host="127.0.0.1", port=hub.port,
                       backoff=Backoff(minimum=0.01, maximum=0.05))  # fmt: skip
    events: list[bool] = []
    remove = client.add_connection_listener(lambda up, _err: events.append(up))
    await client.connect()
    client.start()
    client.backoff.attempt = 5
    await hub.drop()
    await eventually(lambda: events == [False, True])
    assert client.backoff.attempt == 1  # reset, then one attempt
    assert client.connects == 2 and client.disconnects == 1
    assert client.stats.frames > 0
    remove()
    await client.disconnect()
    await client.disconnect()  # twice is harmless


async def test_supervisor_retries_after_auth_error() -> None:
    """A hub that changed its key: reported, retried seldom, and the link recovers when the
    key is right again."""
    peer = HubPeer(psk=PSK)
    await peer.start_tcp()
    client = HubClient(host="127.0.0.1", port=peer.port, psk=PSK, auth_retry=0.05,
                       backoff=Backoff(minimum=0.01, maximum=0.02))  # fmt: skip
    events: list[HubError | None] = []
    client.add_connection_listener(lambda _up, err: events.append(err))
    await client.connect()
    assert client.authenticated
    client.start()
    peer.psk = bytes(32)
    await peer.drop()
    await eventually(lambda: sum(isinstance(e, HubAuthError) for e in events) >= 2)
    peer.psk = PSK
    await eventually(lambda: events[-1] is None)
    assert client.connected and client.authenticated
    await client.disconnect()
    await peer.stop()


async def test_request_errors(hub: HubPeer) -> None:
    """ERROR answers, busy archives and repeated connects raise."""
    client = HubClient(host="127.0.0.1", port=hub.port, request_timeout=0.5)
    await client.connect()
    with pytest.raises(HubError):
        await client.connect()
    with pytest.raises(HubRequestError) as err:
        await client.request(GuardPolicy(1, 1000, 0, 1, 1000, 60, ()), lambda m: False)
    assert err.value.code == 5

    original = hub._archive

    def busy(link: _Link, req: ArchiveRequest) -> None:
        link.send(ArchiveEnd(req.req_id, 0, 2))

    hub._archive = busy  # type: ignore[method-assign]
    with pytest.raises(HubRequestError):
        await client.request_archive(0, 1, 0, 3600)
    hub._archive = original  # type: ignore[method-assign]
    await client.disconnect()


async def test_garbage_and_malformed_frames_are_counted(hub: HubPeer) -> None:
    """Noise and malformed payloads never break the link."""
    client = HubClient(host="127.0.0.1", port=hub.port)
    got: list[Message] = []
    client.add_listener(got.append)

    def bad_listener(_message: Message) -> None:
        raise RuntimeError("listener bug")

    client.add_listener(bad_listener)
    await client.connect()
    link = hub.links[-1]
    link.write_raw(b"\x00\x01garbage\xb5")
    link.write_raw(encode_frame(Counters.TYPE, 99, b"\x00\x01"))  # truncated payload
    hub.set_count(0, 1, 5)
    await eventually(lambda: any(isinstance(m, Counters) for m in got))
    assert client.stats.bytes_skipped > 0
    await client.disconnect()


async def test_hub_disconnect_closes(hub: HubPeer) -> None:
    """DISCONNECT from the hub ends the session."""
    client = HubClient(host="127.0.0.1", port=hub.port)
    await client.connect()
    hub.links[-1].send(Disconnect(4))
    await eventually(lambda: not client.connected)
    assert "disconnected" in str(client.last_error)
    await client.disconnect()


class _FakeHub(HubPeer):
    """A hub that misbehaves in the handshake."""

    def __init__(self, mode: str) -> None:
        super().__init__(psk=PSK)
        self.mode = mode

    def handle(self, link: _Link, message: Message, seq: int) -> None:
        if self.mode == "not_hub" and isinstance(message, Hello):
            link.send(Hello(1, 1, 0, 0, bytes(16), "x"), plain=True)
        elif self.mode == "bad_proof" and not isinstance(message, Hello):
            link.send(AuthResult(AuthStatus.OK, bytes(16)), plain=True)
        elif self.mode == "incompatible" and isinstance(message, Hello):
            link.send(Disconnect(1), plain=True)
        elif self.mode == "bye" and isinstance(message, Hello):
            link.send(Disconnect(0), plain=True)
        elif self.mode == "close" and isinstance(message, Hello):
            link.closed = True
            for writer in self._writers:
                writer.close()
        else:
            super().handle(link, message, seq)


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("not_hub", HubConnectionError),
        ("bad_proof", HubAuthError),
        ("incompatible", HubIncompatibleError),
        ("bye", HubConnectionError),
        ("close", HubConnectionError),
    ],
)
async def test_handshake_failures(mode: str, error: type[HubError]) -> None:
    """Peers that are not hubs, fake the proof, or refuse the version are rejected."""
    peer = _FakeHub(mode)
    await peer.start_tcp()
    client = HubClient(host="127.0.0.1", port=peer.port, psk=PSK, connect_timeout=1)
    with pytest.raises(error):
        await client.connect()
    assert not client.connected
    await peer.stop()


async def test_serial_link() -> None:
    """The same protocol over a pty."""
    peer = HubPeer()
    path = peer.start_serial()
    client = HubClient(device=path)
    info = await client.connect()
    assert info.hub_id == peer.state.hub_id
    ack = await client.set_output(0, 0, False)
    assert ack.state == 0
    await client.disconnect()
    await peer.stop()


def test_describe() -> None:
    """Messages as dicts for diagnostics."""
    assert describe(Ping(3)) == {"token": 3, "type": "Ping"}


async def test_sequence_exhaustion_closes(hub: HubPeer) -> None:
    """A session that ran out of sequence numbers is closed (the next one has new keys)."""
    client = HubClient(host="127.0.0.1", port=hub.port)
    await client.connect()
    assert client._session is not None
    client._session.tx_seq = 0xFFFFFFFF
    with pytest.raises(HubConnectionError):
        await client.request_state()
    assert not client.connected
    await client.disconnect()
