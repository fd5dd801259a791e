"""Green-load plans: run time still needed before the deadline and the allowed window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..dlm import GreenPlan  # noqa: TID252
from .settings import LoadSettings, next_at


@dataclass(slots=True)
class GreenProgress:
    """Run time a green load got in its current cycle (cycle ends at deadline or window end)."""

    ran_s: float = 0.0
    cycle_end_s: float | None = None
    overridden: bool = False  # switched on by the resident while deferred: no plan this cycle

    def advance(self, load: LoadSettings, now: datetime, dt_s: float, running: bool) -> None:
        """Count run time; start a new cycle once the current one ended."""
        if self.cycle_end_s is not None and now.timestamp() >= self.cycle_end_s:
            self.ran_s = 0.0
            self.cycle_end_s = None
            self.overridden = False
        if self.cycle_end_s is None:
            self.cycle_end_s = _cycle_end(load, now).timestamp()
        elif running:
            self.ran_s += dt_s


def _cycle_end(load: LoadSettings, now: datetime) -> datetime:
    at = load.deadline or load.window_end
    assert at is not None
    return next_at(now, at)


def _window_length(load: LoadSettings) -> timedelta:
    assert load.window_start is not None and load.window_end is not None
    day = datetime(2000, 1, 1)
    length = datetime.combine(day, load.window_end) - datetime.combine(day, load.window_start)
    return length if length > timedelta(0) else length + timedelta(days=1)


def green_plan(load: LoadSettings, now: datetime, progress: GreenProgress) -> GreenPlan:
    """What the engine needs to schedule a green load now."""
    has_window = load.window_start is not None and load.window_end is not None
    if load.run_min is not None:
        needed_s = load.run_min * 60.0
    elif has_window:
        needed_s = _window_length(load).total_seconds()
    else:
        needed_s = 0.0
    allowed_from = allowed_until = None
    if has_window:
        assert load.window_end is not None
        until = next_at(now, load.window_end)
        allowed_from = (until - _window_length(load)).timestamp()
        allowed_until = until.timestamp()
    return GreenPlan(
        remaining_s=max(0.0, needed_s - progress.ran_s),
        deadline_s=progress.cycle_end_s if load.deadline is not None else None,
        allowed_from_s=allowed_from,
        allowed_until_s=allowed_until,
    )
