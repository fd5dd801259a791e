"""The EV night charging blueprint, loaded into a real automation, over a simulated night.

The wallbox is the template switch of tests/load_management/test_charger (32 A, 7.4 kW); the
test integrates its energy into a session-energy sensor, as a real wallbox reports it.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncGenerator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_mock_service

from custom_components.balance.const import DOMAIN

from .conftest import advance
from .test_charger import EvHouse, make_ev_house
from .test_planner_link import EVENING, PRICE, forecast, local, set_prices

BLUEPRINTS = Path(__file__).parents[2] / "blueprints/automation/balance"
SESSION = "sensor.ev_session_energy"
PLUG = "input_boolean.ev_plugged"
KW = 32 * 230 / 1000.0


async def ev_automation(hass: HomeAssistant, tmp_path: Path, **inputs: Any) -> None:
    """The blueprint as an automation on the simulated wallbox."""
    hass.config.config_dir = str(tmp_path)
    target = tmp_path / "blueprints/automation/balance"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(BLUEPRINTS / "ev_night_charging.yaml", target)
    assert await async_setup_component(hass, DOMAIN, {})
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "id": "ev_night",
                "alias": "EV night",
                "use_blueprint": {
                    "path": "balance/ev_night_charging.yaml",
                    "input": {
                        "charger_switch": "switch.wallbox",
                        "charger_power": KW,
                        "plug_sensor": "binary_sensor.ev_plugged",
                        "session_energy": SESSION,
                        "notify_action": "notify.mobile_app_phone",
                    }
                    | inputs,
                },
            }
        },
    )
    await hass.async_block_till_done()
    assert hass.states.get("automation.ev_night").state == "on"


async def plug_in(hass: HomeAssistant) -> None:
    """Car plugged in: a new session."""
    hass.states.async_set(SESSION, "0", {"unit_of_measurement": "kWh"})
    await hass.services.async_call("input_boolean", "turn_on", {"entity_id": PLUG}, blocking=True)
    await hass.async_block_till_done()


async def night(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, house: EvHouse, until: datetime
) -> list[datetime]:
    """Minute steps to `until`; the session energy follows the wallbox. Minutes charged."""
    charged = []
    energy = 0.0
    while dt_util.now() < until:
        if house.charging:
            charged.append(dt_util.now())
            energy += KW / 60.0
        await advance(hass, freezer, 60, step=60)
        hass.states.async_set(SESSION, f"{energy:.3f}", {"unit_of_measurement": "kWh"})
    return charged


@pytest.fixture(autouse=True)
async def automations_off(hass: HomeAssistant) -> AsyncGenerator[None]:
    """Switch the automations off after each test (their 15-minute timers end with them)."""
    yield
    if hass.services.has_service("automation", "turn_off"):
        await hass.services.async_call(
            "automation", "turn_off", {"entity_id": "all"}, blocking=True
        )


@pytest.fixture
async def unplugged(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> EvHouse:
    """18:00 local, the wallbox idle and the car not plugged in yet."""
    freezer.move_to(EVENING)
    house = await make_ev_house(hass)
    for entity in (PLUG, "input_boolean.wallbox"):
        await hass.services.async_call(
            "input_boolean", "turn_off", {"entity_id": entity}, blocking=True
        )
    return house


async def test_night_tariff(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, tmp_path: Path, unplugged: EvHouse
) -> None:
    """Without prices: 10 kWh within the 23:00-07:00 night tariff, then it stops."""
    await ev_automation(hass, tmp_path, energy=10, departure="07:00:00")
    await plug_in(hass)
    charged = await night(hass, freezer, unplugged, local(7, day=1))
    assert charged
    assert min(charged) >= local(23)
    assert max(charged) < local(7, day=1)
    assert 10 <= len(charged) * KW / 60.0 <= 10 + KW * 0.25 + 0.2  # stops once done


async def test_dynamic_prices(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, tmp_path: Path, unplugged: EvHouse
) -> None:
    """A price sensor with cheap 02:00-05:00: all of the charge in those hours; the prices
    published later (cheap 00:00-01:00 instead) move what is left."""
    set_prices(hass, forecast((2, 5)))
    await ev_automation(hass, tmp_path, energy=12, price_sensor=PRICE)
    await plug_in(hass)
    charged = await night(hass, freezer, unplugged, local(7, day=1))
    assert charged
    assert all(local(2, day=1) <= t < local(5, day=1) for t in charged)
    assert len(charged) * KW / 60.0 >= 12

    # next evening: new day-ahead prices make 00:00-02:00 the cheapest
    await hass.services.async_call("input_boolean", "turn_off", {"entity_id": PLUG}, blocking=True)
    await night(hass, freezer, unplugged, local(18, day=1))
    rows = forecast((0, 2))
    shift = timedelta(days=1)
    for row in rows:
        for key in ("start", "end"):
            row[key] = (datetime.fromisoformat(row[key]) + shift).isoformat()
    set_prices(hass, rows)
    await plug_in(hass)
    charged = await night(hass, freezer, unplugged, local(7, day=2))
    assert charged
    assert all(local(0, day=2) <= t < local(2, day=2) for t in charged)


async def test_infeasible_deadline_notifies_with_the_alternative(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, tmp_path: Path, unplugged: EvHouse
) -> None:
    """60 kWh by 22:00 at 7.4 kW is impossible: the phone is told what is possible and when
    the full charge would be ready, and the car charges all the time there is."""
    notes: list[ServiceCall] = async_mock_service(hass, "notify", "mobile_app_phone")
    await ev_automation(hass, tmp_path, energy=60, departure="22:00:00")
    await plug_in(hass)
    await advance(hass, freezer, 1)
    assert len(notes) == 1, notes
    message = notes[0].data["message"]
    assert "60.0 kWh by 22:00 is" in message
    assert f"{round(4 * KW, 3):g} kWh by then" in message  # 4 h at 7.36 kW
    assert "full charge by 02:15" in message  # 60 kWh take 8.2 h from 18:00
    charged = await night(hass, freezer, unplugged, local(22))
    assert len(charged) >= 4 * 60 - 1
