"""Constants of the meter-insights entry kind (analytics, alerts and BALANCE groups)."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from ..const import CONF_KIND, KIND_INSIGHTS  # noqa: TID252

__all__ = ["CONF_KIND", "KIND_INSIGHTS"]

TITLE: Final = "Meter insights"
MODEL: Final = "Meter insights"

# Entry options
CONF_BILLING_DAY: Final = "billing_day"
CONF_TEMPERATURE_ENTITY: Final = "temperature_entity"
CONF_AWAY_ENTITY: Final = "away_entity"

# Subentry kinds
SUBENTRY_METER: Final = "meter"
SUBENTRY_GROUP: Final = "group"

# Meter subentry data
CONF_ENTITY: Final = "entity"
CONF_MEDIUM: Final = "medium"
CONF_LIMIT: Final = "limit"
CONF_FORECAST_LIMIT: Final = "forecast_limit"
CONF_AWAY_THRESHOLD: Final = "away_threshold"
CONF_SILENT_CHECK: Final = "silent_check"
CONF_DRIBBLE_H: Final = "dribble_h"
CONF_CONTINUOUS_MIN: Final = "continuous_min"
CONF_CONTINUOUS_LPM: Final = "continuous_lpm"
CONF_NIGHT_START: Final = "night_start"
CONF_NIGHT_END: Final = "night_end"
CONF_NIGHT_ACTIVE_MIN: Final = "night_active_min"
CONF_REFILL_COUNT: Final = "refill_count"
LEAK_KEYS: Final = (
    CONF_DRIBBLE_H,
    CONF_CONTINUOUS_MIN,
    CONF_CONTINUOUS_LPM,
    CONF_NIGHT_START,
    CONF_NIGHT_END,
    CONF_NIGHT_ACTIVE_MIN,
    CONF_REFILL_COUNT,
)

# Group subentry data
CONF_PARENT: Final = "parent"
CONF_CHILDREN: Final = "children"
CONF_EXPECTED_LOSS_PCT: Final = "expected_loss_pct"
CONF_THREE_PHASE: Final = "three_phase"
CONF_PHASES: Final = "phases"  # {child entity: 0, 1 or 2}
CONF_UNIT_KIND: Final = "unit_kind"  # "energy" or "volume", from the meters' units
PHASE_NAMES: Final = ("L1", "L2", "L3")

MEDIA: Final = ("electricity", "water", "gas", "heat")
ENERGY_MEDIA: Final = frozenset({"electricity", "heat"})
AWAY_MEDIA: Final = frozenset({"water", "gas", "heat"})
DEFAULT_AWAY_THRESHOLD: Final = {"water": 2.0, "gas": 0.05, "heat": 0.5}  # L, m³, kWh

REFRESH_MINUTE: Final = 5  # after the hub's backfill at minute 2
SAMPLE_INTERVAL: Final = timedelta(minutes=1)  # live alerts are fed one sample a minute
HISTORY_DAYS: Final = 400  # a year before the period plus the period itself
GROUP_DAYS: Final = 31  # group history read at start (the group keeps 62 days)
LATE_HOURS: Final = 72  # re-read at every refresh: children that report late
LATE_DAYS_MAX: Final = 7  # further back while a child has not reported (a hub outage)
METER_REREAD_DAYS: Final = 7  # a meter's statistics re-read at every refresh

ALARM_AWAY_STATES: Final = frozenset({"armed_away", "armed_vacation"})
