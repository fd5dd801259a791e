"""How each kind of managed load is read and commanded through Home Assistant entities.

Switch sockets are switched. A charger's current (A) or power (W) number and a power-limit
number (W or %) get the engine's SET_POWER setpoint converted to their unit; a climate entity
has two levels: its own setpoint, or that setpoint moved by the setback offset (bounded by
the comfort floor when heating, the comfort ceiling when cooling).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from homeassistant.components.climate.const import ATTR_CURRENT_TEMPERATURE, HVACMode
from homeassistant.const import (
    ATTR_ENTITY_ID,
    ATTR_TEMPERATURE,
    ATTR_UNIT_OF_MEASUREMENT,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    UnitOfPower,
)
from homeassistant.core import HomeAssistant, State, split_entity_id

from ..dlm import ActionKind, LoadKind, LoadReading, Observed  # noqa: TID252
from .settings import LoadSettings

# Plug-state sensors that report text: these words mean "no vehicle" (OCPP, go-e, Easee,
# Wallbox and Zaptec use one of them); anything else known means plugged.
UNPLUGGED = frozenset(
    {"available", "disconnected", "unplugged", "idle", "ready", "no_car", "not_connected", "off"}
)


@dataclass(slots=True)
class ClimateHold:
    """What load management changed on a climate entity, to put it back."""

    normal_c: float | None = None  # the resident's setpoint while set back
    setback_c: float | None = None  # the setpoint load management set
    hvac_mode: str | None = None  # the mode before a turn-off


@dataclass(frozen=True, slots=True)
class Call:
    """One service call on one entity."""

    domain: str
    service: str
    data: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class Command:
    """The service calls of one engine action, and how the logbook shows a setpoint."""

    calls: tuple[Call, ...]
    setpoint: str | None = None


def _float(state: State | None) -> float | None:
    if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return None
    try:
        value = float(state.state)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _available(state: State | None) -> bool:
    return state is not None and state.state not in (STATE_UNAVAILABLE, STATE_UNKNOWN)


def switch_observed(state: State | None) -> Observed:
    """Observed state of a switch entity."""
    if not _available(state):
        return Observed.UNAVAILABLE
    assert state is not None
    return Observed.ON if state.state == STATE_ON else Observed.OFF


def plugged(state: State | None) -> bool | None:
    """A plug-state binary sensor or text sensor: vehicle connected (None: unknown)."""
    if not _available(state):
        return None
    assert state is not None
    if state.domain == "binary_sensor":
        return state.state == STATE_ON
    return state.state.strip().lower().replace(" ", "_") not in UNPLUGGED


def _kw_factor(state: State | None) -> float:
    unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT) if state else None
    return 1000.0 if unit == UnitOfPower.KILO_WATT else 1.0


def charger_phases(hass: HomeAssistant, load: LoadSettings) -> int:
    """Phases a charger uses now (a switchable one: its phase switch on means three)."""
    if not load.phase_switchable or load.phase_switch_entity is None:
        return load.phase_count
    return 3 if switch_observed(hass.states.get(load.phase_switch_entity)) is Observed.ON else 1


def setpoint_w(hass: HomeAssistant, load: LoadSettings) -> float | None:
    """The setpoint the device reports, in W."""
    if load.setpoint_entity is None:
        return None
    state = hass.states.get(load.setpoint_entity)
    value = _float(state)
    if value is None:
        return None
    if load.setpoint_unit == "A":
        return value * load.voltage * charger_phases(hass, load)
    if load.setpoint_unit == "%":
        return value / 100.0 * (load.max_w or 0.0)
    return value * _kw_factor(state)


def read(
    hass: HomeAssistant, load: LoadSettings, hold: ClimateHold | None, power_w: float | None
) -> LoadReading:
    """The engine's reading of one load."""
    states = hass.states
    if load.kind is LoadKind.CLIMATE:
        assert load.climate_entity is not None
        climate = states.get(load.climate_entity)
        if not _available(climate):
            return LoadReading(Observed.UNAVAILABLE, power_w)
        assert climate is not None
        set_back = hold is not None and hold.normal_c is not None
        return LoadReading(
            Observed.OFF if climate.state == HVACMode.OFF else Observed.ON,
            power_w,
            setpoint_w=load.min_w if set_back else load.max_w,
            temperature_c=_as_float(climate.attributes.get(ATTR_CURRENT_TEMPERATURE)),
        )
    if load.kind is LoadKind.SWITCH:
        assert load.switch_entity is not None
        comfort = _float(states.get(load.comfort_entity)) if load.comfort_entity else None
        return LoadReading(
            switch_observed(states.get(load.switch_entity)), power_w, temperature_c=comfort
        )
    setpoint = setpoint_w(hass, load)
    if load.switch_entity is not None:
        observed = switch_observed(states.get(load.switch_entity))
    elif setpoint is None:
        observed = Observed.UNAVAILABLE
    else:
        observed = Observed.ON if setpoint > 0 else Observed.OFF
    return LoadReading(
        observed,
        power_w,
        setpoint_w=setpoint,
        plugged=plugged(states.get(load.plug_entity)) if load.plug_entity else None,
        soc_pct=_float(states.get(load.soc_entity)) if load.soc_entity else None,
    )


def _as_float(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _set_value(entity_id: str, value: float) -> Call:
    return Call(
        split_entity_id(entity_id)[0], "set_value", {ATTR_ENTITY_ID: entity_id, "value": value}
    )


def _switch(entity_id: str, on: bool) -> Call:
    domain = split_entity_id(entity_id)[0]
    return Call(domain, SERVICE_TURN_ON if on else SERVICE_TURN_OFF, {ATTR_ENTITY_ID: entity_id})


def _bounds(state: State | None) -> tuple[float, float, float]:
    """min, max and step of a number entity (wide defaults when unknown)."""
    attrs = state.attributes if state else {}
    low = _as_float(attrs.get("min"))
    high = _as_float(attrs.get("max"))
    step = _as_float(attrs.get("step"))
    return (
        0.0 if low is None else low,
        math.inf if high is None else high,
        step if step else 1.0,
    )


def _floor_to(value: float, step: float, low: float, high: float) -> float:
    stepped = math.floor(value / step + 1e-9) * step
    stepped = min(max(stepped, low), high)
    return int(stepped) if float(stepped).is_integer() else round(stepped, 3)


def _charger_setpoint(hass: HomeAssistant, load: LoadSettings, power_w: float) -> Command:
    assert load.setpoint_entity is not None
    state = hass.states.get(load.setpoint_entity)
    low, high, step = _bounds(state)
    calls: list[Call] = []
    if load.setpoint_unit != "A":
        factor = _kw_factor(state)
        value = _floor_to(power_w / factor, step, low, high)
        unit = "kW" if factor > 1 else "W"
        return Command((_set_value(load.setpoint_entity, value),), f"{value} {unit}")
    phases = load.phase_count
    if load.phase_switchable:
        assert load.phase_switch_entity is not None
        phases = 3 if power_w >= load.min_current_a * load.voltage * 3 else 1
        if phases != charger_phases(hass, load):
            calls.append(_switch(load.phase_switch_entity, phases == 3))
    amps = min(max(power_w / (load.voltage * phases), load.min_current_a), load.max_current_a)
    value = _floor_to(amps, max(step, 1.0), max(low, load.min_current_a), high)
    calls.append(_set_value(load.setpoint_entity, value))
    shown = f"{value} A" if phases == load.phase_count else f"{value} A on {phases} phase(s)"
    return Command(tuple(calls), shown)


def _limit_setpoint(hass: HomeAssistant, load: LoadSettings, power_w: float) -> Command:
    assert load.setpoint_entity is not None
    state = hass.states.get(load.setpoint_entity)
    low, high, step = _bounds(state)
    if load.setpoint_unit == "%":
        value = _floor_to(power_w / (load.max_w or power_w) * 100.0, step, low, high)
        return Command((_set_value(load.setpoint_entity, value),), f"{value} %")
    factor = _kw_factor(state)
    value = _floor_to(power_w / factor, step, low, high)
    return Command(
        (_set_value(load.setpoint_entity, value),), f"{value} {'kW' if factor > 1 else 'W'}"
    )


def _climate_setpoint(
    hass: HomeAssistant, load: LoadSettings, power_w: float, hold: ClimateHold
) -> Command:
    assert load.climate_entity is not None and load.max_w is not None
    entity_id = load.climate_entity
    state = hass.states.get(entity_id)
    if power_w >= load.max_w:  # back to the resident's setpoint
        normal, hold.normal_c, hold.setback_c = hold.normal_c, None, None
        if normal is None:
            return Command(())
        return Command((_temperature(entity_id, normal),), f"{normal:g} °C")
    target = _as_float(state.attributes.get(ATTR_TEMPERATURE)) if state else None
    if target is None or hold.normal_c is not None:
        return Command(())
    if state is not None and state.state == HVACMode.COOL:
        setback = max(target, min(target + load.setback_k, load.comfort_max_c))
    else:
        setback = min(target, max(target - load.setback_k, load.comfort_min_c))
    if setback == target:
        return Command(())
    hold.normal_c, hold.setback_c = target, setback
    return Command((_temperature(entity_id, setback),), f"{setback:g} °C")


def _temperature(entity_id: str, value: float) -> Call:
    return Call("climate", "set_temperature", {ATTR_ENTITY_ID: entity_id, ATTR_TEMPERATURE: value})


def release_climate(hass: HomeAssistant, load: LoadSettings, hold: ClimateHold) -> None:
    """The resident changed the setpoint while set back: their setpoint wins."""
    if hold.setback_c is None or load.climate_entity is None:
        return
    state = hass.states.get(load.climate_entity)
    target = _as_float(state.attributes.get(ATTR_TEMPERATURE)) if state else None
    if target is not None and target != hold.setback_c:
        hold.normal_c = hold.setback_c = None


def switched_by_setpoint(load: LoadSettings) -> bool:
    """A charger or power limit without a switch: its setpoint alone starts and pauses it."""
    return load.switch_entity is None and load.kind in {LoadKind.CHARGER, LoadKind.POWER_LIMIT}


def command(
    hass: HomeAssistant,
    load: LoadSettings,
    kind: ActionKind,
    power_w: float | None,
    hold: ClimateHold | None,
) -> Command:
    """The service calls that carry out one engine action on one load."""
    if kind is ActionKind.SET_POWER:
        assert power_w is not None
        if load.kind is LoadKind.CHARGER:
            return _charger_setpoint(hass, load, power_w)
        if load.kind is LoadKind.POWER_LIMIT:
            return _limit_setpoint(hass, load, power_w)
        if load.kind is LoadKind.CLIMATE:
            assert hold is not None
            return _climate_setpoint(hass, load, power_w, hold)
        return Command(())
    on = kind is ActionKind.TURN_ON
    if load.switch_entity is not None:
        return Command((_switch(load.switch_entity, on),))
    if load.kind is LoadKind.CLIMATE:
        assert load.climate_entity is not None and hold is not None
        state = hass.states.get(load.climate_entity)
        if not on:
            hold.hvac_mode = state.state if state and state.state != HVACMode.OFF else None
            mode: str = HVACMode.OFF
        else:
            mode = hold.hvac_mode or HVACMode.HEAT
        data = {ATTR_ENTITY_ID: load.climate_entity, "hvac_mode": mode}
        return Command((Call("climate", "set_hvac_mode", data),))
    # A charger or power limit without a switch: paused at its number's minimum (0 for most),
    # started again at its lowest power (the engine raises it from there).
    assert load.setpoint_entity is not None
    low, _high, _step = _bounds(hass.states.get(load.setpoint_entity))
    if not on:
        return Command((_set_value(load.setpoint_entity, low),), f"{low:g}")
    power_range = load.power_range_w()
    if power_range is None or (setpoint_w(hass, load) or 0.0) > 0:
        return Command(())
    return command(hass, load, ActionKind.SET_POWER, power_range[0], hold)
