"""End to end in real HA: DR events from the local VTN act on the test household.

The household (tests/load_management): base 1000 W, washer (green, 2000 W), boiler (yellow,
1500 W), aircon (yellow, 1000 W), computer (red, 200 W), real template switches, load
management limit 8000 W (nothing shed without DR).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util

from custom_components.balance.const import DOMAIN
from custom_components.balance.load_management.prices import entity_intervals
from custom_components.balance.openadr import Decision, DeclineReason
from custom_components.balance.openadr.parse import format_datetime
from custom_components.balance.pricing import async_get_price_forecast
from custom_components.balance.utility_link.const import EVENT_UTILITY_LINK, STATS_KEY
from custom_components.balance.utility_link.logbook import describe
from custom_components.balance.utility_link.stats import Participation
from tests.load_management.conftest import House, lm_entry, make_house, setup_lm
from tests.openadr.certs import Tls
from tests.openadr.vtn import LocalVtn
from tests.pricing.conftest import ENERGY_ATTRS, METER, setup_pricing

from .conftest import (
    ENTRY_ID,
    advance,
    entity_id,
    event_body,
    link_entry,
    opted_in,
    poll,
    program_id,
    setup_link,
)

EFFECTIVE_LIMIT = "sensor.load_management_effective_limit"


@pytest.fixture
def logbook(hass: HomeAssistant) -> list[dict[str, Any]]:
    """Every utility-link logbook event fired."""
    seen: list[dict[str, Any]] = []

    @callback
    def record(event: Event) -> None:
        seen.append(dict(event.data))

    hass.bus.async_listen(EVENT_UTILITY_LINK, record)
    return seen


async def _household(hass: HomeAssistant) -> House:
    house = await make_house(hass)
    await setup_lm(hass, lm_entry(limit_w=8000))
    return house


def _declines(vtn: LocalVtn) -> list[tuple[str, str]]:
    found = []
    for report in vtn.reports():
        payloads = report["resources"][0]["intervals"][0]["payloads"]
        values = {payload["type"]: payload["values"][0] for payload in payloads}
        if "BALANCE_DECLINE_REASON" in values:
            found.append((report["eventID"], values["BALANCE_DECLINE_REASON"]))
    return found


@pytest.mark.parametrize("version", ["3.1.0", "3.0.1"], indirect=True)
async def test_capacity_limit_sets_the_dr_term_and_loads_shed(
    hass: HomeAssistant,
    freeze: FrozenDateTimeFactory,
    vtn: LocalVtn,
    tls: Tls,
    logbook: list[dict[str, Any]],
) -> None:
    """IMPORT_CAPACITY_LIMIT 3.5 kW: the DR term binds, loads shed under it, red stays on;
    the entities show it and the logbook has the event id; at the end it is lifted."""
    house = await _household(hass)
    link = await setup_link(hass, link_entry(vtn, tls, **opted_in()))
    assert house.power_w == 5700
    event = vtn.create_event(event_body(program_id(vtn), "IMPORT_CAPACITY_LIMIT", 3.5))
    await poll(hass, link)

    assert hass.states.get(EFFECTIVE_LIMIT).state == "3500"
    assert hass.states.get("sensor.load_management_limit_reason").state == "dr"
    await advance(hass, freeze, 12)
    assert house.power_w <= 3500
    assert house.is_on("computer")  # red: never switched
    assert hass.states.get(entity_id(hass, "binary_sensor", "dr_active")).state == STATE_ON
    assert hass.states.get(entity_id(hass, "sensor", "dr_limit")).state == "3.5"
    end = dt_util.parse_datetime(hass.states.get(entity_id(hass, "sensor", "dr_end")).state)
    assert end is not None and end - dt_util.utcnow() > dt.timedelta(minutes=59)
    calendar = hass.states.get(entity_id(hass, "calendar", "dr_events"))
    assert calendar.state == STATE_ON and calendar.attributes["message"].endswith("3.5 kW")
    assert hass.states.get(entity_id(hass, "sensor", "events_accepted")).state == "1"
    dr_event = hass.states.get(entity_id(hass, "event", "dr_event"))
    assert dr_event.attributes["event_type"] == "accepted"
    assert dr_event.attributes["event_id"] == event["id"]
    actions = [(item["action"], item["event_id"]) for item in logbook]
    assert ("accepted", event["id"]) in actions and ("limit_set", event["id"]) in actions
    assert describe(logbook[-1]) == f"DR limit 3.5 kW set by event {event['id']}"

    vtn.delete_event(event["id"])  # cancelled by the utility
    await poll(hass, link)
    assert hass.states.get(EFFECTIVE_LIMIT).state == "8000"
    assert hass.states.get(entity_id(hass, "binary_sensor", "dr_active")).state == STATE_OFF
    assert logbook[-1]["action"] == "limit_cleared"


async def test_a_capacity_limit_sheds_only_the_loads_that_take_part(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory, vtn: LocalVtn, tls: Tls
) -> None:
    """Only the boiler takes part: a 4 kW limit sheds it and nothing else, though the house
    stays above 4 kW; the washer and the aircon, not in the bounds, keep running."""
    house = await _household(hass)
    link = await setup_link(hass, link_entry(vtn, tls, **opted_in(loads=["load_boiler"])))
    vtn.create_event(event_body(program_id(vtn), "IMPORT_CAPACITY_LIMIT", 4.0))
    await poll(hass, link)
    assert hass.states.get(EFFECTIVE_LIMIT).state == "4000"
    await advance(hass, freeze, 12)
    assert not house.is_on("boiler")
    assert house.is_on("washer") and house.is_on("aircon") and house.is_on("computer")
    assert house.power_w == 4200


async def test_simple_2_sheds_greens_and_rotates_yellows(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory, vtn: LocalVtn, tls: Tls
) -> None:
    """SIMPLE 2: the green is off all along, one yellow at a time for its 7 min max-off."""
    house = await _household(hass)
    link = await setup_link(hass, link_entry(vtn, tls, **opted_in()))
    vtn.create_event(event_body(program_id(vtn), "SIMPLE", 2))
    await poll(hass, link)
    await advance(hass, freeze, 2)
    assert not house.is_on("washer")
    assert not house.is_on("aircon") and house.is_on("boiler")
    assert house.is_on("computer")
    assert hass.states.get("sensor.aircon_state").state == "shed"

    await advance(hass, freeze, 7 * 60, step=10)
    assert house.is_on("aircon") and not house.is_on("boiler")  # rotated
    assert not house.is_on("washer")
    await advance(hass, freeze, 7 * 60, step=10)
    assert not house.is_on("aircon") and house.is_on("boiler")
    assert house.is_on("computer")


async def test_simple_levels_1_and_3(hass: HomeAssistant, vtn: LocalVtn, tls: Tls) -> None:
    """SIMPLE 1 sheds the green only; SIMPLE 3 every green and yellow; red never."""
    house = await _household(hass)
    link = await setup_link(hass, link_entry(vtn, tls, **opted_in()))
    event = vtn.create_event(event_body(program_id(vtn), "SIMPLE", 1))
    await poll(hass, link)
    assert not house.is_on("washer") and house.is_on("boiler") and house.is_on("aircon")
    vtn.update_event(
        event["id"], {"intervals": [{"id": 0, "payloads": [{"type": "SIMPLE", "values": [3]}]}]}
    )
    await poll(hass, link)
    assert not house.is_on("washer") and not house.is_on("boiler")
    assert not house.is_on("aircon") and house.is_on("computer")
    vtn.delete_event(event["id"])
    await poll(hass, link)
    assert house.is_on("washer") and house.is_on("boiler") and house.is_on("aircon")


async def test_opt_out_declines_restores_and_reports(
    hass: HomeAssistant, vtn: LocalVtn, tls: Tls, logbook: list[dict[str, Any]]
) -> None:
    """balance.dr_opt_out on the event in force: declined, loads back, the VTN is told."""
    house = await _household(hass)
    link = await setup_link(hass, link_entry(vtn, tls, **opted_in()))
    event = vtn.create_event(event_body(program_id(vtn), "SIMPLE", 3))
    await poll(hass, link)
    assert not house.is_on("boiler")

    response = await hass.services.async_call(
        DOMAIN, "dr_opt_out", {}, blocking=True, return_response=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert response == {"event_id": event["id"]}
    assert house.is_on("washer") and house.is_on("boiler") and house.is_on("aircon")
    assert link.ven.outcomes[event["id"]].decision is Decision.DECLINED
    assert _declines(vtn) == [(event["id"], "opted_out")]
    assert hass.states.get(entity_id(hass, "sensor", "events_opted_out")).state == "1"
    dr_event = hass.states.get(entity_id(hass, "event", "dr_event"))
    assert dr_event.attributes["event_type"] == "opted_out"
    assert dr_event.attributes["reason"] == "opted_out"
    assert ("opted_out", event["id"]) in [(item["action"], item["event_id"]) for item in logbook]

    await poll(hass, link)
    assert _declines(vtn) == [(event["id"], "opted_out")]  # reported once

    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(
            DOMAIN, "dr_opt_out", {"event_id": "no-such-event"}, blocking=True
        )
    assert raised.value.translation_key == "dr_unknown_event"
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(DOMAIN, "dr_opt_out", {}, blocking=True)
    assert raised.value.translation_key == "dr_no_event"


@pytest.mark.parametrize(
    ("options", "payload", "value", "reason"),
    [
        ({}, "IMPORT_CAPACITY_LIMIT", 1.5, DeclineReason.BELOW_FLOOR),  # floor 2 kW
        ({"longest_event_h": 0.5}, "SIMPLE", 2, DeclineReason.TOO_LONG),
        ({"opted_in": False}, "SIMPLE", 1, DeclineReason.NOT_OPTED_IN),
    ],
)
async def test_out_of_bounds_events_are_declined_and_reported(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    vtn: LocalVtn,
    tls: Tls,
    logbook: list[dict[str, Any]],
    options: dict[str, Any],
    payload: str,
    value: float,
    reason: DeclineReason,
) -> None:
    """Below the floor, too long, not opted in: nothing changes in the house, the decline
    is visible (entity, logbook) and reported to the VTN with its reason."""
    house = await _household(hass)
    link = await setup_link(hass, link_entry(vtn, tls, **opted_in(**options)))
    event = vtn.create_event(event_body(program_id(vtn), payload, value))
    await poll(hass, link)
    assert hass.states.get(EFFECTIVE_LIMIT).state == "8000"
    assert house.power_w == 5700
    assert _declines(vtn) == [(event["id"], reason.value)]
    assert hass.states.get(entity_id(hass, "sensor", "events_declined")).state == "1"
    dr_event = hass.states.get(entity_id(hass, "event", "dr_event"))
    assert (dr_event.attributes["event_type"], dr_event.attributes["reason"]) == (
        "declined",
        reason.value,
    )
    line = next(item for item in logbook if item["action"] == "declined")
    assert line["event_id"] == event["id"]
    assert describe(line).startswith(f"declined DR event {event['id']} (")


async def test_red_loads_raise_the_floor(hass: HomeAssistant, vtn: LocalVtn, tls: Tls) -> None:
    """A limit the red loads could not run under is declined even with a floor of 0."""
    await make_house(hass)
    await setup_lm(hass, lm_entry(limit_w=8000))
    link = await setup_link(hass, link_entry(vtn, tls, **opted_in(floor_kw=0.0)))
    assert link.ven.bounds.effective_floor_kw == pytest.approx(0.2)  # the computer
    event = vtn.create_event(event_body(program_id(vtn), "IMPORT_CAPACITY_LIMIT", 0.1))
    await poll(hass, link)
    assert _declines(vtn) == [(event["id"], "below_floor")]


async def test_invalid_event_is_rejected_whole(
    hass: HomeAssistant, vtn: LocalVtn, tls: Tls, logbook: list[dict[str, Any]]
) -> None:
    """A SIMPLE level 7 (as a real server might send) is rejected as a whole with its
    reason: nothing is shed, the event entity and the logbook say why."""
    house = await _household(hass)
    link = await setup_link(hass, link_entry(vtn, tls, **opted_in()))
    body = event_body(program_id(vtn), "SIMPLE", 7)
    vtn.put_raw_event({"id": "raw-1", "modificationDateTime": "2026-03-10 10:00:00", **body})
    await poll(hass, link)
    assert house.power_w == 5700
    dr_event = hass.states.get(entity_id(hass, "event", "dr_event"))
    assert (dr_event.attributes["event_type"], dr_event.attributes["reason"]) == (
        "rejected",
        "invalid_value",
    )
    assert describe(logbook[-1]) == "rejected invalid DR event raw-1 (invalid_value)"


async def test_program_safe_mode_when_the_link_is_lost(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory, vtn: LocalVtn, tls: Tls
) -> None:
    """A program with a safe mode: after 3 failed polls its limit applies (within the
    bounds); the next successful poll ends it."""
    vtn.store["programs"].clear()
    vtn.create_program(
        {
            "programName": "balance-dr",
            "attributes": [{"type": "SAFE_MODE_IMPORT_CAPACITY_LIMIT", "values": [4.0]}],
        }
    )
    await _household(hass)
    link = await setup_link(hass, link_entry(vtn, tls, **opted_in()))
    await vtn.go_down()
    await advance(hass, freeze, 4 * 60, step=30)
    assert link.ven.link_lost
    assert hass.states.get(EFFECTIVE_LIMIT).state == "4000"
    await vtn.start()
    await poll(hass, link)
    assert hass.states.get(EFFECTIVE_LIMIT).state == "8000"


async def test_calendar_lists_events_with_the_decision(
    hass: HomeAssistant, vtn: LocalVtn, tls: Tls
) -> None:
    """calendar.get_events: an accepted and a declined event, with the reason."""
    await _household(hass)
    link = await setup_link(hass, link_entry(vtn, tls, **opted_in()))
    now = dt_util.utcnow()
    later = now + dt.timedelta(hours=2)
    vtn.create_event(event_body(program_id(vtn), "SIMPLE", 1, start=later))
    vtn.create_event(event_body(program_id(vtn), "IMPORT_CAPACITY_LIMIT", 1.0, start=later))
    await poll(hass, link)
    calendar = entity_id(hass, "calendar", "dr_events")
    found = await hass.services.async_call(
        "calendar",
        "get_events",
        {
            "entity_id": calendar,
            "start_date_time": now,
            "end_date_time": now + dt.timedelta(days=1),
        },
        blocking=True,
        return_response=True,
    )
    events = sorted(found[calendar]["events"], key=lambda item: item["summary"])
    assert [(item["summary"], item["description"]) for item in events] == [
        ("import_capacity_limit 1.0: limit 1 kW", "declined (below_floor)"),
        ("simple 1: shed level 1", "accepted"),
    ]


async def test_a_dr_limit_never_raises_the_house_limits(
    hass: HomeAssistant, vtn: LocalVtn, tls: Tls
) -> None:
    """A 7 kW DR limit over a 5 kW resident limit and a 6 kW main fuse changes nothing."""
    await make_house(hass, initial=dict.fromkeys(("washer", "boiler", "aircon", "computer"), False))
    await setup_lm(hass, lm_entry(limit_w=5000, hard_limit_w=6000))
    link = await setup_link(hass, link_entry(vtn, tls, **opted_in()))
    vtn.create_event(event_body(program_id(vtn), "IMPORT_CAPACITY_LIMIT", 7.0))
    await poll(hass, link)
    assert hass.states.get(entity_id(hass, "sensor", "dr_limit")).state == "7.0"
    assert hass.states.get(EFFECTIVE_LIMIT).state == "5000"
    assert hass.states.get("sensor.load_management_limit_reason").state == "resident"


async def test_prices_reach_the_sensor_without_consent(
    hass: HomeAssistant, vtn: LocalVtn, tls: Tls
) -> None:
    """PRICE needs no opt-in: the utility price sensor and `price_at` show it."""
    await _household(hass)
    link = await setup_link(hass, link_entry(vtn, tls))  # participation off
    vtn.create_event(
        event_body(
            program_id(vtn),
            "PRICE",
            0.42,
            payloadDescriptors=[
                {
                    "objectType": "EVENT_PAYLOAD_DESCRIPTOR",
                    "payloadType": "PRICE",
                    "currency": "RON",
                }
            ],
        )
    )
    await poll(hass, link)
    price = hass.states.get(entity_id(hass, "sensor", "dr_price"))
    assert (price.state, price.attributes["currency"]) == ("0.42", "RON")
    assert link.price_at(dt_util.utcnow()) == (0.42, "RON")
    # The planner takes the sensor as a price entity: the event's hour at 0.42.
    (interval,) = entity_intervals(price, dt_util.utcnow())
    assert interval[1] - interval[0] == dt.timedelta(hours=1) and interval[2] == 0.42
    assert hass.states.get(entity_id(hass, "binary_sensor", "dr_active")).state == STATE_OFF


async def test_prices_feed_the_dynamic_tariff_of_a_pricing_entry(
    hass: HomeAssistant, vtn: LocalVtn, tls: Tls
) -> None:
    """A pricing entry on the utility price sensor: the PRICE event's hours, with the
    supplier formula, fees and VAT, are its current price and its forecast."""
    link = await setup_link(hass, link_entry(vtn, tls))
    hour = dt_util.utcnow().replace(minute=0, second=0, microsecond=0)
    prices = [0.40, 0.10, 0.20]
    vtn.create_event(
        event_body(program_id(vtn), "PRICE", 0, start=hour, duration="PT1H")
        | {
            "intervals": [
                {
                    "id": k,
                    "intervalPeriod": {
                        "start": format_datetime(hour + dt.timedelta(hours=k)),
                        "duration": "PT1H",
                    },
                    "payloads": [{"type": "PRICE", "values": [p]}],
                }
                for k, p in enumerate(prices)
            ]
        }
    )
    await poll(hass, link)
    price_sensor = entity_id(hass, "sensor", "dr_price")
    hass.states.async_set(METER, "10", ENERGY_ATTRS)
    options = {
        "tariff_type": "dynamic",
        "energy_entity": METER,
        "price_entity": price_sensor,
        "price_scale": 1.0,
        "spot_multiplier": 1.0,
        "spot_markup": 0.05,
        "fees_per_kwh": 0.0,
        "vat_pct": 20.0,
        "billing_day": 1,
    }
    entry = await setup_pricing(hass, options, title="Utility tariff")
    current = hass.states.get("sensor.utility_tariff_current_price")
    assert current is not None and float(current.state) == pytest.approx((0.40 + 0.05) * 1.2)
    forecast = await async_get_price_forecast(hass, entry.entry_id)
    assert [round(price, 4) for _, _, price in forecast] == [
        round((p + 0.05) * 1.2, 4) for p in prices
    ]
    assert forecast[0][0] == hour and forecast[-1][1] == hour + dt.timedelta(hours=3)


async def test_holds_from_before_a_restart_are_released_when_due(
    hass: HomeAssistant, vtn: LocalVtn, tls: Tls, hass_storage: dict[str, Any]
) -> None:
    """HA restarted while a SIMPLE 3 held the boiler and the washer off (HA does not unload
    entries when it stops); the utility cancelled the event meanwhile: both come back."""
    hass_storage[STATS_KEY.format(entry_id=ENTRY_ID)] = {
        "version": 1,
        "minor_version": 1,
        "key": STATS_KEY.format(entry_id=ENTRY_ID),
        "data": Participation(held=["load_boiler", "load_washer"]).to_json(),
    }
    initial = {"washer": False, "boiler": False, "aircon": True, "computer": True}
    house = await make_house(hass, initial=initial)
    await setup_lm(hass, lm_entry(limit_w=8000))
    await setup_link(hass, link_entry(vtn, tls, **opted_in()))
    assert house.is_on("boiler") and house.is_on("washer") and house.is_on("aircon")


async def test_unloading_the_link_releases_its_holds(
    hass: HomeAssistant, vtn: LocalVtn, tls: Tls
) -> None:
    """Removing (or disabling) the link during a SIMPLE 3 brings the loads back."""
    house = await _household(hass)
    entry = link_entry(vtn, tls, **opted_in())
    link = await setup_link(hass, entry)
    vtn.create_event(event_body(program_id(vtn), "SIMPLE", 3))
    await poll(hass, link)
    assert not house.is_on("boiler")
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert house.is_on("boiler") and house.is_on("washer") and house.is_on("aircon")
