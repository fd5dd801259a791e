"""Consumption alerts as small state machines: each raises and clears itself.

Every detector is fed samples in time order and returns the changes it made (``AlertEvent``);
``active`` is the current state. Defaults are in docs/analytics.md.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise
from statistics import median
from zoneinfo import ZoneInfo


class LeakKind(StrEnum):
    """The water-leak signatures."""

    DRIBBLE = "dribble"  # no pause of pause_min for dribble_h hours
    CONTINUOUS = "continuous"  # flow >= continuous_lpm without a break for continuous_min
    NIGHT = "night"  # flow in night_active_min minutes of the night window
    REFILLS = "refills"  # regular short refills (a running toilet)


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """An alert was raised (``active``) or cleared at ``at``."""

    at: datetime
    kind: str
    active: bool


@dataclass(frozen=True, slots=True)
class LeakConfig:
    """Leak thresholds; the defaults follow common smart-water-meter practice."""

    pause_min: float = 60.0
    dribble_h: float = 24.0
    continuous_min: float = 60.0
    continuous_lpm: float = 1.0
    night_start: time = time(2)
    night_end: time = time(5)
    night_active_min: float = 45.0
    refill_max_min: float = 3.0
    refill_count: int = 8
    refill_window_h: float = 4.0
    refill_regular: float = 0.75


@dataclass(slots=True)
class _Run:
    start: datetime
    litres: float


class WaterLeakDetector:
    """Leak kinds from a water meter's flow, fed as litres per sample interval.

    A sample ``(at, litres)`` covers the ``interval`` ending at ``at``; it flows when litres > 0.
    DRIBBLE clears at the next pause, CONTINUOUS when the flow drops under ``continuous_lpm``,
    NIGHT at the first pause after the night window, REFILLS when the refills stop (no refill for
    twice their usual gap) or lose their regularity.
    """

    def __init__(self, tz: ZoneInfo, config: LeakConfig = LeakConfig()) -> None:
        """Start with no history: the first sample starts the dribble clock."""
        self._tz = tz
        self._cfg = config
        self.active: set[LeakKind] = set()
        self._last_pause: datetime | None = None
        self._dry_since: datetime | None = None
        self._strong_since: datetime | None = None
        self._run: _Run | None = None
        self._refills: deque[_Run] = deque()
        self._night_minutes = 0.0
        self._was_night = False

    def update(
        self, at: datetime, litres: float, interval: timedelta = timedelta(minutes=1)
    ) -> list[AlertEvent]:
        """Feed one sample; return the alerts raised or cleared by it."""
        cfg = self._cfg
        begin = at - interval
        events: list[AlertEvent] = []
        if self._last_pause is None:
            self._last_pause = begin
        night = self._in_night(at)
        if night and not self._was_night:
            self._night_minutes = 0.0
        self._was_night = night
        if litres > 0:
            self._dry_since = None
            self._run = self._run or _Run(begin, 0.0)
            self._run.litres += litres
            if night:
                self._night_minutes += interval.total_seconds() / 60
            if litres / (interval.total_seconds() / 60) >= cfg.continuous_lpm:
                self._strong_since = self._strong_since or begin
            else:
                self._strong_since = None
        else:
            self._strong_since = None
            self._dry_since = self._dry_since or begin
            if self._run is not None:
                self._end_run(self._run, begin)
                self._run = None
            if at - self._dry_since >= timedelta(minutes=cfg.pause_min):
                self._last_pause = at
        paused = self._last_pause == at
        self._set(events, at, LeakKind.DRIBBLE, self._dribbling(at, paused))
        long_run = self._strong_since is not None and at - self._strong_since >= timedelta(
            minutes=cfg.continuous_min
        )
        self._set(events, at, LeakKind.CONTINUOUS, long_run)
        night_on = LeakKind.NIGHT in self.active
        if night and self._night_minutes >= cfg.night_active_min:
            night_on = True
        elif paused and not night:
            night_on = False
        self._set(events, at, LeakKind.NIGHT, night_on)
        self._set(events, at, LeakKind.REFILLS, self._refilling(at))
        return events

    def _dribbling(self, at: datetime, paused: bool) -> bool:
        assert self._last_pause is not None
        return not paused and at - self._last_pause >= timedelta(hours=self._cfg.dribble_h)

    def _in_night(self, at: datetime) -> bool:
        local = (at - timedelta(seconds=1)).astimezone(self._tz).time()
        return self._cfg.night_start <= local < self._cfg.night_end

    def _end_run(self, run: _Run, end: datetime) -> None:
        if end - run.start <= timedelta(minutes=self._cfg.refill_max_min):
            self._refills.append(run)
        horizon = end - timedelta(hours=self._cfg.refill_window_h)
        while self._refills and self._refills[0].start < horizon:
            self._refills.popleft()

    def _refilling(self, at: datetime) -> bool:
        cfg = self._cfg
        runs = list(self._refills)[-cfg.refill_count :]
        if len(runs) < cfg.refill_count:
            return False
        gaps = [(b.start - a.start).total_seconds() for a, b in pairwise(runs)]
        typical_gap = median(gaps)
        if (at - runs[-1].start).total_seconds() > 2 * typical_gap:
            return False
        return _regular(gaps, 0.2, cfg.refill_regular) and _regular(
            [r.litres for r in runs], 0.35, cfg.refill_regular
        )

    def _set(self, events: list[AlertEvent], at: datetime, kind: LeakKind, on: bool) -> None:
        if on != (kind in self.active):
            (self.active.add if on else self.active.discard)(kind)
            events.append(AlertEvent(at, kind, on))


def _regular(values: list[float], tolerance: float, share: float) -> bool:
    """Whether ``share`` of ``values`` lie within ``tolerance`` (relative) of their median."""
    mid = median(values)
    return sum(abs(v - mid) <= tolerance * mid for v in values) >= share * len(values)


class ThresholdAlert:
    """Active while a value (consumption, forecast) is above ``limit``; clears under hysteresis."""

    def __init__(self, limit: float, kind: str = "above_limit", hysteresis: float = 0.05) -> None:
        """``hysteresis`` is the fraction of ``limit`` the value must fall under to clear."""
        self.limit = limit
        self.kind = kind
        self._clear_below = limit * (1.0 - hysteresis)
        self.active = False

    def update(self, at: datetime, value: float) -> list[AlertEvent]:
        """Feed the current value; return the change it made."""
        on = value > self.limit or (self.active and value >= self._clear_below)
        if on == self.active:
            return []
        self.active = on
        return [AlertEvent(at, self.kind, on)]


class AwayAlert:
    """Consumption while away: more than ``threshold`` within ``window`` while nobody is home.

    Samples are ``(at, amount, away)``; the window restarts when the home is occupied, so usage
    before leaving does not count. Defaults: water 2 L, gas/heat/electricity set per meter.
    """

    def __init__(
        self, threshold: float, window: timedelta = timedelta(minutes=30), kind: str = "away"
    ) -> None:
        """Alert above ``threshold`` units over ``window`` while away."""
        self.threshold = threshold
        self.window = window
        self.kind = kind
        self.active = False
        self._samples: deque[tuple[datetime, float]] = deque()

    def update(self, at: datetime, amount: float, away: bool) -> list[AlertEvent]:
        """Feed one interval's consumption and the presence state at its end."""
        if not away:
            self._samples.clear()
        else:
            self._samples.append((at, amount))
        while self._samples and self._samples[0][0] <= at - self.window:
            self._samples.popleft()
        on = away and sum(a for _, a in self._samples) > self.threshold
        if on == self.active:
            return []
        self.active = on
        return [AlertEvent(at, self.kind, on)]


class SilentChannelAlert:
    """A pulse channel silent for longer than its own history allows (cut cable, dead node).

    Hourly counts are fed in order. A channel "should count" when it counted in at least half of
    the days of its history (``history_days``, at least 7 of them known); it is flagged once its
    current silence exceeds ``max(min_silent_h, factor x its longest silence in the history)``.
    The first count clears it.
    """

    def __init__(self, history_days: int = 28, min_silent_h: int = 6, factor: float = 2.0) -> None:
        """Configure the look-back and the silence limits."""
        self._history: deque[float] = deque(maxlen=history_days * 24)
        self._min_silent_h = min_silent_h
        self._factor = factor
        self._silent_h = 0
        self.active = False

    def limit_h(self) -> float | None:
        """Hours of silence that raise the alert now, or None if the channel need not count."""
        values = list(self._history)
        while values and values[-1] <= 0:  # the current silence is not history
            values.pop()
        days = [values[i : i + 24] for i in range(0, len(values) - 23, 24)]
        if len(days) < 7 or sum(any(v > 0 for v in d) for d in days) < len(days) / 2:
            return None
        longest = run = 0
        for value in values:
            run = 0 if value > 0 else run + 1
            longest = max(longest, run)
        return max(float(self._min_silent_h), self._factor * longest)

    def update(self, at: datetime, count: float) -> list[AlertEvent]:
        """Feed one hour's count; return the change it made."""
        if count > 0:
            on = False
            self._silent_h = 0
        else:
            self._silent_h += 1
            limit = self.limit_h()
            on = self.active or (limit is not None and self._silent_h > limit)
        self._history.append(count)
        if on == self.active:
            return []
        self.active = on
        return [AlertEvent(at, "silent_channel", on)]
