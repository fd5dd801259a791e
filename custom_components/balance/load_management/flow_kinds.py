"""Subentry flows of the modulating load kinds: EV charger, power-limit number, climate."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import voluptuous as vol
from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.config_entries import ConfigSubentryFlow, SubentryFlowResult
from homeassistant.const import (
    ATTR_UNIT_OF_MEASUREMENT,
    CONF_NAME,
    PERCENTAGE,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfPower,
    UnitOfTemperature,
    UnitOfTime,
)
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TimeSelector,
)

from ..dlm import PHASES, Priority  # noqa: TID252
from .const import (
    CONF_BATTERY_KWH,
    CONF_CLIMATE_ENTITY,
    CONF_COMFORT_MAX_C,
    CONF_COMFORT_MIN_C,
    CONF_DEPARTURE_ENTITY,
    CONF_DEPARTURE_TIME,
    CONF_ENERGY_KWH,
    CONF_EXCEED_SOFT,
    CONF_LOAD_POWER_ENTITY,
    CONF_MAX_CURRENT_A,
    CONF_MAX_OFF_MIN,
    CONF_MAX_W,
    CONF_MIN_CURRENT_A,
    CONF_MIN_ON_MIN,
    CONF_MIN_W,
    CONF_PHASE,
    CONF_PHASE_SWITCH_ENTITY,
    CONF_PHASES,
    CONF_PLUG_ENTITY,
    CONF_PRIORITY,
    CONF_RECOVERY_MIN,
    CONF_SETBACK_K,
    CONF_SETPOINT_ENTITY,
    CONF_SETPOINT_UNIT,
    CONF_SOC_ENTITY,
    CONF_SWITCH_ENTITY,
    CONF_TARGET_SOC,
    CONF_VOLTAGE,
    DEFAULT_COMFORT_MAX_C,
    DEFAULT_COMFORT_MIN_C,
    DEFAULT_MAX_CURRENT_A,
    DEFAULT_MAX_OFF_MIN,
    DEFAULT_MIN_ON_MIN,
    DEFAULT_RECOVERY_MIN,
    DEFAULT_SETBACK_K,
    DEFAULT_VOLTAGE,
    IEC_MIN_CURRENT_A,
    MAX_OFF_MIN_RANGE,
)
from .flow import POWER_SENSOR, SWITCH, _number, _optional, _watts, clean

NUMBER = EntitySelector(EntitySelectorConfig(domain=["number", "input_number"]))
PLUG = EntitySelector(EntitySelectorConfig(domain=["binary_sensor", "sensor"]))
SOC = EntitySelector(EntitySelectorConfig(domain="sensor", device_class=SensorDeviceClass.BATTERY))
DEPARTURE = EntitySelector(EntitySelectorConfig(domain=["input_datetime", "sensor"]))
CLIMATE = EntitySelector(EntitySelectorConfig(domain="climate"))
_UNITS: dict[str, set[str]] = {
    "A": {UnitOfElectricCurrent.AMPERE},
    "W": {UnitOfPower.WATT, UnitOfPower.KILO_WATT},
    "%": {PERCENTAGE},
}


def _select(options: list[str], key: str) -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(options=options, translation_key=key, mode=SelectSelectorMode.LIST)
    )


def _required(key: str, defaults: Mapping[str, Any], default: Any = vol.UNDEFINED) -> vol.Required:
    return vol.Required(key, default=defaults.get(key, default))


def _priority(defaults: Mapping[str, Any], default: Priority) -> dict[Any, Any]:
    return {
        _required(CONF_PRIORITY, defaults, default.value): _select(
            [p.value for p in Priority], "priority"
        )
    }


def _timing(defaults: Mapping[str, Any]) -> dict[Any, Any]:
    low, high = MAX_OFF_MIN_RANGE
    return {
        _required(CONF_MAX_OFF_MIN, defaults, DEFAULT_MAX_OFF_MIN): _number(
            low, high, UnitOfTime.MINUTES
        ),
        _required(CONF_MIN_ON_MIN, defaults, DEFAULT_MIN_ON_MIN): _number(
            0, 120, UnitOfTime.MINUTES
        ),
        _required(CONF_RECOVERY_MIN, defaults, DEFAULT_RECOVERY_MIN): _number(
            0, 60, UnitOfTime.MINUTES
        ),
    }


def _phase(defaults: Mapping[str, Any]) -> dict[Any, Any]:
    return {_optional(CONF_PHASE, defaults): _select(list(PHASES), "phase")}


def charger_schema(defaults: Mapping[str, Any], with_name: bool) -> vol.Schema:
    """The charger itself: its setpoint number, switch, phases and currents."""
    fields: dict[Any, Any] = {_optional(CONF_NAME, defaults): TextSelector()} if with_name else {}
    fields |= {
        _required(CONF_SETPOINT_ENTITY, defaults): NUMBER,
        _required(CONF_SETPOINT_UNIT, defaults, "A"): _select(["A", "W"], "setpoint_unit"),
        _optional(CONF_SWITCH_ENTITY, defaults): SWITCH,
        _required(CONF_PHASES, defaults, "1"): _select(["1", "3"], "phases"),
        **_phase(defaults),
        _optional(CONF_PHASE_SWITCH_ENTITY, defaults): SWITCH,
        _required(CONF_VOLTAGE, defaults, DEFAULT_VOLTAGE): _number(
            100, 400, UnitOfElectricPotential.VOLT
        ),
        _required(CONF_MIN_CURRENT_A, defaults, IEC_MIN_CURRENT_A): _number(
            IEC_MIN_CURRENT_A, 80, UnitOfElectricCurrent.AMPERE
        ),
        _required(CONF_MAX_CURRENT_A, defaults, DEFAULT_MAX_CURRENT_A): _number(
            IEC_MIN_CURRENT_A, 80, UnitOfElectricCurrent.AMPERE
        ),
        _optional(CONF_LOAD_POWER_ENTITY, defaults): POWER_SENSOR,
        **_priority(defaults, Priority.GREEN),
        _required(CONF_EXCEED_SOFT, defaults, False): BooleanSelector(),
        _required(CONF_MIN_ON_MIN, defaults, DEFAULT_MIN_ON_MIN): _number(
            0, 120, UnitOfTime.MINUTES
        ),
    }
    return vol.Schema(fields)


def vehicle_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    """The vehicle: plug state, SoC, departure and what a job needs."""
    return vol.Schema(
        {
            _optional(CONF_PLUG_ENTITY, defaults): PLUG,
            _optional(CONF_SOC_ENTITY, defaults): SOC,
            _optional(CONF_BATTERY_KWH, defaults): _number(1, 250, UnitOfEnergy.KILO_WATT_HOUR),
            _optional(CONF_DEPARTURE_ENTITY, defaults): DEPARTURE,
            _optional(CONF_DEPARTURE_TIME, defaults): TimeSelector(),
            _optional(CONF_ENERGY_KWH, defaults): _number(
                0.5, 250, UnitOfEnergy.KILO_WATT_HOUR, step=0.5
            ),
            _optional(CONF_TARGET_SOC, defaults): _number(10, 100, PERCENTAGE),
        }
    )


def power_limit_schema(defaults: Mapping[str, Any], with_name: bool) -> vol.Schema:
    """A heat pump or heater with a power-limit number (W or %)."""
    fields: dict[Any, Any] = {_optional(CONF_NAME, defaults): TextSelector()} if with_name else {}
    fields |= {
        _required(CONF_SETPOINT_ENTITY, defaults): NUMBER,
        _required(CONF_SETPOINT_UNIT, defaults, "W"): _select(["W", "%"], "setpoint_unit"),
        _optional(CONF_SWITCH_ENTITY, defaults): SWITCH,
        _required(CONF_MIN_W, defaults): _watts(minimum=1),
        _required(CONF_MAX_W, defaults): _watts(minimum=1),
        _optional(CONF_LOAD_POWER_ENTITY, defaults): POWER_SENSOR,
        **_phase(defaults),
        **_priority(defaults, Priority.YELLOW),
        **_timing(defaults),
    }
    return vol.Schema(fields)


def climate_schema(defaults: Mapping[str, Any], with_name: bool) -> vol.Schema:
    """A climate entity: its power at setpoint and set back, the offset and comfort bounds."""
    fields: dict[Any, Any] = {_optional(CONF_NAME, defaults): TextSelector()} if with_name else {}
    fields |= {
        _required(CONF_CLIMATE_ENTITY, defaults): CLIMATE,
        _required(CONF_MAX_W, defaults): _watts(minimum=1),
        _required(CONF_MIN_W, defaults): _watts(minimum=1),
        _required(CONF_SETBACK_K, defaults, DEFAULT_SETBACK_K): _number(
            0.5, 5, UnitOfTemperature.CELSIUS, step=0.5
        ),
        _required(CONF_COMFORT_MIN_C, defaults, DEFAULT_COMFORT_MIN_C): _number(
            5, 30, UnitOfTemperature.CELSIUS, step=0.5
        ),
        _required(CONF_COMFORT_MAX_C, defaults, DEFAULT_COMFORT_MAX_C): _number(
            18, 35, UnitOfTemperature.CELSIUS, step=0.5
        ),
        _optional(CONF_LOAD_POWER_ENTITY, defaults): POWER_SENSOR,
        **_phase(defaults),
        **_priority(defaults, Priority.YELLOW),
        **_timing(defaults),
    }
    return vol.Schema(fields)


class _KindFlow(ConfigSubentryFlow):
    """Shared steps: the device form, then an optional second form; reconfigure both."""

    main_entity = CONF_SETPOINT_ENTITY

    def __init__(self) -> None:
        """Nothing entered yet."""
        self._data: dict[str, Any] = {}
        self._title = ""

    def _schema(self, defaults: Mapping[str, Any], with_name: bool) -> vol.Schema:
        raise NotImplementedError

    def _errors(self, user_input: Mapping[str, Any]) -> dict[str, str]:
        return {}

    async def _next(self) -> SubentryFlowResult:
        return self._finish()

    def _validate(self, user_input: Mapping[str, Any], own_id: str | None) -> dict[str, str]:
        entity = user_input[self.main_entity]
        for subentry in self._get_entry().subentries.values():
            if subentry.subentry_id != own_id and any(
                value == entity for value in subentry.data.values()
            ):
                return {self.main_entity: "already_managed"}
        if (power := self._power_errors(user_input)) is not None:
            return power
        return self._errors(user_input)

    def _power_errors(self, user_input: Mapping[str, Any]) -> dict[str, str] | None:
        if CONF_MIN_W in user_input and user_input[CONF_MIN_W] >= user_input[CONF_MAX_W]:
            return {CONF_MIN_W: "min_above_max"}
        return None

    def _unit_errors(self, user_input: Mapping[str, Any]) -> dict[str, str]:
        """The number must be in the chosen unit, and go to 0 when there is no switch."""
        state = self.hass.states.get(user_input[CONF_SETPOINT_ENTITY])
        if state is None:
            return {}
        unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
        if unit is not None and unit not in _UNITS[user_input[CONF_SETPOINT_UNIT]]:
            return {CONF_SETPOINT_UNIT: "unit_mismatch"}
        if not user_input.get(CONF_SWITCH_ENTITY) and float(state.attributes.get("min", 0)) > 0:
            return {CONF_SWITCH_ENTITY: "cannot_pause"}
        return {}

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """The device form of a new load."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = self._validate(user_input, None)
            if not errors:
                self._data = clean(user_input)
                entity = self._data[self.main_entity]
                state = self.hass.states.get(entity)
                self._title = self._data.pop(CONF_NAME, None) or (state.name if state else entity)
                return await self._next()
        return self.async_show_form(
            step_id="user", data_schema=self._schema(user_input or {}, True), errors=errors
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change the device form of a load (the second form follows)."""
        subentry = self._get_reconfigure_subentry()
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = self._validate(user_input, subentry.subentry_id)
            if not errors:
                self._data = dict(subentry.data) | clean(user_input)
                for key in self._schema({}, False).schema:
                    if str(key) not in user_input:
                        self._data.pop(str(key), None)  # an optional field emptied
                self._title = subentry.title
                return await self._next()
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self._schema(user_input or subentry.data, False),
            errors=errors,
        )

    def _finish(self) -> SubentryFlowResult:
        if self.source == "reconfigure":
            return self.async_update_and_abort(
                self._get_entry(), self._get_reconfigure_subentry(), data=self._data
            )
        return self.async_create_entry(title=self._title, data=self._data)


class ChargerSubentryFlow(_KindFlow):
    """An EV charger: current or power setpoint, then the vehicle and its job."""

    def _schema(self, defaults: Mapping[str, Any], with_name: bool) -> vol.Schema:
        return charger_schema(defaults, with_name)

    def _errors(self, user_input: Mapping[str, Any]) -> dict[str, str]:
        if user_input[CONF_MIN_CURRENT_A] > user_input[CONF_MAX_CURRENT_A]:
            return {CONF_MAX_CURRENT_A: "min_above_max"}
        if user_input.get(CONF_PHASE_SWITCH_ENTITY) and user_input[CONF_PHASES] != "3":
            return {CONF_PHASE_SWITCH_ENTITY: "phase_switch_needs_three"}
        return self._unit_errors(user_input)

    async def _next(self) -> SubentryFlowResult:
        return await self.async_step_vehicle()

    async def async_step_vehicle(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Plug state, SoC, departure and the energy a job needs (all optional)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            if user_input.get(CONF_TARGET_SOC) is not None and not (
                user_input.get(CONF_SOC_ENTITY) and user_input.get(CONF_BATTERY_KWH)
            ):
                errors = {CONF_TARGET_SOC: "soc_needs_sensor"}
            else:
                keys = [str(key) for key in vehicle_schema({}).schema]
                self._data = {k: v for k, v in self._data.items() if k not in keys}
                self._data |= clean(user_input)
                return self._finish()
        return self.async_show_form(
            step_id="vehicle", data_schema=vehicle_schema(user_input or self._data), errors=errors
        )


class PowerLimitSubentryFlow(_KindFlow):
    """A heat pump or heater whose power limit load management lowers before shedding it."""

    def _schema(self, defaults: Mapping[str, Any], with_name: bool) -> vol.Schema:
        return power_limit_schema(defaults, with_name)

    def _errors(self, user_input: Mapping[str, Any]) -> dict[str, str]:
        return self._unit_errors(user_input)


class ClimateSubentryFlow(_KindFlow):
    """A climate entity whose setpoint is set back before it is switched off."""

    main_entity = CONF_CLIMATE_ENTITY

    def _schema(self, defaults: Mapping[str, Any], with_name: bool) -> vol.Schema:
        return climate_schema(defaults, with_name)

    def _power_errors(self, user_input: Mapping[str, Any]) -> dict[str, str] | None:
        if user_input[CONF_MIN_W] >= user_input[CONF_MAX_W]:
            return {CONF_MIN_W: "setback_above_max"}
        if user_input[CONF_COMFORT_MIN_C] >= user_input[CONF_COMFORT_MAX_C]:
            return {CONF_COMFORT_MAX_C: "min_above_max"}
        return None
