"""Typed views of the load-management entry options and managed-load subentries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigSubentry

from ..dlm import EngineConfig, LoadConfig, Priority  # noqa: TID252
from .const import (
    CONF_CONTRACT_W,
    CONF_DEADLINE,
    CONF_HUB_ENTRY,
    CONF_LIMIT_W,
    CONF_LOAD_POWER_ENTITY,
    CONF_MAX_OFF_MIN,
    CONF_MIN_ON_MIN,
    CONF_POWER_ENTITY,
    CONF_PRIORITY,
    CONF_RATED_W,
    CONF_REACTION_S,
    CONF_RUN_MIN,
    CONF_SENSOR_TIMEOUT_S,
    CONF_SWITCH_ENTITY,
    CONF_TARIFF_END,
    CONF_TARIFF_LIMIT_W,
    CONF_TARIFF_START,
    CONF_WINDOW_END,
    CONF_WINDOW_START,
    DEFAULT_MAX_OFF_MIN,
    DEFAULT_MIN_ON_MIN,
    DEFAULT_REACTION_S,
    DEFAULT_SENSOR_TIMEOUT_S,
    SUBENTRY_MANAGED_LOAD,
    UPDATE_INTERVAL,
)


def parse_time(value: Any) -> time | None:
    """Parse an "HH:MM[:SS]" option (None when absent)."""
    return time.fromisoformat(value) if value else None


def _float(value: Any) -> float | None:
    return float(value) if value is not None else None


def in_period(now: datetime, start: time, end: time) -> bool:
    """True when the local wall time of `now` is in [start, end), wrapping over midnight."""
    wall = now.time().replace(tzinfo=None)
    if start <= end:
        return start <= wall < end
    return wall >= start or wall < end


def next_at(now: datetime, at: time) -> datetime:
    """The first local datetime strictly after `now` whose wall time is `at`."""
    candidate = datetime.combine(now.date(), at, tzinfo=now.tzinfo)
    if candidate <= now:
        candidate = datetime.combine(now.date() + timedelta(days=1), at, tzinfo=now.tzinfo)
    return candidate


@dataclass(frozen=True, slots=True)
class TariffPeriod:
    """A stricter limit that applies between two local times."""

    limit_w: float
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class ManagerSettings:
    """Options of a load-management entry."""

    power_entity: str
    limit_w: float | None
    contract_w: float | None
    tariff: TariffPeriod | None
    hub_entry_id: str | None
    reaction_s: float
    sensor_timeout_s: float

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> ManagerSettings:
        """Read the options (defaults for what is absent)."""
        start = parse_time(options.get(CONF_TARIFF_START))
        end = parse_time(options.get(CONF_TARIFF_END))
        tariff_w = _float(options.get(CONF_TARIFF_LIMIT_W))
        tariff = None
        if tariff_w is not None and start is not None and end is not None:
            tariff = TariffPeriod(tariff_w, start, end)
        return cls(
            power_entity=options[CONF_POWER_ENTITY],
            limit_w=_float(options.get(CONF_LIMIT_W)),
            contract_w=_float(options.get(CONF_CONTRACT_W)),
            tariff=tariff,
            hub_entry_id=options.get(CONF_HUB_ENTRY) or None,
            reaction_s=float(options.get(CONF_REACTION_S, DEFAULT_REACTION_S)),
            sensor_timeout_s=float(options.get(CONF_SENSOR_TIMEOUT_S, DEFAULT_SENSOR_TIMEOUT_S)),
        )

    def engine_config(self) -> EngineConfig:
        """Engine timing; overloads are confirmed early enough to shed within the reaction time."""
        return EngineConfig(
            reaction_s=self.reaction_s,
            debounce_s=max(0.0, self.reaction_s - UPDATE_INTERVAL.total_seconds()),
            sensor_timeout_s=self.sensor_timeout_s,
        )


@dataclass(frozen=True, slots=True)
class LoadSettings:
    """One managed load (a `managed_load` subentry)."""

    load_id: str
    name: str
    switch_entity: str
    priority: Priority
    rated_w: float | None
    power_entity: str | None
    max_off_min: float
    min_on_min: float
    deadline: time | None
    run_min: float | None
    window_start: time | None
    window_end: time | None

    @classmethod
    def from_subentry(cls, subentry: ConfigSubentry) -> LoadSettings:
        """Read a managed-load subentry."""
        data = subentry.data
        return cls(
            load_id=subentry.subentry_id,
            name=subentry.title,
            switch_entity=data[CONF_SWITCH_ENTITY],
            priority=Priority(data[CONF_PRIORITY]),
            rated_w=_float(data.get(CONF_RATED_W)),
            power_entity=data.get(CONF_LOAD_POWER_ENTITY) or None,
            max_off_min=float(data.get(CONF_MAX_OFF_MIN, DEFAULT_MAX_OFF_MIN)),
            min_on_min=float(data.get(CONF_MIN_ON_MIN, DEFAULT_MIN_ON_MIN)),
            deadline=parse_time(data.get(CONF_DEADLINE)),
            run_min=_float(data.get(CONF_RUN_MIN)),
            window_start=parse_time(data.get(CONF_WINDOW_START)),
            window_end=parse_time(data.get(CONF_WINDOW_END)),
        )

    @property
    def has_plan(self) -> bool:
        """True for a green load with a deadline or a window."""
        return self.priority is Priority.GREEN and (
            self.deadline is not None or self.window_end is not None
        )

    def load_config(self) -> LoadConfig:
        """Engine configuration of this load."""
        return LoadConfig(
            load_id=self.load_id,
            priority=self.priority,
            rated_w=self.rated_w,
            min_on_s=self.min_on_min * 60.0,
            max_off_s=self.max_off_min * 60.0,
        )


def managed_loads(entry: ConfigEntry) -> dict[str, LoadSettings]:
    """Every managed load of a load-management entry, by subentry id."""
    return {
        sub.subentry_id: LoadSettings.from_subentry(sub)
        for sub in entry.subentries.values()
        if sub.subentry_type == SUBENTRY_MANAGED_LOAD
    }
