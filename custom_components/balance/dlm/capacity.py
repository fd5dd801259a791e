"""Capacity periods: the mean power of clock-aligned billing periods and the month's peak."""

from __future__ import annotations

from dataclasses import dataclass

from .models import CapacityState, CapacityTarget

_MIN_REMAINING_S = 60.0  # the budget is spread over at least this long (no last-second spikes)


@dataclass(slots=True)
class CapacityTracker:
    """Energy of the current period; the budget that keeps its mean at the target."""

    period_start_s: float | None = None
    period_wh: float = 0.0
    month_peak_w: float = 0.0
    month_peak_start_s: float | None = None
    last_w: float = 0.0

    def observe(self, target: CapacityTarget, now_s: float, house_w: float, dt_s: float) -> None:
        """Add the energy of the last `dt_s` (at `house_w`); close periods that ended."""
        start = now_s - now_s % target.period_s
        if self.period_start_s is None:
            self.period_start_s = start
        elif start != self.period_start_s:
            # the step that crossed the boundary belongs to the old period up to it
            into_new = min(dt_s, now_s - start)
            self.period_wh += house_w * (dt_s - into_new) / 3600.0
            self._close(target)
            self.period_start_s = start
            self.period_wh = house_w * into_new / 3600.0
            self.last_w = house_w
            return
        self.period_wh += house_w * dt_s / 3600.0
        self.last_w = house_w

    def budget_w(
        self,
        target: CapacityTarget,
        now_s: float,
        spike_w: float = 0.0,
        spike_s: float = 0.0,
        reserve_wh: float = 0.0,
    ) -> float:
        """Mean power allowed for the rest of the period to end it at the target, keeping back
        the energy of a red spike of `spike_w` for `spike_s` (or for what is left, if less)
        and `reserve_wh` more."""
        start = self.period_start_s if self.period_start_s is not None else now_s
        left = max(0.0, start + target.period_s - now_s)
        remaining = max(left, _MIN_REMAINING_S)
        reserve_wh += spike_w * min(spike_s, left) / 3600.0
        allowed_wh = target.target_w * target.period_s / 3600.0 - self.period_wh - reserve_wh
        return allowed_wh * 3600.0 / remaining

    def state(self, target: CapacityTarget, now_s: float) -> CapacityState:
        """Exposed figures."""
        start = self.period_start_s if self.period_start_s is not None else now_s
        elapsed = now_s - start
        remaining = max(0.0, start + target.period_s - now_s)
        average = self.period_wh * 3600.0 / elapsed if elapsed > 0 else self.last_w
        projected = (self.period_wh + self.last_w * remaining / 3600.0) * 3600.0 / target.period_s
        return CapacityState(
            target_w=target.target_w,
            period_s=target.period_s,
            period_start_s=start,
            average_w=average,
            projected_w=projected,
            budget_w=self.budget_w(target, now_s),
            month_peak_w=self.month_peak_w,
            month_peak_start_s=self.month_peak_start_s,
        )

    def reset_month(self) -> None:
        """Start a new billing month."""
        self.month_peak_w = 0.0
        self.month_peak_start_s = None

    def _close(self, target: CapacityTarget) -> None:
        mean = self.period_wh * 3600.0 / target.period_s
        if mean > self.month_peak_w:
            self.month_peak_w = mean
            self.month_peak_start_s = self.period_start_s
