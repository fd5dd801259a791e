"""The planner on hand-made problems: cheap slots, device limits, infeasible reasons, stability."""

from __future__ import annotations

from dataclasses import replace

import pytest

from custom_components.balance.planner import (
    Charger,
    HeaterDay,
    InfeasibleReason,
    PlanStatus,
    Problem,
    Programme,
    Stability,
    WaterHeater,
    caps_from,
    check,
    plan,
    profile_from_minutes,
)

NIGHT = [0.30] * 5 + [0.12] * 9 + [0.30] * 10  # hourly, slot 0 = 17:00, night 22:00-07:00


def _problem(loads: list, prices: list[float] = NIGHT, cap: float = 6.0) -> Problem:
    return Problem(len(prices), 1.0, prices, [cap] * len(prices), loads)


def test_ev_charges_in_the_night_slots_and_meets_its_deadline() -> None:
    ev = Charger("ev", 7.4, (0, 14), energy_kwh=18.0, min_kw=1.4)
    result = plan(_problem([ev]))
    assert result.status is PlanStatus.OPTIMAL
    row = result.loads["ev"].power_kw
    assert sum(row) == pytest.approx(18.0)
    assert all(p == 0 for t, p in enumerate(row) if not 5 <= t < 14)
    assert result.cost == pytest.approx(18.0 * 0.12)
    assert result.loads["ev"].end_slot is not None and result.loads["ev"].end_slot <= 14
    assert check(_problem([ev]), result) == []


def test_target_soc_gives_the_energy() -> None:
    ev = Charger("ev", 7.4, (0, 14), soc_pct=40, target_soc_pct=80, capacity_kwh=50, min_kw=1.4)
    assert plan(_problem([ev])).loads["ev"].energy_kwh == pytest.approx(20.0)


def test_charger_never_runs_below_its_minimum_power() -> None:
    # 3.5 kWh over 1-hour slots with min 1.4 kW: a plain fill would leave a 0.5 kW slot.
    ev = Charger("ev", 3.0, (0, 24), energy_kwh=3.5, min_kw=1.4)
    prices = [0.3] * 24
    prices[3], prices[9] = 0.10, 0.11
    result = plan(_problem([ev], prices))
    on = [p for p in result.loads["ev"].power_kw if p > 0]
    assert all(p >= 1.4 - 1e-9 for p in on)
    assert sum(on) == pytest.approx(3.5)


def test_tiny_energy_is_one_slot_at_minimum_power() -> None:
    ev = Charger("ev", 7.4, (0, 24), energy_kwh=0.5, min_kw=1.4)
    row = plan(_problem([ev])).loads["ev"].power_kw
    assert [p for p in row if p > 0] == [pytest.approx(1.4)]


def test_programme_runs_whole_at_the_cheapest_start() -> None:
    washer = Programme("washer", (2.0, 0.5, 1.0), (0, 24))
    result = plan(_problem([washer]))
    row = result.loads["washer"].power_kw
    start = result.loads["washer"].start_slot
    assert start == 5
    assert row[5:8] == (2.0, 0.5, 1.0)
    assert sum(row) == pytest.approx(3.5)


def test_running_programme_continues_from_now() -> None:
    washer = Programme("washer", (2.0, 0.5, 1.0, 0.2), (0, 24), elapsed_slots=1)
    row = plan(_problem([washer])).loads["washer"].power_kw
    assert row[:3] == (0.5, 1.0, 0.2)


def test_running_charger_that_may_not_pause_is_not_interrupted() -> None:
    ev = Charger("ev", 3.7, (0, 24), energy_kwh=7.4, min_kw=1.4, may_split=False, running=True)
    row = plan(_problem([ev])).loads["ev"].power_kw
    on = [t for t, p in enumerate(row) if p > 0]
    assert on[0] == 0
    assert on == list(range(on[0], on[-1] + 1))


def test_water_heater_gets_each_days_energy_in_its_window() -> None:
    heater = WaterHeater("boiler", 2.0, (HeaterDay(3.0, (5, 14)), HeaterDay(1.0, (18, 24))))
    problem = _problem([heater])
    result = plan(problem)
    row = result.loads["boiler"].power_kw
    assert sum(row[5:14]) == pytest.approx(3.0)
    assert sum(row[18:24]) == pytest.approx(1.0)
    assert check(problem, result) == []


def test_loads_share_the_cap() -> None:
    loads = [
        Charger("ev", 7.4, (0, 14), energy_kwh=20.0, min_kw=1.4),
        Programme("dryer", (2.4, 2.4), (0, 24)),
        WaterHeater("boiler", 2.0, (HeaterDay(4.0, (0, 24)),)),
    ]
    problem = _problem(loads, cap=5.0)
    result = plan(problem)
    assert result.status is PlanStatus.OPTIMAL
    assert check(problem, result) == []


def test_caps_from_subtracts_the_base_and_applies_the_capacity_target() -> None:
    assert caps_from(6.0, [1.0, 7.0, 2.0], [9.0, 9.0, 2.5]) == [5.0, 0.0, 0.5]
    assert caps_from([5.0, 5.0], [1.0, 1.0]) == [4.0, 4.0]


def test_profile_from_minutes_averages_onto_slots() -> None:
    assert profile_from_minutes(((20, 2.1), (40, 0.3)), 15) == pytest.approx((2.1, 0.9, 0.3, 0.3))


def test_energy_beyond_the_cap_is_reported_with_the_alternatives() -> None:
    # 18 kWh by slot 3 under 6 kW is impossible: 18 kWh possible would need slot 3 as deadline.
    ev = Charger("ev", 7.4, (0, 2), energy_kwh=18.0, min_kw=1.4)
    result = plan(_problem([ev], [0.2] * 24))
    assert result.status is PlanStatus.INFEASIBLE
    (short,) = result.shortfalls
    assert short.reason is InfeasibleReason.ENERGY_EXCEEDS_CAPACITY
    assert short.possible_kwh == pytest.approx(12.0)
    assert short.earliest_end_slot == 3
    assert result.loads["ev"].energy_kwh == pytest.approx(12.0)


def test_programme_that_fits_nowhere_is_reported() -> None:
    dryer = Programme("dryer", (2.4,), (0, 24))
    result = plan(_problem([dryer], cap=2.0))
    assert result.shortfalls[0].reason is InfeasibleReason.NO_START_FITS
    assert result.shortfalls[0].earliest_end_slot is None
    assert sum(result.loads["dryer"].power_kw) == 0


def test_programme_window_too_short() -> None:
    washer = Programme("washer", (2.0, 0.5, 1.0), (4, 6))
    result = plan(_problem([washer]))
    assert result.shortfalls[0].reason is InfeasibleReason.WINDOW_TOO_SHORT
    assert result.shortfalls[0].earliest_end_slot == 7


def test_two_loads_in_conflict_are_reported_and_best_effort_planned() -> None:
    loads = [
        Charger("ev", 6.0, (0, 3), energy_kwh=12.0, min_kw=1.4),
        Charger("ev2", 6.0, (0, 3), energy_kwh=12.0, min_kw=1.4),
    ]
    problem = _problem(loads, [0.2] * 24)
    result = plan(problem)
    assert result.status is PlanStatus.INFEASIBLE
    assert {s.reason for s in result.shortfalls} == {InfeasibleReason.LOADS_CONFLICT}
    assert sum(lp.energy_kwh for lp in result.loads.values()) == pytest.approx(18.0)
    assert all(s.earliest_end_slot == 4 for s in result.shortfalls)
    assert check(problem, result, energy=False) == []


def test_unchanged_inputs_keep_the_plan_and_small_price_changes_do_not_reshuffle() -> None:
    prices = [0.2] * 24
    loads = [
        Charger("ev", 7.4, (0, 24), energy_kwh=10.0, min_kw=1.4),
        Programme("w", (2.0,), (0, 24)),
    ]
    first = plan(_problem(loads, prices))
    previous = {k: v.power_kw for k, v in first.loads.items()}
    again = plan(replace(_problem(loads, prices), previous=previous))
    assert {k: v.power_kw for k, v in again.loads.items()} == previous
    nudged = list(prices)
    nudged[20] = 0.199  # a slightly cheaper slot elsewhere: within the tolerance
    kept = plan(replace(_problem(loads, nudged), previous=previous))
    assert kept.kept_previous
    assert {k: v.power_kw for k, v in kept.loads.items()} == previous
    cheap = list(prices)
    cheap[20] = cheap[21] = 0.05  # a real saving: the plan moves
    moved = plan(replace(_problem(loads, cheap), previous=previous, stability=Stability(0.01, 0.0)))
    assert not moved.kept_previous
    assert moved.cost < kept.cost


def test_previous_plan_that_is_no_longer_valid_is_replaced() -> None:
    loads = [Charger("ev", 7.4, (0, 24), energy_kwh=10.0, min_kw=1.4)]
    bad = {"ev": [0.0] * 24}
    result = plan(replace(_problem(loads), previous=bad))
    assert not result.kept_previous
    assert result.loads["ev"].energy_kwh == pytest.approx(10.0)
    assert not plan(replace(_problem(loads), previous={"other": [0.0] * 24})).kept_previous
    assert not plan(replace(_problem(loads), previous={"ev": [0.0]})).kept_previous


@pytest.mark.parametrize(
    ("problem", "message"),
    [
        (Problem(0, 1.0, [], [], []), "positive"),
        (Problem(2, 1.0, [0.1], [1.0, 1.0], []), "one value per slot"),
        (_problem([Charger("a", 1, (0, 1), 1.0), Charger("a", 1, (0, 1), 1.0)]), "unique"),
        (_problem([Charger("a", 1.0, (0, 1), 1.0, min_kw=2.0)]), "min_kw"),
        (_problem([Charger("a", 1.0, (0, 1))]), "energy_kwh"),
        (_problem([Programme("p", (), (0, 1))]), "profile"),
        (_problem([Programme("p", (1.0,), (0, 1), elapsed_slots=1)]), "elapsed"),
        (_problem([WaterHeater("h", 0.0, ())]), "power"),
    ],
)
def test_bad_input_is_rejected(problem: Problem, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plan(problem)


def test_check_finds_what_a_device_cannot_do() -> None:
    loads = [
        Charger("ev", 7.4, (0, 10), energy_kwh=3.0, min_kw=1.4, may_split=False, running=True),
        Programme("washer", (2.0, 1.0), (0, 24), elapsed_slots=0),
        WaterHeater("boiler", 2.0, (HeaterDay(2.0, (0, 4)),)),
    ]
    problem = _problem(loads)
    result = plan(problem)
    bad_rows = {
        "ev": (0.0, 1.0, 0.0, 1.5) + (0.0,) * 20,
        "washer": (1.0, 2.0) + (0.0,) * 22,
        "boiler": (0.0,) * 10 + (3.0,) + (0.0,) * 13,
    }
    broken = replace(
        result,
        loads={k: replace(v, power_kw=bad_rows[k]) for k, v in result.loads.items()},
    )
    problems = "\n".join(check(problem, broken))
    for text in (
        "outside [1.4",
        "may not pause",
        "interrupted",
        "programme split",
        "above heater",
        "outside its windows",
        "kWh planned",
        "of 2.0 kWh",
    ):
        assert text in problems
    assert "no plan" in check(problem, replace(result, loads={}))[0]
    over = replace(
        result, loads={**result.loads, "ev": replace(result.loads["ev"], power_kw=(9.0,) * 24)}
    )
    assert any("above cap" in v for v in check(problem, over))
