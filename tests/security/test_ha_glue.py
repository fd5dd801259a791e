"""What Home Assistant shows for the link attacks (issue 13, items 2 and 8), with the real HA test
harness and the real-socket hub peer: the downgrade error and repair issue, and reauth after a
forged refusal that goes away again without a reload."""

from __future__ import annotations

import pytest
from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.balance.const import CONF_CONNECTION, CONF_PSK, CONNECTION_TCP, DOMAIN
from custom_components.balance.hub import client as client_mod
from tests.integration.conftest import (  # noqa: F401 - fixtures of the integration tests
    PSK,
    PSK_TEXT,
    auto_enable_custom_integrations,
    eventually,
    fast_backoff,
    peer,
    secure_entry,
    secure_peer,
    settle,
)
from tests.integration.hub_peer import HUB_ID, HubPeer

from .test_client_attacks import _ForgingRelay


@pytest.fixture(autouse=True)
def quick_auth_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retry after an auth failure within 50 ms instead of a minute."""
    monkeypatch.setattr(client_mod, "AUTH_RETRY_MIN", 0.05)


async def test_config_flow_refuses_a_keyless_hub_with_a_key(
    hass: HomeAssistant,
    peer: HubPeer,  # noqa: F811
) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "network"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: peer.port, CONF_PSK: PSK_TEXT}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_PSK: "downgrade"}


async def test_downgraded_hub_raises_a_repair_issue(
    hass: HomeAssistant,
    secure_entry: MockConfigEntry,  # noqa: F811
    secure_peer: HubPeer,  # noqa: F811
) -> None:
    """A running keyed entry whose hub answers without a key: repair issue, no plaintext, and
    the issue goes once the hub asks for its key again."""
    secure_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(secure_entry.entry_id)
    await settle(hass)
    registry = ir.async_get(hass)
    issue_id = f"downgrade_{HUB_ID}"
    secure_peer.psk = None
    await secure_peer.drop()
    await eventually(lambda: registry.async_get_issue(DOMAIN, issue_id) is not None, hass)
    issue = registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None and issue.translation_key == "downgrade"
    client = secure_entry.runtime_data.client
    assert not client.connected
    assert not hass.config_entries.flow.async_progress()  # not a key problem: no reauth
    secure_peer.psk = PSK
    await eventually(lambda: client.connected and client.authenticated, hass)
    await eventually(lambda: registry.async_get_issue(DOMAIN, issue_id) is None, hass)


async def test_setup_against_a_downgraded_hub(
    hass: HomeAssistant,
    secure_entry: MockConfigEntry,  # noqa: F811
    secure_peer: HubPeer,  # noqa: F811
) -> None:
    secure_peer.psk = None
    secure_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(secure_entry.entry_id)
    assert secure_entry.state is ConfigEntryState.SETUP_RETRY
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"downgrade_{HUB_ID}") is not None


async def test_forged_refusal_starts_reauth_and_recovers_without_reload(
    hass: HomeAssistant,
) -> None:
    """Item 8: one forged AUTH_RESULT(BAD_KEY) on a reconnect starts reauth; the supervisor
    keeps trying, the same client reconnects and the reauth flow is dropped."""
    relay = _ForgingRelay()
    await relay.start_tcp()
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=HUB_ID,
        data={
            CONF_CONNECTION: CONNECTION_TCP,
            CONF_HOST: "127.0.0.1",
            CONF_PORT: relay.port,
            CONF_PSK: PSK_TEXT,
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await settle(hass)
    client = entry.runtime_data.client
    relay.forge = 1
    await relay.drop()
    await eventually(
        lambda: (
            [f["context"]["source"] for f in hass.config_entries.flow.async_progress()]
            == [SOURCE_REAUTH]
        ),
        hass,
    )
    await eventually(lambda: client.connected and client.authenticated, hass)
    await eventually(lambda: not hass.config_entries.flow.async_progress(), hass)
    assert entry.runtime_data.client is client
    assert entry.state is ConfigEntryState.LOADED
    await hass.config_entries.async_unload(entry.entry_id)
    await relay.stop()
