"""Typed views of an insights entry: its options, meters and groups (subentries)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.util import dt as dt_util

from ..analytics import LeakConfig  # noqa: TID252
from .const import (
    CONF_AWAY_ENTITY,
    CONF_AWAY_THRESHOLD,
    CONF_BILLING_DAY,
    CONF_CHILDREN,
    CONF_CONTINUOUS_LPM,
    CONF_CONTINUOUS_MIN,
    CONF_DRIBBLE_H,
    CONF_ENTITY,
    CONF_EXPECTED_LOSS_PCT,
    CONF_FORECAST_LIMIT,
    CONF_LIMIT,
    CONF_MEDIUM,
    CONF_NIGHT_ACTIVE_MIN,
    CONF_NIGHT_END,
    CONF_NIGHT_START,
    CONF_PARENT,
    CONF_PHASES,
    CONF_REFILL_COUNT,
    CONF_SILENT_CHECK,
    CONF_TEMPERATURE_ENTITY,
    CONF_THREE_PHASE,
    CONF_UNIT_KIND,
    DEFAULT_AWAY_THRESHOLD,
    SUBENTRY_GROUP,
    SUBENTRY_METER,
)

DEFAULT_LEAK = LeakConfig()


@dataclass(frozen=True, slots=True)
class InsightsSettings:
    """The entry's options: billing cycle, outdoor temperature and the "away" entity."""

    billing_day: int
    temperature_entity: str | None
    away_entity: str | None

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> InsightsSettings:
        """Read the entry's options."""
        return cls(
            billing_day=int(options.get(CONF_BILLING_DAY, 1)),
            temperature_entity=options.get(CONF_TEMPERATURE_ENTITY),
            away_entity=options.get(CONF_AWAY_ENTITY),
        )


def _time(value: Any, default: time) -> time:
    if value in (None, ""):
        return default
    parsed = dt_util.parse_time(str(value))
    return parsed if parsed is not None else default


def leak_config(data: Mapping[str, Any]) -> LeakConfig:
    """Leak thresholds of a water meter (the analytics defaults where not set)."""
    d = DEFAULT_LEAK
    return LeakConfig(
        dribble_h=float(data.get(CONF_DRIBBLE_H, d.dribble_h)),
        continuous_min=float(data.get(CONF_CONTINUOUS_MIN, d.continuous_min)),
        continuous_lpm=float(data.get(CONF_CONTINUOUS_LPM, d.continuous_lpm)),
        night_start=_time(data.get(CONF_NIGHT_START), d.night_start),
        night_end=_time(data.get(CONF_NIGHT_END), d.night_end),
        night_active_min=float(data.get(CONF_NIGHT_ACTIVE_MIN, d.night_active_min)),
        refill_count=int(data.get(CONF_REFILL_COUNT, d.refill_count)),
    )


@dataclass(frozen=True, slots=True)
class MeterSettings:
    """One meter (a subentry): what it measures and its alert settings."""

    meter_id: str
    name: str
    entity_id: str
    medium: str
    limit: float | None
    forecast_limit: float | None
    away_threshold: float | None
    silent_check: bool
    leak: LeakConfig | None

    @classmethod
    def from_subentry(cls, meter_id: str, title: str, data: Mapping[str, Any]) -> MeterSettings:
        """Read a meter subentry."""
        medium = str(data[CONF_MEDIUM])
        away = data.get(CONF_AWAY_THRESHOLD, DEFAULT_AWAY_THRESHOLD.get(medium))
        return cls(
            meter_id=meter_id,
            name=title,
            entity_id=str(data[CONF_ENTITY]),
            medium=medium,
            limit=_float(data.get(CONF_LIMIT)),
            forecast_limit=_float(data.get(CONF_FORECAST_LIMIT)),
            away_threshold=_float(away) if medium in DEFAULT_AWAY_THRESHOLD else None,
            silent_check=bool(data.get(CONF_SILENT_CHECK, False)),
            leak=leak_config(data) if medium == "water" else None,
        )


@dataclass(frozen=True, slots=True)
class GroupSettings:
    """One BALANCE group (a subentry): parent meter, children, phases."""

    group_id: str
    name: str
    parent: str
    children: tuple[str, ...]
    expected_loss_pct: float
    phases: Mapping[str, int] | None  # three-phase groups: each child's phase 0-2
    energy: bool  # kWh (else m³)

    @classmethod
    def from_subentry(cls, group_id: str, title: str, data: Mapping[str, Any]) -> GroupSettings:
        """Read a group subentry."""
        children = tuple(str(c) for c in data[CONF_CHILDREN])
        phases = data.get(CONF_PHASES) if data.get(CONF_THREE_PHASE) else None
        return cls(
            group_id=group_id,
            name=title,
            parent=str(data[CONF_PARENT]),
            children=children,
            expected_loss_pct=float(data.get(CONF_EXPECTED_LOSS_PCT, 0.0)),
            phases={c: int(phases[c]) for c in children} if phases else None,
            energy=data.get(CONF_UNIT_KIND, "energy") == "energy",
        )


def _float(value: Any) -> float | None:
    return None if value in (None, "") else float(value)


def meters_of(entry: ConfigEntry) -> dict[str, MeterSettings]:
    """The entry's meters by subentry id."""
    return {
        sub_id: MeterSettings.from_subentry(sub_id, sub.title, sub.data)
        for sub_id, sub in entry.subentries.items()
        if sub.subentry_type == SUBENTRY_METER
    }


def groups_of(entry: ConfigEntry) -> dict[str, GroupSettings]:
    """The entry's groups by subentry id."""
    return {
        sub_id: GroupSettings.from_subentry(sub_id, sub.title, sub.data)
        for sub_id, sub in entry.subentries.items()
        if sub.subentry_type == SUBENTRY_GROUP
    }
