"""One meter's insights: the hourly period report and the live alerts fed by its state changes.

The report (period to date, forecast, average, last year, indicators) is recomputed from
long-term statistics every hour; the alerts are fed what the meter's state changes add, one
sample a minute, so a leak or consumption while away shows within minutes and clears by itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from homeassistant.const import UnitOfVolume
from homeassistant.util.unit_conversion import VolumeConverter

from ..analytics import (  # noqa: TID252
    AwayAlert,
    PeriodReport,
    SilentChannelAlert,
    ThresholdAlert,
    WaterLeakDetector,
    backtest_mape,
    period_report,
)
from ..analytics.timebase import hour_start, utc_hour  # noqa: TID252
from .settings import MeterSettings

KEEP_LIVE_HOURS = 48
SILENT_HISTORY_DAYS = 28


@dataclass(frozen=True, slots=True)
class MeterReport:
    """The hourly analysis of one meter."""

    report: PeriodReport
    backtest_mape: float | None
    through_hour: int  # statistics are included up to (not including) this UTC hour


def compute_report(
    hourly: Mapping[int, float],
    now: datetime,
    tz: ZoneInfo,
    *,
    billing_day: int,
    temps: Mapping[date, float] | None,
    backtest: float | None,
) -> tuple[PeriodReport, float | None]:
    """Period report and (unless given) its backtest MAPE at today's day of the period."""
    report = period_report(hourly, now, tz, billing_day=billing_day, temps=temps)
    if backtest is None:
        day_of_period = (now.astimezone(tz).date() - report.start.date()).days
        backtest = backtest_mape(
            hourly, tz, max(1, day_of_period), billing_day=billing_day, temps=temps
        )
    return report, backtest


class MeterAlerts:
    """The live alert state machines of one meter."""

    def __init__(self, settings: MeterSettings, tz: ZoneInfo, unit: str | None) -> None:
        """Build the alerts the meter's settings ask for."""
        self.settings = settings
        self.unit = unit
        self.leak = WaterLeakDetector(tz, settings.leak) if settings.leak else None
        self.away = (
            AwayAlert(settings.away_threshold) if settings.away_threshold is not None else None
        )
        self.above_limit = ThresholdAlert(settings.limit) if settings.limit is not None else None
        self.forecast_above_limit = (
            ThresholdAlert(settings.forecast_limit, "forecast_above_limit")
            if settings.forecast_limit is not None
            else None
        )
        self.silent = SilentChannelAlert(SILENT_HISTORY_DAYS) if settings.silent_check else None
        self.counted_since_silent = False
        self._silent_next: int | None = None
        self._pending = 0.0
        self._last_value: float | None = None
        self._live: dict[int, float] = {}
        self.live_start_hour: int | None = None

    def state_changed(self, at: datetime, value: float | None) -> None:
        """The meter's total changed: what it added is consumption (a decrease is a reset)."""
        if value is None:
            return
        if self.live_start_hour is None:
            self.live_start_hour = utc_hour(at)
        last, self._last_value = self._last_value, value
        if last is None or value <= last:
            return
        added = value - last
        self._pending += added
        hour = utc_hour(at)
        self._live[hour] = self._live.get(hour, 0.0) + added
        if self.silent is not None and self.silent.active:
            self.counted_since_silent = True

    def live_since(self, hour: int) -> float:
        """Consumption seen live from the start of UTC ``hour`` on."""
        return sum(v for h, v in self._live.items() if h >= hour)

    def sample(
        self,
        at: datetime,
        interval: timedelta,
        *,
        away: bool,
        to_date: float | None,
        forecast: float | None,
    ) -> bool:
        """Feed one sample interval to the alerts; True if any alert changed."""
        amount, self._pending = self._pending, 0.0
        changed = False
        water = self.settings.medium == "water"
        if self.leak is not None:
            changed |= bool(self.leak.update(at, self._litres(amount), interval))
        if self.away is not None:  # water in litres, gas and heat in the meter's unit
            used = self._litres(amount) if water else amount
            changed |= bool(self.away.update(at, used, away))
        changed |= self.check_limits(at, to_date, forecast)
        horizon = utc_hour(at) - KEEP_LIVE_HOURS
        self._live = {h: v for h, v in self._live.items() if h >= horizon}
        return changed

    def check_limits(self, at: datetime, to_date: float | None, forecast: float | None) -> bool:
        """Compare the period to date and the forecast with their limits; True if changed."""
        changed = False
        if self.above_limit is not None and to_date is not None:
            changed |= bool(self.above_limit.update(at, to_date))
        if self.forecast_above_limit is not None and forecast is not None:
            changed |= bool(self.forecast_above_limit.update(at, forecast))
        return changed

    def _litres(self, amount: float) -> float:
        if amount <= 0 or self.unit is None or self.unit == UnitOfVolume.LITERS:
            return amount
        return VolumeConverter.convert(amount, self.unit, UnitOfVolume.LITERS)

    def feed_silent(self, now: datetime, statistics: Mapping[int, float]) -> bool:
        """Feed the silent-channel check every complete hour up to ``now``; True if it changed.

        Hours before the live start come from the statistics; later ones from the live state.
        """
        if self.silent is None:
            return False
        current = utc_hour(now)
        live_start = self.live_start_hour if self.live_start_hour is not None else current
        start = self._silent_next
        if start is None:  # from the first hour the statistics know (at most the look-back)
            known = min(statistics, default=current)
            start = max(current - SILENT_HISTORY_DAYS * 24, known)
        was = self.silent_active
        for hour in range(start, current):
            value = self._live.get(hour, 0.0) if hour >= live_start else statistics.get(hour, 0.0)
            self.silent.update(hour_start(hour + 1), value)
            if value > 0:
                self.counted_since_silent = False
        self._silent_next = current
        return was != self.silent_active

    @property
    def silent_active(self) -> bool:
        """Silent for too long, and nothing counted since the alert was raised."""
        return self.silent is not None and self.silent.active and not self.counted_since_silent
