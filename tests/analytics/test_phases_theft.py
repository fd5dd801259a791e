"""Phase balancing recommendations and theft/fault suspicion."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.balance.analytics import (
    feeder_losses_kwh,
    phase_loads,
    rank_suspects,
    recommend_phases,
)

HOURS = 14 * 24


def _flats(seed: int, flats: int, hours: int = HOURS) -> np.ndarray:
    rng = np.random.default_rng(seed)
    hod = np.arange(hours) % 24
    shape = 1.0 + 0.8 * np.sin((hod - 13) / 24 * 2 * np.pi)
    return rng.uniform(0.2, 0.8, (flats, 1)) * shape * rng.lognormal(0, 0.4, (flats, hours))


def test_balanced_loads_lose_least() -> None:
    even = np.ones((3, 4))
    lopsided = np.array([[3.0] * 4, [0.0] * 4, [0.0] * 4])
    assert feeder_losses_kwh(even, 0.1) < feeder_losses_kwh(lopsided, 0.1)
    assert feeder_losses_kwh(even, 0.1) == pytest.approx(3 * 4 * 0.1 * (1000 / 230) ** 2 / 1000)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.integers(3, 12))
def test_recommendation_never_worse_and_reports_moves(seed: int, flats: int) -> None:
    profiles = _flats(seed, flats, 48)
    current = [0] * flats  # everything on L1
    plan = recommend_phases(profiles, current)
    assert plan.losses_after_kwh <= plan.losses_before_kwh + 1e-9
    assert plan.peak_imbalance_after_kw <= plan.peak_imbalance_before_kw + 1e-9
    assert plan.loss_reduction_pct > 0
    assert {f for f, _, _ in plan.moves} == {i for i in range(flats) if plan.assignment[i] != 0}
    assert all(before == 0 for _, before, _ in plan.moves)
    loads = phase_loads(profiles, plan.assignment)
    assert loads.sum() == pytest.approx(profiles.sum())


def test_max_moves_bounds_the_recommendation() -> None:
    profiles = _flats(1, 12)
    plan = recommend_phases(profiles, [0] * 12, max_moves=2)
    assert len(plan.moves) <= 2
    assert plan.losses_after_kwh < plan.losses_before_kwh
    unlimited = recommend_phases(profiles, [0] * 12)
    assert unlimited.losses_after_kwh <= plan.losses_after_kwh


def test_a_balanced_building_needs_no_move() -> None:
    profiles = np.ones((3, 24))
    plan = recommend_phases(profiles, [0, 1, 2])
    assert plan.moves == ()
    assert plan.loss_reduction_pct == pytest.approx(0.0)
    assert recommend_phases(np.zeros((1, 24)), [0]).loss_reduction_pct == 0.0


@pytest.mark.parametrize("current", [[0, 1], [0, 1, 3]])
def test_invalid_phases(current: list[int]) -> None:
    with pytest.raises(ValueError, match="phase"):
        recommend_phases(np.ones((3, 4)), current)


def _building(seed: int, thief: int | None, fraction: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    true = _flats(seed, 20)
    load = true.sum(axis=0)
    parent = load + 0.0004 * load**2 + 0.1 + rng.normal(0, 0.01, HOURS)
    metered = true.copy()
    if thief is not None:
        metered[thief] *= 1 - fraction
    return parent, metered


def test_a_thief_is_ranked_first_with_high_confidence() -> None:
    parent, metered = _building(7, thief=4, fraction=0.2)
    ranked = rank_suspects(
        parent, {str(i): metered[i] for i in range(20)}, hour_of_day=np.arange(HOURS) % 24
    )
    assert ranked[0].meter == "4"
    assert ranked[0].suspected
    assert ranked[0].confidence > 0.99
    assert ranked[0].missing_fraction == pytest.approx(0.2, abs=0.05)
    assert not any(s.suspected for s in ranked[1:])


def test_nobody_is_suspected_in_an_honest_building() -> None:
    parent, metered = _building(8, thief=None, fraction=0.0)
    ranked = rank_suspects(parent.tolist(), {str(i): metered[i].tolist() for i in range(20)})
    assert len(ranked) == 20
    assert not any(s.suspected for s in ranked)


def test_too_little_data_or_a_dead_meter() -> None:
    assert rank_suspects([1.0] * 24, {"a": [1.0] * 24}) == []
    assert rank_suspects([1.0] * HOURS, {}) == []
    ranked = rank_suspects(list(np.linspace(1, 2, HOURS)), {"a": [0.0] * HOURS})
    assert ranked[0].confidence == 0.0
    assert not ranked[0].suspected
