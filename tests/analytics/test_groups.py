"""BALANCE groups: balances, losses and shares, late children, DST days."""

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.balance.analytics import BalanceGroup, local_day_hours

TZ = ZoneInfo("Europe/Bucharest")
HOUR = 493_000
values = st.floats(0.0, 50.0, allow_nan=False)


def _group(children: int = 3, loss_pct: float = 0.0) -> BalanceGroup:
    return BalanceGroup("p", [f"c{i}" for i in range(children)], TZ, loss_pct)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(values, st.lists(values, min_size=3, max_size=3)), min_size=1, max_size=30)
)
def test_balances_sum_and_shares_total_100(rows: list[tuple[float, list[float]]]) -> None:
    group = _group()
    hours = range(HOUR, HOUR + len(rows))
    for hour, (parent, children) in zip(hours, rows, strict=True):
        group.record("p", hour, parent)
        for i, value in enumerate(children):
            group.record(f"c{i}", hour, value)
    assert group.update() == list(hours)
    span = group.span(hours)
    assert span.complete
    assert span.parent == pytest.approx(sum(r[0] for r in rows))
    assert span.children == pytest.approx(sum(sum(r[1]) for r in rows))
    assert span.losses == pytest.approx(sum(group.hour(h).losses or 0.0 for h in hours), abs=1e-6)
    shares = group.loss_shares(hours)
    assert sum(s for s, _ in shares.values()) == pytest.approx(100.0)
    assert sum(a for _, a in shares.values()) == pytest.approx(span.losses or 0.0, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(values, st.lists(values, min_size=3, max_size=3), st.integers(0, 2))
def test_late_child_recomputes_its_hour(parent: float, children: list[float], late: int) -> None:
    group = _group()
    group.record("p", HOUR, parent)
    for i, value in enumerate(children):
        if i != late:
            group.record(f"c{i}", HOUR, value)
    group.update()
    early = group.hour(HOUR)
    assert not early.complete
    assert early.missing == (f"c{late}",)
    assert group.loss_shares([HOUR]) == {
        f"c{i}": (100.0 / 3, 0.0) for i in range(3)
    }  # nothing complete yet: equal shares of no losses
    group.record(f"c{late}", HOUR, children[late])  # the hub's backfill arrives
    assert group.update() == [HOUR]
    fresh = _group()
    fresh.record("p", HOUR, parent)
    for i, value in enumerate(children):
        fresh.record(f"c{i}", HOUR, value)
    fresh.update()
    assert group.hour(HOUR) == fresh.hour(HOUR)
    assert group.update() == []


@pytest.mark.parametrize(("day", "hours"), [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25)])
def test_dst_day_balance(day: date, hours: int) -> None:
    group = _group(1, loss_pct=2.0)
    for hour in local_day_hours(day, TZ):
        group.record("p", hour, 10.0)
        group.record("c0", hour, 9.0)
    group.update()
    balance = group.day(day)
    assert balance.hours == hours
    assert balance.complete
    assert balance.parent == pytest.approx(10.0 * hours)
    assert balance.losses_pct == pytest.approx(10.0)
    assert balance.untracked == pytest.approx(0.8 * hours)


def test_missing_parent_and_unknown_hour() -> None:
    group = _group(2)
    group.record("c0", HOUR, 1.0)
    group.update()
    one = group.hour(HOUR)
    assert one.parent is None
    assert one.losses is None
    assert one.losses_pct is None
    assert one.untracked is None
    assert group.hour(HOUR + 1).missing == ("c0", "c1")
    assert group.span([HOUR, HOUR + 1]).parent is None
    parent, children = group.matrix([HOUR])
    assert parent.tolist() == [0.0]
    assert children.tolist() == [[1.0], [0.0]]
    with pytest.raises(ValueError, match="kept"):
        group.matrix([HOUR - 1])


def test_only_the_kept_hours_are_stored() -> None:
    group = BalanceGroup("p", ["c"], TZ, keep_hours=48)
    assert group.record("p", HOUR, 1.0)
    assert group.record("p", HOUR - 10, 2.0)  # a backfill within the kept range
    group.update()
    assert group.record("p", HOUR + 1000, 3.0)  # a new month pushes the oldest hours out
    assert not group.record("p", HOUR, 4.0)
    group.update()
    assert group.hour(HOUR).parent is None
    assert group.hour(HOUR + 1000).parent == 3.0
    assert group.matrix([HOUR + 953, HOUR + 1000])[0].tolist() == [0.0, 3.0]
    with pytest.raises(ValueError, match="kept"):
        group.matrix([HOUR + 952])


def test_shares_follow_consumption() -> None:
    group = _group(2)
    group.record("p", HOUR, 11.0)
    group.record("c0", HOUR, 3.0)
    group.record("c1", HOUR, 7.0)
    group.update()
    assert group.loss_shares([HOUR]) == {"c0": (30.0, 0.3), "c1": (70.0, 0.7)}


@pytest.mark.parametrize("children", [[], ["p"], ["a", "a"]])
def test_invalid_groups(children: list[str]) -> None:
    with pytest.raises(ValueError, match="distinct"):
        BalanceGroup("p", children, TZ)
