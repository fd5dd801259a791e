"""The dr_event_response blueprint in a real automation: notify, tap "Opt out", declined."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.setup import async_setup_component

from custom_components.balance.openadr import Decision
from tests.load_management.conftest import lm_entry, make_house, setup_lm
from tests.openadr.certs import Tls
from tests.openadr.vtn import LocalVtn

from .conftest import entity_id, event_body, link_entry, opted_in, poll, program_id, setup_link

BLUEPRINT = Path(__file__).parents[2] / "blueprints/automation/balance/dr_event_response.yaml"


async def _settle(hass: HomeAssistant) -> None:
    """Let the loop run (a waiting automation never lets HA block till done)."""
    for _ in range(50):
        await asyncio.sleep(0)
    await asyncio.sleep(0.05)
    for _ in range(50):
        await asyncio.sleep(0)


async def test_opt_out_from_the_notification(
    hass: HomeAssistant, tmp_path: Path, vtn: LocalVtn, tls: Tls
) -> None:
    """A new accepted event notifies the phone with an "Opt out" action; tapping it opts out
    of exactly that event and the loads come back."""
    house = await make_house(hass)
    await setup_lm(hass, lm_entry(limit_w=8000))
    link = await setup_link(hass, link_entry(vtn, tls, **opted_in()))
    sent: list[ServiceCall] = []

    @callback
    def phone(call: ServiceCall) -> None:
        sent.append(call)

    hass.services.async_register("notify", "mobile_app_phone", phone)
    hass.config.config_dir = str(tmp_path)
    target = tmp_path / "blueprints/automation/balance"
    target.mkdir(parents=True)
    shutil.copy(BLUEPRINT, target / BLUEPRINT.name)
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "id": "dr_event_response",
                "alias": "DR event response",
                "use_blueprint": {
                    "path": "balance/dr_event_response.yaml",
                    "input": {
                        "dr_event": entity_id(hass, "event", "dr_event"),
                        "notify_action": "notify.mobile_app_phone",
                    },
                },
            }
        },
    )
    await hass.async_block_till_done()

    event = vtn.create_event(event_body(program_id(vtn), "SIMPLE", 3))
    await link.async_poll()
    await _settle(hass)
    assert not house.is_on("boiler")
    assert len(sent) == 1
    data = sent[0].data
    assert data["title"] == "Demand response" and "simple 3" in data["message"]
    actions = data["data"]["actions"]
    assert actions == [{"action": f"BALANCE_DR_OPT_OUT_{event['id']}", "title": "Opt out"}]

    hass.bus.async_fire("mobile_app_notification_action", {"action": "SOMETHING_ELSE"})
    await _settle(hass)
    assert link.ven.outcomes[event["id"]].decision is Decision.ACCEPTED

    hass.bus.async_fire("mobile_app_notification_action", {"action": actions[0]["action"]})
    await _settle(hass)
    await poll(hass, link)
    assert link.ven.outcomes[event["id"]].decision is Decision.DECLINED
    assert house.is_on("boiler") and house.is_on("washer") and house.is_on("aircon")
    assert len(sent) == 1  # the decline itself is no new notification
