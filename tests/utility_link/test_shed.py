"""Shed levels as held loads, and the usage history (plain Python parts of the link)."""

from __future__ import annotations

import datetime as dt

from custom_components.balance.dlm import Priority
from custom_components.balance.openadr import ShedLevel
from custom_components.balance.utility_link.meters import UsageHistory
from custom_components.balance.utility_link.shed import Participant, shed_plan

T0 = dt.datetime(2026, 3, 10, 10, tzinfo=dt.UTC)
LOADS = [
    Participant("washer", Priority.GREEN, dt.timedelta(minutes=30)),
    Participant("boiler", Priority.YELLOW, dt.timedelta(minutes=10)),
    Participant("aircon", Priority.YELLOW, dt.timedelta(minutes=5)),
    Participant("pool", Priority.YELLOW, dt.timedelta(minutes=15)),
]


def test_levels_hold_greens_then_yellows() -> None:
    """0 holds nothing, 1 the greens, 3 greens and every yellow."""
    assert shed_plan(ShedLevel.NORMAL, T0, T0, LOADS).held == frozenset()
    assert shed_plan(ShedLevel.GREEN, T0, T0, LOADS).held == {"washer"}
    assert shed_plan(ShedLevel.ALL_SHEDDABLE, T0, T0, LOADS).held == {
        "washer",
        "boiler",
        "aircon",
        "pool",
    }


def test_rotation_gives_each_yellow_its_turn_within_max_off() -> None:
    """Level 2: one yellow at a time, each for its own max-off, in a fixed cycle."""
    timeline: list[tuple[int, str]] = []
    moment = T0
    while moment < T0 + dt.timedelta(minutes=60):
        plan = shed_plan(ShedLevel.GREEN_YELLOW_ROTATION, T0, moment, LOADS)
        yellows = plan.held - {"washer"}
        assert "washer" in plan.held and len(yellows) == 1
        minute = int((moment - T0).total_seconds() // 60)
        if not timeline or timeline[-1][1] != next(iter(yellows)):
            timeline.append((minute, next(iter(yellows))))
        assert plan.next_change is not None and plan.next_change > moment
        moment = plan.next_change
    assert timeline == [(0, "aircon"), (5, "boiler"), (15, "pool"), (30, "aircon"),
                        (35, "boiler"), (45, "pool")]  # fmt: skip


def test_usage_history_energy_between_readings() -> None:
    """Energy of a span from the readings in force at its ends; unknown before the first
    reading and when the meter went backwards."""
    history = UsageHistory()
    history.add(T0, 100.0)
    history.add(T0 + dt.timedelta(minutes=30), 101.0)
    history.add(T0 + dt.timedelta(minutes=60), 103.0)
    assert history.energy(T0, T0 + dt.timedelta(minutes=60)) == 3.0
    assert history.energy(T0 + dt.timedelta(minutes=45), T0 + dt.timedelta(minutes=60)) == 2.0
    assert history.energy(T0 - dt.timedelta(minutes=1), T0 + dt.timedelta(minutes=60)) is None
    history.add(T0 + dt.timedelta(minutes=90), 0.5)  # meter replaced
    assert history.energy(T0, T0 + dt.timedelta(minutes=90)) is None
