"""Config, options and subentry flows of the load-management entry kind."""

from __future__ import annotations

from collections.abc import Mapping
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
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, CONF_NAME, UnitOfPower, UnitOfTime
from homeassistant.core import HomeAssistant, callback
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

from ..const import DOMAIN  # noqa: TID252
from ..dlm import Priority  # noqa: TID252
from .const import (
    CONF_CONTRACT_W,
    CONF_DEADLINE,
    CONF_HUB_ENTRY,
    CONF_KIND,
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
    KIND_LOAD_MANAGEMENT,
    MAX_OFF_MIN_RANGE,
    SUBENTRY_MANAGED_LOAD,
)

TITLE = "Load management"
_TARIFF_KEYS = (CONF_TARIFF_LIMIT_W, CONF_TARIFF_START, CONF_TARIFF_END)
_GREEN_KEYS = (CONF_DEADLINE, CONF_RUN_MIN, CONF_WINDOW_START, CONF_WINDOW_END)


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


def _optional(key: str, defaults: Mapping[str, Any]) -> vol.Optional:
    """An optional field that shows its current value (when set)."""
    value = defaults.get(key)
    return vol.Optional(key, description={"suggested_value": value} if value is not None else None)


def _hub_options(hass: HomeAssistant) -> list[SelectOptionDict]:
    return [
        SelectOptionDict(value=entry.entry_id, label=entry.title)
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.data.get(CONF_KIND, "hub") != KIND_LOAD_MANAGEMENT
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
    if hubs := _hub_options(hass):
        fields[_optional(CONF_HUB_ENTRY, defaults)] = SelectSelector(
            SelectSelectorConfig(options=hubs, mode=SelectSelectorMode.DROPDOWN)
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
    return errors


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
            errors = validate_settings(self.hass, user_input)
            power_entity = user_input[CONF_POWER_ENTITY]
            for entry in self.hass.config_entries.async_entries(DOMAIN):
                if entry.options.get(CONF_POWER_ENTITY) == power_entity:
                    return self.async_abort(reason="already_configured")
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
            errors = validate_settings(self.hass, user_input)
            if not errors:
                return self.async_update_reload_and_abort(entry, options=clean(user_input))
        return self.async_show_form(
            step_id="load_management_reconfigure",
            data_schema=settings_schema(self.hass, user_input or entry.options),
            errors=errors,
        )

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Managed loads belong to load-management entries."""
        if config_entry.data.get(CONF_KIND) == KIND_LOAD_MANAGEMENT:
            return {SUBENTRY_MANAGED_LOAD: ManagedLoadSubentryFlow}
        return {}


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
            errors = validate_settings(self.hass, user_input)
            if not errors:
                return self.async_create_entry(data=clean(user_input))
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
        }
    )


def validate_green(user_input: Mapping[str, Any]) -> dict[str, str]:
    """Errors of the green schedule form."""
    has = {key: user_input.get(key) not in (None, "") for key in _GREEN_KEYS}
    if has[CONF_WINDOW_START] != has[CONF_WINDOW_END]:
        return {"base": "window_incomplete"}
    if has[CONF_WINDOW_START] and user_input[CONF_WINDOW_START] == user_input[CONF_WINDOW_END]:
        return {CONF_WINDOW_END: "empty_period"}
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
            errors = validate_green(user_input)
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
