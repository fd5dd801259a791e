"""The planner in load management: a wallbox charged in the cheap hours before departure.

Real HA: template number/switch/plug over input helpers (tests/load_management/test_charger),
a price sensor with a day-ahead forecast attribute, the clock moved through the night.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from custom_components.balance.const import DOMAIN
from tests.pricing.conftest import DAY_NIGHT, ENERGY_ATTRS, METER, pricing_entry

from .conftest import HOUSE, advance
from .test_charger import CHARGER, EvHouse, make_ev_house, setup_ev

PRICE = "sensor.spot_price"
CALENDAR = "calendar.load_management_planned_runs"
EVENING = "2026-03-10 01:00:00+00:00"  # 18:00 local (US/Pacific, PDT) the day before


def local(hour: int, minute: int = 0, day: int = 0) -> datetime:
    """A local time of the test night (day 1 = after midnight)."""
    start = dt_util.as_local(dt_util.parse_datetime(EVENING))  # type: ignore[arg-type]
    return start.replace(hour=hour, minute=minute) + timedelta(days=day)


def forecast(cheap: tuple[int, int], cheap_price: float = 0.10, other: float = 0.40) -> list[Any]:
    """Hourly prices for 36 h from the evening; `cheap` local hours after midnight."""
    rows = []
    start = local(18)
    for hour in range(36):
        at = start + timedelta(hours=hour)
        after_midnight = at.date() > start.date() and cheap[0] <= at.hour < cheap[1]
        rows.append(
            {
                "start": at.isoformat(),
                "end": (at + timedelta(hours=1)).isoformat(),
                "price": cheap_price if after_midnight else other,
            }
        )
    return rows


def set_prices(hass: HomeAssistant, rows: list[Any]) -> None:
    """The price sensor: current price plus the forecast attribute."""
    hass.states.async_set(PRICE, str(rows[0]["price"]), {"forecast": rows, "unit": "EUR/kWh"})


async def run_night(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, house: EvHouse, until: datetime
) -> list[tuple[datetime, float]]:
    """Advance minute by minute to `until`; return (local time, house kW) while charging."""
    log = []
    while dt_util.now() < until:
        await advance(hass, freezer, 60, step=30)
        if house.charging and house.amps > 0:
            log.append((dt_util.now(), house.power_w / 1000.0))
    return log


@pytest.fixture
def evening(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """The clock at 18:00 local, the car plugged in on arrival."""
    freezer.move_to(EVENING)
    return freezer


async def test_charges_in_the_cheap_hours(
    hass: HomeAssistant, evening: FrozenDateTimeFactory
) -> None:
    """10 kWh by 07:00 with 01:00-04:00 cheap: deferred in the evening, done in the cheap
    hours; the planned start, end and energy sensors and the calendar say so."""
    set_prices(hass, forecast((1, 4)))
    house = await make_ev_house(hass)
    await setup_ev(hass, price_entity=PRICE)
    await advance(hass, evening, 30, step=5)
    assert not house.charging or house.amps == 0
    assert hass.states.get("sensor.wallbox_state").state == "deferred"
    start = dt_util.parse_datetime(hass.states.get("sensor.wallbox_planned_start").state)
    end = dt_util.parse_datetime(hass.states.get("sensor.wallbox_planned_end").state)
    assert start is not None and end is not None
    assert local(1, day=1) <= start < end <= local(4, day=1)
    assert float(hass.states.get("sensor.wallbox_planned_energy").state) == pytest.approx(10)
    events = await hass.services.async_call(
        "calendar",
        "get_events",
        {"entity_id": CALENDAR, "start_date_time": local(18), "duration": {"hours": 24}},
        blocking=True,
        return_response=True,
    )
    assert events is not None
    runs = events[CALENDAR]["events"]  # type: ignore[index]
    assert [r["summary"] for r in runs] == ["Wallbox"] * len(runs)
    assert dt_util.parse_datetime(runs[0]["start"]) == start
    assert dt_util.parse_datetime(runs[-1]["end"]) == end
    assert hass.states.get(CALENDAR).attributes["message"] == "Wallbox"

    log = await run_night(hass, evening, house, local(4, day=1))
    charged = [t for t, _ in log]
    assert charged, "the wallbox charged"
    assert min(charged) >= local(1, day=1)  # nothing at the evening price
    assert max(kw for _, kw in log) <= 6.0  # the engine kept the limit
    state = hass.states.get("sensor.wallbox_energy_this_job")
    assert state is not None
    assert float(state.state) >= 10.0  # done within the cheap hours (at the power that fit)


async def test_plan_load_action_and_replan_on_new_prices(
    hass: HomeAssistant, evening: FrozenDateTimeFactory
) -> None:
    """balance.plan_load returns the followed plan; new prices move the plan."""
    set_prices(hass, forecast((1, 4)))
    await make_ev_house(hass)
    await setup_ev(hass, price_entity=PRICE)
    await advance(hass, evening, 10, step=5)
    response = await hass.services.async_call(
        DOMAIN, "plan_load", {"entity_id": "switch.wallbox"}, blocking=True, return_response=True
    )
    assert response is not None
    plan = response["loads"][CHARGER]
    assert plan["status"] == "planned"
    assert plan["energy_kwh"] == pytest.approx(10)
    assert plan["cost"] == pytest.approx(1.0)  # 10 kWh at 0.10
    assert all(
        local(1, day=1) <= dt_util.parse_datetime(s["start"]) < local(4, day=1)  # type: ignore[operator]
        for s in plan["slots"]
    )
    set_prices(hass, forecast((4, 7)))
    await advance(hass, evening, 10, step=5)
    start = dt_util.parse_datetime(hass.states.get("sensor.wallbox_planned_start").state)
    assert start is not None
    assert start >= local(4, day=1)
    hass.states.async_set(PRICE, "unavailable")  # the price integration is down
    await advance(hass, evening, 10, step=5)
    kept = dt_util.parse_datetime(hass.states.get("sensor.wallbox_planned_start").state)
    assert kept == start  # the last known prices stay in force
    assert hass.states.get("sensor.wallbox_state").state == "deferred"


async def test_infeasible_job_raises_a_repair_with_the_alternative(
    hass: HomeAssistant, evening: FrozenDateTimeFactory
) -> None:
    """60 kWh by 07:00 under 6 kW (4 kW beside the base): impossible; the repair says how
    much is possible and when the full energy would be ready."""
    set_prices(hass, forecast((1, 4)))
    await make_ev_house(hass)
    await setup_ev(hass, price_entity=PRICE)
    await hass.services.async_call(
        DOMAIN, "set_plan", {"entity_id": "switch.wallbox", "energy_kwh": 60}, blocking=True
    )
    await advance(hass, evening, 10, step=5)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"plan_infeasible_load_management_{CHARGER}")
    assert issue is not None
    placeholders = issue.translation_placeholders or {}
    assert placeholders["requested_kwh"] == "60.0"
    assert 45 <= float(placeholders["possible_kwh"]) < 60
    assert placeholders["deadline"].endswith("07:00")
    assert placeholders["earliest"] != "-"  # within the day after: the full energy later
    response = await hass.services.async_call(
        DOMAIN, "plan_load", {}, blocking=True, return_response=True
    )
    assert response is not None
    plan = response["loads"][CHARGER]
    assert plan["status"] == "infeasible"
    assert plan["reason"] == "energy_exceeds_capacity"
    assert response["feasible"] is False


async def test_prices_of_a_pricing_entry(
    hass: HomeAssistant, evening: FrozenDateTimeFactory
) -> None:
    """A day/night tariff entry (night 22:00-07:00) as the price source: the job is planned
    in the night, at the night's all-in price."""
    hass.states.async_set(METER, "100", ENERGY_ATTRS)
    pricing = pricing_entry(DAY_NIGHT)
    pricing.add_to_hass(hass)
    assert await hass.config_entries.async_setup(pricing.entry_id)
    await make_ev_house(hass)
    await setup_ev(hass, price_entry_id=pricing.entry_id)
    await advance(hass, evening, 10, step=5)
    response = await hass.services.async_call(
        DOMAIN, "plan_load", {"entity_id": "switch.wallbox"}, blocking=True, return_response=True
    )
    assert response is not None
    plan = response["loads"][CHARGER]
    assert plan["status"] == "planned"
    assert dt_util.parse_datetime(plan["start"]) >= local(22)
    assert dt_util.parse_datetime(plan["end"]) <= local(7, day=1)
    night = (0.40 + 0.05) * 1.19  # energy + fees, with VAT
    assert plan["cost"] == pytest.approx(10 * night, rel=1e-3)


async def test_price_source_option_adds_the_planner(
    hass: HomeAssistant, evening: FrozenDateTimeFactory
) -> None:
    """Choosing a price sensor in the options reloads the entry with the planner's entities;
    a pricing entry and a price sensor together are refused."""
    set_prices(hass, forecast((1, 4)))
    hass.states.async_set(METER, "100", ENERGY_ATTRS)
    pricing = pricing_entry(DAY_NIGHT)
    pricing.add_to_hass(hass)
    assert await hass.config_entries.async_setup(pricing.entry_id)
    await make_ev_house(hass)
    entry = await setup_ev(hass)
    assert hass.states.get(CALENDAR) is None
    assert hass.states.get("sensor.wallbox_planned_start") is None
    settings = {"power_entity": HOUSE, "limit_w": 6000, "voltage": 230, "reaction_s": 10}
    settings |= {"sensor_timeout_s": 60, "capacity_period_min": "15"}
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], settings | {"price_entity": PRICE, "price_entry_id": pricing.entry_id}
    )
    assert result["errors"] == {"price_entity": "price_source_both"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], settings | {"price_entity": PRICE}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    await advance(hass, evening, 10, step=5)
    assert hass.states.get(CALENDAR) is not None
    assert hass.states.get("sensor.wallbox_planned_start").state != "unknown"
