"""Attacks on the hub client over real TCP on 127.0.0.1 (issue 13, items 2, 5, 8 and 9).

The attacker is a fake or broken hub (tests/integration/hub_peer.py), or someone in between who
forges an unauthenticated verdict.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import pytest

from custom_components.balance.hub.client import (
    AUTH_RETRY_MAX,
    Backoff,
    HubAuthError,
    HubClient,
    HubConnectionError,
    HubDowngradeError,
    HubError,
    HubRequestError,
)
from custom_components.balance.hub.frame import encode_frame
from custom_components.balance.hub.messages import (
    Alarm,
    AlarmKind,
    ArchiveRecords,
    ArchiveRequest,
    ArchiveValue,
    Auth,
    AuthResult,
    AuthStatus,
    ChannelInfo,
    Counters,
    Disconnect,
    DisconnectReason,
    Hello,
    HubInfoRequest,
    Medium,
    Message,
    NodeInfo,
    NodeKind,
    NodeListEnd,
    NodeListRequest,
    encode_payload,
)
from tests.integration.conftest import eventually
from tests.integration.hub_peer import HubPeer, _Link

PSK = bytes(range(32))


@pytest.fixture(autouse=True)
def _sockets(socket_enabled: None) -> None:
    """Real sockets on 127.0.0.1."""


@pytest.fixture
async def keyless_hub() -> AsyncGenerator[HubPeer]:
    peer = HubPeer()
    await peer.start_tcp()
    yield peer
    await peer.stop()


def radio_node(node_id: int, channels: int = 3) -> NodeInfo:
    infos = tuple(ChannelInfo(c + 1, Medium.GAS, 0) for c in range(channels))
    return NodeInfo(node_id, NodeKind.D100FC, "", infos, 0)


# ------------------------------------------------------------------------- item 2: downgrade


async def test_keyed_client_refuses_a_keyless_hub(keyless_hub: HubPeer) -> None:
    """A key in the entry and a hub that does not ask for it: refused before any request."""
    client = HubClient(host="127.0.0.1", port=keyless_hub.port, psk=PSK)
    with pytest.raises(HubDowngradeError):
        await client.connect()
    assert not client.connected
    link = keyless_hub.links[-1]
    await eventually(lambda: bool(link.received) and isinstance(link.received[-1], Disconnect))
    assert link.received[-1] == Disconnect(DisconnectReason.AUTH_FAILED)
    assert not any(isinstance(m, HubInfoRequest) for m in link.received)
    keyless = HubClient(host="127.0.0.1", port=keyless_hub.port)
    assert (await keyless.connect()).hub_id == keyless_hub.state.hub_id
    await keyless.disconnect()


async def test_supervisor_keeps_refusing_a_downgraded_hub(keyless_hub: HubPeer) -> None:
    """A running keyed client whose hub comes back keyless reports it and keeps refusing."""
    keyless_hub.psk = PSK
    client = HubClient(host="127.0.0.1", port=keyless_hub.port, psk=PSK, auth_retry=0.05,
                       backoff=Backoff(minimum=0.01, maximum=0.02))  # fmt: skip
    await client.connect()
    events: list[HubError | None] = []
    client.add_connection_listener(lambda _up, err: events.append(err))
    client.start()
    keyless_hub.psk = None
    await keyless_hub.drop()
    await eventually(lambda: sum(isinstance(e, HubDowngradeError) for e in events) >= 2)
    assert not client.connected
    await client.disconnect()


# ------------------------------------------------------------------ item 5: inventory bounds


class _ListingHub(HubPeer):
    """Answers NODE_LIST_REQUEST with a given list and end count (after the first list)."""

    def __init__(self) -> None:
        super().__init__()
        self.answer: tuple[list[NodeInfo], int | None] | None = None

    def handle(self, link: _Link, message: Message, seq: int) -> None:
        if isinstance(message, NodeListRequest) and self.answer is not None:
            nodes, count = self.answer
            for node in nodes:
                link.send(node)
            if count is not None:
                link.send(NodeListEnd(count))
            return
        super().handle(link, message, seq)


@pytest.fixture
async def listing_hub() -> AsyncGenerator[_ListingHub]:
    peer = _ListingHub()
    await peer.start_tcp()
    yield peer
    await peer.stop()


@pytest.mark.parametrize(
    ("nodes", "count"),
    [
        ([radio_node(n, 1) for n in range(1, 300)], 299),  # 299 radio nodes
        ([radio_node(n, 3) for n in range(1, 241)] + [radio_node(241, 1)], 241),  # 241st node
        ([radio_node(n, 4) for n in range(1, 200)], 199),  # 796 channels
        ([radio_node(1), radio_node(2)], 5),  # end count does not match
        ([radio_node(1), radio_node(1)], 2),  # one node twice
        ([radio_node(n, 1) for n in range(1, 5000)], None),  # never ends
    ],
    ids=["nodes", "node_241", "channels", "count", "twice", "endless"],
)
async def test_node_list_is_bounded_by_the_protocol(
    listing_hub: _ListingHub, nodes: list[NodeInfo], count: int | None
) -> None:
    client = HubClient(host="127.0.0.1", port=listing_hub.port, request_timeout=3)
    await client.connect()
    known = dict(client.nodes)
    listing_hub.answer = (nodes, count)
    with pytest.raises(HubRequestError):
        await client.request_node_list()
    assert client.nodes == known
    await client.disconnect()


async def test_full_node_list_is_accepted(listing_hub: _ListingHub) -> None:
    """The protocol's maximum: the hub itself and 240 radio nodes with 720 channels."""
    client = HubClient(host="127.0.0.1", port=listing_hub.port)
    await client.connect()
    hub_node = listing_hub.state.nodes[0]
    nodes = [hub_node] + [radio_node(n) for n in range(1, 241)]
    listing_hub.answer = (nodes, 241)
    assert len(await client.request_node_list()) == 241
    assert len(client.nodes) == 241
    await client.disconnect()


async def test_unsolicited_node_info_is_not_stored(keyless_hub: HubPeer) -> None:
    client = HubClient(host="127.0.0.1", port=keyless_hub.port)
    got: list[Message] = []
    client.add_listener(got.append)
    await client.connect()
    known = dict(client.nodes)
    for node_id in range(10_000, 12_000):
        keyless_hub.push(radio_node(node_id))
    await eventually(
        lambda: sum(isinstance(m, NodeInfo) and m.node_id >= 10_000 for m in got) == 2000
    )
    assert client.nodes == known
    await client.disconnect()


class _EndlessArchiveHub(HubPeer):
    """Answers any ARCHIVE_REQUEST with records that never end."""

    def handle(self, link: _Link, message: Message, seq: int) -> None:
        if isinstance(message, ArchiveRequest):
            values = tuple(ArchiveValue(v) for v in range(480))
            for _ in range(200):
                link.send(ArchiveRecords(message.req_id, 0, 1, message.start, 1, values))
            return
        super().handle(link, message, seq)


async def test_archive_answer_is_bounded_by_the_range() -> None:
    """Same class of hole as item 5: 96,000 values for a 3-hour, one-channel request."""
    peer = _EndlessArchiveHub()
    await peer.start_tcp()
    client = HubClient(host="127.0.0.1", port=peer.port, request_timeout=3)
    await client.connect()
    with pytest.raises(HubRequestError, match="longer than"):
        await client.request_archive(0, 1, 0, 3 * 3600)
    await client.disconnect()
    await peer.stop()


# ------------------------------------------------------------- item 8: forged BAD_KEY verdict


class _ForgingRelay(HubPeer):
    """Answers the next AUTH with a forged plain AUTH_RESULT(BAD_KEY) and closes."""

    def __init__(self) -> None:
        super().__init__(psk=PSK)
        self.forge = 0

    def handle(self, link: _Link, message: Message, seq: int) -> None:
        if isinstance(message, Auth) and self.forge:
            self.forge -= 1
            link.send(AuthResult(AuthStatus.BAD_KEY, bytes(16)), plain=True)
            link.closed = True
            for writer in self._writers:
                if writer.write == link.write_raw:
                    writer.close()
            return
        super().handle(link, message, seq)


async def test_forged_bad_key_does_not_stop_the_supervisor() -> None:
    peer = _ForgingRelay()
    await peer.start_tcp()
    client = HubClient(host="127.0.0.1", port=peer.port, psk=PSK, auth_retry=0.1,
                       backoff=Backoff(minimum=0.01, maximum=0.02))  # fmt: skip
    events: list[tuple[bool, HubError | None]] = []
    client.add_connection_listener(lambda up, err: events.append((up, err)))
    await client.connect()
    client.start()
    peer.forge = 2
    await peer.drop()
    await eventually(lambda: bool(events) and events[-1][0] is True)
    errors = [type(err) for _, err in events]
    assert errors == [HubConnectionError, HubAuthError, HubAuthError, type(None)]
    assert client.connected and client.authenticated
    await client.disconnect()
    await peer.stop()


def test_retry_after_auth_failures_is_long() -> None:
    client = HubClient(host="127.0.0.1", backoff=Backoff(minimum=0.01, maximum=0.02))
    client._auth_failures = 1
    assert 0.8 * 60 <= client._retry_delay() <= 1.2 * 60
    client._auth_failures = 12
    assert 0.8 * AUTH_RETRY_MAX <= client._retry_delay() <= 1.2 * AUTH_RETRY_MAX


# ------------------------------------------------ item 9: frames in the handshake's last read


class _EagerHub(HubPeer):
    """Sends an ALARM in the same write as the end of the handshake, and a plain one with it."""

    def handle(self, link: _Link, message: Message, seq: int) -> None:
        last_step = Auth if self.psk else Hello
        if not isinstance(message, last_step):
            super().handle(link, message, seq)
            return
        write, parts = link.write_raw, []
        link.write_raw = parts.append
        super().handle(link, message, seq)
        link.send(Alarm(0, 0xFF, AlarmKind.PHASE_LOSS, 1, 1, 180))
        forged = Alarm(0, 0xFF, AlarmKind.ARCING, 1, 1, 0)
        parts.append(encode_frame(Alarm.TYPE, 999, encode_payload(forged)))
        link.write_raw = write
        write(b"".join(parts))


@pytest.mark.parametrize("psk", [PSK, None], ids=["key", "no_key"])
async def test_alarm_with_the_handshake_reaches_listeners(psk: bytes | None) -> None:
    peer = _EagerHub(psk=psk)
    await peer.start_tcp()
    client = HubClient(host="127.0.0.1", port=peer.port, psk=psk)
    got: list[Message] = []
    client.add_listener(got.append)
    await client.connect()
    alarms = [m.kind for m in got if isinstance(m, Alarm)]
    if psk is None:  # plaintext link: both are just frames of the hub
        assert alarms == [AlarmKind.PHASE_LOSS, AlarmKind.ARCING]
    else:  # the plain one came without a MAC next to AUTH_RESULT: dropped
        assert alarms == [AlarmKind.PHASE_LOSS]
    assert not [m for m in got if isinstance(m, Counters)]
    await client.disconnect()
    await peer.stop()
