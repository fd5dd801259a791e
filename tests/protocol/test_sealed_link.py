"""The sealed link end to end: the real MicroPython sim hub with a key, the real HubClient, TCP.

A proxy on 127.0.0.1 sits between them, records every frame both ways and can corrupt one
sealed frame; it knows the key (it plays the eavesdropper who later learns what was sent) only
to find the frame to corrupt.
"""

from __future__ import annotations

import asyncio
import base64
import os
import sys
import zlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from custom_components.balance.hub import messages as m
from custom_components.balance.hub.auth import link_keys, session_key
from custom_components.balance.hub.client import (
    HubClient,
    HubConnectionError,
    HubDowngradeError,
)
from custom_components.balance.hub.frame import (
    FLAG_AUTH,
    FLAG_SEALED,
    HEADER,
    MAC_SIZE,
    SEALED_TYPE,
    SYNC,
    LinkKey,
    encode_frame,
)

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "tests" / "firmware"))

from mpy_run import MICROPYTHON
from simhub import SimHub, free_port

PSK = os.urandom(32)
SCENARIO = ROOT / "hub_firmware" / "sim" / "scenarios" / "default.json"
SEALED = FLAG_AUTH | FLAG_SEALED


class TappingProxy:
    """Forward frames between host and hub, record them, corrupt one sealed hub frame on demand."""

    def __init__(self, hub_port: int) -> None:
        self.hub_port = hub_port
        self.to_host: list[bytes] = []
        self.to_hub: list[bytes] = []
        self.corrupt_type: int | None = None  # corrupt the next sealed hub frame of this type
        self.corrupt_to_hub: int | None = None  # the same for the host's frames
        self.strip_encryption: m.Role | None = None  # whose HELLO loses the ENCRYPTION bit
        self.corrupted: list[m.Message] = []
        self.corrupted_one = asyncio.Event()
        self.seen_to_hub: list[m.Message] = []
        self._nonces: dict[int, bytes] = {}
        self._keys: tuple[LinkKey, LinkKey] | None = None  # (host to hub, hub to host)
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._on_host, "127.0.0.1", 0)
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()

    async def _on_host(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hub_reader, hub_writer = await asyncio.open_connection("127.0.0.1", self.hub_port)
        await asyncio.gather(
            self._pump(reader, hub_writer, from_hub=False),
            self._pump(hub_reader, writer, from_hub=True),
            return_exceptions=True,
        )

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, from_hub: bool
    ) -> None:
        buffer = bytearray()
        try:
            while data := await reader.read(4096):
                buffer += data
                out = b"".join(self._inspect(frame, from_hub) for frame in _split(buffer))
                writer.write(out)
                await writer.drain()
        finally:
            writer.close()

    def _inspect(self, frame: bytes, from_hub: bool) -> bytes:
        (self.to_host if from_hub else self.to_hub).append(frame)
        _, _, flags, msg_type, seq, length = HEADER.unpack_from(frame)
        body = frame[HEADER.size : HEADER.size + length]
        if flags == 0 and msg_type == m.Hello.TYPE:
            hello = m.decode_payload(msg_type, body)
            assert isinstance(hello, m.Hello)
            self._nonces[hello.role] = hello.nonce
            if len(self._nonces) == 2:
                key = session_key(PSK, self._nonces[m.Role.HUB], self._nonces[m.Role.HOST])
                self._keys = link_keys(key, m.Role.HOST)
            if hello.role == self.strip_encryption:
                stripped = replace(
                    hello, capabilities=hello.capabilities & ~m.Capability.ENCRYPTION
                )
                return encode_frame(msg_type, seq, m.encode_payload(stripped))
            return frame
        if flags != SEALED or self._keys is None:
            return frame
        decryptor = self._keys[from_hub].keystream_cipher(seq).decryptor()
        plain = decryptor.update(body) + decryptor.finalize()
        message = m.decode_payload(plain[0], plain[1:])
        if not from_hub:
            self.seen_to_hub.append(message)
        wanted = self.corrupt_type if from_hub else self.corrupt_to_hub
        if plain[0] != wanted:
            return frame
        if from_hub:
            self.corrupt_type = None
        else:
            self.corrupt_to_hub = None
        self.corrupted.append(message)
        self.corrupted_one.set()
        bad = bytearray(frame)
        bad[HEADER.size + 3] ^= 0x40  # one ciphertext bit; the CRC is made right again
        bad[-4:] = zlib.crc32(bad[2:-4]).to_bytes(4, "big")
        return bytes(bad)


def _split(buffer: bytearray) -> Iterator[bytes]:
    """Whole frames off the front of a clean stream (the sim hub and the client send no noise)."""
    while len(buffer) >= HEADER.size:
        assert buffer[:2] == SYNC
        _, _, flags, _, _, length = HEADER.unpack_from(buffer)
        total = HEADER.size + length + (MAC_SIZE if flags & FLAG_AUTH else 0) + 4
        if len(buffer) < total:
            return
        yield bytes(buffer[:total])
        del buffer[:total]


@pytest.fixture
def sim_hub(tmp_path: Path, socket_enabled: None) -> Iterator[SimHub]:
    """The real MicroPython sim hub with a key, on a free port of 127.0.0.1."""
    hub = SimHub(MICROPYTHON, ROOT / "hub_firmware", SCENARIO, state_dir=tmp_path / "state",
                 port=free_port(), options=("--psk", base64.b64encode(PSK).decode()))  # fmt: skip
    yield hub
    hub.stop()


@pytest.fixture
async def proxy(sim_hub: SimHub) -> AsyncIterator[TappingProxy]:
    tap = TappingProxy(sim_hub.port)
    yield tap
    await tap.stop()


async def test_link_is_sealed_and_tampering_is_dropped(proxy: TappingProxy) -> None:
    """After AUTH every frame both ways is sealed, no known field is readable, and a corrupted
    ciphertext byte is counted as an authentication failure and never delivered."""
    client = HubClient(host="127.0.0.1", port=await proxy.start(), psk=PSK)
    received: list[m.Message] = []
    counters_came = asyncio.Event()

    def on_message(message: m.Message) -> None:
        received.append(message)
        if isinstance(message, m.Counters):
            counters_came.set()

    client.add_listener(on_message)
    info = await client.connect()
    assert client.authenticated
    ack = await client.set_output(0, 0, True)
    assert ack.result == m.OutputResult.OK
    proxy.corrupt_type = m.Counters.TYPE
    await client.request_state()
    async with asyncio.timeout(10):
        await proxy.corrupted_one.wait()
        await counters_came.wait()  # a later COUNTERS: the corrupted one was decoded before
    await client.disconnect()

    hub_hello = next(i for i, f in enumerate(proxy.to_host) if f[4] == m.Hello.TYPE)
    host_auth = next(i for i, f in enumerate(proxy.to_hub) if f[4] == m.Auth.TYPE)
    after_handshake = proxy.to_host[hub_hello + 1 :] + proxy.to_hub[host_auth + 1 :]
    assert len(after_handshake) > 10
    assert all((f[3], f[4]) == (SEALED, SEALED_TYPE) for f in after_handshake)
    wire = b"".join(after_handshake)
    known = [info.hub_id, info.model, info.firmware]
    known += [node.firmware for node in client.nodes.values() if node.firmware]
    assert info.hub_id == "J100UC-SIM-0001" and len(known) >= 4
    counters = [x for x in received if isinstance(x, m.Counters)]
    assert [text for text in known if text.encode() in wire] == []
    assert all(m.encode_payload(c) not in wire for c in counters)
    assert any(isinstance(x, m.OutputSet) for x in proxy.seen_to_hub)

    (corrupted,) = proxy.corrupted
    assert isinstance(corrupted, m.Counters)
    assert client.stats.auth_failures == 1
    assert client.stats.crc_errors == 0
    assert corrupted not in received


async def test_tampered_command_never_switches_a_load(proxy: TappingProxy) -> None:
    """A sealed OUTPUT_SET with one ciphertext bit flipped is dropped by the hub: no answer, the
    output keeps its state, and the session goes on."""
    client = HubClient(host="127.0.0.1", port=await proxy.start(), psk=PSK, request_timeout=1.0)
    states: list[m.OutputState] = []
    reported = asyncio.Event()

    def on_message(message: m.Message) -> None:
        if isinstance(message, m.OutputState) and (message.node_id, message.output) == (0, 0):
            states.append(message)
            reported.set()

    client.add_listener(on_message)
    await client.connect()
    proxy.corrupt_to_hub = m.OutputSet.TYPE
    with pytest.raises(HubConnectionError):
        await client.set_output(0, 0, False)  # would open the contactor of output 0
    (corrupted,) = proxy.corrupted
    assert isinstance(corrupted, m.OutputSet) and corrupted.state == 0
    await client.request_state()
    async with asyncio.timeout(10):
        await reported.wait()
    assert [x.state for x in states] == [1]  # still powered
    assert (await client.set_output(0, 0, False)).state == 0  # an intact command still works
    await client.disconnect()


async def test_hub_without_encryption_is_refused(proxy: TappingProxy) -> None:
    """Stripping ENCRYPTION from the hub's HELLO: the keyed client refuses before AUTH."""
    proxy.strip_encryption = m.Role.HUB
    client = HubClient(host="127.0.0.1", port=await proxy.start(), psk=PSK)
    with pytest.raises(HubDowngradeError):
        await client.connect()
    assert proxy.to_hub[0][4] == m.Hello.TYPE
    assert m.Auth.TYPE not in [f[4] for f in proxy.to_hub]


async def test_host_hello_stripped_of_encryption_fails_the_handshake(proxy: TappingProxy) -> None:
    """Stripping ENCRYPTION from the host's HELLO: the hub answers MAC-only, the client's sealed
    decoder drops it and the handshake fails; the client sends nothing after AUTH."""
    proxy.strip_encryption = m.Role.HOST
    client = HubClient(host="127.0.0.1", port=await proxy.start(), psk=PSK, connect_timeout=2)
    with pytest.raises(HubConnectionError):
        await client.connect()
    assert [f[4] for f in proxy.to_hub] == [m.Hello.TYPE, m.Auth.TYPE]
    assert proxy.to_host[0][3] == 0  # the hub's HELLO, then only MAC-only frames
    assert proxy.to_host[1][4] == m.AuthResult.TYPE
    assert {f[3] for f in proxy.to_host[1:]} == {FLAG_AUTH}
