"""Config, reauth and options flows of the utility-link entry kind."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import voluptuous as vol
from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlow
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
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
    TextSelectorConfig,
    TextSelectorType,
)

from ..openadr import (  # noqa: TID252
    EnrolmentError,
    InsecureUrlError,
    MemoryStore,
    OpenAdrError,
    Ven,
    VtnAuthError,
    VtnRequestError,
    VtnTlsError,
    VtnUnavailableError,
)
from .const import (
    CONF_ALLOWED_FROM,
    CONF_ALLOWED_TO,
    CONF_BASE_URL,
    CONF_CA_PEM,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_FLOOR_KW,
    CONF_KIND,
    CONF_LOADS,
    CONF_LONGEST_EVENT_H,
    CONF_OPTED_IN,
    CONF_POLL_INTERVAL_S,
    CONF_PROGRAM,
    CONF_RELAY_ENTITIES,
    CONF_TOKEN_URL,
    CONF_USAGE_ENTITY,
    CONF_VEN_NAME,
    CONF_VERSION,
    DEFAULT_LONGEST_EVENT_H,
    DEFAULT_POLL_INTERVAL_S,
    KIND_UTILITY_LINK,
    MIN_POLL_INTERVAL_S,
    PROBE_TIMEOUT_S,
    VERSIONS,
)
from .settings import participant_choices, ven_config

TEXT = TextSelector()
URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
SECRET = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
PEM = TextSelector(TextSelectorConfig(multiline=True))
ENERGY_METER = EntitySelector(
    EntitySelectorConfig(domain="sensor", device_class=SensorDeviceClass.ENERGY)
)
DEFAULT_OPTIONS: dict[str, Any] = {
    CONF_OPTED_IN: False,
    CONF_FLOOR_KW: 0.0,
    CONF_LONGEST_EVENT_H: DEFAULT_LONGEST_EVENT_H,
    CONF_ALLOWED_FROM: 0,
    CONF_ALLOWED_TO: 24,
    CONF_LOADS: [],
    CONF_POLL_INTERVAL_S: DEFAULT_POLL_INTERVAL_S,
}


def _number(low: float, high: float, step: float, unit: str) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=low, max=high, step=step, unit_of_measurement=unit, mode=NumberSelectorMode.BOX
        )
    )


def _link_schema(
    values: Mapping[str, Any], *, secret: type[vol.Marker] = vol.Required
) -> vol.Schema:
    def default(key: str, fallback: Any = vol.UNDEFINED) -> Any:
        return values.get(key, fallback)

    return vol.Schema(
        {
            vol.Required(CONF_BASE_URL, default=default(CONF_BASE_URL)): URL,
            vol.Required(CONF_VERSION, default=default(CONF_VERSION, VERSIONS[0])): SelectSelector(
                SelectSelectorConfig(options=list(VERSIONS))
            ),
            vol.Required(CONF_CLIENT_ID, default=default(CONF_CLIENT_ID)): TEXT,
            secret(CONF_CLIENT_SECRET): SECRET,
            vol.Optional(CONF_TOKEN_URL, default=default(CONF_TOKEN_URL, "")): URL,
            vol.Optional(CONF_CA_PEM, default=default(CONF_CA_PEM, "")): PEM,
            vol.Required(CONF_VEN_NAME, default=default(CONF_VEN_NAME)): TEXT,
            vol.Required(CONF_PROGRAM, default=default(CONF_PROGRAM)): TEXT,
        }
    )


def _form_errors(data: Mapping[str, Any]) -> dict[str, str]:
    """Errors found without contacting the VTN: HTTPS only, a readable CA."""
    errors: dict[str, str] = {}
    for key in (CONF_BASE_URL, CONF_TOKEN_URL):
        url = str(data.get(key) or "")
        if url and (urlsplit(url).scheme != "https" or not urlsplit(url).hostname):
            errors[key] = "vtn_not_https"
    if pem := data.get(CONF_CA_PEM):
        try:
            ssl.create_default_context().load_verify_locations(cadata=pem)
        except (ssl.SSLError, ValueError):
            errors[CONF_CA_PEM] = "vtn_invalid_ca"
    return errors


async def async_probe(hass: HomeAssistant, data: Mapping[str, Any]) -> str | None:
    """Connect once (token, enrolment, registration); the error key, or None if it works."""
    ven = Ven(async_get_clientsession(hass), ven_config(data), store=MemoryStore())
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_S):
            await ven.start()
    except VtnAuthError:
        return "vtn_auth"
    except VtnTlsError:
        return "vtn_tls"
    except (VtnUnavailableError, TimeoutError):
        return "vtn_unreachable"
    except EnrolmentError:
        return "vtn_not_enrolled"
    except InsecureUrlError:
        return "vtn_not_https"
    except (VtnRequestError, OpenAdrError):
        return "vtn_refused"
    return None


def _clean(data: Mapping[str, Any]) -> dict[str, Any]:
    """Entry data without empty optional fields, the URL without trailing spaces."""
    cleaned = {
        key: value.strip() if isinstance(value, str) else value for key, value in data.items()
    }
    return {key: value for key, value in cleaned.items() if value not in ("", None)}


class UtilityLinkFlowMixin(ConfigFlow):
    """The config-flow steps of a utility link (mixed into the main flow)."""

    async def async_step_utility_link(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """VTN, credentials, CA, VEN name and program; connects once before creating."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _clean(user_input)
            errors = _form_errors(data)
            if not errors:
                await self.async_set_unique_id(
                    f"{KIND_UTILITY_LINK}:{data[CONF_BASE_URL]}:{data[CONF_VEN_NAME]}"
                )
                self._abort_if_unique_id_configured()
                if error := await async_probe(self.hass, data):
                    errors["base"] = error
                else:
                    return self.async_create_entry(
                        title=f"Utility link {data[CONF_PROGRAM]}",
                        data={CONF_KIND: KIND_UTILITY_LINK, **data},
                        options=DEFAULT_OPTIONS,
                    )
        return self.async_show_form(
            step_id="utility_link",
            data_schema=_link_schema(user_input or {}),
            errors=errors,
        )

    async def async_step_utility_link_reauth(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The VTN refused the client credentials: ask for new ones."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **_clean(user_input)}
            if (error := await async_probe(self.hass, data)) is None:
                return self.async_update_reload_and_abort(
                    entry, data=data, reason="utility_link_reauthenticated"
                )
            errors["base"] = error
        return self.async_show_form(
            step_id="utility_link_reauth",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_CLIENT_ID, default=entry.data[CONF_CLIENT_ID]): TEXT,
                    vol.Required(CONF_CLIENT_SECRET): SECRET,
                }
            ),
            errors=errors,
            description_placeholders={"name": entry.title},
        )

    async def async_step_utility_link_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Another URL, CA or credentials (the secret kept when left empty); connects once."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            kept = {k: v for k, v in entry.data.items() if k not in (CONF_TOKEN_URL, CONF_CA_PEM)}
            data = kept | _clean(user_input)
            errors = _form_errors(data)
            if not errors and (error := await async_probe(self.hass, data)) is not None:
                errors["base"] = error
            if not errors:
                return self.async_update_reload_and_abort(
                    entry, data=data, reason="utility_link_reconfigured"
                )
        schema = _link_schema(user_input or entry.data, secret=vol.Optional)
        return self.async_show_form(
            step_id="utility_link_reconfigure", data_schema=schema, errors=errors
        )


def options_schema(hass: HomeAssistant, options: Mapping[str, Any]) -> vol.Schema:
    """The resident's bounds, the poll interval and the usage meter."""
    choices = [SelectOptionDict(value=v, label=label) for v, label in participant_choices(hass)]
    known = {choice["value"] for choice in choices}
    loads = [load_id for load_id in options.get(CONF_LOADS, []) if load_id in known]
    usage = options.get(CONF_USAGE_ENTITY)
    return vol.Schema(
        {
            vol.Required(CONF_OPTED_IN, default=options.get(CONF_OPTED_IN, False)): (
                BooleanSelector()
            ),
            vol.Required(CONF_FLOOR_KW, default=options.get(CONF_FLOOR_KW, 0.0)): _number(
                0, 1000, 0.1, "kW"
            ),
            vol.Required(
                CONF_LONGEST_EVENT_H,
                default=options.get(CONF_LONGEST_EVENT_H, DEFAULT_LONGEST_EVENT_H),
            ): _number(0.25, 48, 0.25, "h"),
            vol.Required(CONF_ALLOWED_FROM, default=options.get(CONF_ALLOWED_FROM, 0)): _number(
                0, 23, 1, "h"
            ),
            vol.Required(CONF_ALLOWED_TO, default=options.get(CONF_ALLOWED_TO, 24)): _number(
                1, 24, 1, "h"
            ),
            vol.Optional(CONF_LOADS, default=loads): SelectSelector(
                SelectSelectorConfig(options=choices, multiple=True, mode=SelectSelectorMode.LIST)
            ),
            vol.Required(
                CONF_POLL_INTERVAL_S,
                default=options.get(CONF_POLL_INTERVAL_S, DEFAULT_POLL_INTERVAL_S),
            ): _number(MIN_POLL_INTERVAL_S, 3600, 1, "s"),
            vol.Optional(CONF_USAGE_ENTITY, **({"default": usage} if usage else {})): ENERGY_METER,
            vol.Optional(
                CONF_RELAY_ENTITIES, default=list(options.get(CONF_RELAY_ENTITIES, []))
            ): EntitySelector(
                EntitySelectorConfig(
                    domain="sensor", device_class=SensorDeviceClass.ENERGY, multiple=True
                )
            ),
        }
    )


class UtilityLinkOptionsFlow(OptionsFlow):
    """Participation and bounds of a utility link."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The one form of the utility link."""
        return await self.async_step_utility_link(user_input)

    async def async_step_utility_link(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Opt-in, floor, longest event, allowed hours, loads, poll interval and meters."""
        errors: dict[str, str] = {}
        if user_input is not None:
            if user_input[CONF_OPTED_IN] and not user_input.get(CONF_LOADS):
                errors[CONF_LOADS] = "dr_no_loads"
            elif user_input[CONF_ALLOWED_FROM] == user_input[CONF_ALLOWED_TO]:
                errors[CONF_ALLOWED_TO] = "empty_period"
            else:
                return self.async_create_entry(data=user_input)
        return self.async_show_form(
            step_id="utility_link",
            data_schema=options_schema(self.hass, user_input or self.config_entry.options),
            errors=errors,
        )
