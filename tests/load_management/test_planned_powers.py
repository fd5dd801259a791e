"""Issue 10 in HA: a water heater planned into the cheap hours, and a charger following the
planner's power per slot (not only its windows).

Real HA: template switches over input helpers, a price sensor with a day-ahead forecast
(cheap 01:00-04:00 local), the clock moved through the night with freezer.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.balance.load_management.const import (
    CONF_PRICE_ENTITY,
)

from .conftest import advance, lm_entry, make_house, setup_lm
from .test_charger import CHARGER, VOLTS, make_ev_house, setup_ev
from .test_planner_link import CALENDAR, EVENING, PRICE, forecast, local, set_prices

COMPONENT = Path(__file__).parents[2] / "custom_components" / "balance"
HEATER_ERRORS = ("energy_or_run_time", "heater_window_required", "heater_energy_too_large")
BOILER_SOCKET = {
    "switch_entity": "switch.boiler",
    "priority": "green",
    "rated_w": 1500,
    "max_off_min": 15,
    "min_on_min": 1,
}
WINDOW = {"window_start": "22:00:00", "window_end": "07:00:00"}


def heater_entry() -> MockConfigEntry:
    """A load-management entry with only the red computer; the heater is added by the flow."""
    return lm_entry(names=("computer",), **{CONF_PRICE_ENTITY: PRICE})


async def _green_step(hass: HomeAssistant, flow_id: str, data: dict[str, Any]) -> Any:
    return await hass.config_entries.subentries.async_configure(flow_id, data)


async def add_heater(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """The boiler socket as a green water heater: 1.5 kW, 3 kWh a day within 22:00-07:00."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "managed_load"), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], BOILER_SOCKET)
    assert result["step_id"] == "green"
    result = await _green_step(hass, result["flow_id"], WINDOW | {"energy_kwh": 20})
    assert result["errors"] == {"energy_kwh": "heater_energy_too_large"}  # 1.5 kW x 9 h
    result = await _green_step(hass, result["flow_id"], {"energy_kwh": 3})
    assert result["errors"] == {"window_start": "heater_window_required"}
    result = await _green_step(hass, result["flow_id"], WINDOW | {"energy_kwh": 3, "run_min": 60})
    assert result["errors"] == {"energy_kwh": "energy_or_run_time"}
    result = await _green_step(hass, result["flow_id"], WINDOW | {"energy_kwh": 3})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


def test_heater_errors_are_translated() -> None:
    """Every heater error of the green step has an English and a Romanian text."""
    strings = json.loads((COMPONENT / "strings.json").read_text(encoding="utf-8"))
    english = json.loads((COMPONENT / "translations" / "en.json").read_text(encoding="utf-8"))
    romanian = json.loads((COMPONENT / "translations" / "ro.json").read_text(encoding="utf-8"))
    assert strings == english
    for texts in (english, romanian):
        section = texts["config_subentries"]["managed_load"]
        assert all(section["error"][key] for key in HEATER_ERRORS)
        assert section["step"]["green"]["data"]["energy_kwh"]
    assert (
        romanian["config_subentries"]["managed_load"]["error"]["heater_energy_too_large"]
        != (english["config_subentries"]["managed_load"]["error"]["heater_energy_too_large"])
    )


async def test_water_heater_heats_in_the_cheap_hours(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Configured through the flow; planned into 01:00-04:00 (cheap) within its 22:00-07:00
    window; switched on in its planned slots only, for its 3 kWh; reconfigured to 4.5 kWh."""
    freezer.move_to(EVENING)
    set_prices(hass, forecast((1, 4)))
    house = await make_house(
        hass, initial={"washer": False, "boiler": True, "aircon": False, "computer": True}
    )
    entry = await setup_lm(hass, heater_entry())
    await add_heater(hass, entry)
    heater = next(s for s in entry.subentries.values() if s.title == "Boiler")
    assert heater.data["energy_kwh"] == 3
    await advance(hass, freezer, 30, step=5)
    assert not house.is_on("boiler")  # deferred: the evening is outside its window and dear
    assert hass.states.get("sensor.boiler_state").state == "deferred"
    start = dt_util.parse_datetime(hass.states.get("sensor.boiler_planned_start").state)
    end = dt_util.parse_datetime(hass.states.get("sensor.boiler_planned_end").state)
    assert start is not None and end is not None
    assert local(1, day=1) <= start < end <= local(4, day=1)
    assert float(hass.states.get("sensor.boiler_planned_energy").state) == 3.0
    events = await hass.services.async_call(
        "calendar",
        "get_events",
        {"entity_id": CALENDAR, "start_date_time": local(18), "duration": {"hours": 24}},
        blocking=True,
        return_response=True,
    )
    assert events is not None
    runs = events[CALENDAR]["events"]  # type: ignore[index]
    assert runs and {r["summary"] for r in runs} == {"Boiler"}

    on_at: list[datetime] = []
    while dt_util.now() < local(7, day=1):
        await advance(hass, freezer, 60, step=30)
        if house.is_on("boiler"):
            on_at.append(dt_util.now())
    assert on_at, "the heater ran"
    assert min(on_at) >= local(1, day=1)  # nothing at the evening price
    assert max(on_at) <= local(4, day=1, minute=2)  # and off after its planned slots
    assert 110 <= len(on_at) <= 130  # about 2 h at 1.5 kW: its 3 kWh

    result = await entry.start_subentry_reconfigure_flow(hass, "managed_load", heater.subentry_id)
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], BOILER_SOCKET)
    assert result["step_id"] == "green"
    result = await _green_step(hass, result["flow_id"], WINDOW | {"energy_kwh": 4.5})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.runtime_data.loads[heater.subentry_id].energy_kwh == 4.5


async def test_charger_follows_the_planned_slot_power(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Under a 12 kW limit the 7.36 kW wallbox gets 10 kWh planned in 01:00-04:00; in a slot
    planned below its maximum it charges at the planned power, not at the most that fits;
    the limit still holds."""
    freezer.move_to(EVENING)
    set_prices(hass, forecast((1, 4)))
    house = await make_ev_house(hass)
    entry = await setup_ev(hass, price_entity=PRICE, limit_w=12_000, hard_limit_w=12_000)
    await advance(hass, freezer, 30, step=5)
    schedule = entry.runtime_data.planner.schedules[CHARGER]
    max_kw = 32 * VOLTS / 1000.0
    partial = [
        (k, kw) for k, kw in enumerate(schedule.powers) if 6 * VOLTS / 1000.0 < kw < max_kw - 0.3
    ]
    assert partial, f"a slot below the maximum: {schedule.powers}"
    slot, kw = partial[0]
    middle = schedule.start + timedelta(minutes=15 * slot + 10)
    peak = 0.0
    while dt_util.now() < middle:
        await advance(hass, freezer, 60, step=30)
        peak = max(peak, house.power_w)
    assert house.charging
    assert house.amps * VOLTS <= kw * 1000.0 + VOLTS  # capped at the plan (A rounding)
    assert house.amps * VOLTS >= kw * 1000.0 - 2 * VOLTS
    assert hass.states.get("sensor.wallbox_setpoint") is not None
    assert peak <= 12_000
