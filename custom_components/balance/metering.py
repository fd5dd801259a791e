"""Monotonic meter totals from the hub's cumulative pulse counters.

Plain Python (no Home Assistant import) so the live sensors and the archive backfill share one
rule set. A hub reports, per channel, a cumulative u32 pulse ``count`` and an ``epoch`` that
changes whenever the counter restarts (docs/protocol.md, section 4):

* same epoch, higher count: the difference is consumption;
* same epoch, lower count: the counter wrapped at 2**32 (serial-number arithmetic, RFC 1982: a
  step of 2**31 or more backwards is a stale or duplicate report and is ignored instead);
* new epoch: the counter restarted from zero, its whole count is consumption since the restart
  (add, never subtract).

The total in the meter's unit is ``offset + pulses / pulses_per_unit``; ``pulses`` only grows and
``offset`` changes only through a calibration or a new pulse constant.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

COUNTER_MODULO = 1 << 32
_HALF = 1 << 31


def _step(previous: int, count: int) -> int:
    """Signed distance from ``previous`` to ``count`` on the u32 circle, in [-2**31, 2**31)."""
    return (count - previous + _HALF) % COUNTER_MODULO - _HALF


def _check_constant(pulses_per_unit: float) -> float:
    if not pulses_per_unit > 0:
        raise ValueError(f"pulse constant must be positive, got {pulses_per_unit}")
    return float(pulses_per_unit)


class ChannelTotal:
    """Running total of one pulse channel, in the meter's unit (kWh, m³)."""

    __slots__ = ("_count", "_epoch", "_pulses", "_pulses_per_unit", "offset")

    def __init__(self, pulses_per_unit: float, offset: float = 0.0) -> None:
        """Start with no report; ``offset`` is the total before the first pulse."""
        self._pulses_per_unit = _check_constant(pulses_per_unit)
        self.offset = float(offset)
        self._pulses = 0
        self._epoch: int | None = None
        self._count: int | None = None

    @property
    def pulses_per_unit(self) -> float:
        """Pulse constant (impulses per kWh or per m³)."""
        return self._pulses_per_unit

    @property
    def pulses(self) -> int:
        """Pulses counted so far (monotonic, exact)."""
        return self._pulses

    @property
    def epoch(self) -> int | None:
        """Epoch of the last accepted report."""
        return self._epoch

    @property
    def count(self) -> int | None:
        """Raw count of the last accepted report."""
        return self._count

    @property
    def total(self) -> float:
        """Meter total in the meter's unit."""
        return self.offset + self._pulses / self._pulses_per_unit

    def total_at(self, count: int, epoch: int) -> float | None:
        """Return the total when the counter showed ``count``; None for another epoch."""
        if self._count is None or epoch != self._epoch:
            return None
        return self.offset + (self._pulses + _step(self._count, count)) / self._pulses_per_unit

    def update(self, count: int, epoch: int) -> float:
        """Apply a cumulative ``count`` reported under ``epoch`` and return the total."""
        if self._count is None or epoch != self._epoch:
            self._pulses += count
        else:
            step = _step(self._count, count)
            if step <= 0:
                return self.total
            self._pulses += step
        self._epoch = epoch
        self._count = count
        return self.total

    def set_register(self, reading: float, count: int, epoch: int) -> float:
        """Calibrate so the total was ``reading`` when the counter showed ``count``.

        ``count``/``epoch`` may be older than the last report within the same epoch (a reading
        taken earlier); under a different epoch they are applied as a report first.
        """
        if self._count is None or epoch != self._epoch or _step(self._count, count) > 0:
            self.update(count, epoch)
        self.offset += reading - (self.total_at(count, epoch) or 0.0)
        return self.total

    def set_pulses_per_unit(self, pulses_per_unit: float) -> None:
        """Use a new pulse constant from now on, keeping the current total."""
        total = self.total
        self._pulses_per_unit = _check_constant(pulses_per_unit)
        self.offset = total - self._pulses / self._pulses_per_unit

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable snapshot."""
        return {
            "pulses_per_unit": self._pulses_per_unit,
            "offset": self.offset,
            "pulses": self._pulses,
            "epoch": self._epoch,
            "count": self._count,
        }

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], pulses_per_unit: float | None = None
    ) -> ChannelTotal:
        """Restore a snapshot; a different ``pulses_per_unit`` keeps the stored total."""
        total = cls(data["pulses_per_unit"], data["offset"])
        total._pulses = int(data["pulses"])
        total._epoch = data["epoch"]
        total._count = data["count"]
        if pulses_per_unit is not None and pulses_per_unit != total.pulses_per_unit:
            total.set_pulses_per_unit(pulses_per_unit)
        return total

    def __repr__(self) -> str:
        """Debug representation."""
        return (
            f"ChannelTotal(total={self.total!r}, pulses={self._pulses}, "
            f"epoch={self._epoch}, count={self._count})"
        )


def rate_per_hour(rate_mph: int, pulses_per_unit: float) -> float:
    """Convert a rate in milli-pulses per hour to units per hour (kW for kWh, m³/h for m³)."""
    return rate_mph / 1000 / _check_constant(pulses_per_unit)
