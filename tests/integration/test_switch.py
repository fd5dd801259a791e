"""Contactor switches: state follows the hub, never optimistic."""

from __future__ import annotations

import pytest
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.balance.hub.messages import OutputCause, OutputSet

from .conftest import settle
from .hub_peer import NODE_ID, HubPeer

HUB_OUTPUT = "switch.balance_hub_bh_00a1b2_output_1"
NODE_OUTPUT = "switch.d100fc_00001001_output_1"


async def _call(hass: HomeAssistant, service: str, entity_id: str) -> None:
    await hass.services.async_call(
        SWITCH_DOMAIN, service, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


async def test_switch_follows_ack(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """Turning off sends OUTPUT_SET and the state is the one the hub acknowledged."""
    assert hass.states.get(HUB_OUTPUT).state == STATE_ON
    await _call(hass, SERVICE_TURN_OFF, HUB_OUTPUT)
    assert hass.states.get(HUB_OUTPUT).state == STATE_OFF
    assert peer.state.outputs[(0, 0)] == 0
    sets = [m for link in peer.links for m in link.received if isinstance(m, OutputSet)]
    assert sets[-1].node_id == 0 and sets[-1].output == 0 and sets[-1].state == 0
    await _call(hass, SERVICE_TURN_ON, NODE_OUTPUT)
    assert peer.state.outputs[(NODE_ID, 0)] == 1
    await _call(hass, SERVICE_TURN_ON, HUB_OUTPUT)
    assert hass.states.get(HUB_OUTPUT).state == STATE_ON


async def test_switch_refused_keeps_state(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """A refused command raises a translated error and the state stays the hub's."""
    peer.state.output_result = 2
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, SERVICE_TURN_OFF, HUB_OUTPUT)
    assert err.value.translation_key == "output_refused"
    assert hass.states.get(HUB_OUTPUT).state == STATE_ON


async def test_switch_no_answer(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """No OUTPUT_ACK in time: error, state unchanged."""
    peer.ignore.add(OutputSet)
    loaded_entry.runtime_data.client.request_timeout = 0.1
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, SERVICE_TURN_OFF, HUB_OUTPUT)
    assert err.value.translation_key == "output_failed"
    assert hass.states.get(HUB_OUTPUT).state == STATE_ON


async def test_switch_follows_hub_changes(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """An output the hub's guard opens is shown off."""
    peer.state.outputs[(0, 1)] = 0
    peer.push(peer.output_state(0, 1, OutputCause.GUARD_SHED))
    await settle(hass)
    assert hass.states.get("switch.balance_hub_bh_00a1b2_output_2").state == STATE_OFF
