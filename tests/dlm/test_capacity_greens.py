"""Capacity periods and greens: an unplugged charger parked off, a paused committed washer
that makes room once its slack runs low."""

from __future__ import annotations

from bench.dlm.strategies import ENGINE_CONFIG
from custom_components.balance.dlm import (
    ActionKind,
    ActionReason,
    CapacityTarget,
    DlmEngine,
    GreenPlan,
    Limits,
    LoadConfig,
    LoadKind,
    LoadReading,
    Observed,
    Priority,
)
from tests.dlm.mod_house import ModHouse, heat_pump_load

CFG = ENGINE_CONFIG
CAPACITY = CapacityTarget(2500, 900)
CAPACITY_LIMITS = Limits(hard_w=9200, capacity=CAPACITY)
EV = LoadConfig(
    "ev", Priority.GREEN, 7360, min_on_s=60, kind=LoadKind.CHARGER, min_w=1380, max_w=7360
)


def _capacity_house(
    loads: list[LoadConfig],
    base_w: float,
    limits: Limits = CAPACITY_LIMITS,
) -> ModHouse:
    """By default under a 2.5 kW capacity target and a 9.2 kW fuse; a constant base load on
    L1."""
    return ModHouse.build(DlmEngine(loads, CFG, limits), loads, lambda _t: {"L1": base_w})


def _ev_reading(on: bool, plugged: bool) -> dict[str, LoadReading]:
    state = Observed.ON if on else Observed.OFF
    return {"ev": LoadReading(state, 0.0, setpoint_w=1380, plugged=plugged)}


def test_capacity_unplugged_charger_is_off_until_granted() -> None:
    """Under a capacity term an unplugged charger is switched off (a car plugged in then draws
    nothing until the engine grants it power) and is not restored while unplugged; without
    one it stays on, parked at 6 A."""
    engine = DlmEngine([EV], CFG, Limits(hard_w=9200, capacity=CAPACITY))
    actions = engine.update(0.0, 300.0, _ev_reading(on=True, plugged=False))
    assert [(a.kind, a.reason) for a in actions] == [(ActionKind.TURN_OFF, ActionReason.UNPLUGGED)]
    for minute in range(1, 10):
        assert engine.update(minute * 60.0, 300.0, _ev_reading(on=False, plugged=False)) == []
    engine.set_plan("ev", GreenPlan(energy_wh=5000, deadline_s=86_400))
    actions = engine.update(600.0, 300.0, _ev_reading(on=False, plugged=True))
    assert (ActionKind.TURN_ON, "ev") in [(a.kind, a.load_id) for a in actions]

    plain = DlmEngine([EV], CFG, Limits(hard_w=9200))
    actions = plain.update(0.0, 300.0, _ev_reading(on=True, plugged=False))
    assert ActionKind.TURN_OFF not in [a.kind for a in actions]


def test_capacity_paused_washer_makes_room_when_its_slack_runs_low() -> None:
    """A committed washer paused for the capacity budget beside a heat pump waits for the
    budget only while more than 15 min of slack are left; then it sheds the heat pump and
    runs at once, instead of waiting for a budget that the heat pump keeps taking."""
    washer = LoadConfig("washer", Priority.GREEN, 2000, min_on_s=60)
    h = _capacity_house([washer, heat_pump_load(2000)], 370.0)
    run_s = 4800.0
    h.engine.set_plan("washer", GreenPlan(remaining_s=run_s, deadline_s=run_s + 1500.0))
    h.step(0.0)
    assert not h.on["washer"]  # paused: the heat pump at its minimum leaves no room
    back_at = None
    for minute in range(1, 25):
        h.step(minute * 60.0)
        if h.on["washer"] and back_at is None:
            back_at = minute * 60.0
    slack_left = 1500.0 - (back_at or 1e9)
    assert 900.0 - 60.0 <= slack_left <= 900.0  # at the first update with 15 min left


def _pump_and_charger(
    pump_demand_w: float,
    pump_top_w: float = 2500.0,
    ev_w: float = 1450.0,
    limits: Limits = CAPACITY_LIMITS,
) -> ModHouse:
    """A heat pump held at its 600 W minimum beside a charger at `ev_w` that can wait (5 kWh
    by the end of the day), by default under a 2.5 kW capacity target."""
    h = _capacity_house([heat_pump_load(pump_top_w), EV], 240.0, limits)
    h.engine.set_plan("ev", GreenPlan(energy_wh=5000, deadline_s=86_400))
    h.setpoint.update(hp=600.0, ev=ev_w)
    h.demand_w["hp"] = pump_demand_w
    return h


def test_capacity_waiting_charger_gives_way_to_a_reduced_heat_pump() -> None:
    """A heat pump running at its minimum while a charger with slack holds the budget gets
    the budget back: the charger is shed for it (not left at 6 A beside a pump at 600 W all
    night while the room cools)."""
    h = _pump_and_charger(2500.0)
    for minute in range(5):
        h.step(minute * 60.0)
    assert not h.on["ev"]
    assert (ActionKind.TURN_OFF, ActionReason.ROTATION) in [
        (a.kind, a.reason) for _, a in h.log if a.load_id == "ev"
    ]
    assert h.setpoint["hp"] >= 1500.0
    assert h.power(300.0) <= 2500.0


def test_capacity_idle_heat_pump_setpoint_counts_on_waiting_greens() -> None:
    """A satisfied heat pump (its thermostat idle) at a reduced setpoint is set back to what it
    fits without the waiting charger, and the charger keeps running until the heat pump's
    thermostat starts; then the charger, not the heat pump, is shed."""
    h = _pump_and_charger(0.0)
    for minute in range(3):
        h.step(minute * 60.0)
    assert h.on["ev"]
    assert h.setpoint["hp"] >= 1500.0
    h.demand_w["hp"] = 2500.0
    for minute in range(3, 6):
        h.step(minute * 60.0)
    assert not h.on["ev"]
    assert h.on["hp"]
    assert h.setpoint["hp"] >= 1500.0


def test_capacity_idle_heat_pump_raise_keeps_the_fuse_with_the_charger_on() -> None:
    """Under a 4 kW capacity target and a 6 kW fuse, an idle heat pump's setpoint counts on a
    3.3 kW charger that can wait only as far as the fuse holds with the charger still on: when
    the thermostat starts, the house stays under 6 kW until the charger is shed."""
    limits = Limits(hard_w=6000, capacity=CapacityTarget(4000, 900))
    h = _pump_and_charger(0.0, pump_top_w=3500.0, ev_w=3300.0, limits=limits)
    for minute in range(3):
        h.step(minute * 60.0)
    assert h.on["ev"]
    assert h.setpoint["hp"] >= 1500.0  # raised on the charger's power
    h.demand_w["hp"] = 3500.0
    assert h.power(180.0) <= 6000.0
    h.step(180.0)
    assert not h.on["ev"]
