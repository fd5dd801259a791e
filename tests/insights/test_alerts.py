"""Live alert binary sensors: fed by the meter's state changes, cleared when the condition ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, State
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.balance.insights.runtime import is_away

from .conftest import import_hourly, meter_subentry, set_meter, set_time_zone, setup_insights

NOW = datetime(2026, 3, 20, 10, 30, tzinfo=UTC)
WATER = "sensor.water"


async def minute(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entity_id: str, value: float, unit: str
) -> None:
    """The meter reads ``value``; one minute passes."""
    set_meter(hass, entity_id, value, unit=unit)
    await hass.async_block_till_done()
    freezer.tick(timedelta(minutes=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


def is_on(hass: HomeAssistant, entity_id: str) -> bool:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state == "on"


async def test_continuous_flow_raises_and_clears(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """1 L/min for the configured 30 min raises the leak; the first dry minute clears it."""
    await set_time_zone(hass)
    freezer.move_to(NOW)
    set_meter(hass, WATER, 100.0, unit="m³")
    await setup_insights(hass, [meter_subentry("water", WATER, "water", continuous_min=30)])
    for kind in ("dribble", "continuous_flow", "night_flow", "running_toilet"):
        assert not is_on(hass, f"binary_sensor.water_leak_{kind}")
    value = 100.0
    for _ in range(29):
        value += 0.001
        await minute(hass, freezer, WATER, value, "m³")
    assert not is_on(hass, "binary_sensor.water_leak_continuous_flow")
    for _ in range(2):
        value += 0.001
        await minute(hass, freezer, WATER, value, "m³")
    assert is_on(hass, "binary_sensor.water_leak_continuous_flow")
    await minute(hass, freezer, WATER, value, "m³")  # the tap is closed
    assert not is_on(hass, "binary_sensor.water_leak_continuous_flow")


async def test_water_while_away(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """More than 2 L within 30 min while away raises it; coming home clears it."""
    await set_time_zone(hass)
    freezer.move_to(NOW)
    hass.states.async_set("input_boolean.away", "off")
    set_meter(hass, WATER, 100.0, unit="m³")
    await setup_insights(
        hass, [meter_subentry("water", WATER, "water")], away_entity="input_boolean.away"
    )
    await minute(hass, freezer, WATER, 100.005, "m³")  # 5 L while at home: no alert
    assert not is_on(hass, "binary_sensor.water_used_while_away")
    hass.states.async_set("input_boolean.away", "on")
    await minute(hass, freezer, WATER, 100.0065, "m³")
    assert not is_on(hass, "binary_sensor.water_used_while_away")  # 1.5 L
    await minute(hass, freezer, WATER, 100.0075, "m³")
    assert is_on(hass, "binary_sensor.water_used_while_away")  # 2.5 L
    hass.states.async_set("input_boolean.away", "off")
    await minute(hass, freezer, WATER, 100.0075, "m³")
    assert not is_on(hass, "binary_sensor.water_used_while_away")


async def test_limits_follow_live_consumption(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Above a limit as soon as the live total passes it; the forecast limit from the start."""
    await set_time_zone(hass)
    freezer.move_to(NOW)
    await import_hourly(hass, "sensor.flat", NOW - timedelta(days=30, minutes=30), [0.5] * 720)
    set_meter(hass, "sensor.flat", 1000.0)
    # period to date: 19 days x 12 kWh + 6 kWh = 234 kWh; the forecast is 372 kWh
    await setup_insights(
        hass,
        [meter_subentry("flat", "sensor.flat", "electricity", limit=235, forecast_limit=300)],
    )
    assert not is_on(hass, "binary_sensor.flat_above_limit")
    assert is_on(hass, "binary_sensor.flat_forecast_above_limit")
    await minute(hass, freezer, "sensor.flat", 1002.0, "kWh")
    assert is_on(hass, "binary_sensor.flat_above_limit")
    assert hass.states.get("binary_sensor.flat_above_limit").attributes["limit"] == 235


async def test_silent_channel_flagged_and_cleared_by_a_count(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A channel that counted every hour for 10 days, silent for 7 h: flagged; a pulse clears."""
    await set_time_zone(hass)
    freezer.move_to(NOW)
    start = NOW.replace(minute=0) - timedelta(days=10, hours=7)
    await import_hourly(hass, "sensor.flat", start, [0.2] * 240 + [0.0] * 7)
    set_meter(hass, "sensor.flat", 1000.0)
    await setup_insights(
        hass, [meter_subentry("flat", "sensor.flat", "electricity", silent_check=True)]
    )
    state = hass.states.get("binary_sensor.flat_silent_channel")
    assert state.state == "on"
    assert state.attributes["limit_h"] == 6
    set_meter(hass, "sensor.flat", 1000.001)
    await hass.async_block_till_done()
    assert not is_on(hass, "binary_sensor.flat_silent_channel")


async def test_unavailable_and_reset_meter_adds_nothing(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """An unavailable meter adds nothing; a reset to zero is not negative consumption."""
    await set_time_zone(hass)
    freezer.move_to(NOW)
    await import_hourly(hass, "sensor.flat", NOW - timedelta(days=30, minutes=30), [0.5] * 720)
    set_meter(hass, "sensor.flat", 1000.0)
    await setup_insights(hass, [meter_subentry("flat", "sensor.flat", "electricity", limit=236)])
    hass.states.async_set("sensor.flat", "unavailable")
    await minute(hass, freezer, "sensor.flat", 1001.0, "kWh")  # back: 1 kWh since
    await minute(hass, freezer, "sensor.flat", 0.0, "kWh")  # the meter was replaced
    await minute(hass, freezer, "sensor.flat", 0.5, "kWh")
    assert float(hass.states.get("sensor.flat_period_to_date").state) == pytest.approx(235.5)
    assert not is_on(hass, "binary_sensor.flat_above_limit")


@pytest.mark.parametrize(
    ("entity_id", "state", "away"),
    [
        ("person.ana", "home", False),
        ("person.ana", "not_home", True),
        ("group.family", "not_home", True),
        ("zone.home", "0", True),
        ("zone.home", "2", False),
        ("alarm_control_panel.house", "armed_away", True),
        ("alarm_control_panel.house", "armed_vacation", True),
        ("alarm_control_panel.house", "armed_night", False),
        ("input_boolean.away", "on", True),
        ("binary_sensor.away_mode", "off", False),
        ("person.ana", "unavailable", False),
    ],
)
def test_away_states(entity_id: str, state: str, away: bool) -> None:
    """What each kind of presence or alarm entity means for "away"."""
    assert is_away(State(entity_id, state)) is away


async def test_night_flow_with_the_configured_window(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A slow flow for 20 min in a 01:00-03:00 night raises; the first pause after clears."""
    await set_time_zone(hass)
    start = datetime(2026, 3, 19, 23, 0, tzinfo=UTC)  # 01:00 in Bucharest
    freezer.move_to(start)
    set_meter(hass, WATER, 50.0, unit="m³")
    await setup_insights(
        hass,
        [
            meter_subentry(
                "water",
                WATER,
                "water",
                night_start="01:00:00",
                night_end="03:00:00",
                night_active_min=20,
            )
        ],
    )
    night = "binary_sensor.water_leak_night_flow"
    value = 50.0
    for _ in range(19):  # the hourly refresh at 23:05 runs meanwhile
        value += 0.0005  # 0.5 L/min: under the continuous-flow rate
        await minute(hass, freezer, WATER, value, "m³")
    assert not is_on(hass, night)
    for _ in range(2):
        value += 0.0005
        await minute(hass, freezer, WATER, value, "m³")
    assert is_on(hass, night)
    for _ in range(120 - 21):  # dry until the window ends
        await minute(hass, freezer, WATER, value, "m³")
        assert is_on(hass, night)
    await minute(hass, freezer, WATER, value, "m³")
    assert not is_on(hass, night)
