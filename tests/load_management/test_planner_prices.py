"""Planner prices from price entities and night windows, and balance.plan_load's errors."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import ServiceValidationError
from homeassistant.setup import async_setup_component

from custom_components.balance.const import DOMAIN
from custom_components.balance.load_management.prices import (
    DAY_PRICE,
    NIGHT_PRICE,
    entity_intervals,
    night_intervals,
    slot_prices,
)

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
Q = timedelta(minutes=15)


def _hours(first: datetime, prices: list[float]) -> list[dict[str, Any]]:
    return [
        {"start": first + timedelta(hours=k), "end": first + timedelta(hours=k + 1), "value": p}
        for k, p in enumerate(prices)
    ]


def test_nordpool_custom_today_and_tomorrow() -> None:
    """raw_today + raw_tomorrow (tomorrow_valid) are one series."""
    today = _hours(NOW, [0.2, 0.3])
    tomorrow = _hours(NOW + timedelta(hours=2), [0.1])
    state = State(
        "sensor.np",
        "0.2",
        {"raw_today": today, "raw_tomorrow": tomorrow, "tomorrow_valid": True},
    )
    intervals = entity_intervals(state, NOW)
    assert [p for _, _, p in intervals] == [0.2, 0.3, 0.1]


def test_entsoe_prices_each_ending_where_the_next_starts() -> None:
    """ENTSO-e ``prices`` of 15 minutes."""
    rows = [{"time": (NOW + Q * k).isoformat(), "price": 0.1 * k} for k in range(4)]
    intervals = entity_intervals(State("sensor.entsoe", "0", {"prices": rows}), NOW)
    assert [(b - a) for a, b, _ in intervals] == [Q] * 4


def test_forecast_attribute_and_plain_state() -> None:
    """A ``forecast`` list; without one, the state prices the current hour."""
    rows = [{"datetime": (NOW + timedelta(hours=k)).isoformat(), "price": k} for k in range(3)]
    intervals = entity_intervals(State("sensor.f", "0", {"forecast": rows}), NOW)
    assert [p for _, _, p in intervals] == [0, 1, 2]
    assert intervals[-1][1] - intervals[-1][0] == timedelta(hours=1)
    assert entity_intervals(State("sensor.p", "0.25"), NOW + timedelta(minutes=20)) == [
        (NOW, NOW + timedelta(hours=1), 0.25)
    ]
    assert entity_intervals(State("sensor.p", "unavailable"), NOW) == []


def test_slots_past_the_known_prices_repeat_the_day_before() -> None:
    """Tomorrow not published yet: a slot takes the price 24 h earlier, else the last."""
    intervals = [
        (NOW + timedelta(hours=k), NOW + timedelta(hours=k + 1), float(k)) for k in range(24)
    ]
    prices = slot_prices(intervals, NOW + timedelta(hours=23), timedelta(hours=1), 3)
    assert prices == [23.0, 0.0, 1.0]
    assert slot_prices([], NOW, Q, 4) is None
    assert slot_prices(intervals, NOW + timedelta(minutes=30), timedelta(hours=1), 1) == [0.5]


def test_night_window_across_a_dst_change() -> None:
    """23:00-07:00 local on the night the clocks go forward: an 7-hour night, cheap inside."""
    tz = ZoneInfo("Europe/Bucharest")
    now = datetime(2026, 3, 28, 18, 0, tzinfo=tz)
    intervals = night_intervals(now, time(23, 0), time(7, 0))
    night = next(i for i in intervals if i[0] == datetime(2026, 3, 28, 23, 0, tzinfo=tz))
    assert night[2] == NIGHT_PRICE
    assert night[1] - night[0] == timedelta(hours=7)
    prices = slot_prices(intervals, datetime(2026, 3, 28, 22, 0, tzinfo=tz), timedelta(hours=1), 2)
    assert prices == [DAY_PRICE, NIGHT_PRICE]


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"power_kw": 7, "energy_kwh": 10}, "plan_needs_deadline"),
        ({"power_kw": 7, "deadline": "07:00:00", "cheap_start": "23:00:00"}, "plan_needs_need"),
        ({"power_kw": 7, "energy_kwh": 5, "deadline": "07:00:00"}, "plan_needs_prices"),
        ({"power_kw": 0, "energy_kwh": 5}, "invalid_power_kw"),
        ({"power_kw": 7, "run_minutes": "long"}, "invalid_run_minutes"),
        ({"power_kw": 7, "energy_kwh": 5, "deadline": "2026-03-09 07:00"}, "deadline_past"),
        ({"power_kw": 7, "energy_kwh": 5, "deadline": "2026-03-20 07:00"}, "deadline_too_far"),
        (
            {"power_kw": 7, "energy_kwh": 5, "deadline": "07:00", "price_entity": "sensor.none"},
            "no_prices",
        ),
        ({}, "no_load_management"),
        ({"entity_id": "switch.unknown"}, "not_managed"),
    ],
)
async def test_plan_load_errors(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory, data: dict[str, Any], key: str
) -> None:
    """Every bad call is a translated ServiceValidationError."""
    assert await async_setup_component(hass, DOMAIN, {})
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "plan_load", data, blocking=True, return_response=True
        )
    assert err.value.translation_key == key
    assert "{" not in str(err.value)  # the message is rendered


async def test_plan_load_programme_in_the_night(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory
) -> None:
    """A 90-minute programme without prices: one block inside the night window."""
    assert await async_setup_component(hass, DOMAIN, {})
    response = await hass.services.async_call(
        DOMAIN,
        "plan_load",
        {
            "power_kw": 2,
            "run_minutes": 90,
            "deadline": "07:00:00",
            "cheap_start": "23:00:00",
            "cheap_end": "06:00:00",
        },
        blocking=True,
        return_response=True,
    )
    assert response is not None
    job = response["loads"]["request"]
    assert job["status"] == "planned"
    assert len(job["slots"]) == 1
    assert job["energy_kwh"] == pytest.approx(3)
    assert job["cost"] is None  # relative prices: no money
    start = datetime.fromisoformat(job["start"])
    assert start.hour == 23 or start.hour < 5
