"""EcoPower end to end: a wallbox modelled as real template number and switch entities.

The house is a 6 kW single-phase connection; the 32 A (7.4 kW) wallbox must be reduced, not
cut, and its setpoint changes are rate limited. Commands show up in the real logbook with the
reason, in load management's own context.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.const import STATE_ON
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.balance.const import DOMAIN
from custom_components.balance.load_management.const import KIND_LOAD_MANAGEMENT

from .conftest import HOUSE, POWER_ATTRS, advance

VOLTS = 230.0
CHARGER = "load_wallbox"


@dataclass
class EvHouse:
    """House power: base load plus the wallbox at its current setpoint while switched on."""

    hass: HomeAssistant
    base_w: float = 2000.0
    three_phase: bool = False  # a 3-phase charger: its 1p/3p switch decides the phases
    setpoints: list[tuple[float, float]] = field(default_factory=list)  # (time, A)

    @property
    def amps(self) -> float:
        """The wallbox current setpoint."""
        return float(self.hass.states.get("number.wallbox_current").state)

    @property
    def charging(self) -> bool:
        """True while the wallbox switch is on."""
        return self.hass.states.get("switch.wallbox").state == STATE_ON

    @property
    def power_w(self) -> float:
        """Current house power."""
        on_three = self.three_phase and self.hass.states.get("switch.wallbox_3p").state == STATE_ON
        phases = 3 if on_three else 1
        return self.base_w + (self.amps * VOLTS * phases if self.charging else 0.0)

    @callback
    def publish(self) -> None:
        """Write the house power sensor."""
        self.hass.states.async_set(HOUSE, str(self.power_w), POWER_ATTRS)

    async def set_base(self, watts: float) -> None:
        """Change the unmanaged part of the load."""
        self.base_w = watts
        self.publish()
        await self.hass.async_block_till_done()


def _switch_config(name: str, boolean: str) -> dict[str, Any]:
    target = {"entity_id": f"input_boolean.{boolean}"}
    return {
        "name": name,
        "unique_id": f"switch-{boolean}",
        "state": f"{{{{ is_state('input_boolean.{boolean}', 'on') }}}}",
        "turn_on": {"action": "input_boolean.turn_on", "target": target},
        "turn_off": {"action": "input_boolean.turn_off", "target": target},
    }


async def make_ev_house(hass: HomeAssistant, amps: float = 32) -> EvHouse:
    """input_number/input_boolean behind template number, switch and plug sensor."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(
        hass,
        "input_number",
        {"input_number": {"wallbox_current": {"min": 0, "max": 32, "step": 1, "initial": amps}}},
    )
    assert await async_setup_component(
        hass,
        "input_boolean",
        {
            "input_boolean": {
                "wallbox": {"initial": True},
                "ev_plugged": {"initial": True},
                "three_phase": {"initial": True},
            }
        },
    )
    target = {"entity_id": "input_number.wallbox_current"}
    assert await async_setup_component(
        hass,
        "template",
        {
            "template": [
                {
                    "number": [
                        {
                            "name": "Wallbox current",
                            "unique_id": "wallbox-current",
                            "state": "{{ states('input_number.wallbox_current') | float(0) }}",
                            "set_value": {
                                "action": "input_number.set_value",
                                "target": target,
                                "data": {"value": "{{ value }}"},
                            },
                            "min": 0,
                            "max": 32,
                            "step": 1,
                            "unit_of_measurement": "A",
                        }
                    ],
                    "switch": [
                        _switch_config("Wallbox", "wallbox"),
                        _switch_config("Wallbox 3p", "three_phase"),
                    ],
                    "binary_sensor": [
                        {
                            "name": "EV plugged",
                            "unique_id": "ev-plugged",
                            "state": "{{ is_state('input_boolean.ev_plugged', 'on') }}",
                        }
                    ],
                }
            ]
        },
    )
    await hass.async_block_till_done()
    house = EvHouse(hass)

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        if event.data["entity_id"] == "number.wallbox_current" and event.data["old_state"]:
            house.setpoints.append(
                (event.time_fired_timestamp, float(event.data["new_state"].state))
            )
        house.publish()

    async_track_state_change_event(
        hass, ["switch.wallbox", "switch.wallbox_3p", "number.wallbox_current"], _changed
    )
    house.publish()
    await hass.async_block_till_done()
    return house


def charger_subentry(**extra: Any) -> ConfigSubentryDataWithId:
    """A single-phase 6-32 A wallbox, green, 10 kWh by 07:00."""
    data: dict[str, Any] = {
        "setpoint_entity": "number.wallbox_current",
        "setpoint_unit": "A",
        "switch_entity": "switch.wallbox",
        "phases": "1",
        "voltage": VOLTS,
        "min_current_a": 6,
        "max_current_a": 32,
        "priority": "green",
        "exceed_soft": False,
        "min_on_min": 1,
        "plug_entity": "binary_sensor.ev_plugged",
        "energy_kwh": 10,
        "departure_time": "07:00:00",
    }
    return ConfigSubentryDataWithId(
        data=data | extra,
        subentry_id=CHARGER,
        subentry_type="charger",
        title="Wallbox",
        unique_id=None,
    )


async def setup_ev(hass: HomeAssistant, **options: Any) -> MockConfigEntry:
    """A load-management entry for the 6 kW house with the wallbox."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        entry_id="load_management",
        title="Load management",
        data={"kind": KIND_LOAD_MANAGEMENT},
        options={
            "power_entity": HOUSE,
            "limit_w": 6000,
            "hard_limit_w": 6000,
            "reaction_s": 10,
            "sensor_timeout_s": 60,
        }
        | options,
        subentries_data=[charger_subentry()],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_charger_reduced_not_cut(hass: HomeAssistant, freeze: FrozenDateTimeFactory) -> None:
    """Under a 6 kW limit the 32 A wallbox keeps charging at the current that fits."""
    house = await make_ev_house(hass)
    assert house.power_w > 9000
    await setup_ev(hass)
    await advance(hass, freeze, 20)
    assert house.charging  # EcoPower: reduced, not switched off
    assert 6 <= house.amps <= (6000 - 2000) // VOLTS
    assert house.power_w <= 6000
    assert hass.states.get("sensor.wallbox_state").state == "reduced"
    setpoint = hass.states.get("sensor.wallbox_setpoint")
    assert float(setpoint.state) == pytest.approx(house.amps * VOLTS, abs=1)
    assert setpoint.attributes["current_a"] == house.amps
    departure = dt_util.parse_datetime(hass.states.get("sensor.wallbox_departure").state)
    assert departure is not None
    assert dt_util.as_local(departure).strftime("%H:%M") == "07:00"
    assert departure > dt_util.utcnow()
    assert float(hass.states.get("sensor.wallbox_shortfall_at_departure").state) == 0


async def test_setpoint_changes_are_rate_limited(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory
) -> None:
    """The base load falls every 5 s: the current is raised in steps, 30 s apart at least."""
    house = await make_ev_house(hass)
    await setup_ev(hass)
    await advance(hass, freeze, 20)
    reduced = house.amps
    house.setpoints.clear()
    for base in (1800, 1600, 1400, 1200, 1000, 800, 600, 400, 200, 100, 50, 0):
        await house.set_base(base)
        await advance(hass, freeze, 5)
    await advance(hass, freeze, 600, step=5)
    assert house.amps > reduced, "the wallbox is raised again as headroom appears"
    times = [t for t, _ in house.setpoints]
    assert all(b - a >= 30 for a, b in itertools.pairwise(times)), house.setpoints
    assert [a for _, a in house.setpoints] == sorted(a for _, a in house.setpoints)
    assert house.power_w <= 6000


async def test_unplug_ends_the_job(hass: HomeAssistant, freeze: FrozenDateTimeFactory) -> None:
    """Unplugged: no plan (no departure, no shortfall)."""
    await make_ev_house(hass)
    await setup_ev(hass)
    await advance(hass, freeze, 10)
    assert hass.states.get("sensor.wallbox_expected_energy_at_departure").state != "unknown"
    await hass.services.async_call(
        "input_boolean", "turn_off", {"entity_id": "input_boolean.ev_plugged"}, blocking=True
    )
    await advance(hass, freeze, 5)
    assert hass.states.get("sensor.wallbox_departure").state == "unknown"
    assert hass.states.get("sensor.wallbox_expected_energy_at_departure").state == "unknown"


async def test_set_plan_and_deadline_repair(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory
) -> None:
    """balance.set_plan asks 60 kWh by noon (9 h): impossible under 6 kW, a repair says so."""
    house = await make_ev_house(hass)
    await setup_ev(hass)
    await advance(hass, freeze, 10)
    await hass.services.async_call(
        DOMAIN,
        "set_plan",
        {"entity_id": "number.wallbox_current", "energy_kwh": 60, "deadline": "12:00:00"},
        blocking=True,
    )
    await advance(hass, freeze, 10)
    departure = dt_util.parse_datetime(hass.states.get("sensor.wallbox_departure").state)
    assert departure is not None
    assert dt_util.as_local(departure).strftime("%H:%M") == "12:00"
    assert float(hass.states.get("sensor.wallbox_shortfall_at_departure").state) > 20
    assert house.power_w <= 6000  # the hard limit holds, the shortfall is reported instead
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"deadline_at_risk_load_management_{CHARGER}"
    )
    assert issue is not None
    assert issue.translation_placeholders["name"] == "Wallbox"
    assert issue.translation_placeholders["limit_w"] == "6000"


@pytest.mark.parametrize(
    ("data", "key", "text"),
    [
        ({"energy_kwh": None}, "invalid_energy_kwh", "0.1 to 250 kWh, not None"),
        ({"energy_kwh": 5, "target_soc": 80}, "plan_needs_target", "not both"),
        ({"target_soc": 80}, "soc_needs_sensor", "Wallbox has no SoC sensor"),
        ({"energy_kwh": 5, "deadline": "2026-03-09 09:00:00"}, "deadline_past", "passed"),
        ({"energy_kwh": 5, "deadline": "soon"}, "invalid_deadline", "'soon'"),
    ],
)
async def test_set_plan_errors(
    hass: HomeAssistant,
    freeze: FrozenDateTimeFactory,
    data: dict[str, Any],
    key: str,
    text: str,
) -> None:
    """set_plan's errors are translated ServiceValidationErrors."""
    await make_ev_house(hass)
    await setup_ev(hass)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "set_plan", {"entity_id": "switch.wallbox"} | data, blocking=True
        )
    assert err.value.translation_key == key
    assert text in str(err.value)


async def test_logbook_says_load_management_reduced_it(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory, hass_ws_client: WebSocketGenerator
) -> None:
    """The real logbook: the wallbox's change is attributed to load management, with why."""
    hass.config.components.add("frontend")  # the panel is not needed, only the logbook API
    assert await async_setup_component(hass, "logbook", {})
    house = await make_ev_house(hass)
    await setup_ev(hass)
    await advance(hass, freeze, 20)
    assert house.amps < 32
    await async_wait_recording_done(hass)
    client = await hass_ws_client()
    await client.send_json(
        {"id": 1, "type": "logbook/get_events", "start_time": "2026-03-10T09:00:00+00:00"}
    )
    reply = await client.receive_json()
    assert reply["success"], reply
    entries = reply["result"]
    ours = [e for e in entries if e.get("domain") == DOMAIN and e.get("name") == "Load management"]
    assert any(
        e["message"].startswith(f"reduced Wallbox to {int(house.amps)} A: ")
        and "over its 6000 W limit" in e["message"]
        for e in ours
    ), ours
    changes = [
        e for e in entries if e.get("entity_id") == "number.wallbox_current" and "state" in e
    ]
    assert changes
    for change in changes:
        assert change.get("context_event_type") == "balance_load_management", change
        assert change.get("context_name") == "Load management"
        assert change.get("context_service") is None  # not "Generic turn off" or set_value


async def test_logbook_says_why_an_unplugged_charger_was_parked(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory, hass_ws_client: WebSocketGenerator
) -> None:
    """No vehicle: the wallbox is parked at 6 A, and the logbook says why in words."""
    hass.config.components.add("frontend")
    assert await async_setup_component(hass, "logbook", {})
    house = await make_ev_house(hass)
    await setup_ev(hass)
    await advance(hass, freeze, 20)
    assert house.amps > 6
    await hass.services.async_call(
        "input_boolean", "turn_off", {"entity_id": "input_boolean.ev_plugged"}, blocking=True
    )
    await advance(hass, freeze, 60)
    assert house.amps == 6
    await async_wait_recording_done(hass)
    client = await hass_ws_client()
    await client.send_json(
        {"id": 1, "type": "logbook/get_events", "start_time": "2026-03-10T09:00:00+00:00"}
    )
    reply = await client.receive_json()
    assert reply["success"], reply
    messages = [e["message"] for e in reply["result"] if e.get("name") == "Load management"]
    assert (
        "reduced Wallbox to 6 A: no vehicle is plugged in, the next session starts at the "
        "minimum current" in messages
    ), messages


async def test_single_phase_charger_under_its_phase_fuse(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory
) -> None:
    """3 x 25 A: the 32 A charger on L1 gets what L1 allows, whatever L2 and L3 have spare."""
    house = await make_ev_house(hass)
    house.base_w = 1500.0  # all of it on L1

    publish_house = house.publish

    @callback
    def publish() -> None:  # a 3-phase meter: the phases and the total at once
        hass.states.async_set("sensor.l1_power", str(house.power_w), POWER_ATTRS)
        hass.states.async_set("sensor.l2_power", "300", POWER_ATTRS)
        hass.states.async_set("sensor.l3_power", "300", POWER_ATTRS)
        publish_house()

    house.publish = publish  # type: ignore[method-assign]
    house.publish()
    await hass.async_block_till_done()
    entry = MockConfigEntry(
        domain=DOMAIN,
        entry_id="load_management",
        title="Load management",
        data={"kind": KIND_LOAD_MANAGEMENT},
        options={
            "power_entity": HOUSE,
            "limit_w": 17250,
            "hard_limit_w": 17250,
            "phase_l1_entity": "sensor.l1_power",
            "phase_l2_entity": "sensor.l2_power",
            "phase_l3_entity": "sensor.l3_power",
            "phase_limit_a": 25,
            "voltage": VOLTS,
            "reaction_s": 10,
            "sensor_timeout_s": 60,
        },
        subentries_data=[charger_subentry(phase="L1")],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await advance(hass, freeze, 20)
    assert house.charging
    assert house.power_w <= 25 * VOLTS  # L1 under its fuse (the house total is far below)
    assert house.amps <= (25 * VOLTS - 1500) // VOLTS
    assert float(hass.states.get("sensor.load_management_headroom_l1").state) >= 0
    assert float(hass.states.get("sensor.load_management_headroom_l2").state) > 5000


async def test_soc_job_with_input_datetime_departure(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory
) -> None:
    """Target SoC 80 % of a 60 kWh battery at 40 %, departure from an input_datetime."""
    await make_ev_house(hass)
    assert await async_setup_component(
        hass,
        "input_datetime",
        {"input_datetime": {"departure": {"has_date": True, "has_time": True}}},
    )
    leave = dt_util.as_local(dt_util.utcnow()) + timedelta(hours=8)
    await hass.services.async_call(
        "input_datetime",
        "set_datetime",
        {"entity_id": "input_datetime.departure", "datetime": leave.strftime("%Y-%m-%d %H:%M:00")},
        blocking=True,
    )
    hass.states.async_set("sensor.ev_soc", "40", {"unit_of_measurement": "%"})
    entry = MockConfigEntry(
        domain=DOMAIN,
        entry_id="load_management",
        title="Load management",
        data={"kind": KIND_LOAD_MANAGEMENT},
        options={"power_entity": HOUSE, "limit_w": 6000, "hard_limit_w": 6000, "reaction_s": 10},
        subentries_data=[
            charger_subentry(
                soc_entity="sensor.ev_soc",
                battery_kwh=60,
                target_soc=80,
                departure_entity="input_datetime.departure",
                departure_time=None,
                energy_kwh=None,
            )
        ],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await advance(hass, freeze, 20)
    departure = dt_util.parse_datetime(hass.states.get("sensor.wallbox_departure").state)
    assert departure is not None
    assert abs((departure - leave).total_seconds()) < 60
    expected = float(hass.states.get("sensor.wallbox_expected_soc_at_departure").state)
    assert 79 <= expected <= 100  # 24 kWh in 8 h fits under 6 kW
    assert float(hass.states.get("sensor.wallbox_shortfall_at_departure").state) == 0


async def test_capacity_period_entities(hass: HomeAssistant, freeze: FrozenDateTimeFactory) -> None:
    """A 2.5 kW 15-min target: the period's average and projection, the month's peak."""
    house = await make_ev_house(hass)
    await setup_ev(hass, capacity_target_w=2500, capacity_period_min="15")
    await advance(hass, freeze, 120, step=5)
    average = float(hass.states.get("sensor.load_management_capacity_period_average").state)
    projection = hass.states.get("sensor.load_management_capacity_period_projection")
    assert average > 0
    assert float(projection.state) >= 0
    assert house.power_w <= 6000
    assert hass.states.get("sensor.load_management_month_peak_period") is not None


async def test_phase_switchable_charger_drops_to_one_phase(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory
) -> None:
    """A 3-phase 11 kW charger with a 1p/3p switch: under 6 kW it charges on one phase."""
    house = await make_ev_house(hass, amps=16)
    house.three_phase = True
    house.publish()
    entry = MockConfigEntry(
        domain=DOMAIN,
        entry_id="load_management",
        title="Load management",
        data={"kind": KIND_LOAD_MANAGEMENT},
        options={"power_entity": HOUSE, "limit_w": 6000, "hard_limit_w": 6000, "reaction_s": 10},
        subentries_data=[
            charger_subentry(phases="3", phase_switch_entity="switch.wallbox_3p", max_current_a=16)
        ],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await advance(hass, freeze, 20)
    assert hass.states.get("switch.wallbox_3p").state == "off"  # one phase: 6 A x 3 does not fit
    assert house.charging
    assert 6 <= house.amps <= 16
    assert house.power_w <= 6000


async def test_switchless_charger_starts_at_the_engine_setpoint(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory
) -> None:
    """No switch: shed means 0 A; the restart's setpoint is the engine's, not the 6 A minimum.

    The engine sends SET_POWER(start) then TURN_ON in one batch; the TURN_ON of a switchless
    charger must not read the still-0 number and reset it to the minimum.
    """
    house = await make_ev_house(hass)
    entry = MockConfigEntry(
        domain=DOMAIN,
        entry_id="load_management",
        title="Load management",
        data={"kind": KIND_LOAD_MANAGEMENT},
        options={"power_entity": HOUSE, "limit_w": 6000, "hard_limit_w": 6000, "reaction_s": 10},
        subentries_data=[charger_subentry(switch_entity=None)],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await advance(hass, freeze, 20)
    assert 6 < house.amps < 32  # reduced
    await house.set_base(5800)  # no room even for 6 A: paused at the number's 0
    await advance(hass, freeze, 40)
    assert house.amps == 0
    house.setpoints.clear()
    await house.set_base(1000)
    await advance(hass, freeze, 180)
    assert house.setpoints, "the charger is started again"
    started = house.setpoints[0][1]
    assert started > 6, house.setpoints  # the engine's start setpoint: what fits under 6 kW
    assert all(amps > 6 for _, amps in house.setpoints), house.setpoints  # never reset to 6 A
    assert house.power_w <= 6000
