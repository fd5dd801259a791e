"""Config and options flows of the pricing entry kind ("Tariffs and costs").

Three forms: name, tariff type and the energy sensor to cost; the type's prices (day/night,
zones as compact text, blocks, or a price entity with the supplier formula); the common terms
(fees, standing charges, VAT, contracted capacity, billing day). Errors are the tariff error
codes, translated, with their placeholders (day, time, zone, the part not understood).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import voluptuous as vol
from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlow
from homeassistant.const import CONF_NAME, PERCENTAGE, UnitOfEnergy, UnitOfPower
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
    TextSelectorConfig,
    TimeSelector,
)
from homeassistant.util import dt as dt_util

from ..const import CONF_KIND, DOMAIN, KIND_PRICING  # noqa: TID252
from ..tariffs import TariffError  # noqa: TID252
from .config import validate
from .const import (
    CONF_BILLING_DAY,
    CONF_BLOCKS,
    CONF_CONTRACT_KW,
    CONF_DAY_PRICE,
    CONF_ENERGY_ENTITY,
    CONF_FEES,
    CONF_HOLIDAYS,
    CONF_NIGHT_END,
    CONF_NIGHT_PRICE,
    CONF_NIGHT_START,
    CONF_PENALTY,
    CONF_PRICE_ENTITY,
    CONF_PRICE_SCALE,
    CONF_SCHEDULE,
    CONF_SPOT_MARKUP,
    CONF_SPOT_MULTIPLIER,
    CONF_STANDING_DAY,
    CONF_STANDING_MONTH,
    CONF_SUBDIVISION,
    CONF_TARIFF_TYPE,
    CONF_VAT,
    CONF_WEEKEND_NIGHT,
    CONF_ZONE_PRICES,
    TARIFF_TYPES,
    TYPE_BLOCKS,
    TYPE_DAY_NIGHT,
    TYPE_DYNAMIC,
    TYPE_TIME_OF_USE,
)
from .sources import detect_source

DEFAULT_TITLE = "Tariff"
STEP_TARIFF = "pricing_{kind}"
STEP_COSTS = "pricing_costs"
# Every placeholder an error text of these forms may use (HA shows missing ones raw).
_PLACEHOLDERS = ("day", "at", "zone", "part", "field", "country", "subdivision", "detail")


def _price(unit: str = f"/{UnitOfEnergy.KILO_WATT_HOUR}", minimum: float = 0.0) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=minimum,
            max=1_000_000,
            step="any",
            unit_of_measurement=unit,
            mode=NumberSelectorMode.BOX,
        )
    )


ENERGY_SENSOR = EntitySelector(
    EntitySelectorConfig(domain="sensor", device_class=SensorDeviceClass.ENERGY)
)
TEXT = TextSelector()
MULTILINE = TextSelector(TextSelectorConfig(multiline=True))
MONEY = _price("")


def _holiday_fields(defaults: Mapping[str, Any]) -> dict[vol.Marker, Any]:
    return {
        vol.Required(CONF_HOLIDAYS, default=defaults.get(CONF_HOLIDAYS, False)): BooleanSelector(),
        vol.Optional(
            CONF_SUBDIVISION, description={"suggested_value": defaults.get(CONF_SUBDIVISION)}
        ): TEXT,
    }


def tariff_schema(kind: str, defaults: Mapping[str, Any]) -> vol.Schema:
    """The prices form of a tariff type."""
    fields: dict[vol.Marker, Any] = {
        vol.Required(CONF_ENERGY_ENTITY, default=defaults.get(CONF_ENERGY_ENTITY, vol.UNDEFINED)): (
            ENERGY_SENSOR
        )
    }
    if kind == TYPE_DAY_NIGHT:
        fields |= {
            vol.Required(
                CONF_DAY_PRICE, default=defaults.get(CONF_DAY_PRICE, vol.UNDEFINED)
            ): _price(),
            vol.Required(
                CONF_NIGHT_PRICE, default=defaults.get(CONF_NIGHT_PRICE, vol.UNDEFINED)
            ): _price(),
            vol.Required(
                CONF_NIGHT_START, default=defaults.get(CONF_NIGHT_START, "22:00:00")
            ): TimeSelector(),
            vol.Required(
                CONF_NIGHT_END, default=defaults.get(CONF_NIGHT_END, "07:00:00")
            ): TimeSelector(),
            vol.Required(
                CONF_WEEKEND_NIGHT, default=defaults.get(CONF_WEEKEND_NIGHT, False)
            ): BooleanSelector(),
        } | _holiday_fields(defaults)
    elif kind == TYPE_TIME_OF_USE:
        fields |= {
            vol.Required(
                CONF_ZONE_PRICES, default=defaults.get(CONF_ZONE_PRICES, vol.UNDEFINED)
            ): TEXT,
            vol.Required(
                CONF_SCHEDULE, default=defaults.get(CONF_SCHEDULE, vol.UNDEFINED)
            ): MULTILINE,
        } | _holiday_fields(defaults)
    elif kind == TYPE_BLOCKS:
        fields[vol.Required(CONF_BLOCKS, default=defaults.get(CONF_BLOCKS, vol.UNDEFINED))] = TEXT
    else:
        fields |= {
            vol.Required(
                CONF_PRICE_ENTITY, default=defaults.get(CONF_PRICE_ENTITY, vol.UNDEFINED)
            ): (EntitySelector(EntitySelectorConfig(domain="sensor"))),
            vol.Required(CONF_PRICE_SCALE, default=defaults.get(CONF_PRICE_SCALE, 1.0)): _price(
                "", -1e6
            ),
            vol.Required(
                CONF_SPOT_MULTIPLIER, default=defaults.get(CONF_SPOT_MULTIPLIER, 1.0)
            ): _price("", -1e6),
            vol.Required(CONF_SPOT_MARKUP, default=defaults.get(CONF_SPOT_MARKUP, 0.0)): _price(
                minimum=-1e6
            ),
        }
    return vol.Schema(fields)


def type_schema(default: str) -> vol.Schema:
    """The tariff type picker."""
    return vol.Schema(
        {
            vol.Required(CONF_TARIFF_TYPE, default=default): SelectSelector(
                SelectSelectorConfig(
                    options=list(TARIFF_TYPES),
                    translation_key=CONF_TARIFF_TYPE,
                    mode=SelectSelectorMode.LIST,
                )
            )
        }
    )


def costs_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    """The common terms of every tariff."""

    def default(key: str, value: float) -> Any:
        return defaults.get(key, value)

    return vol.Schema(
        {
            vol.Required(CONF_FEES, default=default(CONF_FEES, 0.0)): _price(),
            vol.Required(CONF_STANDING_DAY, default=default(CONF_STANDING_DAY, 0.0)): MONEY,
            vol.Required(CONF_STANDING_MONTH, default=default(CONF_STANDING_MONTH, 0.0)): MONEY,
            vol.Required(CONF_VAT, default=default(CONF_VAT, 0.0)): _price(PERCENTAGE),
            vol.Optional(
                CONF_CONTRACT_KW, description={"suggested_value": defaults.get(CONF_CONTRACT_KW)}
            ): _price(UnitOfPower.KILO_WATT, 0.1),
            vol.Required(CONF_PENALTY, default=default(CONF_PENALTY, 0.0)): _price(),
            vol.Required(CONF_BILLING_DAY, default=default(CONF_BILLING_DAY, 1)): NumberSelector(
                NumberSelectorConfig(min=1, max=31, step=1, mode=NumberSelectorMode.BOX)
            ),
        }
    )


def _clean(user_input: Mapping[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in user_input.items() if v not in (None, "")}
    if CONF_BILLING_DAY in data:
        data[CONF_BILLING_DAY] = int(data[CONF_BILLING_DAY])
    return data


async def async_check(
    hass: HomeAssistant, options: Mapping[str, Any]
) -> tuple[dict[str, str], dict[str, str]]:
    """Errors and their placeholders for ``options`` (empty when they make a tariff)."""
    placeholders = dict.fromkeys(_PLACEHOLDERS, "-")
    dynamic = options[CONF_TARIFF_TYPE] == TYPE_DYNAMIC and CONF_PRICE_ENTITY in options
    if dynamic and detect_source(hass, options[CONF_PRICE_ENTITY]) is None:
        return {CONF_PRICE_ENTITY: "price_entity_unsupported"}, placeholders
    tz = dt_util.get_time_zone(hass.config.time_zone)
    assert tz is not None
    try:
        await hass.async_add_import_executor_job(validate, options, tz, hass.config.country)
    except TariffError as err:
        return {"base": err.code.value}, placeholders | err.placeholders
    return {}, placeholders


def entry_unique_id(energy_entity: str) -> str:
    """One tariff per energy sensor: its costs and cost statistics are the entry's own."""
    return f"{KIND_PRICING}:{energy_entity}"


class _TariffSteps:
    """The prices and costs forms, shared by the config and the options flow."""

    hass: HomeAssistant
    _pricing: dict[str, Any]
    _own_entry_id: str | None = None

    async def _async_tariff_step(
        self, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult | None:
        kind = self._pricing[CONF_TARIFF_TYPE]
        errors: dict[str, str] = {}
        placeholders = dict.fromkeys(_PLACEHOLDERS, "-")
        if user_input is not None:
            kept = {k: v for k, v in self._pricing.items() if k != CONF_SUBDIVISION}
            candidate = kept | _clean(user_input)
            errors, placeholders = await async_check(self.hass, candidate)
            other = self.hass.config_entries.async_entry_for_domain_unique_id(
                DOMAIN, entry_unique_id(candidate[CONF_ENERGY_ENTITY])
            )
            if other is not None and other.entry_id != self._own_entry_id:
                errors = {CONF_ENERGY_ENTITY: "meter_has_tariff"}
            if not errors:
                self._pricing = candidate
                return None
        return self._show(
            STEP_TARIFF.format(kind=kind),
            tariff_schema(kind, self._pricing | (user_input or {})),
            errors,
            placeholders,
        )

    async def _async_costs_step(self, user_input: dict[str, Any] | None) -> ConfigFlowResult | None:
        errors: dict[str, str] = {}
        placeholders = dict.fromkeys(_PLACEHOLDERS, "-")
        if user_input is not None:
            kept = {k: v for k, v in self._pricing.items() if k != CONF_CONTRACT_KW}
            candidate = kept | _clean(user_input)
            errors, placeholders = await async_check(self.hass, candidate)
            if not errors:
                self._pricing = candidate
                return None
        return self._show(
            STEP_COSTS, costs_schema(self._pricing | (user_input or {})), errors, placeholders
        )

    async_show_form: Callable[..., ConfigFlowResult]  # of the config or the options flow

    def _show(
        self, step_id: str, schema: vol.Schema, errors: dict[str, str], placeholders: dict[str, str]
    ) -> ConfigFlowResult:
        return self.async_show_form(
            step_id=step_id,
            data_schema=schema,
            errors=errors,
            description_placeholders=placeholders,
        )


class PricingFlowMixin(ConfigFlow, _TariffSteps):
    """Steps of a new pricing entry (menu option ``pricing``)."""

    async def async_step_pricing(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Name and tariff type."""
        if user_input is not None:
            self._pricing = {CONF_TARIFF_TYPE: user_input[CONF_TARIFF_TYPE]}
            self._pricing_title = str(user_input.get(CONF_NAME) or DEFAULT_TITLE)
            return await self._async_pricing_tariff()
        schema = vol.Schema({vol.Required(CONF_NAME, default=DEFAULT_TITLE): TEXT}).extend(
            type_schema(TYPE_DAY_NIGHT).schema
        )
        return self.async_show_form(step_id="pricing", data_schema=schema)

    async def _async_pricing_tariff(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        if (shown := await self._async_tariff_step(user_input)) is not None:
            return shown
        return await self.async_step_pricing_costs()

    async_step_pricing_day_night = _async_pricing_tariff
    async_step_pricing_time_of_use = _async_pricing_tariff
    async_step_pricing_blocks = _async_pricing_tariff
    async_step_pricing_dynamic = _async_pricing_tariff

    async def async_step_pricing_costs(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Fees, standing charges, VAT, capacity and the billing day; then the entry."""
        if (shown := await self._async_costs_step(user_input)) is not None:
            return shown
        await self.async_set_unique_id(entry_unique_id(self._pricing[CONF_ENERGY_ENTITY]))
        self._abort_if_unique_id_configured()
        return self.async_create_entry(
            title=self._pricing_title, data={CONF_KIND: KIND_PRICING}, options=self._pricing
        )


class PricingOptionsFlow(OptionsFlow, _TariffSteps):
    """Change the tariff: its type, prices and terms."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Start from the entry's options."""
        self._pricing = dict(self.config_entry.options)
        self._own_entry_id = self.config_entry.entry_id
        return await self.async_step_pricing()

    async def async_step_pricing(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The tariff type (the prices of another type start from their defaults)."""
        if user_input is not None:
            self._pricing[CONF_TARIFF_TYPE] = user_input[CONF_TARIFF_TYPE]
            return await self._async_pricing_tariff()
        return self.async_show_form(
            step_id="pricing", data_schema=type_schema(self._pricing[CONF_TARIFF_TYPE])
        )

    async def _async_pricing_tariff(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        if (shown := await self._async_tariff_step(user_input)) is not None:
            return shown
        return await self.async_step_pricing_costs()

    async_step_pricing_day_night = _async_pricing_tariff
    async_step_pricing_time_of_use = _async_pricing_tariff
    async_step_pricing_blocks = _async_pricing_tariff
    async_step_pricing_dynamic = _async_pricing_tariff

    async def async_step_pricing_costs(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The common terms; saving reloads the entry with the new tariff."""
        if (shown := await self._async_costs_step(user_input)) is not None:
            return shown
        unique_id = entry_unique_id(self._pricing[CONF_ENERGY_ENTITY])
        if unique_id != self.config_entry.unique_id:
            self.hass.config_entries.async_update_entry(self.config_entry, unique_id=unique_id)
        return self.async_create_entry(data=self._pricing)
