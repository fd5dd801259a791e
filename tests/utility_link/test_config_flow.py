"""The utility-link config flow connects once to the local VTN; errors are translated."""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.balance.const import CONF_KIND, DOMAIN, KIND_UTILITY_LINK
from custom_components.balance.utility_link.const import (
    CONF_BASE_URL,
    CONF_CA_PEM,
    CONF_CLIENT_SECRET,
    CONF_LOADS,
    CONF_OPTED_IN,
    CONF_PROGRAM,
    CONF_TOKEN_URL,
)
from tests.load_management.conftest import lm_entry, make_house, setup_lm
from tests.openadr.certs import Tls
from tests.openadr.vtn import LocalVtn

from .conftest import link_data, link_entry, poll, setup_link


async def _start(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert "utility_link" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "utility_link"}
    )
    assert result["type"] is FlowResultType.FORM and result["step_id"] == "utility_link"
    return str(result["flow_id"])


@pytest.mark.parametrize("version", ["3.1.0", "3.0.1"], indirect=True)
async def test_flow_connects_and_creates_the_entry(
    hass: HomeAssistant, vtn: LocalVtn, tls: Tls
) -> None:
    """Token, enrolment and registration succeed: the entry is created, participation off."""
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, link_data(vtn, tls))
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    assert result["data"][CONF_KIND] == KIND_UTILITY_LINK
    assert result["options"][CONF_OPTED_IN] is False
    await hass.async_block_till_done(wait_background_tasks=True)
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert entry.state is ConfigEntryState.LOADED
    assert [ven["venName"] for ven in vtn.store["vens"].values()] == ["RO005E123456789"]

    again = await _start(hass)
    result = await hass.config_entries.flow.async_configure(again, link_data(vtn, tls))
    assert result["type"] is FlowResultType.ABORT and result["reason"] == "already_configured"


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({CONF_CLIENT_SECRET: "wrong"}, "base", "vtn_auth"),
        ({CONF_CA_PEM: ""}, "base", "vtn_tls"),  # the test CA is not a system CA
        ({CONF_PROGRAM: "other-program"}, "base", "vtn_not_enrolled"),
        ({CONF_CA_PEM: "-----BEGIN CERTIFICATE-----\nnope\n"}, CONF_CA_PEM, "vtn_invalid_ca"),
        ({CONF_TOKEN_URL: "http://127.0.0.1:1/token"}, CONF_TOKEN_URL, "vtn_not_https"),
    ],
)
@pytest.mark.usefixtures("refused_handshakes")
async def test_flow_errors(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    vtn: LocalVtn,
    tls: Tls,
    changes: dict[str, Any],
    field: str,
    error: str,
) -> None:
    """Wrong secret, unknown CA, unknown program, a bad PEM and plain HTTP are refused."""
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, link_data(vtn, tls, **changes))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_flow_refuses_plain_http_and_unreachable(
    hass: HomeAssistant, vtn: LocalVtn, tls: Tls
) -> None:
    """http:// is refused before any request (even to this machine); a closed port is
    unreachable."""
    flow_id = await _start(hass)
    plain = vtn.base_url.replace("https://", "http://")
    result = await hass.config_entries.flow.async_configure(
        flow_id, link_data(vtn, tls, **{CONF_BASE_URL: plain})
    )
    assert result["errors"] == {CONF_BASE_URL: "vtn_not_https"}
    requests = len(vtn.requests)
    closed = "https://127.0.0.1:9/openadr3/3.1.0/"
    result = await hass.config_entries.flow.async_configure(
        flow_id, link_data(vtn, tls, **{CONF_BASE_URL: closed})
    )
    assert result["errors"] == {"base": "vtn_unreachable"}
    assert len(vtn.requests) == requests


async def test_options_need_a_load_to_opt_in(hass: HomeAssistant, vtn: LocalVtn, tls: Tls) -> None:
    """Opting in without a participating load is refused; the bounds apply in place."""
    await make_house(hass)
    await setup_lm(hass, lm_entry(limit_w=8000))
    entry = link_entry(vtn, tls)
    link = await setup_link(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM and result["step_id"] == "utility_link"
    choices = result["data_schema"].schema[CONF_LOADS].config["options"]
    assert [choice["value"] for choice in choices] == ["load_washer", "load_boiler", "load_aircon"]
    user = dict(entry.options) | {CONF_OPTED_IN: True, CONF_LOADS: []}
    result = await hass.config_entries.options.async_configure(result["flow_id"], user)
    assert result["errors"] == {CONF_LOADS: "dr_no_loads"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], user | {CONF_LOADS: ["load_boiler"]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert link.ven.bounds.opted_in
    assert entry.runtime_data is link  # applied without a reload
    await poll(hass, link)


async def test_reauth_after_401(hass: HomeAssistant, vtn: LocalVtn, tls: Tls) -> None:
    """The VTN stops accepting the secret: a reauth flow asks for new credentials."""
    entry = link_entry(vtn, tls)
    link = await setup_link(hass, entry)
    vtn.clients["ven-1"].secret = "rotated"
    vtn.revoke_tokens()
    await poll(hass, link)
    assert not link.connected
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    flow_id = flows[0]["flow_id"]
    assert flows[0]["step_id"] == "utility_link_reauth"
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"client_id": "ven-1", CONF_CLIENT_SECRET: "still-wrong"}
    )
    assert result["errors"] == {"base": "vtn_auth"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"client_id": "ven-1", CONF_CLIENT_SECRET: "rotated"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "utility_link_reauthenticated"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.data[CONF_CLIENT_SECRET] == "rotated"
    assert entry.runtime_data.connected


@pytest.mark.usefixtures("refused_handshakes")
async def test_reconfigure_checks_before_saving(
    hass: HomeAssistant, vtn: LocalVtn, tls: Tls
) -> None:
    """Reconfigure: without the CA the VTN is refused and nothing changes; a new secret is
    saved after a successful connection, an empty one keeps the old."""
    entry = link_entry(vtn, tls)
    await setup_link(hass, entry)
    vtn.clients["ven-1"].secret = "rotated"
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "utility_link_reconfigure"
    form = link_data(vtn, tls) | {CONF_CLIENT_SECRET: ""}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form | {CONF_CA_PEM: ""}
    )
    assert result["errors"] == {"base": "vtn_tls"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], form)
    assert result["errors"] == {"base": "vtn_auth"}  # the old secret was kept
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form | {CONF_CLIENT_SECRET: "rotated"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "utility_link_reconfigured"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.data[CONF_CLIENT_SECRET] == "rotated"
    assert entry.data[CONF_CA_PEM] == tls.ca_pem.strip()
    assert entry.runtime_data.connected
