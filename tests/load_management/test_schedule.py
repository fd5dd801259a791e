"""Green windows and deadlines, tariff periods and the daily counters, on a frozen clock."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant

from .conftest import advance, lm_entry, make_house, setup_lm


async def test_green_window_defers_until_it_opens(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A green load with a night window is kept off in the day and runs once it opens."""
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to("2026-03-10 21:50:00+00:00")
    house = await make_house(hass)
    schedule = {
        "run_min": 60,
        "deadline": "06:00:00",
        "window_start": "22:00:00",
        "window_end": "05:00:00",
    }
    await setup_lm(hass, lm_entry({"washer": schedule}, limit_w=20000))
    await advance(hass, freezer, 70, step=5)
    assert not house.is_on("washer")
    assert hass.states.get("sensor.washer_state").state == "deferred"

    await advance(hass, freezer, 600, step=30)  # 22:00 passes
    assert house.is_on("washer")
    assert hass.states.get("sensor.washer_state").state == "on"


async def test_tariff_period_limit(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """The tariff-period limit binds inside its period only."""
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to("2026-03-10 16:59:00+00:00")
    await make_house(hass)
    await setup_lm(
        hass,
        lm_entry(limit_w=9000, tariff_limit_w=6000, tariff_start="17:00:00", tariff_end="22:00:00"),
    )
    assert hass.states.get("sensor.load_management_limit_reason").state == "resident"
    await advance(hass, freezer, 65, step=5)
    assert hass.states.get("sensor.load_management_limit_reason").state == "tariff"
    assert hass.states.get("sensor.load_management_effective_limit").state == "6000"


async def test_off_today_resets_at_midnight(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Time off today counts while shed and starts again at local midnight."""
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to("2026-03-10 23:55:00+00:00")
    house = await make_house(hass)
    await setup_lm(hass, lm_entry())
    await advance(hass, freezer, 190, step=5)
    assert not house.is_on("washer")
    assert 2.5 < float(hass.states.get("sensor.washer_off_today").state) <= 3.2
    await advance(hass, freezer, 130, step=5)  # 00:00:20
    assert float(hass.states.get("sensor.washer_off_today").state) < 1.0


async def test_resident_override_of_deferred_green_load(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A deferred green load switched on by the resident stays on for this cycle."""
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to("2026-03-10 12:00:00+00:00")
    house = await make_house(hass)
    schedule = {"window_start": "22:00:00", "window_end": "05:00:00"}
    await setup_lm(hass, lm_entry({"washer": schedule}, limit_w=20000))
    await advance(hass, freezer, 70, step=5)
    assert not house.is_on("washer")

    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": "switch.washer"}, blocking=True
    )
    await advance(hass, freezer, 600, step=30)
    assert house.is_on("washer")
    assert hass.states.get("sensor.washer_state").state == "on"
