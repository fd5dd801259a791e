"""Diagnostics of a meter-insights entry (no secrets: entity ids and figures only)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, time
from enum import Enum
from typing import Any

from homeassistant.core import HomeAssistant

from .runtime import InsightsConfigEntry


def _plain(value: Any) -> Any:
    """JSON-ready: dates and times as ISO strings, tuples and sets as lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (date, time)):
        return value.isoformat()
    return value


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: InsightsConfigEntry
) -> dict[str, Any]:
    """Settings, each meter's report and alerts, each group's balance."""
    runtime = entry.runtime_data
    meters: dict[str, Any] = {}
    for meter_id, meter in runtime.meters.items():
        alerts = runtime.alerts[meter_id]
        found = runtime.reports.get(meter_id)
        meters[meter_id] = {
            "settings": asdict(meter),
            "unit": alerts.unit,
            "report": None
            if found is None
            else {
                **{k: v for k, v in asdict(found.report).items() if k != "expected"},
                "backtest_mape": found.backtest_mape,
                "through_hour": found.through_hour,
            },
            "alerts": {
                "leak": sorted(alerts.leak.active) if alerts.leak else None,
                "away": alerts.away.active if alerts.away else None,
                "above_limit": alerts.above_limit.active if alerts.above_limit else None,
                "forecast_above_limit": alerts.forecast_above_limit.active
                if alerts.forecast_above_limit
                else None,
                "silent_channel": alerts.silent_active if alerts.silent else None,
            },
        }
    groups: dict[str, Any] = {}
    for group_id, group in runtime.groups.items():
        report = runtime.group_reports.get(group_id)
        groups[group_id] = {
            "settings": asdict(group),
            "kept_hours": len(runtime.analyses[group_id].group.kept),
            "report": None
            if report is None
            else {
                "hour": report.hour,
                "day": report.day.isoformat(),
                "daily_losses": report.daily.losses,
                "daily_complete": report.daily.complete,
                "suspected": [s.meter for s in report.suspects if s.suspected],
                "moves": len(report.plan.moves) if report.plan else None,
                "analysed_hours": report.analysed_hours,
            },
        }
    plain: dict[str, Any] = _plain(
        {
            "settings": asdict(runtime.settings),
            "last_refresh": runtime.last_refresh.isoformat() if runtime.last_refresh else None,
            "meters": meters,
            "groups": groups,
        }
    )
    return plain
