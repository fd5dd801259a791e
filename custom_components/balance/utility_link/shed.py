"""Which managed loads a utility shed level (OpenADR SIMPLE) holds off, and until when.

Plain Python: level 1 holds the participating green loads, level 3 greens and yellows, level
2 greens and one yellow at a time, each yellow in turn for at most its max-off time. Red
loads never take part.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..dlm import Priority  # noqa: TID252
from ..openadr import ShedLevel  # noqa: TID252


@dataclass(frozen=True, slots=True)
class Participant:
    """A managed load that may take part in DR."""

    load_id: str
    priority: Priority
    max_off: timedelta


@dataclass(frozen=True, slots=True)
class ShedPlan:
    """The loads to hold off now and when the choice changes next (None: not by itself)."""

    held: frozenset[str]
    next_change: datetime | None = None


def shed_plan(
    level: ShedLevel, since: datetime, now: datetime, loads: Sequence[Participant]
) -> ShedPlan:
    """The loads held off at `now` for a shed level in force since `since`."""
    greens = frozenset(load.load_id for load in loads if load.priority is Priority.GREEN)
    yellows = sorted(
        (load for load in loads if load.priority is Priority.YELLOW), key=lambda load: load.load_id
    )
    if level is ShedLevel.NORMAL:
        return ShedPlan(frozenset())
    if level is ShedLevel.GREEN:
        return ShedPlan(greens)
    if level is ShedLevel.ALL_SHEDDABLE or not yellows:
        return ShedPlan(greens | {load.load_id for load in yellows})
    turns = [max(load.max_off, timedelta(minutes=1)) for load in yellows]
    cycle = sum(turns, timedelta())
    into = (now - since) % cycle
    start = now - into
    for load, turn in zip(yellows, turns, strict=True):
        if into < turn:
            return ShedPlan(greens | {load.load_id}, start + turn)
        into -= turn
        start += turn
    return ShedPlan(greens | {yellows[0].load_id}, now)  # pragma: no cover - float slack
