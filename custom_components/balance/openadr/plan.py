"""The resident's bounds applied to events, and accepted events merged into one directive."""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Collection, Iterable
from datetime import UTC, datetime, timedelta

from .errors import DeclineReason
from .model import Bounds, Decision, Directive, Event, EventOutcome, ShedLevel, Slot, Term


def evaluate(event: Event, bounds: Bounds, opted_out: Collection[str] = ()) -> EventOutcome:
    """Accept or decline a valid event against the bounds; prices need no consent."""

    def outcome(
        decision: Decision, reason: DeclineReason | None = None, detail: str = ""
    ) -> EventOutcome:
        return EventOutcome(event.id, event.program_id, event.modified, decision, reason, detail)

    if not event.slots:
        return outcome(Decision.INFORMATIONAL)
    if not event.controls:
        has_price = any(slot.price is not None for slot in event.slots)
        return outcome(Decision.ACCEPTED if has_price else Decision.INFORMATIONAL)
    declined = _decline_reason(event, bounds, opted_out)
    if declined is not None:
        return outcome(Decision.DECLINED, *declined)
    return outcome(Decision.ACCEPTED)


def _decline_reason(
    event: Event, bounds: Bounds, opted_out: Collection[str]
) -> tuple[DeclineReason, str] | None:
    control = [slot for slot in event.slots if _controls(slot)]
    floor = bounds.effective_floor_kw
    lowest = min((slot.limit_kw for slot in control if slot.limit_kw is not None), default=None)
    span = max(slot.end for slot in control) - min(slot.start for slot in control)
    checks: tuple[tuple[bool, DeclineReason, str], ...] = (
        (event.id in opted_out, DeclineReason.OPTED_OUT, "resident opted out"),
        (not bounds.opted_in, DeclineReason.NOT_OPTED_IN, "DR participation is off"),
        (
            lowest is not None and lowest < floor,
            DeclineReason.BELOW_FLOOR,
            f"limit {lowest} kW below floor {floor} kW",
        ),
        (span > bounds.longest_event, DeclineReason.TOO_LONG, f"lasts {span}"),
        (
            not all(_within_hours(slot, bounds) for slot in control),
            DeclineReason.OUTSIDE_ALLOWED_HOURS,
            f"allowed hours {bounds.allowed_hours}",
        ),
        (
            not bounds.participating_loads,
            DeclineReason.NO_PARTICIPATING_LOADS,
            "no load may take part",
        ),
    )
    for failed, reason, detail in checks:
        if failed:
            return reason, detail
    return None


def _controls(slot: Slot) -> bool:
    return slot.limit_kw is not None or (slot.shed is not None and slot.shed > ShedLevel.NORMAL)


def _hour_allowed(hour: int, allowed: tuple[int, int]) -> bool:
    first, last = allowed
    if first <= last:
        return first <= hour < last
    return hour >= first or hour < last


def _within_hours(slot: Slot, bounds: Bounds) -> bool:
    """Every local hour the slot touches is allowed (walked hour by hour; slots are short)."""
    if bounds.allowed_hours[1] - bounds.allowed_hours[0] >= 24:
        return True
    zone = bounds.timezone or UTC
    moment = slot.start
    while moment < slot.end:
        local = moment.astimezone(zone)
        if not _hour_allowed(local.hour, bounds.allowed_hours):
            return False
        moment += timedelta(minutes=60 - local.minute) - timedelta(
            seconds=local.second, microseconds=local.microsecond
        )
    return True


def _rank(event: Event) -> int:
    """Lower is stronger; an event without priority yields to every prioritised one."""
    return event.priority if event.priority is not None else 1 << 31


class _Timeline:
    """An event's slots sorted by start, searchable by time."""

    def __init__(self, event: Event) -> None:
        self.event = event
        self.slots = sorted(event.slots, key=lambda slot: slot.start)
        self.starts = [slot.start for slot in self.slots]
        self.reach: list[datetime] = []  # latest end among slots[: i + 1]
        for slot in self.slots:
            self.reach.append(max(slot.end, self.reach[-1]) if self.reach else slot.end)

    def covering(self, start: datetime, end: datetime) -> list[Slot]:
        found = []
        index = bisect.bisect_left(self.starts, end) - 1
        while index >= 0 and self.reach[index] > start:
            if self.slots[index].end > start:
                found.append(self.slots[index])
            index -= 1
        return found


def resolve(events: Iterable[Event]) -> tuple[Term, ...]:
    """Merge accepted events: per stretch and per aspect the highest priority wins, and
    between equal priorities the stricter limit / shed level and the newest price."""
    timelines = [_Timeline(event) for event in events if event.slots]
    edges = sorted(
        {moment for line in timelines for s in line.slots for moment in (s.start, s.end)}
    )
    terms: list[Term] = []
    for start, end in itertools.pairwise(edges):
        term = _term(start, end, timelines)
        if term is None:
            continue
        if terms and _same(terms[-1], term) and terms[-1].end == start:
            terms[-1] = Term(
                terms[-1].start,
                end,
                term.limit_w,
                term.shed,
                term.price,
                term.currency,
                term.event_ids,
            )
        else:
            terms.append(term)
    return tuple(terms)


def _term(start: datetime, end: datetime, timelines: list[_Timeline]) -> Term | None:
    limit: tuple[int, float, str] | None = None
    shed: tuple[int, int, str] | None = None
    price: tuple[int, str, float, str | None, str] | None = None
    for line in timelines:
        event = line.event
        rank = _rank(event)
        for slot in line.covering(start, end):
            if slot.limit_kw is not None and (limit is None or (rank, slot.limit_kw) < limit[:2]):
                limit = (rank, slot.limit_kw, event.id)
            if slot.shed is not None and (shed is None or (rank, -slot.shed) < shed[:2]):
                shed = (rank, -slot.shed, event.id)
            if slot.price is not None and (
                price is None or (rank, _inverse(event.modified)) < price[:2]
            ):
                price = (rank, _inverse(event.modified), slot.price, event.currency, event.id)
    if limit is None and shed is None and price is None:
        return None
    sources = sorted({item[-1] for item in (limit, shed, price) if item is not None})
    return Term(
        start=start,
        end=end,
        limit_w=limit[1] * 1000.0 if limit else None,
        shed=ShedLevel(-shed[1]) if shed else ShedLevel.NORMAL,
        price=price[2] if price else None,
        currency=price[3] if price else None,
        event_ids=tuple(sources),
    )


def _inverse(text: str) -> str:
    """Sort key making the newest modificationDateTime come first."""
    return "".join(chr(0x10FFFF - ord(char)) for char in text)


def _same(left: Term, right: Term) -> bool:
    return (left.limit_w, left.shed, left.price, left.currency, left.event_ids) == (
        right.limit_w,
        right.shed,
        right.price,
        right.currency,
        right.event_ids,
    )


def build_directive(
    events: Iterable[Event],
    outcomes: dict[str, EventOutcome],
    bounds: Bounds,
    *,
    fallback: bool = False,
) -> Directive:
    """The directive from the accepted events."""
    accepted = [
        event
        for event in events
        if outcomes.get(event.id) is not None and outcomes[event.id].decision is Decision.ACCEPTED
    ]
    return Directive(
        terms=resolve(accepted),
        participating_loads=bounds.participating_loads,
        fallback=fallback,
        outcomes=dict(outcomes),
    )
