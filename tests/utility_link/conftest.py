"""Fixtures of the utility-link tests: a local HTTPS VTN, the test household, a link entry."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncGenerator, Generator
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.balance.const import CONF_KIND, DOMAIN, KIND_UTILITY_LINK
from custom_components.balance.openadr.parse import format_datetime
from custom_components.balance.utility_link.const import (
    CONF_BASE_URL,
    CONF_CA_PEM,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_FLOOR_KW,
    CONF_LOADS,
    CONF_LONGEST_EVENT_H,
    CONF_OPTED_IN,
    CONF_POLL_INTERVAL_S,
    CONF_PROGRAM,
    CONF_VEN_NAME,
    CONF_VERSION,
)
from custom_components.balance.utility_link.link import UtilityLink
from tests.openadr.certs import Tls, make_tls
from tests.openadr.vtn import LocalVtn

PROGRAM = "balance-dr"
METER_POINT = "RO005E123456789"
ENTRY_ID = "utility_link"
PARTICIPANTS = ["load_washer", "load_boiler", "load_aircon", "load_computer"]  # red is ignored


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    socket_enabled: None, recorder_mock: object, enable_custom_integrations: None
) -> None:
    """Load custom_components/balance (and the recorder it depends on); real 127.0.0.1 TCP."""


@pytest.fixture
async def refused_handshakes() -> AsyncGenerator[None]:
    """The VTN's side of a TLS handshake the client refused is not an error of the test."""
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()

    def handler(current: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if isinstance(context.get("exception"), ConnectionResetError | OSError):
            return
        if previous is not None:
            previous(current, context)
        else:
            current.default_exception_handler(context)

    loop.set_exception_handler(handler)
    yield
    loop.set_exception_handler(previous)


@pytest.fixture
def freeze(freezer: FrozenDateTimeFactory) -> Generator[FrozenDateTimeFactory]:
    """A frozen clock at a quiet time of day."""
    freezer.move_to("2026-03-10 10:00:00+00:00")
    yield freezer


@pytest.fixture(scope="session")
def tls() -> Tls:
    """One test CA for the run."""
    return make_tls()


@pytest.fixture(params=["3.1.0"])
def version(request: pytest.FixtureRequest) -> str:
    """The OpenADR version (tests that run on both parametrize it themselves)."""
    return str(request.param)


@pytest.fixture
async def vtn(version: str, tls: Tls) -> AsyncGenerator[LocalVtn]:
    """A running HTTPS VTN offering `balance-dr`; no schema violation allowed."""
    server = LocalVtn(version=version, ssl_context=tls.server)
    await server.start()
    server.create_program({"programName": PROGRAM})
    yield server
    await server.close()
    assert not server.violations, server.violations
    assert not server.rejected, server.rejected


def link_data(vtn: LocalVtn, tls: Tls, **changes: Any) -> dict[str, Any]:
    """What the config flow stores for the local VTN."""
    return {
        CONF_BASE_URL: vtn.base_url,
        CONF_VERSION: vtn.version,
        CONF_CLIENT_ID: "ven-1",
        CONF_CLIENT_SECRET: "ven-secret",
        CONF_CA_PEM: tls.ca_pem,
        CONF_VEN_NAME: METER_POINT,
        CONF_PROGRAM: PROGRAM,
    } | changes


def link_entry(vtn: LocalVtn, tls: Tls, **options: Any) -> MockConfigEntry:
    """A utility-link entry for the local VTN; participation per `options`."""
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=ENTRY_ID,
        title=f"Utility link {PROGRAM}",
        data={CONF_KIND: KIND_UTILITY_LINK, **link_data(vtn, tls)},
        options={
            CONF_OPTED_IN: False,
            CONF_FLOOR_KW: 2.0,
            CONF_LONGEST_EVENT_H: 4.0,
            CONF_LOADS: [],
            CONF_POLL_INTERVAL_S: 60,
        }
        | options,
    )


def opted_in(**options: Any) -> dict[str, Any]:
    """Options of a resident who takes part with every load."""
    return {CONF_OPTED_IN: True, CONF_LOADS: PARTICIPANTS} | options


async def setup_link(hass: HomeAssistant, entry: MockConfigEntry) -> UtilityLink:
    """Add and set up a utility-link entry; wait for its first poll."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    link: UtilityLink = entry.runtime_data
    return link


async def poll(hass: HomeAssistant, link: UtilityLink) -> None:
    """One poll of the VTN, and everything it set off."""
    await link.async_poll()
    await hass.async_block_till_done(wait_background_tasks=True)


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float, step: float = 1.0
) -> None:
    """Move the clock in steps, firing the timers due (polls too) on the way."""
    moved = 0.0
    while moved < seconds:
        freezer.tick(dt.timedelta(seconds=step))
        moved += step
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)


def event_body(
    program_id: str,
    payload: str,
    value: float | int,
    *,
    start: dt.datetime | None = None,
    duration: str = "PT1H",
    **extra: Any,
) -> dict[str, Any]:
    """A spec-valid event with one interval of one payload."""
    return {
        "programID": program_id,
        "eventName": f"{payload.lower()} {value}",
        "intervalPeriod": {
            "start": format_datetime(start or dt_util.utcnow()),
            "duration": duration,
        },
        "intervals": [{"id": 0, "payloads": [{"type": payload, "values": [value]}]}],
    } | extra


def program_id(vtn: LocalVtn) -> str:
    """The id of `balance-dr` on the VTN."""
    return next(iter(vtn.store["programs"]))


def entity_id(hass: HomeAssistant, platform: str, key: str) -> str:
    """The entity id of one of the link's entities, by its key."""
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{ENTRY_ID}-{key}")
    assert found is not None, key
    return found
