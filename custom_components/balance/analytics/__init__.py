"""Resident and building analytics: plain Python (and numpy), no Home Assistant import.

Per meter: billing period to date, forecast to its end, own average, last year, consumption
ratio, temperature coefficient, efficiency ratio. Alerts: water leaks, consumption while away,
above a limit, silent pulse channels. BALANCE groups: hourly/daily balances, losses and each
child's share, phase-balancing recommendations, theft/fault suspicion. See docs/analytics.md.
"""

from .alerts import (
    AlertEvent,
    AwayAlert,
    LeakConfig,
    LeakKind,
    SilentChannelAlert,
    ThresholdAlert,
    WaterLeakDetector,
)
from .forecast import DailyModel, ForecastConfig, expected_temperatures, fit_daily_model
from .groups import Balance, BalanceGroup
from .period import PeriodReport, backtest_mape, efficiency_ratios, period_report
from .phases import PhasePlan, feeder_losses_kwh, phase_loads, recommend_phases
from .theft import Suspicion, rank_suspects
from .timebase import daily_totals, hour_start, local_day, local_day_hours, utc_hour

__all__ = [
    "AlertEvent",
    "AwayAlert",
    "Balance",
    "BalanceGroup",
    "DailyModel",
    "ForecastConfig",
    "LeakConfig",
    "LeakKind",
    "PeriodReport",
    "PhasePlan",
    "SilentChannelAlert",
    "Suspicion",
    "ThresholdAlert",
    "WaterLeakDetector",
    "backtest_mape",
    "daily_totals",
    "efficiency_ratios",
    "expected_temperatures",
    "feeder_losses_kwh",
    "fit_daily_model",
    "hour_start",
    "local_day",
    "local_day_hours",
    "period_report",
    "phase_loads",
    "rank_suspects",
    "recommend_phases",
    "utc_hour",
]
