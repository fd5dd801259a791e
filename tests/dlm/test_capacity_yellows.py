"""Capacity periods with thermostat yellows: restores on the steady fit, the reserve for what
running and shed yellows will draw by themselves, and the spike learned around its slot."""

from __future__ import annotations

from dataclasses import replace

from bench.dlm.strategies import ENGINE_CONFIG
from custom_components.balance.dlm import (
    CapacityTarget,
    DlmEngine,
    EngineConfig,
    GreenPlan,
    Limits,
    LoadConfig,
    LoadKind,
    Priority,
)
from tests.dlm.mod_house import ModHouse, heat_pump_load

# the bench's timing: 60 s updates, a 10 min restore look-back
CFG = ENGINE_CONFIG
CAPACITY = CapacityTarget(2500, 900)
EV = LoadConfig(
    "ev", Priority.GREEN, 7360, min_on_s=60, kind=LoadKind.CHARGER, min_w=1380, max_w=7360
)
PUMP = heat_pump_load(2000)


def _ev_and_pump(limits: Limits, cfg: EngineConfig = CFG) -> ModHouse:
    loads = [EV, PUMP]
    h = ModHouse.build(DlmEngine(loads, cfg, limits), loads, lambda _t: {"L1": 200.0})
    h.engine.set_plan("ev", GreenPlan(energy_wh=10_000, deadline_s=86_400))
    return h


def _ev_on_at(limits: Limits) -> float | None:
    """The heat pump's thermostat runs from minute 2 to 12, then is satisfied for 20 min: when
    the charger (shed for it) is back on, if it is."""
    h = _ev_and_pump(limits)
    for minute in range(32):
        h.demand_w["hp"] = 2000.0 if 2 <= minute < 12 else 0.0
        h.step(minute * 60.0)
        if minute == 11:
            assert h.draw("ev") == 0  # shed for the heat pump
        if minute >= 12 and h.draw("ev") >= 1380:
            return minute * 60.0
    return None


def test_capacity_charger_restored_on_its_steady_fit_when_a_thermostat_stops() -> None:
    """Under a capacity term a shed charger starts once the thermostat has stopped and its
    minimum fits beside the rest of the house, not after the 10-min restore look-back: the
    look-back would leave the period's budget unused while the room coasts."""
    on_at = _ev_on_at(Limits(hard_w=9200, capacity=CAPACITY))
    assert on_at is not None and on_at <= 12 * 60 + 180


def test_capacity_keeps_a_reaction_step_for_a_satisfied_thermostat() -> None:
    """A charger fills the period's budget while the heat pump's thermostat is satisfied
    (on, set to 2 kW, drawing nothing); the thermostat starts in the period's last minute and
    is seen one 60 s update late. The budget kept that step back: the period ends under the
    target."""
    cfg = replace(CFG, capacity_spike_w=0.0, capacity_margin_w=0.0, setpoint_margin_w=0.0)
    h = _ev_and_pump(Limits(hard_w=9200, capacity=CAPACITY), cfg)
    for minute in range(16):
        # the update at 900 s reads the period's last minute: the thermostat started after
        # the update at 840 s
        h.demand_w["hp"] = 2000.0 if minute == 15 else 0.0
        h.step(minute * 60.0)
    cap = h.engine.state().capacity
    assert cap is not None and 2000 < cap.month_peak_w <= 2500 + 1


def test_capacity_keeps_back_a_shed_yellows_return_at_its_max_off() -> None:
    """A heater shed by a spike comes back at its max-off in the next period (forced, whatever
    the budget): from that period's start the budget keeps its energy back, so turn-ons and
    raises leave room for it."""
    heater = LoadConfig("heater", Priority.YELLOW, 1500, min_on_s=300, max_off_s=900)
    loads = [heater]

    def base(now_s: float) -> dict[str, float]:
        return {"L1": 500.0 if now_s < 300 else 3000.0 if now_s < 480 else 1500.0}

    h = ModHouse.build(DlmEngine(loads, CFG, Limits(capacity=CAPACITY)), loads, base)
    h.run(0, 960, dt_s=60)
    assert not h.on["heater"]  # shed at 300 s, due back at 1200 s
    steady = h.engine.effective_limit(steady=True)[0]
    assert steady is not None
    # at 900 s (the period's start) 600 s of it lie in the period
    assert steady <= 2500 - 1500 * 600 / 900


def test_capacity_spike_learned_in_the_neighbouring_slot() -> None:
    """A kettle at 18:05 every day: in the slot before it (17:45-18:00), which saw no spike,
    turn-ons still keep the kettle's energy back (a kettle comes at about the same time, not
    to the minute); at night none."""
    loads = [EV]
    limits = Limits(hard_w=9200, capacity=CAPACITY)

    def base(now_s: float) -> dict[str, float]:
        minute = now_s % 86_400 / 60
        return {"L1": 2500.0 if 18 * 60 + 5 <= minute < 18 * 60 + 8 else 500.0}

    h = ModHouse.build(DlmEngine(loads, CFG, limits), loads, base)
    steady: dict[tuple[int, int], float] = {}
    for minute in range(3 * 1440):
        h.step(minute * 60.0)
        day, clock = divmod(minute, 1440)
        if clock in (3 * 60, 17 * 60 + 45):
            steady[day, clock] = h.engine.effective_limit(steady=True)[0] or 0.0
    kettle_wh = 2000 * 180 / 3600
    assert steady[2, 17 * 60 + 45] < 2500 - kettle_wh * 4 + 50
    assert steady[2, 180] > 2500 - 200
