"""The 3.1 MQTT notifier binding against a real Mosquitto broker and the local VTN."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncGenerator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from custom_components.balance.openadr import InsecureUrlError, Ven
from custom_components.balance.openadr.mqtt import (
    MqttConnection,
    MqttError,
    MqttNotifier,
    broker_address,
    parse_binding,
    read_packet,
)
from custom_components.balance.openadr.parse import format_datetime
from custom_components.balance.openadr.transport import tls_context

from .broker import Broker
from .certs import Tls, make_tls
from .conftest import FULL_BOUNDS, PROGRAM, ven_config
from .vtn import LocalVtn

HOUR = dt.timedelta(hours=1)  # polling so slow that only push can deliver in the test


async def eventually(check: Callable[[], bool], within: float = 5.0) -> None:
    """Wait until `check()` holds."""
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    while not check():
        assert loop.time() < end, "timed out"
        await asyncio.sleep(0.01)


def limit_kw(ven: Ven) -> float | None:
    """The capacity limit the VEN applies now (kW), None without one."""
    term = ven.directive.at(dt.datetime.now(dt.UTC))
    return None if term is None or term.limit_w is None else term.limit_w / 1000


@pytest.fixture
async def broker(tmp_path: Path) -> AsyncGenerator[Broker]:
    """An anonymous broker on 127.0.0.1."""
    server = Broker(tmp_path)
    await server.start()
    yield server
    server.stop()


async def _vtn(tls: Tls, mqtt_uri: str | None, **kw: Any) -> LocalVtn:
    server = LocalVtn(
        version="3.1.0", ssl_context=tls.server, mqtt_uri=mqtt_uri, mqtt_ca_pem=tls.ca_pem, **kw
    )
    await server.start()
    server.create_program({"programName": PROGRAM})
    return server


@pytest.fixture
async def session() -> AsyncGenerator[aiohttp.ClientSession]:
    """The client session (HA's websession in production)."""
    async with aiohttp.ClientSession() as client:
        yield client


Started = Callable[..., Awaitable[tuple[Ven, MqttNotifier, asyncio.Task[None]]]]


@pytest.fixture
async def pushed(session: aiohttp.ClientSession, tls: Tls) -> AsyncGenerator[Started]:
    """Start a VEN (hourly polling) and its MQTT notifier against a VTN."""
    tasks: list[asyncio.Task[None]] = []
    notifiers: list[MqttNotifier] = []

    async def start(vtn: LocalVtn, **config: Any) -> tuple[Ven, MqttNotifier, asyncio.Task[None]]:
        ven = Ven(session, ven_config(vtn, tls, poll_interval=HOUR, **config), bounds=FULL_BOUNDS)
        await ven.start()
        notifier = MqttNotifier(ven)
        task = asyncio.create_task(notifier.run())
        tasks.append(task)
        notifiers.append(notifier)
        return ven, notifier, task

    yield start
    for notifier in notifiers:
        notifier.stop()
    for task in tasks:
        await asyncio.wait_for(task, 5)


def event(vtn: LocalVtn, kw: float) -> dict[str, Any]:
    """A one-hour capacity-limit event starting now."""
    return vtn.create_event(
        {
            "programID": next(iter(vtn.store["programs"])),
            "eventName": "limit",
            "intervalPeriod": {
                "start": format_datetime(dt.datetime.now(dt.UTC).replace(microsecond=0)),
                "duration": "PT1H",
            },
            "intervals": [
                {"id": 0, "payloads": [{"type": "IMPORT_CAPACITY_LIMIT", "values": [kw]}]}
            ],
        }
    )


async def test_events_arrive_by_mqtt_between_polls(
    broker: Broker, tls: Tls, pushed: Started
) -> None:
    """Create, update and delete reach the VEN through the broker, with hourly polling."""
    vtn = await _vtn(tls, broker.uri)
    ven, notifier, _ = await pushed(vtn)
    await eventually(lambda: notifier.connected)
    assert notifier.topics == [f"programs/{next(iter(vtn.store['programs']))}/events/+"]
    polls = ven.stats.polls

    created = event(vtn, 4.5)
    await vtn.announce("CREATE", created)
    await eventually(lambda: limit_kw(ven) == 4.5)
    updated = vtn.update_event(
        created["id"],
        {"intervals": [{"id": 0, "payloads": [{"type": "IMPORT_CAPACITY_LIMIT", "values": [5]}]}]},
    )
    await vtn.announce("UPDATE", updated)
    await eventually(lambda: limit_kw(ven) == 5)
    vtn.delete_event(created["id"])
    await vtn.announce("DELETE", updated)
    await eventually(lambda: limit_kw(ven) is None)
    assert ven.stats.polls == polls  # push alone did it
    assert notifier.stats.applied == 3
    await vtn.close()
    assert not vtn.violations and not vtn.rejected


async def test_bad_messages_are_counted_and_the_link_stays(
    broker: Broker, tls: Tls, pushed: Started
) -> None:
    """Garbage, a notification that is not ours and a malformed one change nothing."""
    vtn = await _vtn(tls, broker.uri)
    ven, notifier, _ = await pushed(vtn)
    await eventually(lambda: notifier.connected)
    created = event(vtn, 4.2)
    await vtn.announce("CREATE", created, raw=b"\xff not json")
    await vtn.announce("CREATE", created, raw=b'{"operation": "POST"}')
    foreign = {
        "objectType": "EVENT",
        "operation": "CREATE",
        "object": {**created, "programID": "x"},
    }
    await vtn.announce("CREATE", created, raw=json.dumps(foreign).encode())
    await eventually(lambda: notifier.stats.messages == 3)
    assert notifier.stats.rejected == 2
    assert notifier.stats.applied == 0
    assert limit_kw(ven) is None
    await vtn.announce("CREATE", created)
    await eventually(lambda: limit_kw(ven) == 4.2)
    assert notifier.stats.connects == 1
    await vtn.close()


async def test_the_notifier_reconnects_after_the_broker_restarts(
    broker: Broker, tls: Tls, pushed: Started
) -> None:
    """The broker goes away and comes back on the same port: the VEN resubscribes."""
    vtn = await _vtn(tls, broker.uri)
    ven, notifier, _ = await pushed(vtn)
    await eventually(lambda: notifier.connected)
    broker.stop()
    await eventually(lambda: not notifier.connected)
    await broker.start()
    await eventually(lambda: notifier.stats.connects == 2, within=10)
    await vtn.announce("CREATE", event(vtn, 6.0))
    await eventually(lambda: limit_kw(ven) == 6.0)
    await vtn.close()


async def test_mqtts_verifies_the_broker_certificate(
    tmp_path: Path, tls: Tls, pushed: Started
) -> None:
    """A broker with a certificate from another CA is never trusted."""
    stranger = Broker(tmp_path, tls=make_tls())
    await stranger.start()
    try:
        vtn = await _vtn(tls, stranger.uri)
        _, notifier, _ = await pushed(vtn)
        await asyncio.sleep(1.5)
        assert notifier.stats.connects == 0
        assert not notifier.connected
        await vtn.close()
    finally:
        stranger.stop()


async def test_mqtts_with_the_utility_ca(tmp_path: Path, tls: Tls, pushed: Started) -> None:
    """The utility's own CA (the configured PEM) makes its broker trusted."""
    trusted = Broker(tmp_path, tls=tls)
    await trusted.start()
    try:
        vtn = await _vtn(tls, trusted.uri)
        ven, notifier, _ = await pushed(vtn)
        await eventually(lambda: notifier.connected)
        await vtn.announce("CREATE", event(vtn, 4.8))
        await eventually(lambda: limit_kw(ven) == 4.8)
        await vtn.close()
    finally:
        trusted.stop()


async def test_client_certificate_authentication(tmp_path: Path, tls: Tls, pushed: Started) -> None:
    """CERTIFICATE: the broker requires a client certificate; the VEN presents the one the
    VTN gave in its binding (with the broker's CA) and receives events; without one the
    broker refuses the connection."""
    broker = Broker(tmp_path, tls=tls, require_certificate=True)
    await broker.start()
    try:
        vtn = await _vtn(
            tls,
            broker.uri,
            mqtt_auth="CERTIFICATE",
            mqtt_client=(tls.client_cert_pem, tls.client_key_pem),
        )
        ven, notifier, _ = await pushed(vtn)
        await eventually(lambda: notifier.connected)
        assert notifier.binding is not None and notifier.binding.certificate is not None
        assert tls.client_key_pem not in repr(notifier.binding)
        await vtn.announce("CREATE", event(vtn, 3.9))
        await eventually(lambda: limit_kw(ven) == 3.9)
        with pytest.raises((OSError, MqttError)):
            await MqttConnection.open(
                broker.uri, client_id="nobody", ssl_context=tls_context(tls.ca_pem)
            )
        await vtn.close()
    finally:
        broker.stop()


def test_a_certificate_binding_without_its_key_is_not_used() -> None:
    auth = {"method": "CERTIFICATE", "caCert": "ca", "clientCert": "cert"}
    body = {"WEBHOOK": True, "MQTT": {"URIS": ["mqtts://b"], "serialization": "JSON"}}
    assert parse_binding(body | {"MQTT": body["MQTT"] | {"authentication": auth}}) is None


async def test_bearer_token_authentication(
    tmp_path: Path, tls: Tls, session: aiohttp.ClientSession
) -> None:
    """OAUTH2_BEARER_TOKEN: the client id as user name, the VTN's access token as password."""
    vtn = await _vtn(tls, None, mqtt_auth="OAUTH2_BEARER_TOKEN")
    ven = Ven(session, ven_config(vtn, tls, poll_interval=HOUR), bounds=FULL_BOUNDS)
    await ven.start()
    token = await ven.tokens.token()
    secured = Broker(tmp_path, users={"ven-1": token})
    await secured.start()
    try:
        vtn.mqtt_uri = secured.uri
        notifier = MqttNotifier(ven)
        assert await notifier.discover()
        task = asyncio.create_task(notifier.run())
        await eventually(lambda: notifier.connected)
        notifier.stop()
        await asyncio.wait_for(task, 5)
        with pytest.raises(MqttError, match=r"bad user name or password|not authorised"):
            await MqttConnection.open(secured.uri, client_id="x", username="ven-1", password="no")
    finally:
        secured.stop()
        await vtn.close()


async def test_no_binding_means_polling_only(tls: Tls, pushed: Started) -> None:
    """A VTN without MQTT: the notifier ends at once, polling carries on."""
    vtn = await _vtn(tls, None)
    _, notifier, task = await pushed(vtn)
    await asyncio.wait_for(task, 5)
    assert notifier.binding is None
    assert notifier.stats.connects == 0
    await vtn.close()


def test_plain_mqtt_only_to_this_machine() -> None:
    """Unencrypted MQTT to another host is refused; mqtts gets its default port."""
    with pytest.raises(InsecureUrlError):
        broker_address("mqtt://broker.utility.example")
    with pytest.raises(InsecureUrlError):
        broker_address("ws://127.0.0.1:9001")
    assert broker_address("mqtts://broker.utility.example") == (
        "broker.utility.example",
        8883,
        True,
    )
    assert broker_address("mqtt://127.0.0.1:1884") == ("127.0.0.1", 1884, False)


@pytest.mark.parametrize(
    "raw",
    [
        bytes([0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),  # remaining length over 4 bytes
        bytes([0x30, 0xFF, 0xFF, 0x7F]),  # 2 MB announced: refused before reading it
    ],
)
async def test_oversized_packets_are_refused(raw: bytes) -> None:
    """A hostile broker cannot make the VEN buffer without bound."""
    reader = asyncio.StreamReader()
    reader.feed_data(raw)
    reader.feed_eof()
    with pytest.raises(MqttError):
        await read_packet(reader)
