"""Reports in real HA: USAGE after an event, hourly relay, 7 days without the VTN."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.balance.utility_link.const import CONF_RELAY_ENTITIES, CONF_USAGE_ENTITY
from custom_components.balance.utility_link.diagnostics import (
    async_get_config_entry_diagnostics,
)
from tests.load_management.conftest import lm_entry, make_house, setup_lm
from tests.openadr.certs import Tls
from tests.openadr.vtn import LocalVtn

from .conftest import (
    METER_POINT,
    advance,
    entity_id,
    event_body,
    link_entry,
    opted_in,
    poll,
    program_id,
    setup_link,
)

ENERGY = "sensor.house_energy"
ENERGY_ATTRS = {
    "unit_of_measurement": "kWh",
    "device_class": "energy",
    "state_class": "total_increasing",
}


def _meter(hass: HomeAssistant, kwh: float) -> None:
    hass.states.async_set(ENERGY, str(kwh), ENERGY_ATTRS)


@pytest.mark.parametrize("version", ["3.1.0", "3.0.1"], indirect=True)
async def test_usage_report_and_energy_shed(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory, vtn: LocalVtn, tls: Tls
) -> None:
    """After an accepted 30-min limit event the VTN gets a schema-valid USAGE report from the
    usage meter; energy shed = the 30 min before (baseline) minus the 30 min during."""
    await make_house(hass)
    await setup_lm(hass, lm_entry(limit_w=8000))
    _meter(hass, 100.0)
    await hass.async_block_till_done()
    link = await setup_link(hass, link_entry(vtn, tls, **opted_in(**{CONF_USAGE_ENTITY: ENERGY})))
    await advance(hass, freeze, 30 * 60, step=60)
    _meter(hass, 102.5)  # 2.5 kWh in the 30 min before the event (5 kW)
    await hass.async_block_till_done()
    event = vtn.create_event(
        event_body(
            program_id(vtn),
            "IMPORT_CAPACITY_LIMIT",
            3.0,
            duration="PT30M",
            reportDescriptors=[{"payloadType": "USAGE", "readingType": "DIRECT_READ"}],
        )
    )
    await poll(hass, link)
    await advance(hass, freeze, 29 * 60, step=60)
    _meter(hass, 104.0)  # 1.5 kWh during the event (3 kW)
    await advance(hass, freeze, 2 * 60, step=60)
    await poll(hass, link)

    usage = [report for report in vtn.reports() if ":usage:" in report["reportName"]]
    assert len(usage) == 1
    assert usage[0]["eventID"] == event["id"] and usage[0]["clientName"] == METER_POINT
    payload = usage[0]["resources"][0]["intervals"][0]["payloads"][0]
    assert payload == {"type": "USAGE", "values": [1.5]}
    state = hass.states.get(entity_id(hass, "sensor", "energy_shed"))
    assert float(state.state) == pytest.approx(1.0)
    assert state.attributes["per_event"] == {event["id"]: 1.0}


async def test_seven_days_without_the_vtn_every_report_arrives_once(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory, vtn: LocalVtn, tls: Tls
) -> None:
    """Hourly relay to the utility's reporting event while the VTN is down for 7 simulated
    days, HA restarted on the way (buffer in .storage): every report arrives once, in order."""
    _meter(hass, 0.0)
    entry = link_entry(vtn, tls, **{CONF_RELAY_ENTITIES: [ENERGY]})
    vtn.create_event(
        event_body(
            program_id(vtn),
            "SIMPLE",
            0,
            duration="P9D",
            eventName="hourly metering",
            reportDescriptors=[{"payloadType": "USAGE", "readingType": "DIRECT_READ"}],
        )
    )
    link = await setup_link(hass, entry)
    await vtn.go_down()
    hours = 7 * 24
    start = freeze().replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    for hour in range(hours):
        if hour == 80:  # HA restarts in the middle of the outage
            assert await hass.config_entries.async_reload(entry.entry_id)
            await hass.async_block_till_done(wait_background_tasks=True)
            link = entry.runtime_data
        freeze.move_to(start + dt.timedelta(hours=hour, minutes=-30))
        _meter(hass, 0.5 * hour + 0.25)
        await hass.async_block_till_done()
        freeze.move_to(start + dt.timedelta(hours=hour, seconds=-1))
        _meter(hass, 0.5 * (hour + 1))
        await hass.async_block_till_done()
        freeze.move_to(start + dt.timedelta(hours=hour))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert len(link.ven.buffer.pending) == hours
    assert hass.states.get(entity_id(hass, "binary_sensor", "vtn_connected")).state == "off"

    vtn.fail_next["POST /reports"] = 1  # stored, but the answer is lost once
    await vtn.start()
    for _ in range(3):
        await poll(hass, link)
    relayed = [report for report in vtn.reports() if ":relay:" in report["reportName"]]
    names = [report["reportName"] for report in relayed]
    assert len(names) == len(set(names)) == hours
    assert [int(name.rsplit(":", 1)[1]) for name in names] == sorted(
        int(name.rsplit(":", 1)[1]) for name in names
    )
    values = [
        report["resources"][0]["intervals"][0]["payloads"][0]["values"][0] for report in relayed
    ]
    assert values == [0.5] * hours
    assert link.ven.buffer.pending == [] and link.ven.buffer.dropped == 0


async def test_diagnostics_redact_credentials(hass: HomeAssistant, vtn: LocalVtn, tls: Tls) -> None:
    """No secret, client id, meter-point id or CA in the diagnostics."""
    entry = link_entry(vtn, tls)
    await setup_link(hass, entry)
    text = json.dumps(await async_get_config_entry_diagnostics(hass, entry), default=str)
    for secret in ("ven-secret", "ven-1", METER_POINT, "BEGIN CERTIFICATE"):
        assert secret not in text, secret
    assert token_free(text, vtn)


def token_free(text: str, vtn: LocalVtn) -> bool:
    """No token the VTN issued appears in `text`."""
    return not any(token in text for token in vtn.tokens)
