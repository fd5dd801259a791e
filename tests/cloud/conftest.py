"""Fixtures of the cloud tests: the fake BALANCE server and a cloud entry in real HA."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import pytest
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.balance.cloud.flow import account_unique_id
from custom_components.balance.const import CONF_KIND, DOMAIN, KIND_CLOUD

from .fake_server import PASSWORD, USERNAME, FakeBalanceServer


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    socket_enabled: None, recorder_mock: object, enable_custom_integrations: None
) -> None:
    """Load custom_components/balance with the real recorder; sockets to 127.0.0.1 only."""


@pytest.fixture
async def server() -> AsyncGenerator[FakeBalanceServer]:
    """A BALANCE server with one meter of each resource."""
    fake = FakeBalanceServer()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def cloud_entry(server: FakeBalanceServer) -> MockConfigEntry:
    """A cloud entry for the fake server's account."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"BALANCE cloud {USERNAME}",
        unique_id=account_unique_id(server.url, USERNAME),
        data={
            CONF_KIND: KIND_CLOUD,
            CONF_URL: server.url,
            CONF_USERNAME: USERNAME,
            CONF_PASSWORD: PASSWORD,
        },
    )
