"""Property tests: random problems, checked against the device rules and the exact MILP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.planner.milp import solve_milp
from bench.planner.run import scale
from custom_components.balance.planner import (
    Charger,
    HeaterDay,
    PlanStatus,
    Problem,
    Programme,
    WaterHeater,
    check,
    plan,
)
from custom_components.balance.tariffs import Tariff, day_night, parse_nordpool_action

SETTINGS = settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
prices_st = st.lists(
    st.sampled_from([-0.05, 0.0, 0.1, 0.12, 0.2, 0.3, 0.31]), min_size=8, max_size=16
)


@st.composite
def window(draw: st.DrawFn, n: int) -> tuple[int, int]:
    first = draw(st.integers(0, n - 1))
    return first, draw(st.integers(first + 1, n))


@st.composite
def relaxed_problem(draw: st.DrawFn) -> Problem:
    """Split chargers without a minimum power and water heaters: the planner is exact here."""
    prices = draw(prices_st)
    n = len(prices)
    caps = draw(st.lists(st.sampled_from([0.0, 1.5, 3.0, 6.0]), min_size=n, max_size=n))
    loads: list[Charger | WaterHeater] = []
    for k in range(draw(st.integers(1, 4))):
        win = draw(window(n))
        energy = draw(st.integers(0, 120)) / 10 * draw(st.sampled_from([0.25, 1.0]))
        if draw(st.booleans()):
            loads.append(Charger(f"c{k}", draw(st.sampled_from([2.0, 3.7, 7.4])), win, energy))
        else:
            loads.append(WaterHeater(f"h{k}", 2.0, (HeaterDay(energy, win),)))
    return Problem(n, draw(st.sampled_from([0.25, 1.0])), prices, caps, loads)


@st.composite
def mixed_problem(draw: st.DrawFn, *, pause: bool = True) -> Problem:
    """Chargers with minimum power, programmes and a heater; ``pause=False``: chargers may not
    pause (a heuristic case: plans stay valid, the optimum is not promised)."""
    prices = draw(prices_st)
    n = len(prices)
    cap = draw(st.sampled_from([3.0, 4.5, 7.0]))
    loads: list[Charger | Programme | WaterHeater] = []
    for k in range(draw(st.integers(1, 2))):
        loads.append(
            Charger(
                f"ev{k}",
                draw(st.sampled_from([3.7, 7.4])),
                draw(window(n)),
                draw(st.integers(5, 140)) / 10,
                min_kw=1.4,
                may_split=pause,
            )
        )
    for k in range(draw(st.integers(0, 2))):
        profile = tuple(draw(st.lists(st.sampled_from([0.2, 1.0, 2.2]), min_size=1, max_size=4)))
        loads.append(Programme(f"p{k}", profile, draw(window(n))))
    if draw(st.booleans()):
        loads.append(
            WaterHeater("boiler", 2.0, (HeaterDay(draw(st.integers(0, 60)) / 10, draw(window(n))),))
        )
    return Problem(n, 1.0, prices, [cap] * n, loads)


@SETTINGS
@given(relaxed_problem())
def test_relaxed_problems_match_the_milp_optimum(problem: Problem) -> None:
    ours = plan(problem)
    exact = solve_milp(problem)
    assert (ours.status is PlanStatus.OPTIMAL) == (exact.cost is not None)
    assert check(problem, ours, energy=False) == []
    if exact.cost is not None:
        assert check(problem, ours) == []
        assert ours.cost == pytest.approx(exact.cost, abs=1e-6)


@SETTINGS
@given(mixed_problem())
def test_mixed_plans_are_valid_feasibility_matches_and_cost_is_near_optimal(
    problem: Problem,
) -> None:
    ours = plan(problem)
    exact = solve_milp(problem)
    assert check(problem, ours, energy=False) == []
    assert (ours.status is PlanStatus.OPTIMAL) == (exact.cost is not None)
    if exact.cost is None:
        assert ours.shortfalls
        return
    assert check(problem, ours) == []
    # On problems this small the bounded search over minimum-power decisions reaches the optimum
    # (none off it in 1500 random problems; the old planner was up to 73 % above it, beyond the
    # 2 % this test used to allow); the benchmark measures the gap on large ones.
    assert ours.cost == pytest.approx(exact.cost, abs=1e-6 + 1e-6 * scale(problem))


def test_dst_days_give_23_and_25_slots_to_the_planner() -> None:
    ams = ZoneInfo("Europe/Amsterdam")
    for day, hours in (
        (datetime(2026, 3, 29, tzinfo=ams), 23),
        (datetime(2026, 10, 25, tzinfo=ams), 25),
    ):
        start = day.astimezone(UTC)
        rows = [
            {
                "start": (start + timedelta(hours=k)).isoformat(),
                "end": (start + timedelta(hours=k + 1)).isoformat(),
                "price": 50.0 if k % 5 else 10.0,
            }
            for k in range(hours)
        ]
        prices = parse_nordpool_action({"NL": rows}).slots(start, timedelta(hours=1), hours)
        problem = Problem(
            hours, 1.0, prices, [6.0] * hours, [Charger("ev", 7.4, (0, hours), 12.0, 1.4)]
        )
        result = plan(problem)
        assert check(problem, result) == []
        assert len(result.loads["ev"].power_kw) == hours
    tariff = Tariff(ams, tou=day_night(0.3, 0.1))
    spring = datetime(2026, 3, 29, tzinfo=ams).astimezone(UTC)
    assert len(tariff.slot_prices(spring, timedelta(minutes=15), 92)) == 92


@SETTINGS
@given(mixed_problem(pause=False))
def test_chargers_that_may_not_pause_get_valid_plans(problem: Problem) -> None:
    ours = plan(problem)
    assert check(problem, ours, energy=False) == []
    if ours.status is PlanStatus.OPTIMAL:
        assert check(problem, ours) == []
    else:
        assert ours.shortfalls
