"""OpenADR 3.1 MQTT notifier binding: event notifications pushed through the VTN's broker.

The VEN asks the VTN for its notifier bindings (`GET /notifiers`) and the event topics of each
program (`GET /notifiers/mqtt/topics/programs/{id}/events`), connects to the broker (MQTT 3.1.1,
`mqtts://`, or `mqtt://` to this machine only), subscribes at QoS 1 and hands every message to
`Ven.apply_notification`. Polling stays on as the fallback. A small client of its own (no
dependency): CONNECT, SUBSCRIBE, PUBLISH in and out, PUBACK, PINGREQ, DISCONNECT.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
import struct
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .errors import InsecureUrlError, OpenAdrError
from .parse import normalise
from .transport import client_tls_context, is_loopback, tls_context

if TYPE_CHECKING:
    from .ven import Ven

_LOGGER = logging.getLogger(__name__)

CONNECT, CONNACK, PUBLISH, PUBACK = 1, 2, 3, 4
SUBSCRIBE, SUBACK, PINGREQ, PINGRESP, DISCONNECT = 8, 9, 12, 13, 14
MAX_PACKET = 256 * 1024  # a notification is one event object: far below this
KEEPALIVE_S = 60
TIMEOUT_S = 10.0
BACKOFF_S = (1.0, 2.0, 5.0, 15.0, 30.0, 60.0)
CONNACK_REASONS = {
    1: "unacceptable protocol version",
    2: "client id rejected",
    3: "broker unavailable",
    4: "bad user name or password",
    5: "not authorised",
}


class MqttError(OpenAdrError):
    """The broker refused us, or sent something that is not MQTT 3.1.1."""


@dataclass(frozen=True, slots=True)
class MqttBinding:
    """The VTN's MQTT notifier: broker URIs and how to authenticate."""

    uris: tuple[str, ...]
    method: str  # ANONYMOUS | OAUTH2_BEARER_TOKEN | CERTIFICATE
    username: str | None = None
    certificate: ClientCertificate | None = None  # CERTIFICATE: the mTLS credentials


@dataclass(frozen=True, slots=True)
class ClientCertificate:
    """CERTIFICATE authentication: the broker's CA, our client certificate and its key."""

    ca_pem: str
    cert_pem: str
    key_pem: str = field(repr=False)


def parse_binding(body: Any) -> MqttBinding | None:
    """The MQTT binding of a `GET /notifiers` answer, or None if the VTN offers none."""
    data = normalise(body)
    mqtt = data.get("MQTT") if isinstance(data, dict) else None
    if not isinstance(mqtt, dict):
        return None
    uris = mqtt.get("URIS")
    auth = mqtt.get("authentication")
    if not isinstance(uris, list) or not isinstance(auth, dict):
        return None
    method = auth.get("method")
    username = auth.get("username")
    clean = tuple(uri for uri in uris if isinstance(uri, str) and uri)
    if not clean or not isinstance(method, str):
        return None
    certificate = None
    if method.upper() == "CERTIFICATE":
        parts = [auth.get(key) for key in ("caCert", "clientCert", "clientKey")]
        if not all(isinstance(part, str) and part for part in parts):
            return None  # not usable: polling only
        certificate = ClientCertificate(*(str(part) for part in parts))
    return MqttBinding(
        clean, method.upper(), username if isinstance(username, str) else None, certificate
    )


def broker_address(uri: str) -> tuple[str, int, bool]:
    """Host, port and TLS of a broker URI; plain MQTT only to this machine."""
    parts = urlsplit(uri)
    host = parts.hostname or ""
    if parts.scheme not in {"mqtt", "mqtts", "tcp", "ssl"} or not host:
        raise InsecureUrlError(f"not an MQTT broker URI: {uri}")
    secure = parts.scheme in {"mqtts", "ssl"}
    if not secure and not is_loopback(host):
        raise InsecureUrlError(f"plain MQTT is only allowed to this machine: {uri}")
    return host, parts.port or (8883 if secure else 1883), secure


# -- packets ----------------------------------------------------------------------------------


def _remaining_length(size: int) -> bytes:
    out = bytearray()
    while True:
        byte, size = size % 128, size // 128
        out.append(byte | (0x80 if size else 0))
        if not size:
            return bytes(out)


def _text(value: str) -> bytes:
    raw = value.encode()
    return struct.pack("!H", len(raw)) + raw


def _packet(kind: int, flags: int, body: bytes) -> bytes:
    return bytes([kind << 4 | flags]) + _remaining_length(len(body)) + body


def connect_packet(client_id: str, username: str | None, password: str | None) -> bytes:
    """CONNECT with a clean session, the keep-alive and optional credentials."""
    flags = 0x02 | (0x80 if username is not None else 0) | (0x40 if password is not None else 0)
    body = _text("MQTT") + bytes([4, flags]) + struct.pack("!H", KEEPALIVE_S) + _text(client_id)
    if username is not None:
        body += _text(username)
    if password is not None:
        body += _text(password)
    return _packet(CONNECT, 0, body)


def subscribe_packet(packet_id: int, topics: list[str]) -> bytes:
    """SUBSCRIBE to every topic at QoS 1."""
    body = struct.pack("!H", packet_id) + b"".join(_text(topic) + b"\x01" for topic in topics)
    return _packet(SUBSCRIBE, 0x02, body)


def publish_packet(topic: str, payload: bytes) -> bytes:
    """PUBLISH at QoS 0 (what the test VTN sends)."""
    return _packet(PUBLISH, 0, _text(topic) + payload)


def parse_publish(flags: int, body: bytes) -> tuple[str, bytes, int | None]:
    """Topic, payload and (QoS 1/2) packet id of a PUBLISH body."""
    if len(body) < 2:
        raise MqttError("PUBLISH too short")
    (size,) = struct.unpack_from("!H", body)
    end = 2 + size
    qos = (flags >> 1) & 0x03
    if qos == 3 or len(body) < end + (2 if qos else 0):
        raise MqttError("malformed PUBLISH")
    try:
        topic = body[2:end].decode()
    except UnicodeDecodeError as err:
        raise MqttError("PUBLISH topic is not UTF-8") from err
    if not qos:
        return topic, body[end:], None
    (packet_id,) = struct.unpack_from("!H", body, end)
    return topic, body[end + 2 :], packet_id


async def read_packet(reader: asyncio.StreamReader) -> tuple[int, int, bytes]:
    """One packet: type, flags, body. Oversized or truncated packets are errors."""
    header = await reader.readexactly(1)
    size, shift = 0, 0
    for _ in range(4):
        (byte,) = await reader.readexactly(1)
        size |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    else:
        raise MqttError("remaining length longer than 4 bytes")
    if size > MAX_PACKET:
        raise MqttError(f"packet of {size} bytes refused")
    return header[0] >> 4, header[0] & 0x0F, await reader.readexactly(size)


# -- connection --------------------------------------------------------------------------------


class MqttConnection:
    """One session with a broker."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Wrap an open stream (see `open`)."""
        self._reader = reader
        self._writer = writer
        self._next_id = 0
        self._pinger: asyncio.Task[None] | None = None

    def abort(self) -> None:
        """Close at once (from synchronous code); a pending read ends."""
        self._writer.close()

    @classmethod
    async def open(
        cls,
        uri: str,
        *,
        client_id: str,
        username: str | None = None,
        password: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> MqttConnection:
        """Connect and log in; raises MqttError (refused) or OSError/TimeoutError."""
        host, port, secure = broker_address(uri)
        context = (ssl_context or tls_context()) if secure else None
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=context), TIMEOUT_S
        )
        connection = cls(reader, writer)
        try:
            writer.write(connect_packet(client_id, username, password))
            await writer.drain()
            kind, _, body = await asyncio.wait_for(read_packet(reader), TIMEOUT_S)
            if kind != CONNACK or len(body) != 2:
                raise MqttError("the broker did not answer CONNECT")
            if body[1]:
                raise MqttError(f"broker refused: {CONNACK_REASONS.get(body[1], body[1])}")
        except BaseException:
            await connection.close()
            raise
        connection._pinger = asyncio.create_task(connection._ping())
        return connection

    def _packet_id(self) -> int:
        self._next_id = self._next_id % 0xFFFF + 1
        return self._next_id

    async def subscribe(self, topics: list[str]) -> None:
        """Subscribe at QoS 1 and wait for the grant; a refused topic is an error."""
        self._writer.write(subscribe_packet(self._packet_id(), topics))
        await self._writer.drain()
        kind, _, body = await asyncio.wait_for(read_packet(self._reader), TIMEOUT_S)
        if kind != SUBACK or len(body) != 2 + len(topics):
            raise MqttError("the broker did not answer SUBSCRIBE")
        if 0x80 in body[2:]:
            raise MqttError("the broker refused a topic")

    async def publish(self, topic: str, payload: bytes) -> None:
        """Publish at QoS 0."""
        self._writer.write(publish_packet(topic, payload))
        await self._writer.drain()

    async def messages(self) -> AsyncIterator[tuple[str, bytes]]:
        """Every PUBLISH received (QoS 1 acknowledged) until the connection ends."""
        while True:
            kind, flags, body = await read_packet(self._reader)
            if kind == PUBLISH:
                topic, payload, packet_id = parse_publish(flags, body)
                if packet_id is not None:
                    self._writer.write(_packet(PUBACK, 0, struct.pack("!H", packet_id)))
                yield topic, payload
            elif kind not in {PINGRESP, PUBACK, SUBACK}:
                raise MqttError(f"unexpected packet type {kind}")

    async def _ping(self) -> None:
        with contextlib.suppress(OSError, ConnectionError):
            while True:
                await asyncio.sleep(KEEPALIVE_S / 2)
                self._writer.write(_packet(PINGREQ, 0, b""))
                await self._writer.drain()

    async def close(self) -> None:
        """Say DISCONNECT (if still possible) and close."""
        if self._pinger is not None:
            self._pinger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pinger
        with contextlib.suppress(OSError, ConnectionError, RuntimeError):
            self._writer.write(_packet(DISCONNECT, 0, b""))
            await self._writer.drain()
        self._writer.close()
        with contextlib.suppress(OSError, ConnectionError, ssl.SSLError):
            await self._writer.wait_closed()


# -- notifier ----------------------------------------------------------------------------------


@dataclass(slots=True)
class MqttStats:
    """Counters for the entities and the benchmark."""

    connects: int = 0
    messages: int = 0
    applied: int = 0
    rejected: int = 0


class MqttNotifier:
    """Keeps a VEN subscribed to its programs' event topics on the VTN's broker."""

    def __init__(self, ven: Ven, deliver: Callable[[Any], bool] | None = None) -> None:
        """Bind to a started VEN (its programs are known).

        `deliver` applies a decoded notification (default `ven.apply_notification`; the HA
        layer passes its own, which also applies the new directive to the house).
        """
        self._ven = ven
        self._deliver_to = deliver or ven.apply_notification
        self._stop = asyncio.Event()
        self.binding: MqttBinding | None = None
        self.topics: list[str] = []
        self.connected = False
        self.stats = MqttStats()
        self._connection: MqttConnection | None = None

    async def discover(self) -> bool:
        """Ask the VTN for its MQTT binding and event topics; False if it offers none."""
        if self._ven.api.is_301:
            return False  # the MQTT binding is new in 3.1.0
        self.binding = parse_binding(await self._ven.http.request("GET", "notifiers"))
        if self.binding is None:
            return False
        topics: list[str] = []
        for program_id in self._ven.programs:
            answer = normalise(
                await self._ven.http.request(
                    "GET", f"notifiers/mqtt/topics/programs/{program_id}/events"
                )
            )
            found = answer.get("topics") if isinstance(answer, dict) else None
            if not isinstance(found, dict):
                continue
            if isinstance(found.get("ALL"), str):
                topics.append(found["ALL"])
            else:
                topics.extend(
                    found[op]
                    for op in ("CREATE", "UPDATE", "DELETE")
                    if isinstance(found.get(op), str)
                )
        self.topics = list(dict.fromkeys(topics))
        return bool(self.topics)

    async def _credentials(self) -> tuple[str | None, str | None]:
        binding = self.binding
        if binding is None or binding.method != "OAUTH2_BEARER_TOKEN":
            return None, None
        username = (binding.username or "{clientID}").replace(
            "{clientID}", self._ven.config.client_id
        )
        return username, await self._ven.tokens.token()

    async def _tls(self) -> ssl.SSLContext:
        """The broker connection's TLS: with CERTIFICATE, our client certificate too."""
        ca_pem = self._ven.config.ca_pem
        certificate = self.binding.certificate if self.binding is not None else None
        if certificate is None:
            return tls_context(ca_pem)
        return await asyncio.get_running_loop().run_in_executor(
            None,
            client_tls_context,
            ca_pem,
            certificate.ca_pem,
            certificate.cert_pem,
            certificate.key_pem,
        )

    async def _session(self) -> None:
        assert self.binding is not None
        username, password = await self._credentials()
        connection = await MqttConnection.open(
            self.binding.uris[0],
            client_id=f"balance-{self._ven.ven_name}"[:23],
            username=username,
            password=password,
            ssl_context=await self._tls(),
        )
        self._connection = connection
        try:
            await connection.subscribe(self.topics)
            self.connected = True
            self.stats.connects += 1
            async for _topic, payload in connection.messages():
                self._deliver(payload)
        finally:
            self.connected = False
            self._connection = None
            await connection.close()

    def _deliver(self, payload: bytes) -> None:
        self.stats.messages += 1
        try:
            applied = self._deliver_to(json.loads(payload))
        except (OpenAdrError, ValueError) as err:
            self.stats.rejected += 1
            _LOGGER.warning("OpenADR MQTT notification refused: %s", err)
            return
        if applied:
            self.stats.applied += 1

    async def run(self) -> None:
        """Stay subscribed until `stop()`, reconnecting with backoff; return if no MQTT."""
        failures = 0
        while not self._stop.is_set():
            connects = self.stats.connects
            try:
                if self.binding is None and not await self.discover():
                    _LOGGER.debug("The VTN offers no MQTT notifier; polling only")
                    return
                await self._session()
            except (OSError, TimeoutError, asyncio.IncompleteReadError, OpenAdrError) as err:
                _LOGGER.warning("OpenADR MQTT notifier: %s", err)
                if isinstance(err, InsecureUrlError):
                    return
            if self.stats.connects > connects:
                failures = 0  # it was up: start the backoff again
            if self._stop.is_set():
                return
            delay = BACKOFF_S[min(failures, len(BACKOFF_S) - 1)]
            failures += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), delay)

    def stop(self) -> None:
        """End `run()`, closing the current connection."""
        self._stop.set()
        if self._connection is not None:
            self._connection.abort()
