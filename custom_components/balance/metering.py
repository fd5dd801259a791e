"""Monotonic, physically plausible meter totals from the hub's cumulative pulse counters.

Plain Python (no Home Assistant import) so the live sensors and the archive backfill share one
rule set. A hub reports, per channel, a cumulative u32 pulse ``count``, an ``epoch`` that changes
whenever the counter restarts from zero and a ``boot`` number that grows at every hub start
(0: not reported). docs/protocol.md (section 4, counters) and docs/statistics.md state the rules:

* same epoch and boot, higher count: the difference is consumption; the u32 wrap is handled with
  serial-number arithmetic (RFC 1982), a step of 2**31 or more backwards is a stale report;
* same epoch, higher boot: the hub restarted and resumed from its last flush (``resumed``, sent
  with the report). The pulses already booked stay booked, the flushed pulses not yet booked
  and those counted since the restart are added: when the hub rolled back below the last
  report, the rollback becomes an offset instead of a wrap or a loss;
* new epoch: the counter restarted from zero, its whole count is consumption since the restart.

A report that would add more pulses than the meter can make at its maximum rate since the last
accepted report (the margin for transit and skew is one reserve that refills at that rate, not a
fresh allowance per report, so a storm of reports cannot add a margin each), or that returns to an
epoch the counter had left (epoch flapping), is held back and flagged. It never reaches the total.
When the next reports continue consistently from it, the counter position is confirmed: counting
goes on from there and the implausible step itself is dropped (the resident books it, if it was
real, by calibrating to the meter's display). When the next reports continue from the accepted
position instead, the held report was a glitch and is discarded. So without a calibration the total
never decreases and never grows faster than the maximum rate allows.

The total in the meter's unit is ``offset + pulses / pulses_per_unit``; ``pulses`` only grows and
``offset`` changes only through a calibration or a new pulse constant.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, astuple, dataclass, replace
from enum import StrEnum
from typing import Any, Final

from .hub.messages import Medium

COUNTER_MODULO = 1 << 32
_HALF = 1 << 31

DEFAULT_MAX_RATE: Final[Mapping[Medium, float]] = {
    Medium.ELECTRICITY: 43.5,  # kW: three phases of 63 A at 230 V
    Medium.WATER: 10.0,  # m³/h: above the overload flow Q4 of a DN25 domestic meter (7.9 m³/h)
    Medium.GAS: 16.0,  # m³/h: maximum flow of a G10 meter
    Medium.HEAT: 50.0,  # kW: a large district-heating flat station
}
"""Maximum power or flow per medium, in the meter's unit per hour, unless a channel sets one."""

MARGIN_S: Final = 120.0
"""Seconds added to the time between reports: transit, reports bunched after a stall, clock skew."""
SLACK_PULSES: Final = 2
"""Pulses always allowed on top (a pulse on each side of the window)."""
CONFIRM_REPORTS: Final = 3
"""Consistent reports (the held one included) that confirm a new counter position."""
_LEFT_EPOCHS_KEPT: Final = 4


def _step(previous: int, count: int) -> int:
    """Signed distance from ``previous`` to ``count`` on the u32 circle, in [-2**31, 2**31)."""
    return (count - previous + _HALF) % COUNTER_MODULO - _HALF


def _check_constant(pulses_per_unit: float) -> float:
    if not pulses_per_unit > 0:
        raise ValueError(f"pulse constant must be positive, got {pulses_per_unit}")
    return float(pulses_per_unit)


def _check_max_rate(max_rate: float | None) -> float | None:
    if max_rate is not None and not max_rate > 0:
        raise ValueError(f"maximum rate must be positive, got {max_rate}")
    return None if max_rate is None else float(max_rate)


class Reason(StrEnum):
    """Why a report was held back."""

    RATE = "rate"
    """More pulses than the meter can make at its maximum rate since the last report."""
    EPOCH = "epoch"
    """The counter returned to an epoch it had left (epoch flapping)."""


@dataclass(frozen=True, slots=True)
class _Position:
    """A counter reading: count, epoch, boot, when it was received (unix seconds) and the
    count the channel resumed from at that boot (None: not reported)."""

    count: int
    epoch: int
    boot: int = 0
    at: float | None = None
    resumed: int | None = None


@dataclass(frozen=True, slots=True)
class Flag:
    """An implausible report: held back, or its step dropped once the position was confirmed."""

    reason: Reason
    count: int
    epoch: int
    boot: int
    at: float | None
    pulses: int
    """Pulses the report would have added (for an epoch change: its whole count)."""
    reports: int = 1
    """Reports so far that continue consistently from it (itself included)."""
    confirmed: bool = False
    """The counter went on from this position; ``pulses`` were not counted."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (also the entity's diagnostic attribute)."""
        return {**asdict(self), "reason": self.reason.value}


class ChannelTotal:
    """Running total of one pulse channel, in the meter's unit (kWh, m³).

    ``max_rate`` is the meter's maximum power or flow in its unit per hour (kW, m³/h); None
    disables the rate check (reports without a reception time are never rate checked).
    """

    __slots__ = (
        "_flag",
        "_held",
        "_held_pulses",
        "_left_epochs",
        "_max_rate",
        "_pulses",
        "_pulses_per_unit",
        "_ref",
        "_reserve",
        "_reserve_at",
        "held_reports",
        "offset",
    )

    def __init__(
        self, pulses_per_unit: float, offset: float = 0.0, max_rate: float | None = None
    ) -> None:
        """Start with no report; ``offset`` is the total before the first pulse."""
        self._pulses_per_unit = _check_constant(pulses_per_unit)
        self._max_rate = _check_max_rate(max_rate)
        self.offset = float(offset)
        self._pulses = 0
        self._ref: _Position | None = None
        self._left_epochs: tuple[int, ...] = ()
        self._held: _Position | None = None  # latest report consistent with a held flag
        self._held_pulses = 0  # pulses from the held report to ``_held``
        self._flag: Flag | None = None
        self._reserve: float | None = None  # margin pulses left (None: full), not persisted
        self._reserve_at: float | None = None  # when the reserve was last drawn on
        self.held_reports = 0
        """Reports held back so far (diagnostics)."""

    @property
    def pulses_per_unit(self) -> float:
        """Pulse constant (impulses per kWh or per m³)."""
        return self._pulses_per_unit

    @property
    def max_rate(self) -> float | None:
        """Maximum power or flow (unit per hour) the rate check allows."""
        return self._max_rate

    @max_rate.setter
    def max_rate(self, max_rate: float | None) -> None:
        self._max_rate = _check_max_rate(max_rate)

    @property
    def pulses(self) -> int:
        """Pulses counted so far (monotonic, exact)."""
        return self._pulses

    @property
    def epoch(self) -> int | None:
        """Epoch of the last accepted report."""
        return None if self._ref is None else self._ref.epoch

    @property
    def count(self) -> int | None:
        """Raw count of the last accepted report."""
        return None if self._ref is None else self._ref.count

    @property
    def boot(self) -> int | None:
        """Hub boot number of the last accepted report (0: not reported)."""
        return None if self._ref is None else self._ref.boot

    @property
    def latest(self) -> tuple[int, int] | None:
        """Count and epoch of the newest report: the held one while holding (what the meter
        shows now, for a calibration), else the accepted one."""
        position = self._held if self.holding and self._held is not None else self._ref
        return None if position is None else (position.count, position.epoch)

    @property
    def flag(self) -> Flag | None:
        """The last implausible report, until it is discarded or calibrated away."""
        return self._flag

    @property
    def holding(self) -> bool:
        """True while an implausible report is held back (not yet confirmed or discarded)."""
        return self._flag is not None and not self._flag.confirmed

    @property
    def total(self) -> float:
        """Meter total in the meter's unit."""
        return self.offset + self._pulses / self._pulses_per_unit

    def total_at(self, count: int, epoch: int) -> float | None:
        """Return the total when the counter showed ``count``; None for another epoch."""
        if self._ref is None or epoch != self._ref.epoch:
            return None
        return self.offset + (self._pulses + _step(self._ref.count, count)) / self._pulses_per_unit

    def update(
        self,
        count: int,
        epoch: int,
        boot: int = 0,
        at: float | None = None,
        resumed: int | None = None,
    ) -> float:
        """Apply a cumulative ``count`` reported under ``epoch``/``boot``, received at ``at``.

        ``at`` is the reception time in unix seconds and ``resumed`` the count the channel
        resumed from at this boot (None: unknown). Returns the total.
        """
        report = _Position(count, epoch, boot, at, resumed)
        if self._ref is None:
            self._pulses += count
            self._ref = report
            return self.total
        pulses = self._advance(self._ref, report)
        if pulses is None:
            return self.total  # duplicate or stale
        reason = self._implausible(self._ref, report, pulses)
        if reason is None:
            if self.holding:
                self._flag = None  # the held report was a glitch
            self._held = None
            self._draw(self._ref.at, report.at, pulses)
            self._accept(report, pulses)
        else:
            self._hold(report, reason, pulses)
        return self.total

    def _advance(self, base: _Position, report: _Position) -> int | None:
        """Pulses from ``base`` to ``report``; None for a duplicate or stale report."""
        if report.epoch != base.epoch:
            return report.count
        if report.boot and base.boot and report.boot != base.boot:
            if report.boot < base.boot:
                return None  # from a boot already left
            if report.resumed is None:  # the rollback is an offset, the climb back is lost
                return max(_step(base.count, report.count), 0)
            unseen = max(_step(base.count, report.resumed), 0)  # flushed after ``base``
            return unseen + max(_step(report.resumed, report.count), 0)
        step = _step(base.count, report.count)
        return step if step > 0 else None

    def _implausible(self, base: _Position, report: _Position, pulses: int) -> Reason | None:
        if report.epoch != base.epoch and report.epoch in self._left_epochs:
            return Reason.EPOCH
        if pulses > self._allowance(base.at, report.at):
            return Reason.RATE
        return None

    def _allowance(self, since: float | None, now: float | None) -> float:
        """Most pulses the meter can make from ``since`` (or the last draw) to ``now``: the
        maximum rate over that time plus what is left of the margin reserve."""
        start = self._reserve_at if self._reserve_at is not None else since
        if self._max_rate is None or start is None or now is None:
            return math.inf
        per_second = self._max_rate * self._pulses_per_unit / 3600
        full = per_second * MARGIN_S + SLACK_PULSES
        reserve = full if self._reserve is None else min(self._reserve, full)
        return per_second * max(now - start, 0.0) + reserve

    def _draw(self, since: float | None, now: float | None, pulses: int) -> None:
        """Count ``pulses`` against the allowance; the unused part, up to one margin, stays."""
        allowance = self._allowance(since, now)
        if not math.isinf(allowance):
            self._reserve = max(allowance - pulses, 0.0)  # capped at one margin when read
            self._reserve_at = now

    def _accept(self, report: _Position, pulses: int) -> None:
        assert self._ref is not None
        if report.epoch != self._ref.epoch:
            left = tuple(e for e in self._left_epochs if e != report.epoch)
            self._left_epochs = (*left, self._ref.epoch)[-_LEFT_EPOCHS_KEPT:]
        self._pulses += pulses
        self._ref = report

    def _hold(self, report: _Position, reason: Reason, pulses: int) -> None:
        held, flag = self._held, self._flag
        if held is not None and flag is not None and report.epoch == held.epoch:
            since = self._advance(held, report)
            if since is None:
                return  # a repeat of the held report
            if self._implausible(held, report, since) is None:
                self._draw(held.at, report.at, since)
                self._held_pulses += since
                self._held = report
                self._flag = replace(flag, reports=flag.reports + 1)
                if self._flag.reports >= CONFIRM_REPORTS:
                    self._flag = replace(self._flag, confirmed=True)
                    self._held = None
                    self._accept(report, self._held_pulses)  # only pulses after the held one
                return
        self.held_reports += 1
        self._flag = Flag(reason, report.count, report.epoch, report.boot, report.at, pulses)
        self._held = report
        self._held_pulses = 0

    def set_register(self, reading: float, count: int, epoch: int) -> float:
        """Calibrate so the total was ``reading`` when the counter showed ``count``.

        ``count``/``epoch`` may be older than the last report within the same epoch (a reading
        taken earlier). Ahead of it, or under another epoch, the pulses up to it are counted
        first without a plausibility check: the resident's reading confirms that position. A
        calibration clears the flag, unless a report after the reading is still held back.
        """
        ref, held = self._ref, self._held
        at_held = held is not None and (held.count, held.epoch) == (count, epoch)
        if ref is None or epoch != ref.epoch or _step(ref.count, count) > 0:
            base = held if at_held else ref
            position = _Position(
                count, epoch, 0 if base is None else base.boot, None if base is None else base.at
            )
            if ref is None:
                self.update(count, epoch, position.boot, position.at)
            else:
                self._accept(position, self._advance(ref, position) or 0)
        if at_held or not self.holding:
            self._flag, self._held = None, None
        self.offset += reading - (self.total_at(count, epoch) or 0.0)
        return self.total

    def set_pulses_per_unit(self, pulses_per_unit: float) -> None:
        """Use a new pulse constant from now on, keeping the current total."""
        total = self.total
        self._pulses_per_unit = _check_constant(pulses_per_unit)
        self.offset = total - self._pulses / self._pulses_per_unit

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable snapshot (the maximum rate is configuration, not state)."""
        ref, held = self._ref, self._held
        return {
            "pulses_per_unit": self._pulses_per_unit,
            "offset": self.offset,
            "pulses": self._pulses,
            "epoch": None if ref is None else ref.epoch,
            "count": None if ref is None else ref.count,
            "boot": None if ref is None else ref.boot,
            "at": None if ref is None else ref.at,
            "left_epochs": list(self._left_epochs),
            "held": None if held is None else list(astuple(held)),
            "held_pulses": self._held_pulses,
            "held_reports": self.held_reports,
            "flag": None if self._flag is None else self._flag.as_dict(),
        }

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        pulses_per_unit: float | None = None,
        max_rate: float | None = None,
    ) -> ChannelTotal:
        """Restore a snapshot; a different ``pulses_per_unit`` keeps the stored total.

        Snapshots written before boots and flags existed restore with none.
        """
        total = cls(data["pulses_per_unit"], data["offset"], max_rate)
        total._pulses = int(data["pulses"])
        if data.get("count") is not None and data.get("epoch") is not None:
            total._ref = _Position(
                int(data["count"]), int(data["epoch"]), int(data.get("boot") or 0), data.get("at")
            )
        total._left_epochs = tuple(int(e) for e in data.get("left_epochs", ()))
        held = data.get("held")
        total._held = None if held is None else _Position(*held)
        total._held_pulses = int(data.get("held_pulses", 0))
        total.held_reports = int(data.get("held_reports", 0))
        flag = data.get("flag")
        if flag is not None:
            total._flag = Flag(**{**flag, "reason": Reason(flag["reason"])})
        if pulses_per_unit is not None and pulses_per_unit != total.pulses_per_unit:
            total.set_pulses_per_unit(pulses_per_unit)
        return total

    def __repr__(self) -> str:
        """Debug representation."""
        return (
            f"ChannelTotal(total={self.total!r}, pulses={self._pulses}, ref={self._ref}, "
            f"held={self._held}, flag={self._flag})"
        )


def rate_per_hour(rate_mph: int, pulses_per_unit: float) -> float:
    """Convert a rate in milli-pulses per hour to units per hour (kW for kWh, m³/h for m³)."""
    return rate_mph / 1000 / _check_constant(pulses_per_unit)
