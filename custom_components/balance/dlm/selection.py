"""Choosing which loads to shed: fewest, least important, best covering the excess."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from math import comb

from .models import Priority

_MAX_COMBINATIONS = 512


@dataclass(frozen=True, slots=True)
class Candidate:
    """A load that may be shed now; `rank` breaks ties (lower is shed first)."""

    load_id: str
    priority: Priority
    power_w: float
    rank: float = 0.0


def min_cover(items: Sequence[Candidate], need_w: float) -> list[Candidate]:
    """Fewest items whose power covers `need_w`, overshooting least; all items if none do."""
    if need_w <= 0:
        return []
    ordered = sorted(items, key=lambda c: (-c.power_w, c.rank, c.load_id))
    total = 0.0
    count = 0
    for item in ordered:
        total += item.power_w
        count += 1
        if total >= need_w:
            break
    else:
        return ordered
    if comb(len(ordered), count) <= _MAX_COMBINATIONS:
        covering = (c for c in combinations(ordered, count) if _power(c) >= need_w)
        best = min(covering, key=lambda c: (_power(c), sum(x.rank for x in c)))
        return list(best)
    return _greedy_tighten(ordered, count, need_w)


def select_shed(candidates: Sequence[Candidate], need_w: float) -> list[Candidate]:
    """Green before yellow, never red; drop greens that the chosen yellows make useless.

    When one green load covers the excess alone, the one with the most slack is shed (lowest
    rank), even if it overshoots: it can stay off longest, through the overloads that follow.
    """
    greens = [c for c in candidates if c.priority is Priority.GREEN]
    yellows = [c for c in candidates if c.priority is Priority.YELLOW]
    green_w = _power(greens)
    if green_w >= need_w:
        alone = [c for c in greens if c.power_w >= need_w]
        if alone:  # the most flexible one: it can stay off longest, through later overloads
            return [min(alone, key=lambda c: (c.rank, c.power_w, c.load_id))]
        return min_cover(greens, need_w)
    chosen_yellow = min_cover(yellows, need_w - green_w)
    return min_cover(greens, need_w - _power(chosen_yellow)) + chosen_yellow


def _greedy_tighten(ordered: list[Candidate], count: int, need_w: float) -> list[Candidate]:
    """Take the `count` largest, then swap each for the smallest spare that still covers."""
    chosen = ordered[:count]
    spare = ordered[count:]
    for i in range(count - 1, -1, -1):
        rest = _power(chosen) - chosen[i].power_w
        fits = [s for s in spare if rest + s.power_w >= need_w and s.power_w < chosen[i].power_w]
        if fits:
            smallest = min(fits, key=lambda c: (c.power_w, c.rank, c.load_id))
            spare[spare.index(smallest)] = chosen[i]
            chosen[i] = smallest
    return chosen


def _power(items: Sequence[Candidate]) -> float:
    return sum(c.power_w for c in items)
