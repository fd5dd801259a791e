"""The bench's over-limit rule: one reaction step per new overload, none for self-made ones."""

from __future__ import annotations

from bench.dlm.metrics import OverLimitCounter


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
