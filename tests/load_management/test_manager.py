"""The load manager in a closed loop with real template switches and a house power sensor."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from custom_components.balance.const import DOMAIN

from .conftest import HOUSE, advance, lm_entry, load_ids, make_house, setup_lm


async def test_green_first_then_yellow_and_back_within_max_off(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory
) -> None:
    """Overload sheds green first, then one yellow; the yellow is back before max-off."""
    house = await make_house(hass)
    await setup_lm(hass, lm_entry())
    assert house.power_w == 5700  # 1000 base + every load

    await advance(hass, freeze, 4)
    assert house.is_on("washer")  # an overload must last before anything is shed
    await advance(hass, freeze, 6)
    assert not house.is_on("washer")  # within the 10 s reaction time
    assert house.is_on("boiler") and house.is_on("aircon") and house.is_on("computer")
    assert hass.states.get("binary_sensor.load_management_shedding").state == STATE_ON
    assert hass.states.get("sensor.washer_state").state == "shed"

    await house.set_base(3000)  # 3000 + 1500 + 1000 + 200 = 5700 again
    await advance(hass, freeze, 10)
    assert not house.is_on("aircon")  # the smallest yellow load that covers 700 W
    assert house.is_on("boiler") and house.is_on("computer")
    assert hass.states.get("sensor.aircon_state").state == "shed"

    await advance(hass, freeze, 7 * 60, step=5)
    assert house.is_on("aircon")  # back within its 7 min max-off (boiler rotated out)
    assert not house.is_on("boiler")
    assert house.power_w <= 5000 + 1500
    assert house.is_on("computer")  # red: never switched


async def test_staggered_restore(hass: HomeAssistant, freeze: FrozenDateTimeFactory) -> None:
    """With headroom again, held loads come back one at a time, 30 s apart."""
    house = await make_house(hass)
    await setup_lm(hass, lm_entry(limit_w=3000))
    await advance(hass, freeze, 10)
    assert not house.is_on("washer") and not house.is_on("aircon")  # 3000 W cover 2700 W

    await advance(hass, freeze, 60)
    house.switched_on.clear()
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": "number.load_management_limit", "value": 8000},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert hass.states.get("sensor.load_management_effective_limit").state == "8000"
    await advance(hass, freeze, 120, step=5)
    assert house.is_on("washer") and house.is_on("aircon")
    times = [t for _, t in house.switched_on]
    assert len(times) == 2
    assert times[1] - times[0] >= 30


async def test_sensor_unavailable_restores_and_raises_issue(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory
) -> None:
    """A missing house power restores shed loads after the timeout; the issue clears."""
    house = await make_house(hass)
    entry = await setup_lm(hass, lm_entry())
    await advance(hass, freeze, 10)
    assert not house.is_on("washer")

    house.measuring = False
    hass.states.async_set(HOUSE, STATE_UNAVAILABLE)
    await advance(hass, freeze, 50, step=5)
    assert not house.is_on("washer")
    issue_id = f"power_sensor_unavailable_{entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None

    await advance(hass, freeze, 15, step=5)
    assert house.is_on("washer")
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "power_sensor_unavailable"

    house.measuring = True
    house.publish()
    await advance(hass, freeze, 5)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_refusing_switch_is_reported(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory
) -> None:
    """A switch that does not follow is retried twice, then failed with a repair issue."""
    house = await make_house(hass, refuse_off=frozenset({"washer"}))
    entry = await setup_lm(hass, lm_entry())
    ids = load_ids(entry)
    await advance(hass, freeze, 45, step=5)
    assert house.is_on("washer")
    assert hass.states.get("sensor.washer_state").state == "failed"
    issue_id = f"load_not_following_{entry.entry_id}_{ids['washer']}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {"name": "Washer", "entity_id": "switch.washer"}
    # the limit is still kept with the loads that do follow
    assert not house.is_on("aircon") or not house.is_on("boiler")


async def test_disable_restores_everything(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory
) -> None:
    """Switching DLM off restores the held loads and stops acting."""
    house = await make_house(hass)
    await setup_lm(hass, lm_entry())
    await advance(hass, freeze, 10)
    assert not house.is_on("washer")

    await hass.services.async_call(
        "switch", "turn_off", {"entity_id": "switch.load_management_dlm_enabled"}, blocking=True
    )
    await advance(hass, freeze, 30, step=5)
    assert house.is_on("washer")
    assert hass.states.get("switch.load_management_dlm_enabled").state == STATE_OFF
    assert hass.states.get("sensor.washer_state").state == "on"

    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": "switch.load_management_dlm_enabled"}, blocking=True
    )
    await advance(hass, freeze, 10)
    assert not house.is_on("washer")


async def test_comfort_sensor_bounds_the_off_time(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory
) -> None:
    """A shed boiler comes back when its tank cools to 45 °C, before its max-off."""
    hass.states.async_set("sensor.tank", "55", {"unit_of_measurement": "°C"})
    house = await make_house(hass)
    comfort = {"comfort_entity": "sensor.tank", "restore_below_c": 45, "recovery_min": 5}
    entry = await setup_lm(hass, lm_entry({"boiler": comfort}))
    assert entry.runtime_data.loads["load_boiler"].load_config().comfort_min_c == 45
    await house.set_base(3500)
    await advance(hass, freeze, 20)
    assert not house.is_on("boiler")
    await advance(hass, freeze, 60)
    assert not house.is_on("boiler")  # still over the limit: stays shed
    hass.states.async_set("sensor.tank", "44.5", {"unit_of_measurement": "°C"})
    await advance(hass, freeze, 10)
    assert house.is_on("boiler")  # well before its 7 min max-off
