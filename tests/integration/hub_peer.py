"""A small CPython BALANCE hub for the integration tests, built on the lead's codec.

It speaks the real protocol over a real TCP socket on 127.0.0.1 or over a real pty pair
(serial). It is deliberately simple: one household with a few nodes, counters the test
sets, outputs that follow OUTPUT_SET, an hourly archive the test fills in.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tty
from dataclasses import dataclass, field, replace
from typing import Any

from custom_components.balance.hub.auth import (
    HOST_LABEL,
    HUB_LABEL,
    link_keys,
    new_nonce,
    proof,
    session_key,
)
from custom_components.balance.hub.frame import FrameDecoder, FrameKey, encode_frame
from custom_components.balance.hub.messages import (
    ALL_CHANNELS,
    ALL_NODES,
    MISSING,
    Alarm,
    ArchiveEnd,
    ArchiveRecords,
    ArchiveRequest,
    ArchiveValue,
    Auth,
    AuthResult,
    AuthStatus,
    Capability,
    ChannelInfo,
    ChannelReading,
    Counters,
    Disconnect,
    Error,
    ErrorCode,
    Hello,
    HubInfo,
    HubInfoRequest,
    Medium,
    Message,
    MessageError,
    NodeInfo,
    NodeKind,
    NodeListEnd,
    NodeListRequest,
    NodeStatus,
    OutputAck,
    OutputCause,
    OutputSet,
    OutputState,
    Ping,
    Pong,
    Role,
    StateRequest,
    TimeAck,
    TimeSync,
    decode_payload,
    encode_payload,
)

HUB_ID = "BH-00A1B2"
NODE_ID = 0x1001
ALL_CAPS = (
    Capability.COUNTERS
    | Capability.OUTPUTS
    | Capability.ARCHIVE
    | Capability.RADIO
    | Capability.SAFETY
    | Capability.TIME_SYNC
)


def default_nodes() -> dict[int, NodeInfo]:
    """The hub (electricity + water inputs, two contactors) and one D100FC (gas + heat)."""
    return {
        0: NodeInfo(
            0,
            NodeKind.HUB,
            "1.2.0",
            (ChannelInfo(1, Medium.ELECTRICITY, 0), ChannelInfo(2, Medium.WATER, 0)),
            2,
        ),
        NODE_ID: NodeInfo(
            NODE_ID,
            NodeKind.D100FC,
            "0.9.1",
            (ChannelInfo(1, Medium.GAS, 0), ChannelInfo(2, Medium.HEAT, 0)),
            1,
        ),
    }


@dataclass
class PeerState:
    """Everything the fake hub reports; tests mutate it and push."""

    hub_id: str = HUB_ID
    firmware: str = "1.2.0"
    model: str = "J100UC-sim"
    version: int = 1
    min_version: int = 1
    capabilities: int = ALL_CAPS
    epoch: int = 1
    nodes: dict[int, NodeInfo] = field(default_factory=default_nodes)
    counts: dict[tuple[int, int], int] = field(default_factory=dict)
    rates: dict[tuple[int, int], int] = field(default_factory=dict)
    channel_flags: dict[tuple[int, int], int] = field(default_factory=dict)
    epochs: dict[int, int] = field(default_factory=dict)
    status: dict[int, NodeStatus] = field(default_factory=dict)
    outputs: dict[tuple[int, int], int] = field(default_factory=dict)
    alarms: dict[tuple[int, int, int], Alarm] = field(default_factory=dict)
    archive: dict[tuple[int, int], dict[int, int]] = field(default_factory=dict)
    output_result: int = 0
    hub_time: int = 1_764_000_000
    report_seq: int = 0


class _Link:
    """One host connection (TCP socket or the pty master)."""

    def __init__(self, peer: HubPeer, writer: Any) -> None:
        self.peer = peer
        self.write_raw = writer
        self.decoder = FrameDecoder()
        self.key: FrameKey | None = None
        self.sealed = False  # the host's HELLO carries ENCRYPTION: sealed after AUTH
        self.authed = False
        self.seq = 0
        self.host_nonce = b""
        self.hub_nonce = new_nonce()
        self.received: list[Message] = []
        self.closed = False

    def send(self, message: Message, *, plain: bool = False) -> None:
        if self.closed:
            return
        key = None if plain else self.key
        self.write_raw(encode_frame(message.TYPE, self.seq, encode_payload(message), key))
        self.seq += 1

    def feed(self, data: bytes) -> None:
        for frame in self.decoder.feed(data):
            try:
                message = decode_payload(frame.type, frame.payload)
            except MessageError:
                self.send(Error(frame.type, frame.seq, ErrorCode.MALFORMED))
                continue
            self.received.append(message)
            self.peer.handle(self, message, frame.seq)


class HubPeer:
    """A fake hub reachable over TCP (``port``) and/or a pty (``serial_path``)."""

    def __init__(self, psk: bytes | None = None, state: PeerState | None = None) -> None:
        self.psk = psk
        self.state = state or PeerState()
        self.links: list[_Link] = []
        self.silent = False
        self.ignore: set[type[Message]] = set()
        self.server: asyncio.Server | None = None
        self.port = 0
        self._writers: list[asyncio.StreamWriter] = []
        self._master: int | None = None
        self._slave: int | None = None
        self.serial_path: str | None = None
        self.connections = 0

    # ------------------------------------------------------------------ transports

    async def start_tcp(self, port: int = 0) -> int:
        self.server = await asyncio.start_server(self._on_client, "127.0.0.1", port)
        self.port = self.server.sockets[0].getsockname()[1]
        return self.port

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        link = _Link(self, writer.write)
        self.links.append(link)
        self._writers.append(writer)
        try:
            while not link.closed:
                data = await reader.read(4096)
                if not data:
                    break
                if not self.silent:
                    link.feed(data)
        except (ConnectionError, OSError):
            pass
        finally:
            link.closed = True
            writer.close()

    def start_serial(self) -> str:
        master, slave = os.openpty()
        tty.setraw(master)
        tty.setraw(slave)
        self._master, self._slave = master, slave
        self.serial_path = os.ttyname(slave)
        os.set_blocking(master, False)
        link = _Link(self, lambda data: os.write(master, data))
        self.links.append(link)
        self.connections += 1

        def _readable() -> None:
            try:
                data = os.read(master, 4096)
            except OSError:
                return
            if self.silent:
                return
            if data[:2] == b"\xb5\x4c" and data[4:5] == b"\x01":  # a new HELLO: new session
                link.__init__(self, link.write_raw)  # type: ignore[misc]
            link.feed(data)

        asyncio.get_running_loop().add_reader(master, _readable)
        return self.serial_path

    async def drop(self) -> None:
        """Close every TCP connection (the host must reconnect)."""
        for link in self.links:
            link.closed = True
        for writer in self._writers:
            writer.close()
        self._writers.clear()
        self.links = [link for link in self.links if not link.closed]

    async def stop(self) -> None:
        """Stop listening and close every link."""
        if self.server is not None:
            self.server.close()
            await self.drop()
            with contextlib.suppress(Exception):
                await self.server.wait_closed()
            self.server = None
        if self._master is not None:
            asyncio.get_running_loop().remove_reader(self._master)
            os.close(self._master)
            if self._slave is not None:
                os.close(self._slave)
            self._master = self._slave = None

    # ------------------------------------------------------------------- protocol

    @property
    def active(self) -> list[_Link]:
        return [link for link in self.links if not link.closed and (link.authed or not self.psk)]

    def push(self, message: Message) -> None:
        """Send a message to every host connected."""
        for link in self.active:
            link.send(message)

    def handle(self, link: _Link, message: Message, seq: int) -> None:
        st = self.state
        if type(message) in self.ignore:
            return
        if isinstance(message, Hello):
            link.host_nonce = message.nonce
            link.sealed = bool(message.capabilities & Capability.ENCRYPTION)
            keyed = Capability.AUTH_REQUIRED | Capability.ENCRYPTION
            caps = st.capabilities | (keyed if self.psk else 0)
            link.send(
                Hello(st.version, st.min_version, Role.HUB, caps, link.hub_nonce, st.hub_id),
                plain=True,
            )
            return
        if isinstance(message, Auth):
            assert self.psk is not None
            key = session_key(self.psk, link.hub_nonce, link.host_nonce)
            if message.proof != proof(key, HOST_LABEL):
                link.send(AuthResult(AuthStatus.BAD_KEY, bytes(16)), plain=True)
                link.closed = True
                for writer in self._writers:
                    if writer.write == link.write_raw:
                        writer.close()
                return
            if link.sealed:
                link.key, receive_key = link_keys(key, Role.HUB)
                link.decoder.set_key(receive_key)
            else:
                link.key = key
                link.decoder.set_key(key)
            link.authed = True
            link.send(AuthResult(AuthStatus.OK, proof(key, HUB_LABEL)))
            return
        if self.psk and not link.authed:
            link.send(Error(message.TYPE, seq, ErrorCode.NOT_AUTHENTICATED), plain=True)
            return
        if isinstance(message, Ping):
            link.send(Pong(message.token))
        elif isinstance(message, HubInfoRequest):
            link.send(self.hub_info())
        elif isinstance(message, NodeListRequest):
            for node in st.nodes.values():
                link.send(node)
            link.send(NodeListEnd(len(st.nodes)))
        elif isinstance(message, StateRequest):
            for node_id in st.nodes:
                link.send(self.counters(node_id))
                if node_id in st.status:
                    link.send(st.status[node_id])
                for out in range(st.nodes[node_id].outputs):
                    link.send(self.output_state(node_id, out, OutputCause.BOOT))
            for alarm in st.alarms.values():
                link.send(alarm)
        elif isinstance(message, OutputSet):
            key = (message.node_id, message.output)
            node = st.nodes.get(message.node_id)
            if node is None or message.output >= node.outputs:
                link.send(OutputAck(message.cmd_id, 1, 0))
                return
            if st.output_result == 0:
                st.outputs[key] = message.state
            link.send(OutputAck(message.cmd_id, st.output_result, st.outputs.get(key, 1)))
            if st.output_result == 0:
                self.push(self.output_state(message.node_id, message.output, OutputCause.HOST))
        elif isinstance(message, ArchiveRequest):
            self._archive(link, message)
        elif isinstance(message, TimeSync):
            previous, st.hub_time = st.hub_time, message.unix_time
            link.send(TimeAck(previous, message.unix_time))
        elif isinstance(message, Disconnect):
            link.closed = True
        else:
            link.send(Error(message.TYPE, seq, ErrorCode.UNSUPPORTED))

    def _archive(self, link: _Link, req: ArchiveRequest) -> None:
        sent = 0
        for (node_id, channel), hours in sorted(self.state.archive.items()):
            if req.node_id not in (ALL_NODES, node_id) or req.channel not in (
                ALL_CHANNELS,
                channel,
            ):
                continue
            times = range(req.start, req.end, 3600)
            for first in range(0, len(times), 480):  # at most 480 values a frame
                chunk = times[first : first + 480]
                values = tuple(ArchiveValue(hours.get(t, MISSING)) for t in chunk)
                link.send(ArchiveRecords(req.req_id, node_id, channel, chunk[0], 1, values))
                sent += len(values)
        link.send(ArchiveEnd(req.req_id, sent, 0))

    # ------------------------------------------------------------------ messages

    def hub_info(self) -> HubInfo:
        st = self.state
        channels = sum(len(n.channels) for n in st.nodes.values())
        outputs = st.nodes[0].outputs if 0 in st.nodes else 0
        return HubInfo(
            st.hub_id, st.firmware, st.model, 1234, st.hub_time, st.epoch, len(st.nodes),
            channels, outputs, 0,
        )  # fmt: skip

    def counters(self, node_id: int) -> Counters:
        st = self.state
        st.report_seq += 1
        readings = tuple(
            ChannelReading(
                ch.channel,
                st.counts.get((node_id, ch.channel), 0),
                st.rates.get((node_id, ch.channel), 0),
                st.channel_flags.get((node_id, ch.channel), 0),
            )
            for ch in st.nodes[node_id].channels
        )
        return Counters(
            node_id, st.hub_time, st.report_seq, st.epochs.get(node_id, st.epoch), readings
        )

    def output_state(self, node_id: int, output: int, cause: int) -> OutputState:
        state = self.state.outputs.get((node_id, output), 1)
        return OutputState(node_id, output, state, cause, self.state.hub_time)

    def set_count(self, node_id: int, channel: int, count: int, rate_mph: int = 0) -> None:
        """Change a counter and push COUNTERS for its node."""
        self.state.counts[(node_id, channel)] = count
        self.state.rates[(node_id, channel)] = rate_mph
        self.push(self.counters(node_id))

    def set_status(self, node_id: int, **changes: Any) -> None:
        """Change a node's status and push NODE_STATUS."""
        base = self.state.status.get(node_id) or NodeStatus(node_id, 3600, 98, -70, 1, 0, 0)
        status = replace(base, **changes)
        self.state.status[node_id] = status
        self.push(status)

    def raise_alarm(self, node_id: int, channel: int, kind: int, active: bool) -> None:
        """Raise or clear an alarm and push ALARM."""
        alarm = Alarm(node_id, channel, kind, int(active), self.state.hub_time, 0)
        if active:
            self.state.alarms[(node_id, channel, kind)] = alarm
        else:
            self.state.alarms.pop((node_id, channel, kind), None)
        self.push(alarm)
