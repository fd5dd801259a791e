"""Hub side of the link (docs/protocol.md section 2): sessions over TCP and over a serial stream.

A `Session` owns one connection's frame decoder, handshake, sequence numbers and keepalive; it
hands every accepted message to `hub.handle(session, type, fields)`. Keepalive timers use real
time (ticks_ms), not the hub clock, so an accelerated sim keeps the host's 20 s / 90 s rhythm.
"""

import os
import select
import sys
import time

import asyncio

from .protocol import (
    MIN_PROTOCOL_VERSION,
    PROTOCOL_VERSION,
    TYPES,
    FrameDecoder,
    SCHEMA,
    MessageError,
    decode_payload,
    digest_equal,
    encode_frame,
    encode_payload,
    proof,
    session_key,
)

CAP_AUTH_REQUIRED = 1 << 7
RECEIVE_TIMEOUT_MS = 90_000
MAX_AUTH_FAILURES = 8
MAX_SEQ = 0xFFFFFFFF
AUTH_OK, AUTH_BAD_KEY = 0, 1
ERROR_UNKNOWN_TYPE, ERROR_MALFORMED, ERROR_NOT_AUTHENTICATED, ERROR_UNSUPPORTED = 1, 2, 3, 5
DISCONNECT_INCOMPATIBLE, DISCONNECT_AUTH_FAILED, DISCONNECT_TIMEOUT = 1, 2, 3

_HELLO, _AUTH = TYPES["hello"], TYPES["auth"]
_ROLE_HUB = 1
_ZERO_PROOF = bytes(16)


class Session:
    """One host connection. `psk` None means a plaintext link.

    Frames go out through one writer task (a queue), so pushes, answers and long archive
    transfers never interleave inside a frame; `flushed()` lets a producer wait for the queue.
    """

    def __init__(self, hub, reader, writer, transport, psk=None,
                 receive_timeout_ms=RECEIVE_TIMEOUT_MS):
        self.hub = hub
        self.transport = transport
        self.reader = reader
        self.writer = writer
        self.psk = psk
        self.receive_timeout_ms = receive_timeout_ms
        self.decoder = FrameDecoder()
        self.ready = False  # handshake done: the hub may push state
        self.closed = False
        self._key = None
        self._seq = 0
        self._hub_nonce = None
        self._host_nonce = None
        self._refused = 0  # frames refused for lack of authentication
        self._queue = []
        self._queued = asyncio.Event()
        self._emptied = asyncio.Event()
        self._reader_task = None

    # -- sending ---------------------------------------------------------------------------

    def send(self, msg_type, fields):
        """Queue one message; frames carry a MAC once the session is authenticated."""
        if self.closed:
            return
        payload = encode_payload(msg_type, fields)
        self._queue.append(encode_frame(msg_type, self._seq, payload, self._key))
        self._queued.set()
        self._seq += 1
        if self._seq >= MAX_SEQ:
            self.close()

    def send_named(self, message_name, **fields):
        self.send(TYPES[message_name], fields)

    def error(self, ref_type, ref_seq, code):
        self.send_named("error", ref_type=ref_type, ref_seq=ref_seq, code=code)

    async def flushed(self):
        """Wait until every queued frame has been handed to the transport."""
        while self._queue and not self.closed:
            self._emptied.clear()
            await self._emptied.wait()

    def close(self, reason=None):
        """Close after sending what is queued (and DISCONNECT(reason) if given)."""
        if self.closed:
            return
        if reason is not None:
            self.send_named("disconnect", reason=reason)
        self.closed = True
        self._queued.set()
        self._emptied.set()
        self.hub.detach(self)

    async def _write_loop(self):
        try:
            while True:
                await self._queued.wait()
                self._queued.clear()
                while self._queue:
                    self.writer.write(self._queue.pop(0))
                    await self.writer.drain()
                self._emptied.set()
                if self.closed:
                    break
        except OSError:
            self.closed = True
            self.hub.detach(self)
        try:
            self.writer.close()
            await self.writer.wait_closed()  # MicroPython closes the socket only here
        except OSError:
            pass
        if self._reader_task is not None and self._reader_task is not asyncio.current_task():
            self._reader_task.cancel()

    # -- receiving ---------------------------------------------------------------------------

    async def run(self):
        """Serve the connection until it closes, times out or fails authentication."""
        self._reader_task = asyncio.current_task()
        writer_task = asyncio.create_task(self._write_loop())
        last_valid = time.ticks_ms()
        try:
            while not self.closed:
                remaining = self.receive_timeout_ms - time.ticks_diff(time.ticks_ms(), last_valid)
                if remaining <= 0:
                    self.close(DISCONNECT_TIMEOUT)
                    break
                try:
                    data = await asyncio.wait_for_ms(self.reader.read(1024), remaining)
                except asyncio.TimeoutError:
                    continue
                if not data:
                    break
                if self.feed(data):
                    last_valid = time.ticks_ms()
        except (OSError, asyncio.CancelledError):
            pass
        self._reader_task = None
        self.close()
        await writer_task

    def feed(self, data):
        """Process received bytes; return True if any valid frame was among them."""
        frames = self.decoder.feed(data)
        for msg_type, seq, payload, _ in frames:
            if self.closed:
                break
            self._dispatch(msg_type, seq, payload)
        if self._rejections() >= MAX_AUTH_FAILURES:
            self.close(DISCONNECT_AUTH_FAILED)
        return bool(frames)

    def _rejections(self):
        d = self.decoder
        return d.auth_failures + d.replays + self._refused

    def _dispatch(self, msg_type, seq, payload):
        try:
            fields = decode_payload(msg_type, payload)
        except MessageError:
            if msg_type in (_HELLO, _AUTH) or self._may_serve():
                code = ERROR_MALFORMED if msg_type in SCHEMA else ERROR_UNKNOWN_TYPE
                self.error(msg_type, seq, code)
            else:
                self._refuse(msg_type, seq)
            return
        if msg_type == _HELLO:
            self._hello(fields)
        elif msg_type == _AUTH:
            self._auth(fields, seq)
        elif self._may_serve():
            self.hub.handle(self, msg_type, fields, seq)
        else:
            self._refuse(msg_type, seq)

    def _may_serve(self):
        return self.psk is None or self._key is not None

    def _refuse(self, msg_type, seq):
        self._refused += 1
        self.error(msg_type, seq, ERROR_NOT_AUTHENTICATED)

    def _hello(self, hello):
        if self._hub_nonce is not None:
            return  # one handshake per connection
        self._hub_nonce = os.urandom(16)
        self._host_nonce = hello["nonce"]
        capabilities = self.hub.capabilities | (CAP_AUTH_REQUIRED if self.psk else 0)
        self.send_named("hello", version=PROTOCOL_VERSION, min_version=MIN_PROTOCOL_VERSION,
                        role=_ROLE_HUB, capabilities=capabilities, nonce=self._hub_nonce,
                        name=self.hub.hub_id)
        version = min(hello["version"], PROTOCOL_VERSION)
        if version < max(hello["min_version"], MIN_PROTOCOL_VERSION):
            self.close(DISCONNECT_INCOMPATIBLE)
        elif self.psk is None:
            self._become_ready()

    def _auth(self, auth, seq):
        if self.psk is None or self._key is not None:
            self.error(_AUTH, seq, ERROR_UNSUPPORTED)
            return
        if self._hub_nonce is None:
            self._refuse(_AUTH, seq)
            return
        key = session_key(self.psk, self._hub_nonce, self._host_nonce)
        if not digest_equal(auth["proof"], proof(key, b"host")):
            self.send_named("auth_result", status=AUTH_BAD_KEY, proof=_ZERO_PROOF)
            self.close()
            return
        self._key = key
        self.send_named("auth_result", status=AUTH_OK, proof=proof(key, b"hub"))
        self.decoder.set_key(key)
        self._become_ready()

    def _become_ready(self):
        self.ready = True
        self.hub.attach(self)


async def serve_tcp(hub, host, port, psk=None, receive_timeout_ms=RECEIVE_TIMEOUT_MS):
    """Accept host connections on TCP; returns the asyncio server."""

    async def on_connect(reader, writer):
        await Session(hub, reader, writer, "tcp", psk, receive_timeout_ms).run()

    return await asyncio.start_server(on_connect, host, port)


class StdioStream:
    """A serial link on stdin/stdout (USB serial of the ESP32, or a pipe to the host sim).

    stdin's read(n) blocks until n bytes came, so wait for one byte through asyncio and take
    the rest only while poll says more is ready. Writes go straight out.
    """

    def __init__(self, stdin=None, stdout=None):
        self._in = stdin or sys.stdin.buffer
        self._out = stdout or sys.stdout.buffer
        self._reader = asyncio.StreamReader(self._in)
        self._poll = select.poll()
        self._poll.register(self._in, select.POLLIN)
        self.at_eof = False

    async def read(self, limit):
        data = bytearray(await self._reader.read(1))
        self.at_eof = not data
        while data and len(data) < limit and self._poll.poll(0):
            byte = self._in.read(1)
            if not byte:
                break
            data.extend(byte)
        return bytes(data)

    def write(self, data):
        self._out.write(data)

    async def drain(self):
        flush = getattr(self._out, "flush", None)
        if flush:
            flush()

    def close(self):
        pass

    async def wait_closed(self):
        pass


async def serve_stream(current_hub, stream, psk=None, receive_timeout_ms=RECEIVE_TIMEOUT_MS):
    """Serve sessions one after another on a stream that never closes (serial).

    `current_hub()` returns the hub, or None while it is powered off (the sim's power cuts):
    bytes arriving then are dropped.
    """
    while not stream.at_eof:
        hub = current_hub()
        if hub is None:
            try:
                await asyncio.wait_for_ms(stream.read(256), 100)
            except asyncio.TimeoutError:
                pass
            continue
        await Session(hub, stream, stream, "serial", psk, receive_timeout_ms).run()
