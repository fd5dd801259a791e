"""Asyncio client of the BALANCE hub link (docs/protocol.md): TCP or serial.

A plain module without Home Assistant imports. One :class:`HubClient` talks to one hub:

* :meth:`HubClient.connect` opens one session (transport, HELLO, AUTH, HUB_INFO, node list)
  and raises :class:`HubError` subclasses when that fails;
* :meth:`HubClient.start` keeps the link up afterwards: keepalive (PING after
  ``keepalive_interval`` seconds without sending, close after ``receive_timeout`` seconds
  without a valid frame) and reconnect with exponential backoff and jitter; after an
  authentication or downgrade failure it keeps trying with a long backoff (``auth_retry``);
* requests (:meth:`request_hub_info`, :meth:`request_node_list`, :meth:`set_output`,
  :meth:`request_archive`, :meth:`ping`, :meth:`time_sync`) wait for their answer with a
  timeout; every received message is also given to the push listeners.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from .auth import HOST_LABEL, HUB_LABEL, link_keys, new_nonce, proof, session_key
from .frame import MAX_SEQ, DecoderStats, Frame, FrameDecoder, FrameKey, encode_frame
from .messages import (
    ALL_CHANNELS,
    ALL_NODES,
    MIN_PROTOCOL_VERSION,
    PROTOCOL_VERSION,
    ArchiveEnd,
    ArchiveRecords,
    ArchiveRequest,
    Auth,
    AuthResult,
    AuthStatus,
    Capability,
    Disconnect,
    DisconnectReason,
    Error,
    Hello,
    HubInfo,
    HubInfoRequest,
    Message,
    MessageError,
    NodeInfo,
    NodeListEnd,
    NodeListRequest,
    OutputAck,
    OutputLevelAck,
    OutputLevelSet,
    OutputSet,
    Ping,
    Pong,
    Role,
    StateRequest,
    TimeAck,
    TimeSync,
    decode_payload,
    encode_payload,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_PORT: Final = 6638
BAUDRATE: Final = 115200
KEEPALIVE_INTERVAL: Final = 20.0
RECEIVE_TIMEOUT: Final = 90.0
REQUEST_TIMEOUT: Final = 10.0
CONNECT_TIMEOUT: Final = 10.0
TIME_SYNC_INTERVAL: Final = 3600.0
BACKOFF_MIN: Final = 1.0
BACKOFF_MAX: Final = 60.0
BACKOFF_JITTER: Final = 0.2
BACKOFF_RESET_AFTER: Final = 60.0
AUTH_RETRY_MIN: Final = 60.0  # after HubAuthError / HubDowngradeError: 60 s, 120 s ... 15 min
AUTH_RETRY_MAX: Final = 900.0
MAX_RADIO_NODES: Final = 240  # protocol limits of a node list (docs/protocol.md)
MAX_RADIO_CHANNELS: Final = 720
HOST_CAPABILITIES: Final = (
    Capability.COUNTERS
    | Capability.OUTPUTS
    | Capability.ARCHIVE
    | Capability.GUARD
    | Capability.RADIO
    | Capability.SAFETY
    | Capability.TIME_SYNC
    | Capability.ENCRYPTION
)


class HubError(Exception):
    """Base of every error of the hub client."""


class HubConnectionError(HubError):
    """The hub cannot be reached, stopped answering or closed the link."""


class HubAuthError(HubError):
    """The pre-shared key is missing or wrong (or the hub failed to prove it knows it)."""

    def __init__(self, status: AuthStatus, message: str) -> None:
        """Keep the AUTH_RESULT status that explains the failure."""
        super().__init__(message)
        self.status = status


class HubDowngradeError(HubError):
    """The client has a key but the hub does not ask for authentication or does not encrypt.

    Either the hub lost its key (or runs firmware without encryption) or someone in between
    pretends to be a keyless or MAC-only hub; the client never talks plaintext or MAC-only with it.
    """


class HubIncompatibleError(HubError):
    """The hub speaks a protocol version this client cannot use."""

    def __init__(self, hub_version: int, hub_min_version: int) -> None:
        """Keep the hub's versions for the report."""
        super().__init__(
            f"hub protocol {hub_version} (min {hub_min_version}) is incompatible with "
            f"{PROTOCOL_VERSION} (min {MIN_PROTOCOL_VERSION})"
        )
        self.hub_version = hub_version
        self.hub_min_version = hub_min_version


class HubRequestError(HubError):
    """The hub answered a request with ERROR or refused it."""

    def __init__(self, message: str, code: int | None = None) -> None:
        """Keep the ERROR code (or OUTPUT_ACK result) for the caller."""
        super().__init__(message)
        self.code = code


@dataclass(slots=True)
class Backoff:
    """Exponential reconnect delays: 1, 2, 4 ... capped, with jitter (docs/protocol.md)."""

    minimum: float = BACKOFF_MIN
    maximum: float = BACKOFF_MAX
    jitter: float = BACKOFF_JITTER
    rng: random.Random = field(default_factory=random.Random)
    attempt: int = 0

    def next_delay(self) -> float:
        """Return the delay before the next attempt and advance."""
        base = min(self.maximum, self.minimum * (2.0 ** min(self.attempt, 30)))
        self.attempt += 1
        return base * (1.0 + self.jitter * (2.0 * self.rng.random() - 1.0))

    def reset(self) -> None:
        """Start again from the shortest delay."""
        self.attempt = 0


type MessageListener = Callable[[Message], None]
type ConnectionListener = Callable[[bool, HubError | None], None]
type Opener = Callable[[], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]


class _Waiter:
    """A pending request: collects the messages that answer it until the last one.

    ``match`` may raise HubRequestError to fail the request (an answer out of bounds).
    """

    __slots__ = ("done", "future", "items", "match", "ref_seq")

    def __init__(
        self,
        ref_seq: int,
        match: Callable[[Message], bool],
        done: Callable[[Message], bool],
    ) -> None:
        self.ref_seq = ref_seq
        self.match = match
        self.done = done
        self.items: list[Message] = []
        self.future: asyncio.Future[list[Message]] = asyncio.get_running_loop().create_future()


@dataclass(slots=True)
class _Session:
    """State of one connection."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    decoder: FrameDecoder
    key: FrameKey | None = None  # the send key once authenticated (sealed after AUTH)
    tx_seq: int = 0
    last_rx: float = 0.0
    last_tx: float = 0.0
    started: float = 0.0
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    error: HubError | None = None
    listing: _NodeListing | None = None  # the node list being read, if any


class _NodeListing:
    """NODE_INFO frames of one node list, within the protocol's limits."""

    def __init__(self) -> None:
        self.nodes: dict[int, NodeInfo] = {}
        self.frames = 0
        self.radio_channels = 0

    def add(self, info: NodeInfo) -> None:
        """Keep one NODE_INFO; raise HubRequestError past 240 radio nodes or 720 channels."""
        self.frames += 1
        if info.node_id in self.nodes:
            raise HubRequestError(f"node {info.node_id} listed twice")
        if info.node_id != 0:
            self.radio_channels += len(info.channels)
            if len(self.nodes) - (0 in self.nodes) >= MAX_RADIO_NODES:
                raise HubRequestError(f"node list longer than {MAX_RADIO_NODES} radio nodes")
            if self.radio_channels > MAX_RADIO_CHANNELS:
                raise HubRequestError(f"node list has over {MAX_RADIO_CHANNELS} channels")
        self.nodes[info.node_id] = info

    def finish(self, end: NodeListEnd) -> list[NodeInfo]:
        """Check NODE_LIST_END's count against what arrived."""
        if end.count != self.frames:
            raise HubRequestError(f"node list ended at {end.count} nodes, {self.frames} came")
        return list(self.nodes.values())


class HubClient:
    """Client of one BALANCE hub over TCP (``host``/``port``) or serial (``device``)."""

    def __init__(
        self,
        *,
        host: str | None = None,
        port: int = DEFAULT_PORT,
        device: str | None = None,
        psk: bytes | None = None,
        name: str = "Home Assistant",
        keepalive_interval: float | None = None,
        receive_timeout: float | None = None,
        request_timeout: float | None = None,
        connect_timeout: float | None = None,
        time_sync_interval: float | None = None,
        backoff: Backoff | None = None,
        auth_retry: float | None = None,
        opener: Opener | None = None,
    ) -> None:
        """Describe the hub; nothing is opened before :meth:`connect`."""
        if opener is None and (host is None) == (device is None):
            raise ValueError("give either host or device")
        self.host = host
        self.port = port
        self.device = device
        self.psk = psk
        self.name = name
        # None: the module defaults (docs/protocol.md), read now so tests can shorten them.
        self.keepalive_interval = keepalive_interval or KEEPALIVE_INTERVAL
        self.receive_timeout = receive_timeout or RECEIVE_TIMEOUT
        self.request_timeout = request_timeout or REQUEST_TIMEOUT
        self.connect_timeout = connect_timeout or CONNECT_TIMEOUT
        self.time_sync_interval = time_sync_interval or TIME_SYNC_INTERVAL
        self.backoff = backoff or Backoff()
        self.auth_retry = auth_retry or AUTH_RETRY_MIN
        self._opener = opener
        self.hub_hello: Hello | None = None
        self.hub_info: HubInfo | None = None
        self.nodes: dict[int, NodeInfo] = {}
        self.session_version: int | None = None
        self.connects = 0
        self.disconnects = 0
        self.last_error: HubError | None = None
        self._session: _Session | None = None
        self._waiters: list[_Waiter] = []
        self._listeners: list[MessageListener] = []
        self._connection_listeners: list[ConnectionListener] = []
        self._ids = itertools.count(random.randrange(0x10000))
        self._supervisor: asyncio.Task[None] | None = None
        self._stopping = False
        self._auth_failures = 0
        self._totals = DecoderStats()

    # ----------------------------------------------------------------- properties

    @property
    def connected(self) -> bool:
        """True while a session is up (handshake done, not closed)."""
        return self._session is not None and not self._session.closed.is_set()

    @property
    def authenticated(self) -> bool:
        """True when the current session runs with a session key."""
        return self._session is not None and self._session.key is not None

    @property
    def stopping(self) -> bool:
        """True once :meth:`disconnect` was called (no more reconnects)."""
        return self._stopping

    @property
    def target(self) -> str:
        """Human readable address of the hub."""
        if self.device is not None:
            return self.device
        return f"{self.host}:{self.port}"

    @property
    def stats(self) -> DecoderStats:
        """Decoder counters summed over every session (monotonic)."""
        total = DecoderStats(**{k: getattr(self._totals, k) for k in _STAT_FIELDS})
        if self._session is not None:
            _add_stats(total, self._session.decoder.stats)
        return total

    # ------------------------------------------------------------------ listeners

    def add_listener(self, listener: MessageListener) -> Callable[[], None]:
        """Call ``listener`` with every message received; return the unsubscribe callable."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def add_connection_listener(self, listener: ConnectionListener) -> Callable[[], None]:
        """Call ``listener(True, None)`` after each (re)connect, ``(False, error)`` on loss."""
        self._connection_listeners.append(listener)
        return lambda: self._connection_listeners.remove(listener)

    # ----------------------------------------------------------------- connection

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._opener is not None:
            return await self._opener()
        if self.device is not None:
            import serial_asyncio_fast  # noqa: PLC0415 - only serial links need it

            return await serial_asyncio_fast.open_serial_connection(
                url=self.device, baudrate=BAUDRATE
            )
        return await asyncio.open_connection(self.host, self.port)

    async def connect(self) -> HubInfo:
        """Open one session: transport, handshake, HUB_INFO and node list.

        Raises HubConnectionError, HubAuthError, HubDowngradeError or HubIncompatibleError.
        """
        if self.connected:
            raise HubError("already connected")
        try:
            async with asyncio.timeout(self.connect_timeout):
                reader, writer = await self._open()
        except (OSError, TimeoutError) as err:
            raise HubConnectionError(f"cannot open {self.target}: {err}") from err
        except Exception as err:  # serial exceptions are not OSError subclasses
            raise HubConnectionError(f"cannot open {self.target}: {err}") from err
        loop = asyncio.get_running_loop()
        session = _Session(reader, writer, FrameDecoder(), started=loop.time())
        session.last_rx = session.last_tx = loop.time()
        try:
            async with asyncio.timeout(self.connect_timeout):
                after_handshake = await self._handshake(session)
            self._session = session
            for frame in after_handshake:  # came in the same read as the handshake's end
                self._receive(session, frame)
            session.tasks.append(asyncio.create_task(self._read_loop(session)))
            session.tasks.append(asyncio.create_task(self._keepalive_loop(session)))
            self.hub_info = await self.request_hub_info()
            self.nodes = {node.node_id: node for node in await self.request_node_list()}
        except TimeoutError as err:
            await self._close(session, HubConnectionError("handshake timed out"))
            raise HubConnectionError(f"{self.target}: handshake timed out") from err
        except HubError as err:
            await self._close(session, err)
            raise
        except OSError as err:
            await self._close(session, HubConnectionError(str(err)))
            raise HubConnectionError(f"{self.target}: {err}") from err
        if self._session is not session or session.closed.is_set():
            raise session.error or HubConnectionError("link closed during setup")
        self.connects += 1
        self.last_error = None
        if self.hub_hello is not None and self.hub_hello.capabilities & Capability.TIME_SYNC:
            await self.time_sync()
        return self.hub_info

    async def _handshake(self, session: _Session) -> list[Frame]:
        """HELLO and, with a key, AUTH; return the session's frames read after the last step."""
        host_nonce = new_nonce()
        self._write(
            session,
            Hello(PROTOCOL_VERSION, MIN_PROTOCOL_VERSION, Role.HOST, HOST_CAPABILITIES,
                  host_nonce, self.name),
        )  # fmt: skip
        hello, after_hello = await self._read_handshake(session, Hello, session.decoder)
        if hello.role != Role.HUB:
            raise HubConnectionError("peer is not a hub")
        version = min(PROTOCOL_VERSION, hello.version)
        if version < max(MIN_PROTOCOL_VERSION, hello.min_version):
            self._write(session, Disconnect(DisconnectReason.INCOMPATIBLE))
            raise HubIncompatibleError(hello.version, hello.min_version)
        self.hub_hello = hello
        self.session_version = version
        if not hello.capabilities & Capability.AUTH_REQUIRED:
            if self.psk is not None:
                self._write(session, Disconnect(DisconnectReason.AUTH_FAILED))
                raise HubDowngradeError(
                    f"{self.target} does not require the key it was set up with"
                )
            return after_hello
        if self.psk is None:
            self._write(session, Disconnect(DisconnectReason.AUTH_FAILED))
            raise HubAuthError(AuthStatus.KEY_REQUIRED, "the hub requires a key")
        if not hello.capabilities & Capability.ENCRYPTION:
            self._write(session, Disconnect(DisconnectReason.AUTH_FAILED))
            raise HubDowngradeError(f"{self.target} does not encrypt the link")
        key = session_key(self.psk, hello.nonce, host_nonce)
        self._write(session, Auth(proof(key, HOST_LABEL)))
        plain = session.decoder  # frames that came with HELLO are unauthenticated: dropped
        self._activate_key(session, key)
        # The verdict is authenticated on success and plain on failure: read both ways.
        result, after_result = await self._read_handshake(
            session, AuthResult, plain, session.decoder
        )
        if result.status != AuthStatus.OK:
            raise HubAuthError(AuthStatus(result.status), "the hub refused the key")
        if result.proof != proof(key, HUB_LABEL):
            raise HubAuthError(AuthStatus.BAD_KEY, "the hub could not prove it knows the key")
        return after_result

    def _activate_key(self, session: _Session, key: bytes) -> None:
        """The session key takes effect: every later frame either way is sealed."""
        send_key, receive_key = link_keys(key, Role.HOST)
        session.key = send_key
        session.decoder = FrameDecoder(key=receive_key)

    async def _read_handshake[M: Message](
        self, session: _Session, wanted: type[M], plain: FrameDecoder,
        keyed: FrameDecoder | None = None,
    ) -> tuple[M, list[Frame]]:  # fmt: skip
        """Read until a ``wanted`` message arrives (plain or, after AUTH, authenticated).

        Returns it with the frames the session's decoder read after it in the same read;
        plain frames that came with an AUTH_RESULT are never returned.
        """
        while True:
            data = await session.reader.read(4096)
            if not data:
                raise HubConnectionError("the hub closed the link during the handshake")
            decoded = [(keyed, keyed.feed(data))] if keyed is not None else []
            decoded.append((plain, plain.feed(data)))
            for decoder, frames in decoded:
                verified = keyed is None or decoder is keyed
                for index, frame in enumerate(frames):
                    message = self._handshake_message(frame, verified=verified)
                    if isinstance(message, wanted):
                        keep = decoder is session.decoder
                        return message, frames[index + 1 :] if keep else []

    def _handshake_message(self, frame: Frame, *, verified: bool) -> Message | None:
        """Decode a handshake frame; raise for DISCONNECT and ERROR(NOT_AUTHENTICATED).

        A plain DISCONNECT or ERROR after a keyed hub's HELLO (``verified`` false) may be forged:
        it only fails this attempt as a connection error, never as incompatibility or a key
        failure.
        """
        message = self._decode(frame)
        if not verified and isinstance(message, Disconnect | Error):
            raise HubConnectionError(f"unauthenticated {message} during the handshake")
        if isinstance(message, Disconnect):
            if message.reason == DisconnectReason.INCOMPATIBLE:
                raise HubIncompatibleError(-1, -1)
            raise HubConnectionError(f"hub disconnected ({message.reason})")
        if isinstance(message, Error) and message.code == 3:
            raise HubAuthError(AuthStatus.KEY_REQUIRED, "the hub requires a key")
        return message

    def _decode(self, frame: Frame) -> Message | None:
        try:
            return decode_payload(frame.type, frame.payload)
        except MessageError as err:
            _LOGGER.debug("Ignoring malformed frame type 0x%02x: %s", frame.type, err)
            return None

    def _write(self, session: _Session, message: Message) -> int:
        seq = session.tx_seq
        if seq >= MAX_SEQ:  # a new session has new keys (docs/protocol.md)
            error = HubConnectionError("sequence numbers exhausted")
            self._close_soon(session, error)
            raise error
        session.tx_seq += 1
        session.writer.write(encode_frame(message.TYPE, seq, encode_payload(message), session.key))
        session.last_tx = asyncio.get_running_loop().time()
        return seq

    async def send(self, message: Message) -> int:
        """Send one message; return its sequence number. Raises HubConnectionError."""
        session = self._require_session()
        try:
            seq = self._write(session, message)
            await session.writer.drain()
        except OSError as err:
            raise HubConnectionError(f"send failed: {err}") from err
        return seq

    def _require_session(self) -> _Session:
        session = self._session
        if session is None or session.closed.is_set():
            raise HubConnectionError("not connected")
        return session

    async def request(
        self,
        message: Message,
        match: Callable[[Message], bool],
        done: Callable[[Message], bool] | None = None,
        answer_timeout: float | None = None,
    ) -> list[Message]:
        """Send ``message`` and collect the answers ``match`` accepts until ``done`` is true.

        An ERROR that refers to the request raises HubRequestError; a lost link
        HubConnectionError; no answer in time HubConnectionError too.
        """
        session = self._require_session()
        waiter = _Waiter(session.tx_seq, match, done or match)
        self._waiters.append(waiter)
        try:
            await self.send(message)
            async with asyncio.timeout(answer_timeout or self.request_timeout):
                return await waiter.future
        except TimeoutError as err:
            raise HubConnectionError(f"no answer to {type(message).__name__}") from err
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)

    # ------------------------------------------------------------------- requests

    async def request_hub_info(self) -> HubInfo:
        """Ask for HUB_INFO."""
        (info,) = await self.request(HubInfoRequest(), lambda m: isinstance(m, HubInfo))
        assert isinstance(info, HubInfo)
        self.hub_info = info
        return info

    async def request_node_list(self) -> list[NodeInfo]:
        """Ask for the node inventory (NODE_INFO ... NODE_LIST_END).

        NODE_INFO is kept only while a list is read, within the protocol's limits (240 radio
        nodes, 720 channels); NODE_LIST_END must count what came. Raises HubRequestError.
        """
        session = self._require_session()
        if session.listing is not None:
            raise HubRequestError("a node list is already being read")
        listing = session.listing = _NodeListing()

        def collect(message: Message) -> bool:
            if isinstance(message, NodeInfo):
                listing.add(message)
            return isinstance(message, NodeListEnd)

        try:
            (end,) = await self.request(NodeListRequest(), collect)
        finally:
            session.listing = None
        assert isinstance(end, NodeListEnd)
        nodes = listing.finish(end)
        self.nodes = {node.node_id: node for node in nodes}
        return nodes

    async def request_state(self) -> None:
        """Ask the hub to push COUNTERS, NODE_STATUS, OUTPUT_STATE and active ALARMs."""
        await self.send(StateRequest())

    async def set_output(self, node_id: int, output: int, state: bool) -> OutputAck:
        """Switch a contactor output; return the hub's acknowledgement (state reached)."""
        cmd_id = next(self._ids) & 0xFFFF
        (ack,) = await self.request(
            OutputSet(cmd_id, node_id, output, int(state)),
            lambda m: isinstance(m, OutputAck) and m.cmd_id == cmd_id,
        )
        assert isinstance(ack, OutputAck)
        return ack

    async def set_output_level(self, node_id: int, output: int, milliamps: int) -> OutputLevelAck:
        """Set an output's current limit; return the hub's acknowledgement (limit in force)."""
        cmd_id = next(self._ids) & 0xFFFF
        (ack,) = await self.request(
            OutputLevelSet(cmd_id, node_id, output, milliamps),
            lambda m: isinstance(m, OutputLevelAck) and m.cmd_id == cmd_id,
        )
        assert isinstance(ack, OutputLevelAck)
        return ack

    async def request_archive(
        self, node_id: int, channel: int, start: int, end: int
    ) -> list[ArchiveRecords]:
        """Fetch the hourly archive in [start, end) (unix seconds, hour aligned).

        Returns the ARCHIVE_RECORDS frames in order; raises HubRequestError when the
        hub is busy (ARCHIVE_END status 2) or sends more values than the range can hold.
        """
        req_id = next(self._ids) & 0xFFFF
        hours = max(1, (end - start) // 3600)
        if node_id == ALL_NODES:
            channels = MAX_RADIO_CHANNELS + 0xFF  # the radio nodes' and the hub's own inputs
        else:
            channels = 0xFF if channel == ALL_CHANNELS else 1
        limit = (hours + 1) * channels
        received = 0

        def collect(message: Message) -> bool:
            nonlocal received
            if not isinstance(message, ArchiveRecords | ArchiveEnd) or message.req_id != req_id:
                return False
            if isinstance(message, ArchiveRecords):
                received += len(message.values)
                if received > limit:
                    raise HubRequestError(f"archive answer longer than {limit} values")
            return True

        answers = await self.request(
            ArchiveRequest(req_id, node_id, channel, start, end),
            collect,
            lambda m: isinstance(m, ArchiveEnd),
            answer_timeout=self.request_timeout + hours / 100,
        )
        final = answers[-1]
        assert isinstance(final, ArchiveEnd)
        if final.status == 2:
            raise HubRequestError("the hub archive is busy", 2)
        return [m for m in answers if isinstance(m, ArchiveRecords)]

    async def ping(self) -> float:
        """Send PING and wait for PONG; return the round-trip time in seconds."""
        token = next(self._ids) & 0xFFFFFFFF
        start = time.monotonic()
        await self.request(Ping(token), lambda m: isinstance(m, Pong) and m.token == token)
        return time.monotonic() - start

    async def time_sync(self, now: float | None = None) -> TimeAck:
        """Set the hub clock; return TIME_ACK."""
        now = time.time() if now is None else now
        (ack,) = await self.request(
            TimeSync(int(now), int(now * 1000) % 1000), lambda m: isinstance(m, TimeAck)
        )
        assert isinstance(ack, TimeAck)
        return ack

    # -------------------------------------------------------------- session tasks

    async def _read_loop(self, session: _Session) -> None:
        error: HubError = HubConnectionError("the hub closed the link")
        try:
            while True:
                data = await session.reader.read(4096)
                if not data:
                    break
                for frame in session.decoder.feed(data):
                    self._receive(session, frame)
                if session.key is not None and session.decoder.stats.auth_failures > 64:
                    error = HubConnectionError("too many unauthenticated frames")
                    break
        except OSError as err:
            error = HubConnectionError(f"link error: {err}")
        except Exception as err:  # serial errors do not derive from OSError
            error = HubConnectionError(f"link error: {err}")
        self._close_soon(session, error)

    def _receive(self, session: _Session, frame: Frame) -> None:
        session.last_rx = asyncio.get_running_loop().time()
        message = self._decode(frame)
        if message is not None:
            self._dispatch(session, message, frame.seq)

    def _dispatch(self, session: _Session, message: Message, seq: int) -> None:
        if isinstance(message, Ping):
            with contextlib.suppress(HubError, OSError):
                self._write(session, Pong(message.token))
        elif isinstance(message, Disconnect):
            self._close_soon(session, HubConnectionError(f"hub disconnected ({message.reason})"))
            return
        for waiter in list(self._waiters):
            if waiter.future.done():
                continue
            if isinstance(message, Error) and message.ref_seq == waiter.ref_seq:
                waiter.future.set_exception(
                    HubRequestError(f"hub error {message.code}", message.code)
                )
                continue
            try:
                matched = waiter.match(message)
            except HubRequestError as err:
                waiter.future.set_exception(err)
                continue
            if matched:
                waiter.items.append(message)
                if waiter.done(message):
                    waiter.future.set_result(waiter.items)
        for listener in list(self._listeners):
            try:
                listener(message)
            except Exception:
                _LOGGER.exception("Error in hub message listener")

    async def _keepalive_loop(self, session: _Session) -> None:
        loop = asyncio.get_running_loop()
        next_sync = loop.time() + self.time_sync_interval
        while not session.closed.is_set():
            now = loop.time()
            if now - session.last_rx >= self.receive_timeout:
                with contextlib.suppress(HubError, OSError):
                    self._write(session, Disconnect(DisconnectReason.TIMEOUT))
                self._close_soon(session, HubConnectionError("no frame from the hub in time"))
                return
            if now - session.last_tx >= self.keepalive_interval:
                with contextlib.suppress(HubError, OSError):
                    self._write(session, Ping(next(self._ids) & 0xFFFFFFFF))
            if now >= next_sync and self.hub_hello is not None:
                next_sync = now + self.time_sync_interval
                if self.hub_hello.capabilities & Capability.TIME_SYNC:
                    with contextlib.suppress(HubError, OSError):
                        ts = time.time()
                        self._write(session, TimeSync(int(ts), int(ts * 1000) % 1000))
            now = loop.time()
            wake = min(
                session.last_rx + self.receive_timeout,
                session.last_tx + self.keepalive_interval,
                next_sync,
            )
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.01, wake - now)):
                    await session.closed.wait()

    def _close_soon(self, session: _Session, error: HubError) -> None:
        if session.closed.is_set():
            return
        session.error = error
        session.closed.set()
        session.writer.close()
        for waiter in self._waiters:
            if not waiter.future.done():
                waiter.future.set_exception(error)
        current = asyncio.current_task()
        for task in session.tasks:
            if task is not current:
                task.cancel()
        if self._session is session:
            _add_stats(self._totals, session.decoder.stats)
            self._session = None
            self.disconnects += 1
            self.last_error = error
            self._notify(False, error)

    async def _close(self, session: _Session, error: HubError) -> None:
        tasks = list(session.tasks)
        self._close_soon(session, error)
        session.writer.close()
        current = asyncio.current_task()
        for task in tasks:
            if task is not current:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        with contextlib.suppress(Exception):
            await session.writer.wait_closed()

    def _notify(self, connected: bool, error: HubError | None) -> None:
        for listener in list(self._connection_listeners):
            try:
                listener(connected, error)
            except Exception:
                _LOGGER.exception("Error in hub connection listener")

    # ------------------------------------------------------------------ supervision

    def start(self) -> None:
        """Keep the link up from now on (call after a successful :meth:`connect`)."""
        self._stopping = False
        if self._supervisor is None or self._supervisor.done():
            self._supervisor = asyncio.create_task(self._supervise(), name="balance-hub-link")

    async def _supervise(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping:
            session = self._session
            if session is not None:
                await session.closed.wait()
                if loop.time() - session.started >= BACKOFF_RESET_AFTER:
                    self.backoff.reset()
            await asyncio.sleep(self._retry_delay())
            if self.stopping:
                return
            try:
                await self.connect()
            except (HubAuthError, HubDowngradeError) as err:
                # A forged verdict must not end the link for good: retry, but seldom.
                self._auth_failures += 1
                self.last_error = err
                _LOGGER.warning("Reconnect to %s refused: %s", self.target, err)
                self._notify(False, err)
            except HubError as err:
                self.last_error = err
                _LOGGER.debug("Reconnect to %s failed: %s", self.target, err)
            else:
                self._auth_failures = 0
                self._notify(True, None)

    def _retry_delay(self) -> float:
        """The next reconnect delay; long (auth_retry, doubling to 15 min) after auth failures."""
        delay = self.backoff.next_delay()
        if self._auth_failures:
            base = min(AUTH_RETRY_MAX, self.auth_retry * 2.0 ** min(self._auth_failures - 1, 30))
            delay = max(delay, base * (1.0 + BACKOFF_JITTER * (2.0 * random.random() - 1.0)))
        return delay

    async def disconnect(self) -> None:
        """Stop reconnecting and close the link (sends DISCONNECT(NORMAL))."""
        self._stopping = True
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
            self._supervisor = None
        session = self._session
        if session is not None:
            with contextlib.suppress(HubError, OSError):
                self._write(session, Disconnect(DisconnectReason.NORMAL))
                await session.writer.drain()
            await self._close(session, HubConnectionError("closed by the host"))


_STAT_FIELDS: Final = ("frames", "bytes_skipped", "crc_errors", "auth_failures", "replays")


def _add_stats(total: DecoderStats, more: DecoderStats) -> None:
    for name in _STAT_FIELDS:
        setattr(total, name, getattr(total, name) + getattr(more, name))


def describe(message: Message) -> dict[str, Any]:
    """Return a message as a plain dict (for diagnostics and logs)."""
    data = asdict(message)
    data["type"] = type(message).__name__
    return data
