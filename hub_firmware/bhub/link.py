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
    CAP_ENCRYPTION,
    MIN_PROTOCOL_VERSION,
    PROTOCOL_VERSION,
    ROLE_HUB,
    TYPES,
    FrameDecoder,
    SCHEMA,
    MessageError,
    decode_payload,
    digest_equal,
    encode_frame,
    encode_payload,
    link_keys,
    proof,
    session_key,
)

CAP_AUTH_REQUIRED = 1 << 7
RECEIVE_TIMEOUT_MS = 90_000
HANDSHAKE_TIMEOUT_MS = 10_000  # HELLO (and AUTH with a key) must be done this long after connect
MAX_AUTH_FAILURES = 8
MAX_SESSIONS = 4  # per hub, all transports; see Hub.admit for who makes room
QUEUE_LIMIT = 8_192  # bytes queued for one session; a send beyond it closes the session
QUEUE_LOW = 2_048  # paced producers (lists, state, archive, pushes) wait below this
WRITE_GRACE_MS = 2_000  # a closing session gets this long to send what is queued
MAX_SEQ = 0xFFFFFFFF
AUTH_OK, AUTH_BAD_KEY = 0, 1
ERROR_UNKNOWN_TYPE, ERROR_MALFORMED, ERROR_NOT_AUTHENTICATED, ERROR_BUSY, ERROR_UNSUPPORTED = (
    1, 2, 3, 4, 5)
DISCONNECT_INCOMPATIBLE, DISCONNECT_AUTH_FAILED, DISCONNECT_TIMEOUT = 1, 2, 3

_HELLO, _AUTH = TYPES["hello"], TYPES["auth"]
_ROLE_HUB = 1
_ZERO_PROOF = bytes(16)


class Session:
    """One host connection. `psk` None means a plaintext link.

    Frames go out through one writer task (a queue of at most QUEUE_LIMIT bytes), so pushes,
    answers and long transfers never interleave inside a frame; producers of long answers
    `await room()` between frames. With a key, only HELLO and AUTH are ever served without a
    valid MAC, and the handshake must be done within HANDSHAKE_TIMEOUT_MS.
    """

    def __init__(self, hub, reader, writer, transport, psk=None,
                 receive_timeout_ms=RECEIVE_TIMEOUT_MS, handshake_timeout_ms=HANDSHAKE_TIMEOUT_MS):
        self.hub = hub
        self.transport = transport
        self.reader = reader
        self.writer = writer
        self.psk = psk
        self.receive_timeout_ms = receive_timeout_ms
        self.handshake_timeout_ms = min(handshake_timeout_ms, receive_timeout_ms)
        self.decoder = FrameDecoder()
        self.ready = False  # handshake done: the hub may push state
        self.closed = False
        self.queued_bytes = 0
        self._key = None
        self._seq = 0
        self._hub_nonce = None
        self._host_nonce = None
        self._sealed = False  # keyed and both HELLOs carry ENCRYPTION: sealed after AUTH
        self._refused = 0  # frames refused: unauthenticated, malformed or repeated handshakes
        self._queue = []
        self._queued = asyncio.Event()
        self._drained = asyncio.Event()
        self._reader_task = None
        self._writer_task = None

    # -- sending ---------------------------------------------------------------------------

    def send(self, msg_type, fields):
        """Queue one message; frames carry a MAC once the session is authenticated.

        A frame that would take the queue over QUEUE_LIMIT closes the session: its peer does
        not read what it asks for.
        """
        if self.closed:
            return
        frame = encode_frame(msg_type, self._seq, encode_payload(msg_type, fields), self._key)
        if self.queued_bytes + len(frame) > QUEUE_LIMIT:
            self.abort()
            return
        self._queue.append(frame)
        self.queued_bytes += len(frame)
        self._queued.set()
        self._seq += 1
        if self._seq >= MAX_SEQ:
            self.close()

    def send_named(self, message_name, **fields):
        self.send(TYPES[message_name], fields)

    def error(self, ref_type, ref_seq, code):
        self.send_named("error", ref_type=ref_type, ref_seq=ref_seq, code=code)

    async def room(self):
        """Wait until the queue is below QUEUE_LOW (or the session closed)."""
        while self.queued_bytes > QUEUE_LOW and not self.closed:
            self._drained.clear()
            await self._drained.wait()

    def close(self, reason=None):
        """Close after sending what is queued (and DISCONNECT(reason) if given)."""
        if self.closed:
            return
        if reason is not None:
            self.send_named("disconnect", reason=reason)
        if self.closed:  # that DISCONNECT did not fit
            return
        self.closed = True
        self._queued.set()
        self._drained.set()
        self.hub.detach(self)
        self._cancel(self._reader_task)  # its clean-up lets the writer finish

    def abort(self):
        """Close at once, dropping what is queued (the peer does not read)."""
        self._queue = []
        self.queued_bytes = 0
        self.close()
        self._cancel(self._writer_task)

    def _cancel(self, task):
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    async def _write_loop(self):
        try:
            while True:
                await self._queued.wait()
                self._queued.clear()
                while self._queue:
                    frame = self._queue.pop(0)
                    self.queued_bytes -= len(frame)
                    self.writer.write(frame)
                    await self.writer.drain()
                    if self.queued_bytes <= QUEUE_LOW:
                        self._drained.set()
                if self.closed:
                    break
        except OSError:
            self.abort()

    # -- receiving ---------------------------------------------------------------------------

    async def run(self):
        """Serve the connection until it closes, times out or fails authentication."""
        if not self.hub.admit(self):
            self.closed = True
        else:
            self._reader_task = asyncio.current_task()
            self._writer_task = asyncio.create_task(self._write_loop())
            try:
                await self._receive()
            except (OSError, asyncio.CancelledError):
                pass
            self._reader_task = None
            self.close()
            try:
                await asyncio.wait_for_ms(self._writer_task, WRITE_GRACE_MS)
            except (asyncio.TimeoutError, asyncio.CancelledError, OSError):
                pass
            self.hub.release(self)
        try:
            self.writer.close()
            await self.writer.wait_closed()  # MicroPython closes the socket only here
        except OSError:
            pass

    async def _receive(self):
        now = time.ticks_ms()
        last_valid = now
        # TCP: from the connection; serial (opened before any host is there): from the first byte.
        handshake_start = now if self.transport == "tcp" else None
        while not self.closed:
            now = time.ticks_ms()
            if self.ready:
                remaining = self.receive_timeout_ms - time.ticks_diff(now, last_valid)
            elif handshake_start is not None:
                remaining = self.handshake_timeout_ms - time.ticks_diff(now, handshake_start)
            else:
                remaining = self.receive_timeout_ms
            if remaining <= 0:
                self.close(DISCONNECT_TIMEOUT)
                return
            try:
                data = await asyncio.wait_for_ms(self.reader.read(1024), remaining)
            except asyncio.TimeoutError:
                continue
            if not data:
                return
            if handshake_start is None:
                handshake_start = time.ticks_ms()
            if self.feed(data):
                last_valid = time.ticks_ms()

    def feed(self, data):
        """Process received bytes; return True if any frame among them was served.

        Every frame of one read is decoded with the state the decoder had before it (the key
        switch happens between reads), so frames that arrive with AUTH are never authenticated.
        """
        served = False
        for msg_type, seq, payload, authenticated in self.decoder.feed(data):
            if self.closed or self._rejected():
                break
            served = self._dispatch(msg_type, seq, payload, authenticated) or served
        self._rejected()
        return served

    def _rejected(self):
        """Close after MAX_AUTH_FAILURES refused frames; True once closed."""
        if not self.closed and self._rejections() >= MAX_AUTH_FAILURES:
            self.close(DISCONNECT_AUTH_FAILED)
        return self.closed

    def _rejections(self):
        d = self.decoder
        return d.auth_failures + d.replays + self._refused

    def _dispatch(self, msg_type, seq, payload, authenticated):
        """Act on one frame; True if it was served (it counts as a sign of life)."""
        trusted = self.psk is None or (authenticated and self._key is not None)
        handshake = msg_type in (_HELLO, _AUTH)
        try:
            fields = decode_payload(msg_type, payload)
        except MessageError:
            code = ERROR_MALFORMED if msg_type in SCHEMA else ERROR_UNKNOWN_TYPE
            if trusted and not handshake:
                self.error(msg_type, seq, code)
                return True
            self._refused += 1
            self.error(msg_type, seq, code if handshake else ERROR_NOT_AUTHENTICATED)
            return False
        if msg_type == _HELLO:
            return self._hello(fields)
        if msg_type == _AUTH:
            return self._auth(fields, seq)
        if trusted:
            self.hub.handle(self, msg_type, fields, seq)
            return True
        self._refuse(msg_type, seq)
        return False

    def _refuse(self, msg_type, seq):
        self._refused += 1
        self.error(msg_type, seq, ERROR_NOT_AUTHENTICATED)

    def _hello(self, hello):
        if self._hub_nonce is not None:
            self._refused += 1  # one handshake per connection
            return False
        self._hub_nonce = os.urandom(16)
        self._host_nonce = hello["nonce"]
        self._sealed = bool(self.psk) and bool(hello["capabilities"] & CAP_ENCRYPTION)
        keyed = CAP_AUTH_REQUIRED | CAP_ENCRYPTION if self.psk else 0
        capabilities = self.hub.capabilities | keyed
        self.send_named("hello", version=PROTOCOL_VERSION, min_version=MIN_PROTOCOL_VERSION,
                        role=_ROLE_HUB, capabilities=capabilities, nonce=self._hub_nonce,
                        name=self.hub.hub_id)
        version = min(hello["version"], PROTOCOL_VERSION)
        if version < max(hello["min_version"], MIN_PROTOCOL_VERSION):
            self.close(DISCONNECT_INCOMPATIBLE)
        elif self.psk is None:
            self._become_ready()
        return True

    def _auth(self, auth, seq):
        if self.psk is None:
            self.error(_AUTH, seq, ERROR_UNSUPPORTED)
            return True
        if self._key is not None or self._hub_nonce is None:
            self._refuse(_AUTH, seq)
            return False
        key = session_key(self.psk, self._hub_nonce, self._host_nonce)
        if not digest_equal(auth["proof"], proof(key, b"host")):
            self.send_named("auth_result", status=AUTH_BAD_KEY, proof=_ZERO_PROOF)
            self.close()
            return False
        self._activate_key(key)
        self.send_named("auth_result", status=AUTH_OK, proof=proof(key, b"hub"))
        self._become_ready()
        return True

    def _activate_key(self, key):
        """The session key takes effect: every later frame in both directions is sealed
        (a host without ENCRYPTION gets MAC'd frames; docs/protocol.md, "Encryption")."""
        if self._sealed:
            self._key, receive_key = link_keys(key, ROLE_HUB)
            self.decoder.set_key(receive_key)
        else:
            self._key = key
            self.decoder.set_key(key)

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
