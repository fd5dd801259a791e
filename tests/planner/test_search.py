"""The planner's incremental parts: squeezed fills, exact move bounds, the earliest-deadline
search, and the benchmark problems the old block search missed."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.planner.milp import solve_milp
from bench.planner.problems import suite
from bench.planner.unseen import SHAPES, unseen
from custom_components.balance.planner import (
    Charger,
    HeaterDay,
    InfeasibleReason,
    PlanStatus,
    Problem,
    Programme,
    WaterHeater,
    check,
    plan,
)
from custom_components.balance.planner.flex import Fill, Job, fill, flow, score
from custom_components.balance.planner.solve import _earliest_end

SETTINGS = settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def squeezes(
    draw: st.DrawFn,
) -> tuple[list[Job], list[float], list[float], list[tuple[int, float]]]:
    """Jobs (some with a minimum power), room, prices and the room to take per slot."""
    n = draw(st.integers(4, 24))
    prices = draw(
        st.lists(st.sampled_from([-0.1, 0.0, 0.1, 0.2, 0.21, 0.3]), min_size=n, max_size=n)
    )
    room = draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0, 4.0]), min_size=n, max_size=n))
    jobs = []
    for _ in range(draw(st.integers(1, 4))):
        first = draw(st.integers(0, n - 1))
        end = draw(st.integers(first + 1, n))
        jobs.append(
            Job(
                first,
                end,
                draw(st.integers(0, 80)) / 10,
                draw(st.sampled_from([0.5, 1.0, 1.85, 3.7])),
                draw(st.sampled_from([0.0, 0.35])),
            )
        )
    cuts = [
        (draw(st.integers(0, n - 1)), draw(st.sampled_from([0.1, 0.5, 1.0, 2.5])))
        for _ in range(draw(st.integers(1, 6)))
    ]
    return jobs, room, prices, cuts


@SETTINGS
@given(squeezes())
def test_a_squeezed_fill_costs_what_a_fresh_fill_of_the_smaller_room_costs(
    case: tuple[list[Job], list[float], list[float], list[tuple[int, float]]],
) -> None:
    jobs, room, prices, cuts = case
    order = sorted(range(len(room)), key=lambda t: (prices[t], t))
    base = flow(jobs, room[:], order)
    assert base is not None
    squeezed = base.copy()
    smaller = room[:]
    for t, want in cuts:
        amount = min(want, smaller[t])
        assert squeezed.squeeze(t, amount, order)
        smaller[t] -= amount
    fresh = fill(jobs, smaller[:], order)
    assert fresh is not None
    penalty = 1000.0
    assert score(Fill(squeezed.f, squeezed.rem), prices, penalty) == pytest.approx(
        score(fresh, prices, penalty), abs=1e-7
    )
    for t in range(len(room)):
        used = sum(row[t] for row in squeezed.f)
        assert used <= smaller[t] + 1e-7
        assert squeezed.room[t] == pytest.approx(smaller[t] - used, abs=1e-7)
    for j, job in enumerate(jobs):
        row = squeezed.f[j]
        assert all(0 <= row[t] <= job.limit + 1e-9 for t in range(len(room)))
        assert all(row[t] == 0 for t in range(len(room)) if not job.first <= t < job.end)
        assert sum(row) + squeezed.rem[j] == pytest.approx(job.energy, abs=1e-7)
    # The copy it was squeezed from is untouched.
    assert base.room == pytest.approx(
        [r - sum(row[t] for row in base.f) for t, r in enumerate(room)]
    )


@pytest.mark.parametrize("name", ["spot_60m_24h_5loads", "negative_48h_4loads", "size_192x6_s61"])
def test_benchmark_problems_the_old_block_search_missed_reach_the_optimum(name: str) -> None:
    # The old search stopped 0.2-0.5 % above the optimum here (programmes in the wrong place),
    # above EMHASS on the first two.
    problem = next(c.problem for c in suite() if c.name == name)
    ours = plan(problem)
    exact = solve_milp(problem)
    assert exact.cost is not None
    assert check(problem, ours) == []
    assert ours.cost == pytest.approx(exact.cost, abs=1e-6 + 1e-4 * abs(exact.cost))


@pytest.mark.parametrize("seed", [303, 320, 324, 349])
def test_programmes_keep_off_the_slots_where_a_charger_would_fall_below_its_minimum(
    seed: int,
) -> None:
    # 96 slots x 6 loads under a 4.5 kW connection: in their own cheapest slots the dryer,
    # washer and dishwasher left the EVs less than their 1.4 kW minimum, and the block search,
    # which saw only the fill without minimum powers, kept them there (0.6-3.2 % above the
    # optimum). Candidate starts are now ranked by the energy they push the chargers out of,
    # and the search evaluates 8 leaves at 96 slots (was 4; seed 349 needs more than 4).
    problem = unseen(seed, SHAPES[2])
    ours = plan(problem)
    exact = solve_milp(problem)
    assert exact.cost is not None
    assert check(problem, ours) == []
    assert ours.cost == pytest.approx(exact.cost, abs=1e-6 + 1e-3 * abs(exact.cost))


def test_equal_move_bounds_are_told_apart_by_what_the_move_pushes_out() -> None:
    # 24 hourly slots x 6 loads under 4.5 kW: every programme move had the same bound (the
    # fill without minimum powers), so the moves tried were the earliest starts and the plan
    # stayed 0.78 % above the optimum; the estimate of `_ranked` now breaks those ties.
    problem = unseen(506, SHAPES[5])
    ours = plan(problem)
    exact = solve_milp(problem)
    assert exact.cost is not None
    assert check(problem, ours) == []
    assert ours.cost <= exact.cost + 0.005 * abs(exact.cost)


def test_a_charger_that_may_not_pause_leaves_room_for_a_heater_it_would_crowd_out() -> None:
    # Found by hypothesis: shaped alone, the charger block took the whole cap in slot 0, the
    # heater's only slot, and a feasible problem was reported as a conflict.
    problem = Problem(
        8,
        1.0,
        [-0.05] * 8,
        [3.0] * 8,
        [
            Charger("ev", 3.7, (0, 3), 6.1, 1.4, may_split=False),
            WaterHeater("boiler", 2.0, (HeaterDay(0.1, (0, 1)),)),
        ],
    )
    assert solve_milp(problem).cost is not None
    result = plan(problem)
    assert result.status is PlanStatus.OPTIMAL
    assert check(problem, result) == []
    assert result.loads["boiler"].power_kw[0] == pytest.approx(0.1)


def test_a_small_charger_block_moves_off_the_slots_a_big_one_needs() -> None:
    # Found by hypothesis: two chargers that may not pause; the small one sat in a cheap slot
    # the big one needed (12 % above the optimum); moves are now tried for charger blocks too.
    prices = [0.0, 0.1, 0.3, 0.31, -0.05, 0.12, 0.1, -0.05, 0.3, 0.3, -0.05, 0.31]
    loads = [
        Charger("ev0", 7.4, (4, 11), 0.7, 1.4, may_split=False),
        Charger("ev1", 7.4, (4, 11), 13.9, 1.4, may_split=False),
    ]
    problem = Problem(12, 1.0, prices, [3.0] * 12, loads)
    exact = solve_milp(problem)
    assert exact.cost is not None
    result = plan(problem)
    assert check(problem, result) == []
    assert result.cost == pytest.approx(exact.cost, abs=1e-6)


def test_two_chargers_with_a_minimum_power_get_the_optimum_where_the_rounding_dive_stopped() -> (
    None
):
    # Found by hypothesis: the one-way rounding left this plan 14 % above the optimum; the
    # bounded search over the same decisions finds it.
    problem = Problem(
        10,
        1.0,
        [0.12, 0.2, 0.12, 0.31, 0.3, 0.3, 0.0, 0.12, 0.12, 0.0],
        [7.0] * 10,
        [
            Charger("ev0", 3.7, (5, 10), 4.0, 1.4),
            Charger("ev1", 7.4, (0, 7), 4.7, 1.4),
            Programme("p0", (1.0,), (5, 10)),
            WaterHeater("boiler", 2.0, (HeaterDay(5.0, (5, 10)),)),
        ],
    )
    exact = solve_milp(problem)
    assert exact.cost is not None
    result = plan(problem)
    assert check(problem, result) == []
    assert result.cost == pytest.approx(exact.cost, abs=1e-6)


@st.composite
def conflicts(draw: st.DrawFn) -> Problem:
    """Two or three loads that may not all fit by their deadlines."""
    n = 16
    prices = draw(st.lists(st.sampled_from([0.1, 0.2, 0.3]), min_size=n, max_size=n))
    cap = draw(st.sampled_from([2.0, 3.0, 4.5]))
    loads: list[Charger | Programme] = [
        Charger("ev", 3.7, (0, draw(st.integers(2, 8))), draw(st.integers(10, 200)) / 10, 1.4),
        Charger(
            "ev2",
            3.7,
            (0, draw(st.integers(2, 8))),
            draw(st.integers(10, 120)) / 10,
            1.4,
            may_split=draw(st.booleans()),
        ),
    ]
    if draw(st.booleans()):
        loads.append(Programme("washer", (2.0, 0.5, 1.0), (0, draw(st.integers(3, 10)))))
    return Problem(n, 1.0, prices, [cap] * n, loads)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(conflicts())
def test_earliest_deadline_is_the_first_that_a_full_plan_meets(problem: Problem) -> None:
    result = plan(problem)
    for short in result.shortfalls:
        load = next(x for x in problem.loads if x.load_id == short.load_id)
        assert isinstance(load, Charger | Programme)
        found = _earliest_end(problem, load)
        if short.reason is InfeasibleReason.LOADS_CONFLICT:
            assert found == short.earliest_end_slot

        def meets(end: int, load: Charger | Programme = load) -> bool:
            window = (load.window[0], end)
            moved: Charger | Programme = (
                Charger(load.load_id, load.max_kw, window, load.needed_kwh(), load.min_kw)
                if isinstance(load, Charger)
                else Programme(load.load_id, load.profile_kw, window)
            )
            if isinstance(load, Charger) and not load.may_split:
                moved = Charger(
                    load.load_id, load.max_kw, window, load.needed_kwh(), load.min_kw, False
                )
            loads = [moved if x.load_id == load.load_id else x for x in problem.loads]
            trial = Problem(problem.slots, 1.0, problem.prices, problem.cap_kw, loads)
            return plan(trial).status is PlanStatus.OPTIMAL

        first = next((e for e in range(load.window[1] + 1, problem.slots + 1) if meets(e)), None)
        assert found == first


def test_the_rounding_fills_each_of_its_decisions_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two chargers with a minimum power in tight spot-price slots: the rounding's two passes
    # and its search meet the same decisions, which used to be filled again each time.
    import custom_components.balance.planner.flex as flex_module
    import custom_components.balance.planner.solve as solve_module

    problem = next(c.problem for c in suite() if c.name == "spot_15m_24h_5loads")
    seen: set[tuple[tuple[Job, ...], tuple[float, ...]]] = set()
    repeats: list[tuple[Job, ...]] = []
    real_flow, real_solve_jobs = flex_module.flow, flex_module.solve_jobs

    def counting_flow(jobs: list[Job], room: list[float], order: list[int]) -> object:
        key = (tuple(jobs), tuple(room))
        if key in seen:
            repeats.append(key[0])
        seen.add(key)
        return real_flow(jobs, room, order)

    def fresh_solve_jobs(*args: object, **kwargs: object) -> Fill:
        seen.clear()
        return real_solve_jobs(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(flex_module, "flow", counting_flow)
    monkeypatch.setattr(solve_module, "solve_jobs", fresh_solve_jobs)
    result = plan(problem)
    exact = solve_milp(problem)
    assert exact.cost is not None
    assert result.cost == pytest.approx(exact.cost, abs=1e-6)
    assert repeats == []
