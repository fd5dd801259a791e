"""Fixtures of the OpenADR tests: a CA and a local HTTPS VTN on 127.0.0.1 (both versions)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncGenerator, Callable
from typing import Any

import aiohttp
import pytest

from custom_components.balance.openadr import Bounds, Ven, VenConfig

from .certs import Tls, make_tls
from .vtn import LocalVtn

PROGRAM = "balance-dr"
FULL_BOUNDS = Bounds(
    opted_in=True,
    floor_kw=2.0,
    red_loads_kw=1.0,
    longest_event=dt.timedelta(hours=6),
    participating_loads=frozenset({"switch.boiler", "switch.ev"}),
)


@pytest.fixture(autouse=True)
def _sockets(socket_enabled: None) -> None:
    """Real TCP (the HA test plugin still only allows 127.0.0.1)."""


@pytest.fixture(autouse=True)
def enable_event_loop_debug(event_loop: asyncio.AbstractEventLoop) -> None:
    """Overrides the HA plugin's fixture: asyncio debug mode records a traceback per
    callback, which triples the time of the thousand-request outage test."""
    event_loop.set_debug(False)


@pytest.fixture(scope="session")
def tls() -> Tls:
    """One CA for the whole run."""
    return make_tls()


@pytest.fixture(params=["3.1.0", "3.0.1"])
def version(request: pytest.FixtureRequest) -> str:
    """Both OpenADR versions."""
    return str(request.param)


@pytest.fixture
async def vtn(version: str, tls: Tls) -> AsyncGenerator[LocalVtn]:
    """A running HTTPS VTN with the program `balance-dr`; no schema violation allowed."""
    server = LocalVtn(version=version, ssl_context=tls.server)
    await server.start()
    server.create_program({"programName": PROGRAM})
    yield server
    await server.close()
    assert not server.violations, server.violations
    assert not server.rejected, server.rejected


@pytest.fixture
async def session() -> AsyncGenerator[aiohttp.ClientSession]:
    """The client session (HA's websession in production)."""
    async with aiohttp.ClientSession() as client:
        yield client


class SimClock:
    """A settable UTC clock for simulated days."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, span: dt.timedelta) -> None:
        """Move time forward."""
        self.now += span


def ven_config(vtn: LocalVtn, tls: Tls, **changes: Any) -> VenConfig:
    """The VEN configuration for the local VTN."""
    options: dict[str, Any] = {
        "base_url": vtn.base_url,
        "client_id": "ven-1",
        "client_secret": "ven-secret",
        "program_names": (PROGRAM,),
        "version": vtn.version,
        "ca_pem": tls.ca_pem,
        "poll_interval": dt.timedelta(seconds=0.2),
    }
    options.update(changes)
    return VenConfig(**options)


@pytest.fixture
def make_ven(vtn: LocalVtn, tls: Tls, session: aiohttp.ClientSession) -> Callable[..., Ven]:
    """Build a VEN for the local VTN (bounds default to a participating resident)."""

    def build(
        *, bounds: Bounds = FULL_BOUNDS, config: dict[str, Any] | None = None, **kw: Any
    ) -> Ven:
        return Ven(session, ven_config(vtn, tls, **(config or {})), bounds=bounds, **kw)

    return build
