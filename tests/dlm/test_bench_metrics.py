"""The bench's over-limit rule (one reaction step per new overload, none for self-made ones)
and its yellow overruns (violations vs. infeasible under the fuse)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bench.dlm import scenarios
from bench.dlm.house import DAY_S, Boiler, Charger, Fridge, House, RedEvent
from bench.dlm.metrics import OverLimitCounter
from bench.dlm.scenarios import SCENARIOS, Controller, restore_exceeds_hard


def test_first_step_of_a_new_overload_is_the_reaction_step() -> None:
    counter = OverLimitCounter(5000.0, 60.0)
    counter.add(4000.0, 500.0)
    counter.add(6000.0, 500.0, excused_w=2000.0)  # kettle starts: reaction step
    counter.add(6000.0, 500.0)  # not shed: counts
    assert counter.over_s == 60.0


def test_new_overload_during_a_shed_gets_its_own_reaction_step() -> None:
    counter = OverLimitCounter(5000.0, 60.0)
    counter.add(4000.0, 500.0)
    counter.add(6000.0, 500.0, excused_w=2000.0)
    counter.add(5800.0, 500.0, excused_w=2000.0)  # shed 2 kW, a 1.8 kW thermostat came on
    counter.add(4500.0, 500.0)
    assert counter.over_s == 0.0


def test_overload_made_by_the_strategy_counts_at_once() -> None:
    counter = OverLimitCounter(5000.0, 60.0)
    counter.add(4000.0, 500.0)
    counter.add(6000.0, 500.0)  # a restore pushed it over: no exogenous rise
    assert counter.over_s == 60.0


def test_yellow_held_off_because_red_alone_fills_the_fuse_is_infeasible_not_a_violation() -> None:
    boiler = Boiler("boiler", "yellow", "switch", 2000.0, ("L1",))
    hard = {"total": 6000.0}
    assert restore_exceeds_hard(boiler, {"total": 5100.0, "L1": 5100.0}, hard)
    assert not restore_exceeds_hard(boiler, {"total": 3900.0, "L1": 3900.0}, hard)
    assert not restore_exceeds_hard(boiler, {"total": 5100.0}, {})  # no hard limit: violation


def test_yellow_infeasible_per_phase() -> None:
    fridge = Fridge("fridge", "yellow", "switch", 120.0, ("L1",))
    fuses = dict.fromkeys(("L1", "L2", "L3"), 5750.0)
    assert restore_exceeds_hard(fridge, {"L1": 5700.0, "L2": 0.0, "L3": 0.0}, fuses)
    assert not restore_exceeds_hard(fridge, {"L1": 100.0, "L2": 5700.0, "L3": 0.0}, fuses)


def test_scenario_counts_a_fuse_bound_overrun_as_yellow_infeasible(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A controller that keeps the boiler off through a red overload of the fuse: its overrun
    is `yellow_infeasible`; the same overrun with room to restore is a violation."""
    monkeypatch.setitem(
        SCENARIOS,
        "ecopower",
        (SCENARIOS["ecopower"][0], lambda _rng, _days: [_boiler(), _idle_ev()]),
    )

    class HoldBoiler(Controller):
        def control(self, now_s: float, house: House) -> tuple[int, int]:
            house.appliances["boiler"].supplied = not 60 * 60 <= now_s < 90 * 60
            return 0, 0

    monkeypatch.setattr(scenarios, "make_controller", lambda *_a: HoldBoiler())
    monkeypatch.setattr(House, "_red_day", _red_day(5100.0))
    figures, _ = scenarios.simulate("ecopower", 1, 1, "none")
    assert (figures.yellow_infeasible, figures.yellow_violations) == (1, 0)
    monkeypatch.setattr(House, "_red_day", _red_day(1000.0))
    figures, _ = scenarios.simulate("ecopower", 1, 1, "none")
    assert (figures.yellow_infeasible, figures.yellow_violations) == (0, 1)


def _boiler() -> Boiler:
    tank = Boiler("boiler", "yellow", "switch", 2000.0, ("L1",))
    tank.tank_c = 50.0  # calls for heat
    return tank


def _idle_ev() -> Charger:
    return Charger("ev", "green", "charger", 7360.0, ("L1",), min_w=1380.0)


def _red_day(watts: float) -> Callable[[House, int], None]:
    def red_day(self: House, day: int) -> None:
        self.red.append(RedEvent("L1", day * DAY_S + 50 * 60, 50 * 60, watts))

    return red_day
