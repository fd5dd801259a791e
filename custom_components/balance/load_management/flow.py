"""Config, options and subentry flows of the load-management entry kind."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from typing import Any

import voluptuous as vol
from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import (
    ATTR_UNIT_OF_MEASUREMENT,
    CONF_NAME,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfPower,
    UnitOfTemperature,
    UnitOfTime,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TimeSelector,
)
from homeassistant.util.unit_conversion import PowerConverter

from ..const import DOMAIN, KIND_PRICING  # noqa: TID252
from ..dlm import Priority  # noqa: TID252
from .const import (
    CAPACITY_PERIODS_MIN,
    CONF_CAPACITY_PERIOD_MIN,
    CONF_CAPACITY_W,
    CONF_COMFORT_ENTITY,
    CONF_CONTRACT_W,
    CONF_DEADLINE,
    CONF_ENERGY_KWH,
    CONF_HARD_LIMIT_W,
    CONF_HUB_ENTRY,
    CONF_KIND,
    CONF_LIMIT_W,
    CONF_LOAD_POWER_ENTITY,
    CONF_MAX_OFF_MIN,
    CONF_MIN_ON_MIN,
    CONF_PHASE_ENTITIES,
    CONF_PHASE_LIMIT_A,
    CONF_POWER_ENTITY,
    CONF_PRICE_ENTITY,
    CONF_PRICE_ENTRY,
    CONF_PRIORITY,
    CONF_RATED_W,
    CONF_REACTION_S,
    CONF_RECOVERY_MIN,
    CONF_RESTORE_ABOVE_C,
    CONF_RESTORE_BELOW_C,
    CONF_RUN_MIN,
    CONF_SENSOR_TIMEOUT_S,
    CONF_SWITCH_ENTITY,
    CONF_TARIFF_END,
    CONF_TARIFF_LIMIT_W,
    CONF_TARIFF_START,
    CONF_VOLTAGE,
    CONF_WINDOW_END,
    CONF_WINDOW_START,
    DEFAULT_MAX_OFF_MIN,
    DEFAULT_MIN_ON_MIN,
    DEFAULT_REACTION_S,
    DEFAULT_RECOVERY_MIN,
    DEFAULT_SENSOR_TIMEOUT_S,
    DEFAULT_VOLTAGE,
    KIND_HUB,
    KIND_LOAD_MANAGEMENT,
    MAX_OFF_MIN_RANGE,
    SUBENTRY_CHARGER,
    SUBENTRY_CLIMATE,
    SUBENTRY_MANAGED_LOAD,
    SUBENTRY_POWER_LIMIT,
)
from .settings import entry_unique_id

TITLE = "Load management"
_TARIFF_KEYS = (CONF_TARIFF_LIMIT_W, CONF_TARIFF_START, CONF_TARIFF_END)
_GREEN_KEYS = (CONF_DEADLINE, CONF_RUN_MIN, CONF_WINDOW_START, CONF_WINDOW_END, CONF_ENERGY_KWH)


def _watts(minimum: float = 100) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum,
            max=200_000,
            step=10,
            unit_of_measurement=UnitOfPower.WATT,
            mode=NumberSelectorMode.BOX,
        )
    )


def _number(low: float, high: float, unit: str, step: float = 1) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=low, max=high, step=step, unit_of_measurement=unit, mode=NumberSelectorMode.BOX
        )
    )


POWER_SENSOR = EntitySelector(
    EntitySelectorConfig(domain="sensor", device_class=SensorDeviceClass.POWER)
)
SWITCH = EntitySelector(EntitySelectorConfig(domain="switch"))
TEMPERATURE_SENSOR = EntitySelector(
    EntitySelectorConfig(domain="sensor", device_class=SensorDeviceClass.TEMPERATURE)
)


def _optional(key: str, defaults: Mapping[str, Any]) -> vol.Optional:
    """An optional field that shows its current value (when set)."""
    value = defaults.get(key)
    return vol.Optional(key, description={"suggested_value": value} if value is not None else None)


def _hub_options(hass: HomeAssistant) -> list[SelectOptionDict]:
    return [
        SelectOptionDict(value=entry.entry_id, label=entry.title)
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.data.get(CONF_KIND, KIND_HUB) == KIND_HUB
    ]


def _pricing_options(hass: HomeAssistant) -> list[SelectOptionDict]:
    return [
        SelectOptionDict(value=entry.entry_id, label=entry.title)
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.data.get(CONF_KIND) == KIND_PRICING
    ]


def settings_schema(hass: HomeAssistant, defaults: Mapping[str, Any]) -> vol.Schema:
    """Form of the load-management settings (setup and options)."""
    fields: dict[Any, Any] = {
        vol.Required(CONF_POWER_ENTITY, default=defaults.get(CONF_POWER_ENTITY)): POWER_SENSOR,
        vol.Required(CONF_LIMIT_W, default=defaults.get(CONF_LIMIT_W, 5000)): _watts(),
        _optional(CONF_CONTRACT_W, defaults): _watts(),
        _optional(CONF_TARIFF_LIMIT_W, defaults): _watts(),
        _optional(CONF_TARIFF_START, defaults): TimeSelector(),
        _optional(CONF_TARIFF_END, defaults): TimeSelector(),
    }
    phase_fields: dict[Any, Any] = {
        _optional(key, defaults): POWER_SENSOR for key in CONF_PHASE_ENTITIES
    }
    fields |= {
        _optional(CONF_HARD_LIMIT_W, defaults): _watts(),
        **phase_fields,
        _optional(CONF_PHASE_LIMIT_A, defaults): _number(6, 250, UnitOfElectricCurrent.AMPERE),
        vol.Required(CONF_VOLTAGE, default=defaults.get(CONF_VOLTAGE, DEFAULT_VOLTAGE)): _number(
            100, 400, UnitOfElectricPotential.VOLT
        ),
        _optional(CONF_CAPACITY_W, defaults): _watts(),
        vol.Required(
            CONF_CAPACITY_PERIOD_MIN, default=defaults.get(CONF_CAPACITY_PERIOD_MIN, "15")
        ): SelectSelector(
            SelectSelectorConfig(
                options=list(CAPACITY_PERIODS_MIN),
                translation_key="capacity_period",
                mode=SelectSelectorMode.LIST,
            )
        ),
    }
    if hubs := _hub_options(hass):
        fields[_optional(CONF_HUB_ENTRY, defaults)] = SelectSelector(
            SelectSelectorConfig(options=hubs, mode=SelectSelectorMode.DROPDOWN)
        )
    if pricing := _pricing_options(hass):
        fields[_optional(CONF_PRICE_ENTRY, defaults)] = SelectSelector(
            SelectSelectorConfig(options=pricing, mode=SelectSelectorMode.DROPDOWN)
        )
    fields[_optional(CONF_PRICE_ENTITY, defaults)] = EntitySelector(
        EntitySelectorConfig(domain="sensor")
    )
    fields[
        vol.Required(CONF_REACTION_S, default=defaults.get(CONF_REACTION_S, DEFAULT_REACTION_S))
    ] = _number(5, 300, UnitOfTime.SECONDS)
    fields[
        vol.Required(
            CONF_SENSOR_TIMEOUT_S,
            default=defaults.get(CONF_SENSOR_TIMEOUT_S, DEFAULT_SENSOR_TIMEOUT_S),
        )
    ] = _number(30, 3600, UnitOfTime.SECONDS)
    return vol.Schema(fields)


def validate_settings(hass: HomeAssistant, user_input: Mapping[str, Any]) -> dict[str, str]:
    """Errors of the settings form, by field."""
    errors: dict[str, str] = {}
    state = hass.states.get(user_input[CONF_POWER_ENTITY])
    unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT) if state else None
    if state is not None and unit not in PowerConverter.VALID_UNITS:
        errors[CONF_POWER_ENTITY] = "not_power_sensor"
    given = [key for key in _TARIFF_KEYS if user_input.get(key) not in (None, "")]
    if given and len(given) < len(_TARIFF_KEYS):
        errors["base"] = "tariff_incomplete"
    elif given and user_input[CONF_TARIFF_START] == user_input[CONF_TARIFF_END]:
        errors[CONF_TARIFF_END] = "empty_period"
    phases = [key for key in CONF_PHASE_ENTITIES if user_input.get(key)]
    if phases and len(phases) < len(CONF_PHASE_ENTITIES):
        errors["base"] = "phases_incomplete"
    elif phases and user_input.get(CONF_PHASE_LIMIT_A) is None:
        errors[CONF_PHASE_LIMIT_A] = "phase_limit_required"
    hard = user_input.get(CONF_HARD_LIMIT_W)
    if hard is not None and hard < user_input[CONF_LIMIT_W]:
        errors[CONF_LIMIT_W] = "above_hard_limit"
    if user_input.get(CONF_PRICE_ENTRY) and user_input.get(CONF_PRICE_ENTITY):
        errors[CONF_PRICE_ENTITY] = "price_source_both"
    return errors


def duplicate_errors(
    hass: HomeAssistant, power_entity: str, own_entry_id: str | None
) -> dict[str, str]:
    """Another load management already follows this house power sensor."""
    unique_id = entry_unique_id(power_entity)
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.entry_id != own_entry_id and (
            entry.unique_id == unique_id or entry.options.get(CONF_POWER_ENTITY) == power_entity
        ):
            return {CONF_POWER_ENTITY: "power_sensor_managed"}
    return {}


def apply_settings(
    hass: HomeAssistant, entry: ConfigEntry, user_input: Mapping[str, Any]
) -> dict[str, Any]:
    """Store new settings (and the unique id of their sensor) without reloading the entry.

    The entry's update listener applies them in place; a flow must not reload an entry that
    has update listeners (HA 2026.11 refuses to), so no flow here uses the reload helpers.
    """
    options = clean(user_input)
    hass.config_entries.async_update_entry(
        entry, unique_id=entry_unique_id(options[CONF_POWER_ENTITY]), options=options
    )
    return options


def clean(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Drop empty optional values."""
    return {k: v for k, v in user_input.items() if v not in (None, "")}


class LoadManagementFlowMixin(ConfigFlow):
    """The config-flow steps that create a load-management entry (mixed into the main flow)."""

    async def async_step_load_management(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """House power sensor, limits and the optional hub link."""
        errors: dict[str, str] = {}
        if user_input is not None:
            power_entity = user_input[CONF_POWER_ENTITY]
            await self.async_set_unique_id(entry_unique_id(power_entity), raise_on_progress=False)
            if duplicate_errors(self.hass, power_entity, None):
                return self.async_abort(reason="power_sensor_managed")
            errors = validate_settings(self.hass, user_input)
            if not errors:
                return self.async_create_entry(
                    title=TITLE,
                    data={CONF_KIND: KIND_LOAD_MANAGEMENT},
                    options=clean(user_input),
                )
        return self.async_show_form(
            step_id="load_management",
            data_schema=settings_schema(self.hass, user_input or {}),
            errors=errors,
        )

    async def async_step_load_management_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the settings of a load-management entry."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = duplicate_errors(
                self.hass, user_input[CONF_POWER_ENTITY], entry.entry_id
            ) or validate_settings(self.hass, user_input)
            if not errors:
                apply_settings(self.hass, entry, user_input)
                return self.async_abort(reason="reconfigure_successful")
        return self.async_show_form(
            step_id="load_management_reconfigure",
            data_schema=settings_schema(self.hass, user_input or entry.options),
            errors=errors,
        )


def subentry_types() -> dict[str, type[ConfigSubentryFlow]]:
    """The subentries of a load-management entry: its managed loads, by kind."""
    from .flow_kinds import (  # noqa: PLC0415 - they build on this module's helpers
        ChargerSubentryFlow,
        ClimateSubentryFlow,
        PowerLimitSubentryFlow,
    )

    return {
        SUBENTRY_MANAGED_LOAD: ManagedLoadSubentryFlow,
        SUBENTRY_CHARGER: ChargerSubentryFlow,
        SUBENTRY_POWER_LIMIT: PowerLimitSubentryFlow,
        SUBENTRY_CLIMATE: ClimateSubentryFlow,
    }


class LoadManagementOptionsFlow(OptionsFlow):
    """Change the limits, sensor, hub link and timing."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Start with the settings form."""
        return await self.async_step_load_management(user_input)

    async def async_step_load_management(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """One form with every setting."""
        errors: dict[str, str] = {}
        if user_input is not None:
            entry = self.config_entry
            errors = duplicate_errors(
                self.hass, user_input[CONF_POWER_ENTITY], entry.entry_id
            ) or validate_settings(self.hass, user_input)
            if not errors:
                return self.async_create_entry(data=apply_settings(self.hass, entry, user_input))
        return self.async_show_form(
            step_id="load_management",
            data_schema=settings_schema(self.hass, user_input or self.config_entry.options),
            errors=errors,
        )


def load_schema(defaults: Mapping[str, Any], with_name: bool) -> vol.Schema:
    """Form of a managed load (priority, power, timing)."""
    low, high = MAX_OFF_MIN_RANGE
    fields: dict[Any, Any] = {}
    if with_name:
        fields[_optional(CONF_NAME, defaults)] = TextSelector()
    fields |= {
        vol.Required(
            CONF_SWITCH_ENTITY, default=defaults.get(CONF_SWITCH_ENTITY, vol.UNDEFINED)
        ): SWITCH,
        vol.Required(
            CONF_PRIORITY, default=defaults.get(CONF_PRIORITY, Priority.YELLOW.value)
        ): SelectSelector(
            SelectSelectorConfig(
                options=[p.value for p in Priority],
                translation_key="priority",
                mode=SelectSelectorMode.LIST,
            )
        ),
        _optional(CONF_RATED_W, defaults): _watts(minimum=1),
        _optional(CONF_LOAD_POWER_ENTITY, defaults): POWER_SENSOR,
        vol.Required(
            CONF_MAX_OFF_MIN, default=defaults.get(CONF_MAX_OFF_MIN, DEFAULT_MAX_OFF_MIN)
        ): _number(low, high, UnitOfTime.MINUTES),
        vol.Required(
            CONF_MIN_ON_MIN, default=defaults.get(CONF_MIN_ON_MIN, DEFAULT_MIN_ON_MIN)
        ): _number(0, 120, UnitOfTime.MINUTES),
        vol.Required(
            CONF_RECOVERY_MIN, default=defaults.get(CONF_RECOVERY_MIN, DEFAULT_RECOVERY_MIN)
        ): _number(0, 60, UnitOfTime.MINUTES),
        _optional(CONF_COMFORT_ENTITY, defaults): TEMPERATURE_SENSOR,
        _optional(CONF_RESTORE_ABOVE_C, defaults): _number(
            -30, 90, UnitOfTemperature.CELSIUS, step=0.5
        ),
        _optional(CONF_RESTORE_BELOW_C, defaults): _number(
            -30, 90, UnitOfTemperature.CELSIUS, step=0.5
        ),
    }
    return vol.Schema(fields)


def green_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    """Form of a green load's schedule."""
    return vol.Schema(
        {
            _optional(CONF_DEADLINE, defaults): TimeSelector(),
            _optional(CONF_RUN_MIN, defaults): _number(1, 1440, UnitOfTime.MINUTES),
            _optional(CONF_WINDOW_START, defaults): TimeSelector(),
            _optional(CONF_WINDOW_END, defaults): TimeSelector(),
            _optional(CONF_ENERGY_KWH, defaults): _number(
                0.1, 100, UnitOfEnergy.KILO_WATT_HOUR, step=0.1
            ),
        }
    )


def _window_h(start: str, end: str) -> float:
    """Hours from one local time of day to the next (over midnight when it ends earlier)."""
    a, b = time.fromisoformat(start), time.fromisoformat(end)
    minutes = (b.hour * 60 + b.minute) - (a.hour * 60 + a.minute)
    return (minutes % 1440) / 60.0


def validate_green(user_input: Mapping[str, Any], rated_w: float | None = None) -> dict[str, str]:
    """Errors of the green schedule form (a water heater: its energy per day in its window at
    its rated power)."""
    has = {key: user_input.get(key) not in (None, "") for key in _GREEN_KEYS}
    if has[CONF_WINDOW_START] != has[CONF_WINDOW_END]:
        return {"base": "window_incomplete"}
    if has[CONF_WINDOW_START] and user_input[CONF_WINDOW_START] == user_input[CONF_WINDOW_END]:
        return {CONF_WINDOW_END: "empty_period"}
    if has[CONF_ENERGY_KWH]:
        if has[CONF_RUN_MIN] or has[CONF_DEADLINE]:
            return {CONF_ENERGY_KWH: "energy_or_run_time"}
        if not has[CONF_WINDOW_START]:
            return {CONF_WINDOW_START: "heater_window_required"}
        if not rated_w:
            return {CONF_ENERGY_KWH: "heater_rated_power_required"}
        hours = _window_h(user_input[CONF_WINDOW_START], user_input[CONF_WINDOW_END])
        if float(user_input[CONF_ENERGY_KWH]) > rated_w / 1000.0 * hours + 1e-9:
            return {CONF_ENERGY_KWH: "heater_energy_too_large"}
        return {}
    if has[CONF_DEADLINE] and not has[CONF_RUN_MIN]:
        return {CONF_RUN_MIN: "run_time_required"}
    if has[CONF_RUN_MIN] and not (has[CONF_DEADLINE] or has[CONF_WINDOW_START]):
        return {CONF_DEADLINE: "deadline_required"}
    return {}


class ManagedLoadSubentryFlow(ConfigSubentryFlow):
    """Add or change a managed load (a socket with a priority)."""

    def __init__(self) -> None:
        """Nothing entered yet."""
        self._data: dict[str, Any] = {}
        self._title = ""

    def _validate(self, user_input: Mapping[str, Any], own_id: str | None) -> dict[str, str]:
        if not user_input.get(CONF_RATED_W) and not user_input.get(CONF_LOAD_POWER_ENTITY):
            return {"base": "power_required"}
        bounds = [user_input.get(k) for k in (CONF_RESTORE_ABOVE_C, CONF_RESTORE_BELOW_C)]
        has_bound = any(bound is not None for bound in bounds)
        if user_input.get(CONF_COMFORT_ENTITY) and not has_bound:
            return {CONF_RESTORE_ABOVE_C: "comfort_bound_required"}
        if has_bound and not user_input.get(CONF_COMFORT_ENTITY):
            return {CONF_COMFORT_ENTITY: "comfort_entity_required"}
        switch = user_input[CONF_SWITCH_ENTITY]
        for subentry in self._get_entry().subentries.values():
            if subentry.subentry_id != own_id and subentry.data.get(CONF_SWITCH_ENTITY) == switch:
                return {CONF_SWITCH_ENTITY: "already_managed"}
        return {}

    def _default_title(self, switch: str) -> str:
        state = self.hass.states.get(switch)
        return state.name if state else switch

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Switch, priority and power of the new load."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = self._validate(user_input, None)
            if not errors:
                data = clean(user_input)
                self._title = data.pop(CONF_NAME, None) or self._default_title(
                    data[CONF_SWITCH_ENTITY]
                )
                self._data = data
                if data[CONF_PRIORITY] == Priority.GREEN:
                    return await self.async_step_green()
                return self._finish()
        return self.async_show_form(
            step_id="user", data_schema=load_schema(user_input or {}, True), errors=errors
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a managed load."""
        subentry = self._get_reconfigure_subentry()
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = self._validate(user_input, subentry.subentry_id)
            if not errors:
                kept = {k: v for k, v in subentry.data.items() if k in _GREEN_KEYS}
                self._data = kept | clean(user_input)
                self._title = subentry.title
                if self._data[CONF_PRIORITY] == Priority.GREEN:
                    return await self.async_step_green()
                return self._finish()
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=load_schema(user_input or subentry.data, False),
            errors=errors,
        )

    async def async_step_green(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Deadline, run time and allowed window of a green load."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = validate_green(user_input, self._data.get(CONF_RATED_W))
            if not errors:
                base = {k: v for k, v in self._data.items() if k not in _GREEN_KEYS}
                self._data = base | clean(user_input)
                return self._finish()
        return self.async_show_form(
            step_id="green", data_schema=green_schema(user_input or self._data), errors=errors
        )

    def _finish(self) -> SubentryFlowResult:
        data = self._data
        if data[CONF_PRIORITY] != Priority.GREEN:
            data = {k: v for k, v in data.items() if k not in _GREEN_KEYS}
        if self.source == "reconfigure":
            return self.async_update_and_abort(
                self._get_entry(), self._get_reconfigure_subentry(), data=data
            )
        return self.async_create_entry(title=self._title, data=data)
