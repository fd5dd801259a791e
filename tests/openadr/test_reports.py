"""Store and forward, stores, transport edge cases, security helpers, version layer."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncGenerator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from custom_components.balance.openadr import (
    V3_0_1,
    V3_1_0,
    InsecureUrlError,
    JsonFileStore,
    MemoryStore,
    ReportBuffer,
    VenConfig,
    VtnAuthError,
    VtnRequestError,
    VtnUnavailableError,
    check_url,
    redact,
    tls_context,
)
from custom_components.balance.openadr.reports import PendingReport
from custom_components.balance.openadr.transport import TokenSource, VtnHttp

from .conftest import SimClock, Tls
from .schema import spec


async def test_buffer_bounds_and_retention() -> None:
    """Full: the oldest is dropped and counted; too old: dropped too."""
    clock = SimClock()
    buffer = ReportBuffer(MemoryStore(), clock, max_reports=3, retention=dt.timedelta(days=8))
    for index in range(5):
        await buffer.add("p", "e", {"n": index})
    assert [item.body["n"] for item in buffer.pending] == [2, 3, 4]
    assert buffer.dropped == 2
    clock.advance(dt.timedelta(days=9))
    await buffer.add("p", "e", {"n": 5})
    assert [item.body["n"] for item in buffer.pending] == [5]
    assert buffer.dropped == 5


async def test_flush_outcomes() -> None:
    """409 counts as delivered, other 4xx are dropped as rejected, failures keep order."""
    store = MemoryStore()
    buffer = ReportBuffer(store, SimClock())
    for index in range(4):
        await buffer.add("p", "e", {"n": index})
    answers: list[Exception | None] = [
        VtnRequestError(409, "dup"),
        VtnRequestError(400, "bad"),
        VtnUnavailableError("down", maybe_delivered=False),
    ]
    sent: list[int] = []

    async def send(item: PendingReport) -> None:
        answer = answers.pop(0) if answers else None
        if answer is not None:
            raise answer
        sent.append(item.body["n"])

    async def delivered(item: PendingReport) -> bool:
        raise AssertionError("not ambiguous")

    with pytest.raises(VtnUnavailableError):
        await buffer.flush(send, delivered)
    assert [item.body["n"] for item in buffer.pending] == [2, 3]
    assert not buffer.pending[0].maybe_delivered
    assert (buffer.delivered, buffer.rejected) == (2, 1)
    restored = ReportBuffer(store, SimClock())
    await restored.load()
    assert [item.body["n"] for item in restored.pending] == [2, 3]
    assert restored.next_seq == 5
    assert await restored.flush(send, delivered) == 2
    assert sent == [2, 3]


async def test_json_file_store(tmp_path: Path) -> None:
    """The file store round-trips and ignores a corrupt or foreign file."""
    store = JsonFileStore(tmp_path / "reports.json")
    assert await store.load() is None
    buffer = ReportBuffer(store, SimClock())
    await buffer.add("p", "e", {"n": 1})
    again = ReportBuffer(store, SimClock())
    await again.load()
    assert [item.body for item in again.pending] == [{"n": 1}]
    (tmp_path / "reports.json").write_text("[1]", encoding="utf-8")
    assert await store.load() is None
    (tmp_path / "reports.json").write_text("{", encoding="utf-8")
    assert await store.load() is None
    await store.save({"version": 99})
    other = ReportBuffer(store, SimClock())
    await other.load()
    assert other.pending == []


def test_urls_and_tls(tls: Tls) -> None:
    """HTTPS anywhere, plain HTTP only to loopback; a custom CA adds to the system ones."""
    assert check_url("https://vtn.example/api") == "https://vtn.example/api/"
    assert check_url("http://127.0.0.1:8080/") == "http://127.0.0.1:8080/"
    assert check_url("http://localhost/x/") == "http://localhost/x/"
    for bad in ("http://vtn.example/", "http://10.0.0.1/", "ftp://vtn.example/", "vtn"):
        with pytest.raises(InsecureUrlError):
            check_url(bad)
    context = tls_context(tls.ca_pem)
    assert context.verify_mode.name == "CERT_REQUIRED"
    assert context.check_hostname


def test_secrets_are_redacted() -> None:
    """Neither repr nor diagnostics show secrets."""
    config = VenConfig(
        base_url="https://vtn.example/",
        client_id="ven",
        client_secret="s3cret",
        program_names=("p",),
        identifiers={"METER_POINT_ID": "RO1"},
    )
    assert "s3cret" not in repr(config)
    redacted = json.dumps(config.redacted())
    assert "s3cret" not in redacted
    assert "RO1" not in redacted
    assert redact({"access_token": "t", "nested": [{"client_secret": "x", "ok": 1}]}) == {
        "access_token": "**REDACTED**",
        "nested": [{"client_secret": "**REDACTED**", "ok": 1}],
    }


@pytest.mark.parametrize("api", [V3_1_0, V3_0_1], ids=["3.1.0", "3.0.1"])
def test_version_bodies_match_the_spec(api: Any) -> None:
    """The VEN's own request bodies validate against each version's YAML."""
    version = spec(api.name)
    subscription = api.subscription_request("ven-1", "program-1", "https://ha.example/hook", "t")
    for method, path, body in (
        ("POST", "/subscriptions", subscription),
        ("POST", "/vens", api.ven_request("ven-1", [{"type": "X", "values": [1]}])),
        ("POST", "/vens", api.ven_request("ven-1", [])),
    ):
        operation = version.operation(method, path)
        assert operation is not None
        assert version.check_request(operation, "application/json", body) == []
    assert api.operation("put") == ("UPDATE" if api.is_301 else "PUT")
    assert api.resources_path("v1") == ("vens/v1/resources" if api.is_301 else "resources")


Routes = dict[str, Callable[[web.Request], Awaitable[web.StreamResponse]]]


@pytest.fixture
async def broken() -> AsyncGenerator[Callable[[Routes], Awaitable[str]]]:
    """A plain-HTTP loopback server answering whatever a test wants."""
    runners: list[web.AppRunner] = []

    async def serve(routes: Routes) -> str:
        app = web.Application()
        for route, handler in routes.items():
            method, path = route.split(" ")
            app.router.add_route(method, path, handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        return f"http://127.0.0.1:{runner.addresses[0][1]}/"

    yield serve
    for runner in runners:
        await runner.cleanup()


def tokens(session: aiohttp.ClientSession, base: str, **kw: Any) -> TokenSource:
    """A token source for `base`."""
    options: dict[str, Any] = {
        "client_id": "c",
        "client_secret": "s",
        "token_url": None,
        "discover_url": base + "auth/server",
        "ssl_context": tls_context(),
    }
    options.update(kw)
    return TokenSource(session, **options)


def reply(status: int, body: Any, *, raw: str | None = None) -> Any:
    """A handler answering `body` as JSON (or `raw` text)."""

    async def handler(request: web.Request) -> web.Response:
        if raw is not None:
            return web.Response(status=status, text=raw)
        return web.json_response(body, status=status)

    return handler


async def test_token_edge_cases(
    broken: Callable[[Routes], Awaitable[str]], session: aiohttp.ClientSession
) -> None:
    """Discovery failures, refusals, odd token bodies and string expiry."""
    base = await broken(
        {
            "GET /a/auth/server": reply(200, {"token_url": "/t/ok"}),
            "POST /t/ok": reply(
                200,
                {"accessToken": "T", "tokenType": "bearer", "expiresIn": "60", "scope": ["a", "b"]},
            ),
            "GET /b/auth/server": reply(200, {}),
            "GET /c/auth/server": reply(500, {}),
            "POST /d/token": reply(403, {"error": "invalid_client"}),
            "POST /e/token": reply(200, {"token_type": "mac", "access_token": "x"}),
            "POST /f/token": reply(502, None, raw="oops"),
            "POST /g/token": reply(200, None, raw="<html>"),
            "POST /h/auth/token": reply(200, {"access_token": "H", "token_type": "Bearer"}),
        }
    )
    assert await tokens(session, base + "h/").token() == "H"  # no /auth/server: /auth/token
    source = tokens(session, base + "a/")
    assert await source.token() == "T"
    assert source.granted_scope == "a b"
    assert await source.token() == "T"
    assert source.fetches == 1
    with pytest.raises(VtnUnavailableError):
        await tokens(session, base + "b/").token()
    with pytest.raises(VtnUnavailableError):
        await tokens(session, base + "c/").token()
    with pytest.raises(VtnAuthError):
        await tokens(session, base, token_url=base + "d/token").token()
    with pytest.raises(VtnAuthError):
        await tokens(session, base, token_url=base + "e/token").token()
    with pytest.raises(VtnUnavailableError):
        await tokens(session, base, token_url=base + "f/token").token()
    with pytest.raises(VtnUnavailableError):
        await tokens(session, base, token_url=base + "g/token").token()
    with pytest.raises(VtnAuthError):
        await tokens(session, base, discover_url=None).token()
    with pytest.raises(VtnUnavailableError):
        await tokens(session, "http://127.0.0.1:1/").token()


async def test_http_edge_cases(
    broken: Callable[[Routes], Awaitable[str]], session: aiohttp.ClientSession
) -> None:
    """Statuses map to the right errors; empty bodies and non-JSON are handled."""
    base = await broken(
        {
            "POST /token": reply(200, {"access_token": "T", "token_type": "Bearer"}),
            "GET /empty": reply(204, None, raw=""),
            "GET /html": reply(200, None, raw="<html>"),
            "GET /missing": reply(404, None, raw="nope"),
            "GET /busy": reply(429, {}),
            "GET /unauthorised": reply(401, {}),
        }
    )
    source = tokens(session, base, token_url=base + "token")
    http = VtnHttp(session, base, source, tls_context())
    assert await http.request("GET", "empty") is None
    with pytest.raises(VtnUnavailableError):
        await http.request("GET", "html")
    with pytest.raises(VtnRequestError) as caught:
        await http.request("GET", "missing")
    assert caught.value.status == 404
    with pytest.raises(VtnUnavailableError):
        await http.request("GET", "busy")
    with pytest.raises(VtnUnavailableError):
        await http.request("GET", "unauthorised")
    assert source.fetches == 2  # the 401 was retried once with a fresh token
