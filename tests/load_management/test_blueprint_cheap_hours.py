"""The run-in-cheap-hours blueprint, loaded into a real automation, over a simulated night."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncGenerator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_ON
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, ServiceCall, callback
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_mock_service

from custom_components.balance.const import DOMAIN

from .conftest import switch_config
from .test_blueprint import advance
from .test_planner_link import EVENING, PRICE, forecast, local, set_prices

BLUEPRINT = Path(__file__).parents[2] / "blueprints/automation/balance/run_in_cheap_hours.yaml"
READY = "input_boolean.dishwasher_ready"
SWITCH = "switch.dishwasher"


async def dishwasher(
    hass: HomeAssistant, tmp_path: Path, **inputs: Any
) -> list[tuple[str, datetime]]:
    """A template switch over an input_boolean, the ready helper and the automation; the
    switch's (state, local time) changes are returned as they happen."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(
        hass,
        "input_boolean",
        {
            "input_boolean": {
                "dishwasher": {"initial": False},
                "dishwasher_ready": {"initial": False},
            }
        },
    )
    assert await async_setup_component(
        hass, "template", {"template": [{"switch": [switch_config("dishwasher")]}]}
    )
    hass.config.config_dir = str(tmp_path)
    target = tmp_path / "blueprints/automation/balance"
    target.mkdir(parents=True)
    shutil.copy(BLUEPRINT, target)
    assert await async_setup_component(hass, DOMAIN, {})
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "id": "dishwasher",
                "alias": "Dishwasher",
                "use_blueprint": {
                    "path": "balance/run_in_cheap_hours.yaml",
                    "input": {
                        "appliance": SWITCH,
                        "ready": READY,
                        "power": 2,
                        "run_time": 120,
                        "notify_action": "notify.mobile_app_phone",
                    }
                    | inputs,
                },
            }
        },
    )
    await hass.async_block_till_done()
    changes: list[tuple[str, datetime]] = []

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        if (new := event.data["new_state"]) is not None:
            changes.append((new.state, dt_util.now()))

    async_track_state_change_event(hass, [SWITCH], _changed)
    return changes


async def ready(hass: HomeAssistant) -> None:
    """The resident loaded the dishwasher."""
    await hass.services.async_call("input_boolean", "turn_on", {"entity_id": READY}, blocking=True)
    for _ in range(50):  # not block_till_done: a started programme waits for its end
        await asyncio.sleep(0)


@pytest.fixture(autouse=True)
async def automations_off(hass: HomeAssistant) -> AsyncGenerator[None]:
    """Switch the automation off after each test (its timers end with it)."""
    yield
    if hass.services.has_service("automation", "turn_off"):
        await hass.services.async_call(
            "automation", "turn_off", {"entity_id": "all"}, blocking=True
        )


@pytest.fixture
def evening(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """18:00 local."""
    freezer.move_to(EVENING)
    return freezer


async def test_starts_in_the_cheapest_hours_with_dynamic_prices(
    hass: HomeAssistant, evening: FrozenDateTimeFactory, tmp_path: Path
) -> None:
    """Cheap 03:00-05:00: the 2-hour programme runs exactly then, uninterrupted; ready is
    switched off after the run so it does not start again."""
    set_prices(hass, forecast((3, 5)))
    changes = await dishwasher(hass, tmp_path, price_sensor=PRICE)
    await ready(hass)
    await advance(hass, evening, 14 * 3600, step=60)
    assert [state for state, _ in changes] == [STATE_ON, "off"]
    assert changes[0][1] == local(3, day=1)
    assert changes[1][1] == local(5, day=1)
    assert hass.states.get(READY).state == "off"


async def test_new_prices_before_the_start_move_it(
    hass: HomeAssistant, evening: FrozenDateTimeFactory, tmp_path: Path
) -> None:
    """Prices change at 22:00 (cheap 00:00-02:00 now): the start moves with them."""
    set_prices(hass, forecast((3, 5)))
    changes = await dishwasher(hass, tmp_path, price_sensor=PRICE)
    await ready(hass)
    await advance(hass, evening, 4 * 3600, step=60)
    assert not changes
    set_prices(hass, forecast((0, 2)))
    await advance(hass, evening, 10 * 3600, step=60)
    assert changes[0] == (STATE_ON, local(0, day=1))


async def test_night_tariff(
    hass: HomeAssistant, evening: FrozenDateTimeFactory, tmp_path: Path
) -> None:
    """Without prices: started and done within the 23:00-07:00 night tariff."""
    changes = await dishwasher(hass, tmp_path)
    await ready(hass)
    await advance(hass, evening, 14 * 3600, step=60)
    assert [state for state, _ in changes] == [STATE_ON, "off"]
    assert local(23) <= changes[0][1]
    assert changes[1][1] <= local(7, day=1)


async def test_deadline_too_close_starts_now_and_notifies(
    hass: HomeAssistant, evening: FrozenDateTimeFactory, tmp_path: Path
) -> None:
    """Done by 19:00 is impossible for a 2-hour programme at 18:00: it starts at once and the
    phone is told when it will be done."""
    notes: list[ServiceCall] = async_mock_service(hass, "notify", "mobile_app_phone")
    changes = await dishwasher(hass, tmp_path, deadline="19:00:00")
    await ready(hass)
    await advance(hass, evening, 60, step=10)
    assert changes[0] == (STATE_ON, local(18))
    assert len(notes) == 1
    assert "by 19:00" in notes[0].data["message"]
    assert "done at 20:00" in notes[0].data["message"]
