"""Push through HA's webhook: subscription, echo challenge, bearer check, applied at once."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from homeassistant.core import HomeAssistant

from custom_components.balance.utility_link.const import CONF_WEBHOOK_ID, CONF_WEBHOOK_TOKEN
from tests.load_management.conftest import lm_entry, make_house, setup_lm
from tests.openadr.broker import Broker
from tests.openadr.certs import Tls
from tests.openadr.vtn import LocalVtn

from .conftest import event_body, link_entry, opted_in, poll, program_id, setup_link

EXTERNAL = "https://home.example.org"

type ClientFactory = Callable[..., Awaitable[TestClient]]


def _notification(obj: dict[str, Any], operation: str = "CREATE") -> dict[str, Any]:
    return {"objectType": "EVENT", "operation": operation, "object": obj}


async def test_no_https_url_means_polling_only(
    hass: HomeAssistant, vtn: LocalVtn, tls: Tls
) -> None:
    """Without an HTTPS external URL nothing is subscribed and the webhook is not set up."""
    link = await setup_link(hass, link_entry(vtn, tls))
    assert link.push_url is None
    assert not vtn.store["subscriptions"]
    assert "webhook" not in hass.config.components


@pytest.mark.parametrize("version", ["3.1.0", "3.0.1"], indirect=True)
async def test_webhook_push_applies_events_at_once(
    hass: HomeAssistant, hass_client_no_auth: ClientFactory, vtn: LocalVtn, tls: Tls
) -> None:
    """HTTPS external URL: one subscription per program (reused after a reload), the echo
    challenge is answered, a notification with the right bearer token sheds at once, a
    wrong token or a malformed body changes nothing."""
    await hass.config.async_update(external_url=EXTERNAL)
    house = await make_house(hass)
    await setup_lm(hass, lm_entry(limit_w=8000))
    entry = link_entry(vtn, tls, **opted_in())
    link = await setup_link(hass, entry)
    webhook_id, token = entry.data[CONF_WEBHOOK_ID], entry.data[CONF_WEBHOOK_TOKEN]
    assert link.push_url == f"{EXTERNAL}/api/webhook/{webhook_id}"
    (subscription,) = vtn.store["subscriptions"].values()
    operation = subscription["objectOperations"][0]
    assert operation["callbackUrl"] == link.push_url and operation["bearerToken"] == token

    client = await hass_client_no_auth()
    path = f"/api/webhook/{webhook_id}"
    answer = await client.get(path, params={"echo": "c7f3-challenge"})
    assert answer.status == 200 and await answer.text() == "c7f3-challenge"

    event = vtn.create_event(event_body(program_id(vtn), "SIMPLE", 3))
    forged = await client.post(
        path, json=_notification(event), headers={"Authorization": "Bearer guessed"}
    )
    assert forged.status == 401
    assert house.is_on("boiler")
    broken = await client.post(path, data="{not json", headers={"Authorization": f"Bearer {token}"})
    assert broken.status == 400

    double_encoded = json.dumps(json.dumps(_notification(event)))
    sent = time.perf_counter()
    pushed = await client.post(
        path,
        data=double_encoded,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert pushed.status == 200
    await hass.async_block_till_done()
    assert not house.is_on("boiler") and not house.is_on("washer")  # no poll needed
    assert time.perf_counter() - sent < 2  # notification to loads off (target < 2 s)

    gone = await client.post(
        path,
        json=_notification(event, "DELETE"),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert gone.status == 200
    await hass.async_block_till_done()
    assert house.is_on("boiler") and house.is_on("washer")

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(vtn.store["subscriptions"]) == 1  # reused, not duplicated
    await poll(hass, entry.runtime_data)


async def test_mqtt_push_sheds_at_once(
    hass: HomeAssistant, vtn: LocalVtn, tls: Tls, tmp_path: Path
) -> None:
    """A 3.1 VTN with an MQTT notifier (real Mosquitto): the link subscribes after its first
    poll, an event published there sheds the loads without a poll, its deletion restores them,
    and unloading the link ends the MQTT session."""
    broker = Broker(tmp_path)
    await broker.start()
    try:
        vtn.mqtt_uri = broker.uri
        house = await make_house(hass)
        await setup_lm(hass, lm_entry(limit_w=8000))
        entry = link_entry(vtn, tls, **opted_in(poll_interval_s=3600))
        entry.add_to_hass(hass)  # not setup_link: the MQTT session is a task that never ends
        assert await hass.config_entries.async_setup(entry.entry_id)
        link = entry.runtime_data
        await _until(hass, lambda: link.mqtt is not None and link.mqtt.connected)
        polls = link.ven.stats.polls

        event = vtn.create_event(event_body(program_id(vtn), "SIMPLE", 3))
        sent = time.perf_counter()
        await vtn.announce("CREATE", event)
        await _until(hass, lambda: not house.is_on("boiler"))
        assert time.perf_counter() - sent < 2  # published to loads off (target < 2 s)
        assert not house.is_on("washer")
        vtn.delete_event(event["id"])
        await vtn.announce("DELETE", event)
        await _until(hass, lambda: house.is_on("boiler") and house.is_on("washer"))
        assert link.ven.stats.polls == polls  # MQTT alone did it

        notifier = link.mqtt
        assert await hass.config_entries.async_unload(entry.entry_id)
        await _until(hass, lambda: not notifier.connected)
    finally:
        broker.stop()


async def _until(hass: HomeAssistant, check: Callable[[], bool], within: float = 5.0) -> None:
    end = time.monotonic() + within
    while not check():
        assert time.monotonic() < end, "timed out"
        await asyncio.sleep(0.01)
        await hass.async_block_till_done()
