"""Load generator for bench-hub: a CPython BALANCE hub with many nodes, over TCP 127.0.0.1.

Speaks the real protocol with the integration's codec (HELLO/AUTH handshake, HMAC on every
frame). Every node reports COUNTERS once per ``period`` seconds, the nodes evenly staggered. All
counts of a report equal the send time in 0.1 ms ticks since ``t0``, so a meter total of
``count / 1000`` kWh tells the receiver when its frame was sent: ``t0 + total / 10`` seconds.
The hourly archive follows the same rule. Run as a script it prints ``{"port", "t0"}`` and serves
until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2]))

from custom_components.balance.hub import messages as m
from custom_components.balance.hub.auth import (
    HOST_LABEL,
    HUB_LABEL,
    link_keys,
    new_nonce,
    proof,
    session_key,
)
from custom_components.balance.hub.frame import FrameDecoder, FrameKey, encode_frame

TICKS_PER_S = 10_000
HOUR = 3600
FIRST_NODE = 0x00100000
CAPABILITIES = (
    m.Capability.COUNTERS
    | m.Capability.ARCHIVE
    | m.Capability.RADIO
    | m.Capability.TIME_SYNC
    | m.Capability.OUTPUTS
)


class BenchHub:
    """One hub: ``nodes`` D100FC modules with ``channels`` electricity inputs each."""

    def __init__(
        self,
        hub_id: str,
        nodes: int,
        channels: int,
        period: float,
        *,
        psk: bytes | None,
        t0: float,
    ) -> None:
        """Describe the hub; nothing runs before :meth:`serve`."""
        self.hub_id = hub_id
        self.node_ids = [FIRST_NODE + i for i in range(nodes)]
        self.channels = channels
        self.period = period
        self.psk = psk
        self.t0 = t0
        self.report_seq = dict.fromkeys(self.node_ids, 0)
        self.link: _Link | None = None
        self.sent = 0

    def count(self, at: float) -> int:
        """Counter value at unix time ``at`` (the same for every channel)."""
        return int((at - self.t0) * TICKS_PER_S) & 0xFFFFFFFF

    def counters(self, node_id: int) -> m.Counters:
        """A COUNTERS report stamped with the current time."""
        now = time.time()
        self.report_seq[node_id] += 1
        count = self.count(now)
        readings = tuple(
            m.ChannelReading(ch, count, 1_000_000, 0) for ch in range(1, self.channels + 1)
        )
        return m.Counters(node_id, int(now), self.report_seq[node_id], 1, readings)

    def node_infos(self) -> list[m.NodeInfo]:
        """The hub itself (node 0, no inputs) and its radio nodes."""
        hub = m.NodeInfo(0, m.NodeKind.HUB, "1.0.0", (), 0)
        channels = tuple(
            m.ChannelInfo(ch, m.Medium.ELECTRICITY, 0) for ch in range(1, self.channels + 1)
        )
        return [hub] + [
            m.NodeInfo(n, m.NodeKind.D100FC, "1.0.0", channels, 0) for n in self.node_ids
        ]

    async def serve(self, port: int = 0) -> asyncio.Server:
        """Listen on 127.0.0.1 and start the report loop."""
        server = await asyncio.start_server(self._on_client, "127.0.0.1", port)
        asyncio.get_running_loop().create_task(self._report_loop())
        return server

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        link = _Link(self, writer)
        try:
            while data := await reader.read(65536):
                link.feed(data)
        except OSError:
            pass
        finally:
            if self.link is link:
                self.link = None
            writer.close()

    async def _report_loop(self) -> None:
        loop = asyncio.get_running_loop()
        step = self.period / len(self.node_ids)
        start = loop.time()
        index = 0
        while True:
            index += 1
            await asyncio.sleep(max(0.0, start + index * step - loop.time()))
            link = self.link
            if link is not None and link.ready:
                link.send(self.counters(self.node_ids[index % len(self.node_ids)]))
                self.sent += 1

    def archive(self, link: _Link, req: m.ArchiveRequest) -> None:
        """Answer ARCHIVE_REQUEST with hourly counts from ``t0`` on (MISSING before)."""
        nodes = self.node_ids if req.node_id == m.ALL_NODES else [req.node_id]
        chans = range(1, self.channels + 1) if req.channel == m.ALL_CHANNELS else [req.channel]
        now = time.time()
        hours = [
            self.count(at) if self.t0 <= at <= now else m.MISSING
            for at in range(req.start, req.end, HOUR)
        ]
        sent = 0
        for node in nodes:
            if node not in self.report_seq:
                continue
            for ch in chans:
                for first in range(0, len(hours), 480):
                    values = tuple(m.ArchiveValue(v) for v in hours[first : first + 480])
                    start = req.start + first * HOUR
                    link.send(m.ArchiveRecords(req.req_id, node, ch, start, 1, values))
                    sent += len(values)
        link.send(m.ArchiveEnd(req.req_id, sent, 0))


class _Link:
    """One host connection: handshake, then requests."""

    def __init__(self, hub: BenchHub, writer: asyncio.StreamWriter) -> None:
        self.hub = hub
        self.writer = writer
        self.decoder = FrameDecoder()
        self.key: FrameKey | None = None
        self.sealed = False  # the host's HELLO carries ENCRYPTION: sealed after AUTH
        self.seq = 0
        self.ready = False
        self.hub_nonce = new_nonce()
        self.host_nonce = b""

    def send(self, message: m.Message, *, plain: bool = False) -> None:
        key = None if plain else self.key
        self.writer.write(encode_frame(message.TYPE, self.seq, m.encode_payload(message), key))
        self.seq += 1

    def feed(self, data: bytes) -> None:
        for frame in self.decoder.feed(data):
            try:
                message = m.decode_payload(frame.type, frame.payload)
            except m.MessageError:
                self.send(m.Error(frame.type, frame.seq, m.ErrorCode.MALFORMED))
                continue
            self._handle(message, frame.seq)

    def _handle(self, message: m.Message, seq: int) -> None:
        hub = self.hub
        if isinstance(message, m.Hello):
            self.host_nonce = message.nonce
            self.sealed = bool(message.capabilities & m.Capability.ENCRYPTION)
            keyed = m.Capability.AUTH_REQUIRED | m.Capability.ENCRYPTION
            caps = CAPABILITIES | (keyed if hub.psk else 0)
            hello = m.Hello(1, 1, m.Role.HUB, caps, self.hub_nonce, hub.hub_id)
            self.send(hello, plain=True)
            self._become_active(hub.psk is None)
        elif isinstance(message, m.Auth) and hub.psk is not None:
            key = session_key(hub.psk, self.hub_nonce, self.host_nonce)
            if message.proof != proof(key, HOST_LABEL):
                self.send(m.AuthResult(m.AuthStatus.BAD_KEY, bytes(16)), plain=True)
                self.writer.close()
                return
            if self.sealed:
                self.key, receive_key = link_keys(key, m.Role.HUB)
                self.decoder.set_key(receive_key)
            else:
                self.key = key
                self.decoder.set_key(key)
            self.send(m.AuthResult(m.AuthStatus.OK, proof(key, HUB_LABEL)))
            self._become_active(True)
        elif isinstance(message, m.Ping):
            self.send(m.Pong(message.token))
        elif isinstance(message, m.HubInfoRequest):
            channels = len(hub.node_ids) * hub.channels
            nodes = len(hub.node_ids) + 1
            self.send(
                m.HubInfo(hub.hub_id, "1.0.0", "J100UC-bench", 1, int(time.time()), 1, nodes,
                          channels, 0, 0)
            )  # fmt: skip
        elif isinstance(message, m.NodeListRequest):
            infos = hub.node_infos()
            for info in infos:
                self.send(info)
            self.send(m.NodeListEnd(len(infos)))
        elif isinstance(message, m.StateRequest):
            for node_id in hub.node_ids:
                self.send(hub.counters(node_id))
        elif isinstance(message, m.TimeSync):
            self.send(m.TimeAck(int(time.time()), message.unix_time))
        elif isinstance(message, m.ArchiveRequest):
            hub.archive(self, message)
        elif isinstance(message, m.OutputSet):
            self.send(m.OutputAck(message.cmd_id, m.OutputResult.UNKNOWN_OUTPUT, 1))
        elif isinstance(message, m.Disconnect):
            self.writer.close()
        else:
            self.send(m.Error(message.TYPE, seq, m.ErrorCode.UNSUPPORTED))

    def _become_active(self, ready: bool) -> None:
        if ready:
            self.ready = True
            self.hub.link = self


async def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hub-id", default="BENCH-HUB")
    parser.add_argument("--nodes", type=int, default=240)
    parser.add_argument("--channels", type=int, default=3)
    parser.add_argument("--period", type=float, default=10.0)
    parser.add_argument("--psk", default="", help="base64 pre-shared key (empty: plaintext)")
    parser.add_argument("--archive-hours", type=int, default=24)
    args = parser.parse_args()
    t0 = float((int(time.time()) // HOUR - args.archive_hours) * HOUR)
    psk = base64.b64decode(args.psk) if args.psk else None
    hub = BenchHub(args.hub_id, args.nodes, args.channels, args.period, psk=psk, t0=t0)
    server = await hub.serve()
    port = server.sockets[0].getsockname()[1]
    print(json.dumps({"port": port, "t0": t0}), flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(_main())
