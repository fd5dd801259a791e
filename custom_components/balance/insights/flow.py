"""Config, options and subentry flows of the meter-insights entry kind."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import voluptuous as vol
from homeassistant.components.sensor import (
    ATTR_STATE_CLASS,
    SensorDeviceClass,
    SensorStateClass,
)
from homeassistant.config_entries import (
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import ATTR_DEVICE_CLASS, ATTR_UNIT_OF_MEASUREMENT, CONF_NAME, PERCENTAGE
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TimeSelector,
)
from homeassistant.util.unit_conversion import EnergyConverter, VolumeConverter

from .const import (
    AWAY_MEDIA,
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
    CONF_KIND,
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
    ENERGY_MEDIA,
    KIND_INSIGHTS,
    LEAK_KEYS,
    MEDIA,
    PHASE_NAMES,
    SUBENTRY_GROUP,
    SUBENTRY_METER,
    TITLE,
)
from .settings import DEFAULT_LEAK

METER_ENTITY = EntitySelector(EntitySelectorConfig(domain="sensor"))
METER_ENTITIES = EntitySelector(EntitySelectorConfig(domain="sensor", multiple=True))
TEMPERATURE_ENTITY = EntitySelector(
    EntitySelectorConfig(domain="sensor", device_class=SensorDeviceClass.TEMPERATURE)
)
AWAY_ENTITY = EntitySelector(
    EntitySelectorConfig(
        domain=[
            "alarm_control_panel",
            "person",
            "group",
            "zone",
            "device_tracker",
            "binary_sensor",
            "input_boolean",
            "switch",
        ]
    )
)
_TOTALS = (SensorStateClass.TOTAL, SensorStateClass.TOTAL_INCREASING)
_MEDIUM_OF_CLASS: dict[str, str] = {
    SensorDeviceClass.WATER: "water",
    SensorDeviceClass.GAS: "gas",
    SensorDeviceClass.ENERGY: "electricity",
}


def _number(low: float, high: float, step: float = 1, unit: str | None = None) -> NumberSelector:
    config = NumberSelectorConfig(min=low, max=high, step=step, mode=NumberSelectorMode.BOX)
    if unit is not None:
        config["unit_of_measurement"] = unit
    return NumberSelector(config)


def _optional(key: str, defaults: Mapping[str, Any]) -> vol.Optional:
    value = defaults.get(key)
    return vol.Optional(key, description={"suggested_value": value} if value is not None else None)


def clean(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Drop empty optional values."""
    return {k: v for k, v in user_input.items() if v not in (None, "", [])}


def settings_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    """Form of the entry's settings (setup, reconfigure and options)."""
    return vol.Schema(
        {
            vol.Required(CONF_BILLING_DAY, default=defaults.get(CONF_BILLING_DAY, 1)): _number(
                1, 28
            ),
            _optional(CONF_TEMPERATURE_ENTITY, defaults): TEMPERATURE_ENTITY,
            _optional(CONF_AWAY_ENTITY, defaults): AWAY_ENTITY,
        }
    )


def _settings(user_input: Mapping[str, Any]) -> dict[str, Any]:
    options = clean(user_input)
    options[CONF_BILLING_DAY] = int(options[CONF_BILLING_DAY])
    return options


def unit_kind(hass: HomeAssistant, entity_id: str) -> str | None:
    """ "energy" or "volume" by the entity's unit, None for anything else (or no state)."""
    state = hass.states.get(entity_id)
    unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT) if state else None
    if unit in EnergyConverter.VALID_UNITS:
        return "energy"
    if unit in VolumeConverter.VALID_UNITS:
        return "volume"
    return None


def meter_errors(hass: HomeAssistant, entity_id: str, medium: str | None) -> str | None:
    """Why an entity cannot be a meter (translation key), None if it can."""
    state = hass.states.get(entity_id)
    if state is None:
        return "entity_not_found"
    if state.attributes.get(ATTR_STATE_CLASS) not in _TOTALS:
        return "no_statistics"
    kind = unit_kind(hass, entity_id)
    if kind is None:
        return "not_a_meter"
    if medium is not None and (kind == "energy") != (medium in ENERGY_MEDIA):
        return "unit_mismatch"
    return None


class InsightsFlowMixin(ConfigFlow):
    """The config-flow steps that create the meter-insights entry (one per installation)."""

    async def async_step_insights(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Billing cycle, outdoor temperature and the "away" entity."""
        await self.async_set_unique_id(KIND_INSIGHTS, raise_on_progress=False)
        self._abort_if_unique_id_configured()
        if user_input is not None:
            return self.async_create_entry(
                title=TITLE, data={CONF_KIND: KIND_INSIGHTS}, options=_settings(user_input)
            )
        return self.async_show_form(step_id="insights", data_schema=settings_schema({}))

    async def async_step_insights_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the entry's settings."""
        entry = self._get_reconfigure_entry()
        if user_input is not None:
            self.hass.config_entries.async_update_entry(entry, options=_settings(user_input))
            return self.async_abort(reason="reconfigure_successful")
        return self.async_show_form(
            step_id="insights_reconfigure", data_schema=settings_schema(entry.options)
        )


class InsightsOptionsFlow(OptionsFlow):
    """Change the billing cycle, temperature and away entities."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Start with the settings form."""
        return await self.async_step_insights(user_input)

    async def async_step_insights(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """One form with every setting."""
        if user_input is not None:
            return self.async_create_entry(data=_settings(user_input))
        return self.async_show_form(
            step_id="insights", data_schema=settings_schema(self.config_entry.options)
        )


def subentry_types() -> dict[str, type[ConfigSubentryFlow]]:
    """The subentries of an insights entry: meters and BALANCE groups."""
    return {SUBENTRY_METER: MeterSubentryFlow, SUBENTRY_GROUP: GroupSubentryFlow}


def _default_medium(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    device_class = str(state.attributes.get(ATTR_DEVICE_CLASS)) if state else ""
    return _MEDIUM_OF_CLASS.get(device_class, "electricity")


def meter_schema(defaults: Mapping[str, Any], with_entity: bool) -> vol.Schema:
    """Form of a meter: medium, limits, away threshold, silent-channel check."""
    fields: dict[Any, Any] = {}
    if with_entity:
        fields[vol.Required(CONF_ENTITY, default=defaults.get(CONF_ENTITY, vol.UNDEFINED))] = (
            METER_ENTITY
        )
    fields |= {
        _optional(CONF_MEDIUM, defaults): SelectSelector(
            SelectSelectorConfig(
                options=list(MEDIA), translation_key="meter_medium", mode=SelectSelectorMode.LIST
            )
        ),
        _optional(CONF_LIMIT, defaults): _number(0, 1e9, step=0.001),
        _optional(CONF_FORECAST_LIMIT, defaults): _number(0, 1e9, step=0.001),
        _optional(CONF_AWAY_THRESHOLD, defaults): _number(0, 1e6, step=0.001),
        vol.Required(
            CONF_SILENT_CHECK, default=bool(defaults.get(CONF_SILENT_CHECK, False))
        ): BooleanSelector(),
    }
    return vol.Schema(fields)


def leak_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    """Form of a water meter's leak thresholds (defaults in docs/analytics.md)."""
    d = DEFAULT_LEAK
    values = {
        CONF_DRIBBLE_H: d.dribble_h,
        CONF_CONTINUOUS_MIN: d.continuous_min,
        CONF_CONTINUOUS_LPM: d.continuous_lpm,
        CONF_NIGHT_START: d.night_start.isoformat(),
        CONF_NIGHT_END: d.night_end.isoformat(),
        CONF_NIGHT_ACTIVE_MIN: d.night_active_min,
        CONF_REFILL_COUNT: d.refill_count,
    } | {k: v for k, v in defaults.items() if k in LEAK_KEYS}
    return vol.Schema(
        {
            vol.Required(CONF_DRIBBLE_H, default=values[CONF_DRIBBLE_H]): _number(1, 168, unit="h"),
            vol.Required(CONF_CONTINUOUS_MIN, default=values[CONF_CONTINUOUS_MIN]): _number(
                5, 1440, unit="min"
            ),
            vol.Required(CONF_CONTINUOUS_LPM, default=values[CONF_CONTINUOUS_LPM]): _number(
                0.1, 100, step=0.1, unit="L/min"
            ),
            vol.Required(CONF_NIGHT_START, default=values[CONF_NIGHT_START]): TimeSelector(),
            vol.Required(CONF_NIGHT_END, default=values[CONF_NIGHT_END]): TimeSelector(),
            vol.Required(CONF_NIGHT_ACTIVE_MIN, default=values[CONF_NIGHT_ACTIVE_MIN]): _number(
                1, 720, unit="min"
            ),
            vol.Required(CONF_REFILL_COUNT, default=values[CONF_REFILL_COUNT]): _number(3, 50),
        }
    )


class MeterSubentryFlow(ConfigSubentryFlow):
    """Add or change a meter: any energy, water, gas or heat sensor with statistics."""

    def __init__(self) -> None:
        """Nothing entered yet."""
        self._data: dict[str, Any] = {}

    def _validate(self, data: dict[str, Any], own_id: str | None) -> dict[str, str]:
        entity_id = data[CONF_ENTITY]
        data.setdefault(CONF_MEDIUM, _default_medium(self.hass, entity_id))
        if error := meter_errors(self.hass, entity_id, data[CONF_MEDIUM]):
            field = CONF_MEDIUM if error == "unit_mismatch" else CONF_ENTITY
            return {field: error}
        for sub in self._get_entry().subentries.values():
            if (
                sub.subentry_id != own_id
                and sub.subentry_type == SUBENTRY_METER
                and sub.data.get(CONF_ENTITY) == entity_id
            ):
                return {CONF_ENTITY: "already_configured"}
        if CONF_AWAY_THRESHOLD in data and data[CONF_MEDIUM] not in AWAY_MEDIA:
            return {CONF_AWAY_THRESHOLD: "away_not_supported"}
        return {}

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """The meter and its alert settings."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = clean(user_input)
            errors = self._validate(data, None)
            if not errors:
                self._data = data
                return await self._async_next()
        return self.async_show_form(
            step_id="user", data_schema=meter_schema(user_input or {}, True), errors=errors
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a meter's alert settings."""
        subentry = self._get_reconfigure_subentry()
        errors: dict[str, str] = {}
        if user_input is not None:
            kept = {k: v for k, v in subentry.data.items() if k in LEAK_KEYS}
            data = kept | clean(user_input) | {CONF_ENTITY: subentry.data[CONF_ENTITY]}
            errors = self._validate(data, subentry.subentry_id)
            if not errors:
                self._data = data
                return await self._async_next()
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=meter_schema(user_input or subentry.data, False),
            errors=errors,
        )

    async def _async_next(self) -> SubentryFlowResult:
        if self._data[CONF_MEDIUM] == "water":
            return await self.async_step_leak()
        return self._finish()

    async def async_step_leak(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Leak thresholds of a water meter."""
        errors: dict[str, str] = {}
        if user_input is not None:
            if user_input[CONF_NIGHT_START] == user_input[CONF_NIGHT_END]:
                errors[CONF_NIGHT_END] = "empty_period"
            else:
                base = {k: v for k, v in self._data.items() if k not in LEAK_KEYS}
                leak = dict(user_input)
                leak[CONF_REFILL_COUNT] = int(leak[CONF_REFILL_COUNT])
                self._data = base | leak
                return self._finish()
        return self.async_show_form(
            step_id="leak", data_schema=leak_schema(user_input or self._data), errors=errors
        )

    def _finish(self) -> SubentryFlowResult:
        data = self._data
        if data[CONF_MEDIUM] != "water":
            data = {k: v for k, v in data.items() if k not in LEAK_KEYS}
        if self.source == "reconfigure":
            return self.async_update_and_abort(
                self._get_entry(), self._get_reconfigure_subentry(), data=data
            )
        state = self.hass.states.get(data[CONF_ENTITY])
        return self.async_create_entry(title=state.name if state else data[CONF_ENTITY], data=data)


def group_schema(defaults: Mapping[str, Any], with_name: bool) -> vol.Schema:
    """Form of a BALANCE group: parent, children, expected losses, three-phase flag."""
    fields: dict[Any, Any] = {}
    if with_name:
        fields[vol.Required(CONF_NAME, default=defaults.get(CONF_NAME, vol.UNDEFINED))] = (
            TextSelector()
        )
    fields |= {
        vol.Required(CONF_PARENT, default=defaults.get(CONF_PARENT, vol.UNDEFINED)): METER_ENTITY,
        vol.Required(
            CONF_CHILDREN, default=defaults.get(CONF_CHILDREN, vol.UNDEFINED)
        ): METER_ENTITIES,
        vol.Required(
            CONF_EXPECTED_LOSS_PCT, default=defaults.get(CONF_EXPECTED_LOSS_PCT, 0)
        ): _number(0, 50, step=0.1, unit=PERCENTAGE),
        vol.Required(
            CONF_THREE_PHASE, default=bool(defaults.get(CONF_THREE_PHASE, False))
        ): BooleanSelector(),
    }
    return vol.Schema(fields)


def phases_schema(children: list[str], defaults: Mapping[str, int]) -> vol.Schema:
    """One phase per child (keyed by the child's entity id)."""
    choice = SelectSelector(
        SelectSelectorConfig(
            options=[str(i) for i in range(len(PHASE_NAMES))],
            translation_key="group_phase",
            mode=SelectSelectorMode.DROPDOWN,
        )
    )
    return vol.Schema(
        {vol.Required(child, default=str(defaults.get(child, 0))): choice for child in children}
    )


class GroupSubentryFlow(ConfigSubentryFlow):
    """Add or change a BALANCE group: a parent meter and its child meters."""

    def __init__(self) -> None:
        """Nothing entered yet."""
        self._data: dict[str, Any] = {}
        self._title = ""

    def _validate(self, data: Mapping[str, Any]) -> dict[str, str]:
        parent, children = data[CONF_PARENT], list(data.get(CONF_CHILDREN, []))
        if not children:
            return {CONF_CHILDREN: "children_required"}
        if parent in children or len(set(children)) != len(children):
            return {CONF_CHILDREN: "parent_in_children"}
        for entity_id in (parent, *children):
            if error := meter_errors(self.hass, entity_id, None):
                return {CONF_PARENT if entity_id == parent else CONF_CHILDREN: error}
        kinds = {unit_kind(self.hass, entity_id) for entity_id in (parent, *children)}
        if len(kinds) > 1:
            return {CONF_CHILDREN: "mixed_units"}
        if data.get(CONF_THREE_PHASE) and kinds != {"energy"}:
            return {CONF_THREE_PHASE: "three_phase_energy_only"}
        return {}

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Name, parent meter and child meters."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = self._validate(user_input)
            if not errors:
                data = clean(user_input)
                self._title = str(data.pop(CONF_NAME))
                self._data = data | {CONF_UNIT_KIND: unit_kind(self.hass, data[CONF_PARENT])}
                return await self._async_next()
        return self.async_show_form(
            step_id="user", data_schema=group_schema(user_input or {}, True), errors=errors
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a group."""
        subentry = self._get_reconfigure_subentry()
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = self._validate(user_input)
            if not errors:
                self._data = {CONF_PHASES: subentry.data.get(CONF_PHASES, {})} | clean(user_input)
                self._data[CONF_UNIT_KIND] = unit_kind(self.hass, user_input[CONF_PARENT])
                self._title = subentry.title
                return await self._async_next()
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=group_schema(user_input or subentry.data, False),
            errors=errors,
        )

    async def _async_next(self) -> SubentryFlowResult:
        if self._data.get(CONF_THREE_PHASE):
            return await self.async_step_phases()
        self._data.pop(CONF_PHASES, None)
        return self._finish()

    async def async_step_phases(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """The phase each child is connected to."""
        children = list(self._data[CONF_CHILDREN])
        if user_input is not None:
            self._data[CONF_PHASES] = {child: int(user_input[child]) for child in children}
            return self._finish()
        return self.async_show_form(
            step_id="phases",
            data_schema=phases_schema(children, self._data.get(CONF_PHASES, {})),
            description_placeholders={"phases": ", ".join(PHASE_NAMES)},
        )

    def _finish(self) -> SubentryFlowResult:
        if self.source == "reconfigure":
            return self.async_update_and_abort(
                self._get_entry(), self._get_reconfigure_subentry(), data=self._data
            )
        return self.async_create_entry(title=self._title, data=self._data)
