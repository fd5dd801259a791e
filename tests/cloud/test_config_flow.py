"""Config, reauth and options flows of a BALANCE cloud account, against the fake server."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from homeassistant.config_entries import SOURCE_USER, ConfigFlowResult
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.balance.cloud.const import CONF_SCAN_MINUTES
from custom_components.balance.const import DOMAIN

from .fake_server import PASSWORD, USERNAME, FakeBalanceServer, html, status


async def _cloud_form(hass: HomeAssistant) -> ConfigFlowResult:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert "cloud" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "cloud"}
    )
    assert (result["type"], result["step_id"]) == (FlowResultType.FORM, "cloud")
    return result


def _account(server: FakeBalanceServer) -> dict[str, Any]:
    return {CONF_URL: f"{server.url}/", CONF_USERNAME: f" {USERNAME} ", CONF_PASSWORD: PASSWORD}


async def test_sign_in_creates_the_account(hass: HomeAssistant, server: FakeBalanceServer) -> None:
    """The menu's cloud path signs in, lists the meters and stores a normalised account."""
    result = await _cloud_form(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _account(server))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"BALANCE cloud {USERNAME}"
    assert result["data"] == {
        "kind": "cloud",
        CONF_URL: server.url,
        CONF_USERNAME: USERNAME,
        CONF_PASSWORD: PASSWORD,
    }
    assert result["result"].unique_id == f"{server.url}|{USERNAME}"
    assert (server.logins, server.meter_requests) >= (1, 1)
    await hass.async_block_till_done()


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("password", "cloud_invalid_auth"),
        ("status_503", "cloud_cannot_connect"),
        ("html", "cloud_unexpected"),
        ("closed_port", "cloud_cannot_connect"),
    ],
)
async def test_sign_in_errors(
    hass: HomeAssistant, server: FakeBalanceServer, fault: str, error: str
) -> None:
    """Wrong password, failing or unreachable server and a non-API answer: translated errors."""
    account = _account(server)
    if fault == "password":
        server.password = "other"
    elif fault == "status_503":
        server.faults.append(status(503))
    elif fault == "html":
        server.faults.append(html)
    else:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            account[CONF_URL] = f"http://127.0.0.1:{sock.getsockname()[1]}"
    result = await _cloud_form(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], account)
    assert (result["type"], result["errors"]) == (FlowResultType.FORM, {"base": error})
    # Fixed, the same form goes through.
    server.password = PASSWORD
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _account(server))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


async def test_invalid_url(hass: HomeAssistant, server: FakeBalanceServer) -> None:
    """An address without http(s) is refused on its field, before anything is sent."""
    result = await _cloud_form(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _account(server) | {CONF_URL: "balance.example.com"}
    )
    assert result["errors"] == {CONF_URL: "cloud_invalid_url"}
    assert server.logins == 0


async def test_same_account_twice(
    hass: HomeAssistant, server: FakeBalanceServer, cloud_entry: MockConfigEntry
) -> None:
    """The same server and username (any case) is one account."""
    cloud_entry.add_to_hass(hass)
    result = await _cloud_form(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _account(server) | {CONF_USERNAME: USERNAME.upper()}
    )
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "cloud_already_configured")


async def test_reauth_asks_for_the_new_password(
    hass: HomeAssistant, server: FakeBalanceServer, cloud_entry: MockConfigEntry
) -> None:
    """Reauth of a cloud entry asks for the password only, checks it and reloads."""
    cloud_entry.add_to_hass(hass)
    server.password = "new-password"
    result = await cloud_entry.start_reauth_flow(hass)
    assert (result["type"], result["step_id"]) == (FlowResultType.FORM, "cloud_reauth")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "still-wrong"}
    )
    assert result["errors"] == {"base": "cloud_invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "new-password"}
    )
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "cloud_reauth_successful")
    assert cloud_entry.data[CONF_PASSWORD] == "new-password"
    assert cloud_entry.data[CONF_USERNAME] == USERNAME
    await hass.async_block_till_done()


async def test_options_set_the_polling_interval(
    hass: HomeAssistant, server: FakeBalanceServer, cloud_entry: MockConfigEntry
) -> None:
    """The options change the running coordinator's interval without a reload."""
    cloud_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(cloud_entry.entry_id)
    coordinator = cloud_entry.runtime_data
    result = await hass.config_entries.options.async_init(cloud_entry.entry_id)
    assert (result["type"], result["step_id"]) == (FlowResultType.FORM, "cloud")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SCAN_MINUTES: 30}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert cloud_entry.options == {CONF_SCAN_MINUTES: 30, "resources": {}}
    assert cloud_entry.runtime_data is coordinator
    assert coordinator.update_interval is not None
    assert coordinator.update_interval.total_seconds() == 1800


async def test_reconfigure_moves_the_server(
    hass: HomeAssistant, server: FakeBalanceServer, cloud_entry: MockConfigEntry
) -> None:
    """A new address is checked, stored and the account keeps its unique id (and history)."""
    cloud_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(cloud_entry.entry_id)
    unique_id = cloud_entry.unique_id
    moved = FakeBalanceServer(prefix="/balance")
    await moved.start()
    try:
        result = await cloud_entry.start_reconfigure_flow(hass)
        assert (result["type"], result["step_id"]) == (FlowResultType.FORM, "cloud_reconfigure")
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: "ftp://nowhere"}
        )
        assert result["errors"] == {CONF_URL: "cloud_invalid_url"}
        moved.password = "moved-password"
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: moved.url}
        )
        assert result["errors"] == {"base": "cloud_invalid_auth"}  # the stored password
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: moved.url, CONF_PASSWORD: "moved-password"}
        )
        assert (result["type"], result["reason"]) == (
            FlowResultType.ABORT,
            "cloud_reconfigure_successful",
        )
        await hass.async_block_till_done()
        assert cloud_entry.data[CONF_URL] == moved.url
        assert cloud_entry.unique_id == unique_id
        assert cloud_entry.runtime_data.client.base_url == moved.url
    finally:
        await hass.config_entries.async_unload(cloud_entry.entry_id)
        await moved.stop()
