"""Guard policy and heartbeats to a linked BALANCE hub (the test hub peer over real TCP)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import timedelta

import pytest
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.balance.const import CONF_CONNECTION, CONNECTION_TCP, DOMAIN
from custom_components.balance.hub.messages import (
    GuardAck,
    GuardOutput,
    GuardPolicy,
    Heartbeat,
    Message,
    OutputCause,
    OutputState,
    Priority,
)
from custom_components.balance.load_management.const import (
    CONF_HUB_ENTRY,
    CONF_KIND,
    CONF_LIMIT_W,
    CONF_POWER_ENTITY,
    CONF_PRIORITY,
    CONF_RATED_W,
    CONF_SWITCH_ENTITY,
    KIND_LOAD_MANAGEMENT,
    SUBENTRY_MANAGED_LOAD,
)
from tests.integration.hub_peer import HUB_ID, HubPeer, _Link


class GuardPeer(HubPeer):
    """The integration tests' hub peer, plus the DLM guard messages."""

    def handle(self, link: _Link, message: Message, seq: int) -> None:
        """Acknowledge guard policies and take heartbeats; the rest as usual."""
        if isinstance(message, GuardPolicy):
            link.send(GuardAck(message.policy_id, 0))
        elif not isinstance(message, Heartbeat):
            super().handle(link, message, seq)

    def received(self, kind: type[Message]) -> list[Message]:
        """Every message of one type the hub got, over every connection."""
        return [m for link in self.links for m in link.received if isinstance(m, kind)]


@pytest.fixture
async def guard_peer() -> AsyncGenerator[GuardPeer]:
    """A plaintext hub on 127.0.0.1 that speaks the guard messages."""
    hub = GuardPeer()
    await hub.start_tcp()
    yield hub
    await hub.stop()


async def settle(hass: HomeAssistant) -> None:
    """Let frames cross the socket and HA handle them."""
    for _ in range(5):
        await asyncio.sleep(0.01)
        await hass.async_block_till_done()


async def test_policy_pushed_and_heartbeats(hass: HomeAssistant, guard_peer: GuardPeer) -> None:
    """The hub gets the policy of the hub outputs the engine manages, then heartbeats."""
    guard_peer.state.outputs[(0, 1)] = 0
    hub = MockConfigEntry(
        domain=DOMAIN,
        title=f"BALANCE hub {HUB_ID}",
        unique_id=HUB_ID,
        data={CONF_CONNECTION: CONNECTION_TCP, CONF_HOST: "127.0.0.1", CONF_PORT: guard_peer.port},
    )
    hub.add_to_hass(hass)
    assert await hass.config_entries.async_setup(hub.entry_id)
    await settle(hass)
    registry = er.async_get(hass)
    power = registry.async_get_entity_id("sensor", DOMAIN, f"{HUB_ID}-0-1-power")
    socket = registry.async_get_entity_id("switch", DOMAIN, f"{HUB_ID}-0-output-0")
    heater = registry.async_get_entity_id("switch", DOMAIN, f"{HUB_ID}-0-output-1")
    assert power and socket and heater

    # output 1 was opened by the hub guard while Home Assistant was away
    guard_peer.push(OutputState(0, 1, 0, OutputCause.GUARD_SHED, 0))
    await settle(hass)

    lm = MockConfigEntry(
        domain=DOMAIN,
        title="Load management",
        data={CONF_KIND: KIND_LOAD_MANAGEMENT},
        options={CONF_POWER_ENTITY: power, CONF_LIMIT_W: 5000, CONF_HUB_ENTRY: hub.entry_id},
        subentries_data=[
            ConfigSubentryData(
                data={CONF_SWITCH_ENTITY: entity, CONF_PRIORITY: priority, CONF_RATED_W: 2000},
                subentry_type=SUBENTRY_MANAGED_LOAD,
                title=title,
                unique_id=None,
            )
            for entity, priority, title in (
                (socket, "yellow", "Boiler"),
                (heater, "green", "Heater"),
            )
        ],
    )
    lm.add_to_hass(hass)
    assert await hass.config_entries.async_setup(lm.entry_id)
    await settle(hass)

    (policy,) = guard_peer.received(GuardPolicy)
    assert policy.limit_w == 5000
    assert (policy.meter_node, policy.meter_channel, policy.meter_imp_per_kwh) == (0, 1, 1000)
    assert policy.heartbeat_timeout_s == 90
    assert set(policy.outputs) == {
        GuardOutput(0, 0, Priority.YELLOW, 900, 60, 2000),
        GuardOutput(0, 1, Priority.GREEN, 0, 60, 2000),
    }
    # the load the hub guard shed is held by the engine (and restored by it), not forgotten
    heater_load = next(s.subentry_id for s in lm.subentries.values() if s.title == "Heater")
    assert lm.runtime_data.state().loads[heater_load].status == "shed"

    for seconds in (31, 62):
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))
        await settle(hass)
    heartbeats = guard_peer.received(Heartbeat)
    assert heartbeats
    assert {h.policy_id for h in heartbeats} == {policy.policy_id}

    await hass.services.async_call(DOMAIN, "set_limit", {"watts": 4000}, blocking=True)
    await settle(hass)
    latest = guard_peer.received(GuardPolicy)[-1]
    assert latest.limit_w == 4000
    assert latest.policy_id == (policy.policy_id + 1) & 0xFFFF
