"""Bounds decisions and the merge of accepted events into one directive."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

from custom_components.balance.openadr import (
    Bounds,
    Decision,
    DeclineReason,
    Event,
    ShedLevel,
    Slot,
    evaluate,
    resolve,
)
from custom_components.balance.openadr.plan import build_directive

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
BOUNDS = Bounds(
    opted_in=True,
    floor_kw=4.2,
    red_loads_kw=1.0,
    longest_event=3 * HOUR,
    participating_loads=frozenset({"switch.ev"}),
)


def make(event_id: str, *slots: Slot, priority: int | None = None, modified: str = "") -> Event:
    """An event of the given slots."""
    return Event(event_id, "p1", None, priority, modified, tuple(slots))


def slot(start: int, end: int, **values: object) -> Slot:
    """A slot from hour `start` to hour `end` after NOW."""
    return Slot(NOW + start * HOUR, NOW + end * HOUR, **values)  # type: ignore[arg-type]


def test_decisions() -> None:
    """Each bound declines with its own reason; valid events are accepted."""
    ok = make("ok", slot(0, 1, limit_kw=5.0))
    cases = {
        "floor": (make("floor", slot(0, 1, limit_kw=4.0)), BOUNDS, DeclineReason.BELOW_FLOOR),
        "red": (
            make("red", slot(0, 1, limit_kw=4.5)),
            replace(BOUNDS, red_loads_kw=5.0),
            DeclineReason.BELOW_FLOOR,
        ),
        "long": (make("long", slot(0, 4, shed=ShedLevel.GREEN)), BOUNDS, DeclineReason.TOO_LONG),
        "hours": (
            make("hours", slot(0, 1, shed=ShedLevel.GREEN)),
            replace(BOUNDS, allowed_hours=(17, 21)),
            DeclineReason.OUTSIDE_ALLOWED_HOURS,
        ),
        "loads": (
            ok,
            replace(BOUNDS, participating_loads=frozenset()),
            DeclineReason.NO_PARTICIPATING_LOADS,
        ),
        "opt-in": (ok, Bounds(), DeclineReason.NOT_OPTED_IN),
    }
    for name, (event, bounds, expected) in cases.items():
        outcome = evaluate(event, bounds)
        assert (outcome.decision, outcome.reason) == (Decision.DECLINED, expected), name
    assert evaluate(ok, BOUNDS).decision is Decision.ACCEPTED
    assert evaluate(ok, BOUNDS, {"ok"}).reason is DeclineReason.OPTED_OUT
    assert evaluate(make("none"), BOUNDS).decision is Decision.INFORMATIONAL
    assert evaluate(make("zero", slot(0, 1, shed=ShedLevel.NORMAL)), BOUNDS).decision is (
        Decision.INFORMATIONAL
    )
    assert evaluate(make("price", slot(0, 9, price=0.2)), Bounds()).decision is Decision.ACCEPTED


def test_allowed_hours_in_local_time_and_wrapping() -> None:
    """Hours are local (Bucharest is UTC+2 in December) and may wrap midnight."""
    bucharest = ZoneInfo("Europe/Bucharest")
    evening = replace(BOUNDS, allowed_hours=(14, 16), timezone=bucharest)
    assert (
        evaluate(make("a", slot(0, 2, shed=ShedLevel.GREEN)), evening).decision is Decision.ACCEPTED
    )
    assert (
        evaluate(make("b", slot(1, 3, shed=ShedLevel.GREEN)), evening).decision is Decision.DECLINED
    )
    night = replace(BOUNDS, allowed_hours=(22, 6))
    late = Slot(NOW.replace(hour=23), NOW.replace(hour=23) + 2 * HOUR, shed=ShedLevel.GREEN)
    assert evaluate(make("c", late), night).decision is Decision.ACCEPTED
    assert (
        evaluate(make("d", slot(0, 1, shed=ShedLevel.GREEN)), night).decision is Decision.DECLINED
    )


def test_resolve_by_priority_then_strictness() -> None:
    """Priority wins per aspect; ties take the stricter value and the newest price."""
    weak = make("weak", slot(0, 3, limit_kw=3.0, shed=ShedLevel.ALL_SHEDDABLE), priority=9)
    strong = make("strong", slot(1, 2, limit_kw=6.0, shed=ShedLevel.GREEN), priority=1)
    old_price = make("old", slot(0, 3, price=0.5), modified="2026-12-01T10:00:00Z")
    new_price = make("new", slot(0, 1, price=0.1), modified="2026-12-01T11:00:00Z")
    terms = resolve([weak, strong, old_price, new_price])
    summary = [(t.start - NOW, t.end - NOW, t.limit_w, t.shed, t.price) for t in terms]
    assert summary == [
        (0 * HOUR, 1 * HOUR, 3000.0, ShedLevel.ALL_SHEDDABLE, 0.1),
        (1 * HOUR, 2 * HOUR, 6000.0, ShedLevel.GREEN, 0.5),
        (2 * HOUR, 3 * HOUR, 3000.0, ShedLevel.ALL_SHEDDABLE, 0.5),
    ]
    assert terms[1].event_ids == ("old", "strong")
    tie = resolve([make("a", slot(0, 1, limit_kw=5.0)), make("b", slot(0, 1, limit_kw=4.0))])
    assert [term.limit_w for term in tie] == [4000.0]


def test_resolve_merges_and_skips_gaps() -> None:
    """Adjacent equal stretches merge; gaps produce no term; overlapping slots in one event
    are found."""
    event = make(
        "e",
        slot(0, 1, shed=ShedLevel.GREEN),
        slot(1, 2, shed=ShedLevel.GREEN),
        slot(3, 4, shed=ShedLevel.GREEN),
        slot(0, 5, limit_kw=7.0),
    )
    terms = resolve([event])
    assert [(t.start - NOW, t.end - NOW, t.shed) for t in terms] == [
        (0 * HOUR, 2 * HOUR, ShedLevel.GREEN),
        (2 * HOUR, 3 * HOUR, ShedLevel.NORMAL),
        (3 * HOUR, 4 * HOUR, ShedLevel.GREEN),
        (4 * HOUR, 5 * HOUR, ShedLevel.NORMAL),
    ]
    assert all(term.limit_w == 7000.0 for term in terms)
    bounds = replace(BOUNDS, longest_event=6 * HOUR)
    directive = build_directive([event], {"e": evaluate(event, bounds)}, bounds)
    assert directive.at(NOW + 3.5 * HOUR) == terms[2]
    assert directive.at(NOW + 9 * HOUR) is None
    assert directive.first_shed() == terms[0]
    assert directive.first_shed(after=NOW + 2.5 * HOUR) == terms[1]  # limit 7 kW from 2 h on
    assert directive.first_shed(after=NOW + 9 * HOUR) is None
    assert build_directive([event], {}, BOUNDS).terms == ()
    assert build_directive([make("p", slot(0, 1, price=1.0))], {}, BOUNDS).first_shed() is None
