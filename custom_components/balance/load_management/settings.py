"""Typed views of the load-management entry options and managed-load subentries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigSubentry

from ..dlm import PHASES, CapacityTarget, EngineConfig, LoadConfig, LoadKind, Priority  # noqa: TID252
from .const import (
    CONF_BATTERY_KWH,
    CONF_CAPACITY_PERIOD_MIN,
    CONF_CAPACITY_W,
    CONF_CLIMATE_ENTITY,
    CONF_COMFORT_ENTITY,
    CONF_COMFORT_MAX_C,
    CONF_COMFORT_MIN_C,
    CONF_CONTRACT_W,
    CONF_DEADLINE,
    CONF_DEPARTURE_ENTITY,
    CONF_DEPARTURE_TIME,
    CONF_ENERGY_KWH,
    CONF_EXCEED_SOFT,
    CONF_HARD_LIMIT_W,
    CONF_HUB_ENTRY,
    CONF_LIMIT_W,
    CONF_LOAD_POWER_ENTITY,
    CONF_MAX_CURRENT_A,
    CONF_MAX_OFF_MIN,
    CONF_MAX_W,
    CONF_MIN_CURRENT_A,
    CONF_MIN_ON_MIN,
    CONF_MIN_W,
    CONF_PHASE,
    CONF_PHASE_ENTITIES,
    CONF_PHASE_LIMIT_A,
    CONF_PHASE_SWITCH_ENTITY,
    CONF_PHASES,
    CONF_PLUG_ENTITY,
    CONF_POWER_ENTITY,
    CONF_PRIORITY,
    CONF_RATED_W,
    CONF_REACTION_S,
    CONF_RECOVERY_MIN,
    CONF_RESTORE_ABOVE_C,
    CONF_RESTORE_BELOW_C,
    CONF_RUN_MIN,
    CONF_SENSOR_TIMEOUT_S,
    CONF_SETBACK_K,
    CONF_SETPOINT_ENTITY,
    CONF_SETPOINT_UNIT,
    CONF_SOC_ENTITY,
    CONF_SWITCH_ENTITY,
    CONF_TARGET_SOC,
    CONF_TARIFF_END,
    CONF_TARIFF_LIMIT_W,
    CONF_TARIFF_START,
    CONF_VOLTAGE,
    CONF_WINDOW_END,
    CONF_WINDOW_START,
    DEFAULT_COMFORT_MAX_C,
    DEFAULT_COMFORT_MIN_C,
    DEFAULT_MAX_CURRENT_A,
    DEFAULT_MAX_OFF_MIN,
    DEFAULT_MIN_ON_MIN,
    DEFAULT_REACTION_S,
    DEFAULT_RECOVERY_MIN,
    DEFAULT_SENSOR_TIMEOUT_S,
    DEFAULT_SETBACK_K,
    DEFAULT_VOLTAGE,
    IEC_MIN_CURRENT_A,
    KIND_LOAD_MANAGEMENT,
    SUBENTRY_CHARGER,
    SUBENTRY_CLIMATE,
    SUBENTRY_MANAGED_LOAD,
    SUBENTRY_POWER_LIMIT,
    UPDATE_INTERVAL,
)


def entry_unique_id(power_entity: str) -> str:
    """Unique id of a load-management entry: one per house power sensor."""
    return f"{KIND_LOAD_MANAGEMENT}:{power_entity}"


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
    hard_limit_w: float | None = None
    phase_entities: tuple[str, ...] = ()  # L1, L2, L3 power sensors (all three or none)
    phase_limit_w: float | None = None
    capacity: CapacityTarget | None = None

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> ManagerSettings:
        """Read the options (defaults for what is absent)."""
        start = parse_time(options.get(CONF_TARIFF_START))
        end = parse_time(options.get(CONF_TARIFF_END))
        tariff_w = _float(options.get(CONF_TARIFF_LIMIT_W))
        tariff = None
        if tariff_w is not None and start is not None and end is not None:
            tariff = TariffPeriod(tariff_w, start, end)
        phases = tuple(options[key] for key in CONF_PHASE_ENTITIES if options.get(key))
        phases = phases if len(phases) == len(PHASES) else ()
        phase_a = _float(options.get(CONF_PHASE_LIMIT_A))
        voltage = float(options.get(CONF_VOLTAGE, DEFAULT_VOLTAGE))
        phase_limit_w = None if phase_a is None else phase_a * voltage
        capacity_w = _float(options.get(CONF_CAPACITY_W))
        capacity = None
        if capacity_w is not None:
            period_min = float(options.get(CONF_CAPACITY_PERIOD_MIN, 15))
            capacity = CapacityTarget(capacity_w, period_min * 60.0)
        return cls(
            power_entity=options[CONF_POWER_ENTITY],
            limit_w=_float(options.get(CONF_LIMIT_W)),
            contract_w=_float(options.get(CONF_CONTRACT_W)),
            tariff=tariff,
            hub_entry_id=options.get(CONF_HUB_ENTRY) or None,
            reaction_s=float(options.get(CONF_REACTION_S, DEFAULT_REACTION_S)),
            sensor_timeout_s=float(options.get(CONF_SENSOR_TIMEOUT_S, DEFAULT_SENSOR_TIMEOUT_S)),
            hard_limit_w=_float(options.get(CONF_HARD_LIMIT_W)),
            phase_entities=phases,
            phase_limit_w=phase_limit_w if phases else None,
            capacity=capacity,
        )

    @property
    def phase_limits_w(self) -> dict[str, float]:
        """Per-phase hard limits, when the phases are metered."""
        if not self.phase_entities or self.phase_limit_w is None:
            return {}
        return dict.fromkeys(PHASES, self.phase_limit_w)

    def engine_config(self) -> EngineConfig:
        """Engine timing; overloads are confirmed early enough to shed within the reaction time."""
        return EngineConfig(
            reaction_s=self.reaction_s,
            debounce_s=max(0.0, self.reaction_s - UPDATE_INTERVAL.total_seconds()),
            sensor_timeout_s=self.sensor_timeout_s,
        )


def entity_shape(settings: ManagerSettings) -> tuple[bool, bool]:
    """What decides the entities of the load-management device (capacity, phase limits)."""
    return settings.capacity is not None, bool(settings.phase_limits_w)


@dataclass(frozen=True, slots=True)
class LoadSettings:
    """One managed load (a subentry): a switched socket, a charger, a power limit or a climate."""

    load_id: str
    name: str
    switch_entity: str | None
    priority: Priority
    rated_w: float | None
    power_entity: str | None
    max_off_min: float
    min_on_min: float
    deadline: time | None
    run_min: float | None
    window_start: time | None
    window_end: time | None
    kind: LoadKind = LoadKind.SWITCH
    phase: str | None = None  # single-phase loads: the phase they are on
    setpoint_entity: str | None = None
    setpoint_unit: str | None = None  # "A", "W" or "%"
    phase_count: int = 1
    phase_switch_entity: str | None = None
    voltage: float = DEFAULT_VOLTAGE
    min_current_a: float = IEC_MIN_CURRENT_A
    max_current_a: float = DEFAULT_MAX_CURRENT_A
    min_w: float | None = None
    max_w: float | None = None
    plug_entity: str | None = None
    soc_entity: str | None = None
    battery_kwh: float | None = None
    departure_entity: str | None = None
    departure_time: time | None = None
    energy_kwh: float | None = None
    target_soc: float | None = None
    exceed_soft: bool = False
    climate_entity: str | None = None
    setback_k: float = DEFAULT_SETBACK_K
    comfort_min_c: float = DEFAULT_COMFORT_MIN_C
    comfort_max_c: float = DEFAULT_COMFORT_MAX_C
    recovery_min: float = DEFAULT_RECOVERY_MIN
    comfort_entity: str | None = None
    restore_above_c: float | None = None
    restore_below_c: float | None = None

    @classmethod
    def from_subentry(cls, subentry: ConfigSubentry) -> LoadSettings:
        """Read a managed-load, charger, power-limit or climate subentry."""
        data = subentry.data
        kind = _KINDS[subentry.subentry_type]
        common: dict[str, Any] = {
            "load_id": subentry.subentry_id,
            "name": subentry.title,
            "switch_entity": data.get(CONF_SWITCH_ENTITY) or None,
            "priority": Priority(data[CONF_PRIORITY]),
            "rated_w": _float(data.get(CONF_RATED_W)),
            "power_entity": data.get(CONF_LOAD_POWER_ENTITY) or None,
            "max_off_min": float(data.get(CONF_MAX_OFF_MIN, DEFAULT_MAX_OFF_MIN)),
            "min_on_min": float(data.get(CONF_MIN_ON_MIN, DEFAULT_MIN_ON_MIN)),
            "deadline": parse_time(data.get(CONF_DEADLINE)),
            "run_min": _float(data.get(CONF_RUN_MIN)),
            "window_start": parse_time(data.get(CONF_WINDOW_START)),
            "window_end": parse_time(data.get(CONF_WINDOW_END)),
            "kind": kind,
            "phase": data.get(CONF_PHASE) or None,
            "exceed_soft": bool(data.get(CONF_EXCEED_SOFT, False)),
            "recovery_min": float(data.get(CONF_RECOVERY_MIN, DEFAULT_RECOVERY_MIN)),
            "comfort_entity": data.get(CONF_COMFORT_ENTITY) or None,
            "restore_above_c": _float(data.get(CONF_RESTORE_ABOVE_C)),
            "restore_below_c": _float(data.get(CONF_RESTORE_BELOW_C)),
        }
        if kind is LoadKind.SWITCH:  # a green water heater: its energy per day in its window
            common["energy_kwh"] = _float(data.get(CONF_ENERGY_KWH))
        if kind is LoadKind.CHARGER:
            phases = int(data.get(CONF_PHASES, 1))
            voltage = float(data.get(CONF_VOLTAGE, DEFAULT_VOLTAGE))
            max_a = float(data.get(CONF_MAX_CURRENT_A, DEFAULT_MAX_CURRENT_A))
            common |= {
                "setpoint_entity": data[CONF_SETPOINT_ENTITY],
                "setpoint_unit": data.get(CONF_SETPOINT_UNIT, "A"),
                "phase_count": phases,
                "phase_switch_entity": data.get(CONF_PHASE_SWITCH_ENTITY) or None,
                "voltage": voltage,
                "min_current_a": float(data.get(CONF_MIN_CURRENT_A, IEC_MIN_CURRENT_A)),
                "max_current_a": max_a,
                "rated_w": max_a * voltage * phases,
                "plug_entity": data.get(CONF_PLUG_ENTITY) or None,
                "soc_entity": data.get(CONF_SOC_ENTITY) or None,
                "battery_kwh": _float(data.get(CONF_BATTERY_KWH)),
                "departure_entity": data.get(CONF_DEPARTURE_ENTITY) or None,
                "departure_time": parse_time(data.get(CONF_DEPARTURE_TIME)),
                "energy_kwh": _float(data.get(CONF_ENERGY_KWH)),
                "target_soc": _float(data.get(CONF_TARGET_SOC)),
            }
        elif kind is LoadKind.POWER_LIMIT:
            common |= {
                "setpoint_entity": data[CONF_SETPOINT_ENTITY],
                "setpoint_unit": data.get(CONF_SETPOINT_UNIT, "W"),
                "min_w": float(data[CONF_MIN_W]),
                "max_w": float(data[CONF_MAX_W]),
                "rated_w": float(data[CONF_MAX_W]),
            }
        elif kind is LoadKind.CLIMATE:
            common |= {
                "climate_entity": data[CONF_CLIMATE_ENTITY],
                "min_w": float(data[CONF_MIN_W]),
                "max_w": float(data[CONF_MAX_W]),
                "rated_w": float(data[CONF_MAX_W]),
                "setback_k": float(data.get(CONF_SETBACK_K, DEFAULT_SETBACK_K)),
                "comfort_min_c": float(data.get(CONF_COMFORT_MIN_C, DEFAULT_COMFORT_MIN_C)),
                "comfort_max_c": float(data.get(CONF_COMFORT_MAX_C, DEFAULT_COMFORT_MAX_C)),
            }
        return cls(**common)

    @property
    def has_plan(self) -> bool:
        """True for a green socket with a deadline or a window (chargers plan per job)."""
        return (
            self.kind is LoadKind.SWITCH
            and self.priority is Priority.GREEN
            and (self.deadline is not None or self.window_end is not None)
        )

    @property
    def water_heater(self) -> bool:
        """A green socket heating an energy per day within its daily window (a water heater:
        any average power up to its rated power in a slot, the thermostat's duty)."""
        return (
            self.has_plan
            and self.energy_kwh is not None
            and self.rated_w is not None
            and self.window_start is not None
        )

    @property
    def phase_switchable(self) -> bool:
        """A three-phase charger that can switch to one phase (lower minimum power)."""
        return (
            self.kind is LoadKind.CHARGER
            and self.phase_count == 3
            and bool(self.phase_switch_entity)
        )

    @property
    def entities(self) -> tuple[str, ...]:
        """Every entity whose changes the manager follows for this load."""
        return tuple(
            entity
            for entity in (
                self.switch_entity,
                self.power_entity,
                self.setpoint_entity,
                self.phase_switch_entity,
                self.plug_entity,
                self.soc_entity,
                self.departure_entity,
                self.climate_entity,
                self.comfort_entity,
            )
            if entity
        )

    @property
    def command_entity(self) -> str:
        """The entity a command acts on first (switch, else setpoint number, else climate)."""
        entity = self.switch_entity or self.setpoint_entity or self.climate_entity
        assert entity is not None
        return entity

    def phase_tags(self) -> tuple[str, ...]:
        """Phases the load draws from (none given: counted on every phase)."""
        if self.kind is LoadKind.CHARGER and self.phase_count == 3:
            return PHASES
        return (self.phase,) if self.phase else ()

    def power_range_w(self) -> tuple[float, float] | None:
        """Lowest and highest power while on, for the modulating kinds."""
        if self.kind is LoadKind.CHARGER:
            min_phases = 1 if self.phase_switchable else self.phase_count
            return (
                self.min_current_a * self.voltage * min_phases,
                self.max_current_a * self.voltage * self.phase_count,
            )
        if self.min_w is not None and self.max_w is not None:
            return self.min_w, self.max_w
        return None

    def load_config(self) -> LoadConfig:
        """Engine configuration of this load."""
        power_range = self.power_range_w()
        return LoadConfig(
            load_id=self.load_id,
            priority=self.priority,
            rated_w=self.rated_w,
            min_on_s=self.min_on_min * 60.0,
            max_off_s=self.max_off_min * 60.0,
            kind=self.kind,
            min_w=power_range[0] if power_range else None,
            max_w=power_range[1] if power_range else None,
            phases=self.phase_tags(),
            exceed_soft=self.exceed_soft,
            recovery_s=self.recovery_min * 60.0,
            comfort_max_c=self.restore_above_c,
            comfort_min_c=(
                self.comfort_min_c if self.kind is LoadKind.CLIMATE else self.restore_below_c
            ),
        )


_KINDS = {
    SUBENTRY_MANAGED_LOAD: LoadKind.SWITCH,
    SUBENTRY_CHARGER: LoadKind.CHARGER,
    SUBENTRY_POWER_LIMIT: LoadKind.POWER_LIMIT,
    SUBENTRY_CLIMATE: LoadKind.CLIMATE,
}
LOAD_SUBENTRY_TYPES = tuple(_KINDS)


def managed_loads(entry: ConfigEntry) -> dict[str, LoadSettings]:
    """Every managed load of a load-management entry, by subentry id."""
    return {
        sub.subentry_id: LoadSettings.from_subentry(sub)
        for sub in entry.subentries.values()
        if sub.subentry_type in _KINDS
    }
