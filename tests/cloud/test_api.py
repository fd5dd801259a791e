"""The plain-Python client against the fake BALANCE server over real TCP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncGenerator

import aiohttp
import pytest

from custom_components.balance.cloud.api import (
    CloudAuthError,
    CloudClient,
    CloudConnectionError,
    CloudResponseError,
    Resource,
    normalize_base_url,
    parse_meters,
)

from .fake_server import PASSWORD, USERNAME, FakeBalanceServer, html, meter_item, status


@pytest.fixture
async def session() -> AsyncGenerator[aiohttp.ClientSession]:
    """A plain aiohttp session (HA's shared one is used in the HA tests)."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def _client(
    session: aiohttp.ClientSession, server: FakeBalanceServer, **kwargs: float
) -> CloudClient:
    return CloudClient(session, server.url, USERNAME, PASSWORD, **kwargs)


async def test_meters_of_every_resource(
    session: aiohttp.ClientSession, server: FakeBalanceServer
) -> None:
    """Ids, registers in numbers or strings with a decimal comma, resources in any language."""
    meters = {meter.key: meter for meter in await _client(session, server).async_get_meters()}
    power = meters["1042_00A1B2C3"]
    assert (power.resource, power.total, power.today, power.amount) == (
        Resource.ELECTRICITY,
        12345.678,
        4.21,
        9.64,
    )
    assert power.prices == (2.29, 1.63)
    assert power.name == "Apartament 12 energie"
    assert (meters["1042_W-778"].resource, meters["1042_W-778"].unit) == (Resource.WATER, "m³")
    assert meters["1043_G-17"].resource is Resource.GAS
    assert (meters["1043_H-9"].resource, meters["1043_H-9"].unit) == (Resource.HEAT, "Gcal")


async def test_api_under_a_path(session: aiohttp.ClientSession) -> None:
    """A server whose API lives under a path prefix (behind a reverse proxy)."""
    server = FakeBalanceServer(prefix="/balance")
    await server.start()
    try:
        client = CloudClient(session, f"{server.url}/", USERNAME, PASSWORD)
        assert len(await client.async_get_meters()) == 4
    finally:
        await server.stop()


async def test_token_is_reused(session: aiohttp.ClientSession, server: FakeBalanceServer) -> None:
    """One login serves every poll while the server accepts the token."""
    client = _client(session, server)
    for _ in range(3):
        await client.async_get_meters()
    assert (server.logins, server.meter_requests) == (1, 3)


async def test_relogin_once_on_401(
    session: aiohttp.ClientSession, server: FakeBalanceServer
) -> None:
    """An expired token: one new login and the same request again, invisible to the caller."""
    client = _client(session, server)
    await client.async_get_meters()
    server.expire_tokens()
    assert len(await client.async_get_meters()) == 4
    assert (server.logins, server.meter_requests) == (2, 3)


async def test_concurrent_polls_after_401_log_in_once(
    session: aiohttp.ClientSession, server: FakeBalanceServer
) -> None:
    """Several callers that all meet the expired token share one new login."""
    client = _client(session, server)
    await client.async_get_meters()
    server.expire_tokens()
    results = await asyncio.gather(*(client.async_get_meters() for _ in range(5)))
    assert all(len(meters) == 4 for meters in results)
    assert server.logins == 2


@pytest.mark.parametrize("style_401", [False, True])
async def test_wrong_password(
    session: aiohttp.ClientSession, server: FakeBalanceServer, style_401: bool
) -> None:
    """Refused credentials (200 without a token, or 401) are an auth error, not a retry."""
    server.login_style_401 = style_401
    server.password = "changed"
    with pytest.raises(CloudAuthError):
        await _client(session, server).async_get_meters()
    assert server.meter_requests == 0


async def test_password_changed_while_running(
    session: aiohttp.ClientSession, server: FakeBalanceServer
) -> None:
    """Token expired and the password changed: the re-login's refusal is an auth error."""
    client = _client(session, server)
    await client.async_get_meters()
    server.expire_tokens()
    server.password = "changed"
    with pytest.raises(CloudAuthError):
        await client.async_get_meters()


@pytest.mark.parametrize("code", [500, 502, 503, 429])
async def test_server_errors_are_connection_errors(
    session: aiohttp.ClientSession, server: FakeBalanceServer, code: int
) -> None:
    """5xx and 429 mean "try again later"."""
    server.faults.append(status(code))
    with pytest.raises(CloudConnectionError, match=str(code)):
        await _client(session, server).async_get_meters()


async def test_slow_server_times_out(
    session: aiohttp.ClientSession, server: FakeBalanceServer
) -> None:
    """An answer slower than the timeout is a connection error, not a hang."""
    server.delay = 2.0
    with pytest.raises(CloudConnectionError, match="timed out"):
        await _client(session, server, timeout=0.2).async_get_meters()


async def test_unreachable_server(session: aiohttp.ClientSession) -> None:
    """Nothing listening on the port: a connection error."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = CloudClient(session, f"http://127.0.0.1:{port}", USERNAME, PASSWORD)
    with pytest.raises(CloudConnectionError):
        await client.async_get_meters()


async def test_not_the_api(session: aiohttp.ClientSession, server: FakeBalanceServer) -> None:
    """An HTML page, a 404 or JSON without a data list are unexpected answers."""
    client = _client(session, server)
    server.faults.append(html)
    with pytest.raises(CloudResponseError):
        await client.async_get_meters()
    server.faults.append(status(404))
    with pytest.raises(CloudResponseError):
        await client.async_get_meters()
    server.items = {"oops": 1}  # type: ignore[assignment]
    with pytest.raises(CloudResponseError):
        await client.async_get_meters()


def test_tolerant_parsing() -> None:
    """Items without ids are skipped, a repeated meter counts once, bad numbers are None."""
    meters = parse_meters(
        {
            "data": [
                {"tsd_id": 1},
                "garbage",
                meter_item(7, "A", "Electricity", "n/a", today=None),  # type: ignore[arg-type]
                meter_item(7, "A", "water", 5.0),
                meter_item(7, "B", "steam", -3.0, prices=["x", {"value": "1,5"}]),
                meter_item(7, "C", "gas", float("nan")),
            ]
        }
    )
    assert [meter.key for meter in meters] == ["7_A", "7_B", "7_C"]
    first, unknown, nan = meters
    assert (first.resource, first.total, first.today) == (Resource.ELECTRICITY, None, None)
    assert (unknown.resource, unknown.total, unknown.prices) == (None, None, (1.5,))
    assert nan.total is None


def test_base_url() -> None:
    """Scheme and host are required; a path prefix stays, query and trailing slash go."""
    assert normalize_base_url(" https://Balance.Example.com:3000/?x=1 ") == (
        "https://balance.example.com:3000"
    )
    assert normalize_base_url("http://10.0.0.5/balance/") == "http://10.0.0.5/balance"
    for bad in ("balance.example.com", "ftp://host", "https://"):
        with pytest.raises(ValueError):
            normalize_base_url(bad)
