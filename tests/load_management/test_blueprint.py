"""The priority-socket blueprint, loaded into a real automation."""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from .conftest import POWER_ATTRS, make_house

BLUEPRINT = Path(__file__).parents[2] / "blueprints/automation/balance/priority_socket.yaml"
HEADROOM = "sensor.load_management_headroom"


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float, step: float
) -> None:
    """Move the clock; let the loop run (a waiting automation never lets HA block till done)."""
    moved = 0.0
    while moved < seconds:
        freezer.tick(timedelta(seconds=step))
        moved += step
        async_fire_time_changed(hass)
        for _ in range(20):
            await asyncio.sleep(0)


async def _automation(
    hass: HomeAssistant, tmp_path: Path, socket: str, priority: str, rated: float
) -> None:
    hass.config.config_dir = str(tmp_path)
    target = tmp_path / "blueprints/automation/balance"
    target.mkdir(parents=True)
    shutil.copy(BLUEPRINT, target / BLUEPRINT.name)
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "id": "priority_socket",
                "alias": "Priority socket",
                "use_blueprint": {
                    "path": "balance/priority_socket.yaml",
                    "input": {
                        "socket": socket,
                        "priority": priority,
                        "rated_power": rated,
                        "headroom": HEADROOM,
                        "reaction_time": 30,
                        "max_off": 7,
                    },
                },
            }
        },
    )
    await hass.async_block_till_done()
    assert hass.states.get("automation.priority_socket").state == "on"


async def test_yellow_socket_back_within_max_off(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory, tmp_path: Path
) -> None:
    """Over the limit for the reaction time: off; still over the limit: back at max-off."""
    house = await make_house(hass)
    hass.states.async_set(HEADROOM, "500", POWER_ATTRS)
    await _automation(hass, tmp_path, "switch.boiler", "yellow", 1500)

    hass.states.async_set(HEADROOM, "-300", POWER_ATTRS)
    await advance(hass, freeze, 20, step=5)
    assert house.is_on("boiler")  # not before the reaction time
    await advance(hass, freeze, 15, step=5)
    assert not house.is_on("boiler")

    await advance(hass, freeze, 6 * 60, step=10)
    assert not house.is_on("boiler")  # still no headroom
    await advance(hass, freeze, 60, step=10)
    assert house.is_on("boiler")  # max-off reached (7 min)


@pytest.mark.parametrize(("headroom", "back"), [("2300", True), ("2000", False)])
async def test_green_socket_waits_for_headroom(
    hass: HomeAssistant,
    freeze: FrozenDateTimeFactory,
    tmp_path: Path,
    headroom: str,
    back: bool,
) -> None:
    """A green socket returns once the headroom covers its power plus the margin."""
    house = await make_house(hass)
    hass.states.async_set(HEADROOM, "500", POWER_ATTRS)
    await _automation(hass, tmp_path, "switch.washer", "green", 2000)
    hass.states.async_set(HEADROOM, "-300", POWER_ATTRS)
    await advance(hass, freeze, 35, step=5)
    assert not house.is_on("washer")

    hass.states.async_set(HEADROOM, headroom, POWER_ATTRS)
    await advance(hass, freeze, 90, step=10)
    assert house.is_on("washer") is back
