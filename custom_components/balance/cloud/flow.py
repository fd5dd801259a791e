"""Config, reauth and options flows of the BALANCE cloud entry kind."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME, UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from ..const import CONF_KIND, DOMAIN, KIND_CLOUD, LOGGER  # noqa: TID252
from .api import (
    CloudAuthError,
    CloudClient,
    CloudConnectionError,
    CloudError,
    CloudMeter,
    Resource,
    normalize_base_url,
)
from .const import (
    CONF_RESOURCES,
    CONF_SCAN_MINUTES,
    DEFAULT_SCAN_MINUTES,
    RESOURCE_AUTO,
    SCAN_MINUTES_RANGE,
)

_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
ACCOUNT_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_URL): TextSelector(TextSelectorConfig(type=TextSelectorType.URL)),
        vol.Required(CONF_USERNAME): TextSelector(
            TextSelectorConfig(type=TextSelectorType.TEXT, autocomplete="username")
        ),
        vol.Required(CONF_PASSWORD): _PASSWORD,
    }
)


def account_unique_id(base_url: str, username: str) -> str:
    """One entry per account: the server and the username (case-insensitive)."""
    return f"{normalize_base_url(base_url)}|{username.strip().casefold()}"


async def async_check_account(
    hass: HomeAssistant, base_url: str, username: str, password: str
) -> dict[str, str]:
    """Sign in and list the meters once; the form's errors (empty when it works)."""
    client = CloudClient(async_get_clientsession(hass), base_url, username, password)
    try:
        await client.async_get_meters()
    except CloudAuthError:
        return {"base": "cloud_invalid_auth"}
    except CloudConnectionError as err:
        LOGGER.debug("BALANCE server %s unreachable: %s", base_url, err)
        return {"base": "cloud_cannot_connect"}
    except CloudError as err:
        LOGGER.debug("BALANCE server %s answered unexpectedly: %s", base_url, err)
        return {"base": "cloud_unexpected"}
    return {}


class CloudFlowMixin(ConfigFlow):
    """The config-flow steps of a cloud account (mixed into the main flow)."""

    async def async_step_cloud(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Server address, username and password of an existing BALANCE account."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                base_url = normalize_base_url(user_input[CONF_URL])
            except ValueError:
                errors[CONF_URL] = "cloud_invalid_url"
            else:
                username = user_input[CONF_USERNAME].strip()
                unique_id = account_unique_id(base_url, username)
                await self.async_set_unique_id(unique_id, raise_on_progress=False)
                if self.hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, unique_id):
                    return self.async_abort(reason="cloud_already_configured")
                password = user_input[CONF_PASSWORD]
                errors = await async_check_account(self.hass, base_url, username, password)
                if not errors:
                    return self.async_create_entry(
                        title=f"BALANCE cloud {username}",
                        data={
                            CONF_KIND: KIND_CLOUD,
                            CONF_URL: base_url,
                            CONF_USERNAME: username,
                            CONF_PASSWORD: password,
                        },
                    )
        return self.async_show_form(
            step_id="cloud",
            data_schema=self.add_suggested_values_to_schema(
                ACCOUNT_SCHEMA, {k: v for k, v in (user_input or {}).items() if k != CONF_PASSWORD}
            ),
            errors=errors,
        )

    async def async_step_cloud_reauth(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The server refused the stored password: ask for the current one."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, CONF_PASSWORD: user_input[CONF_PASSWORD]}
            errors = await async_check_account(
                self.hass, data[CONF_URL], data[CONF_USERNAME], data[CONF_PASSWORD]
            )
            if not errors:
                return self.async_update_reload_and_abort(
                    entry, data=data, reason="cloud_reauth_successful"
                )
        return self.async_show_form(
            step_id="cloud_reauth",
            data_schema=vol.Schema({vol.Required(CONF_PASSWORD): _PASSWORD}),
            errors=errors,
            description_placeholders={
                "username": entry.data[CONF_USERNAME],
                "url": entry.data[CONF_URL],
            },
        )

    async def async_step_cloud_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The server moved (new address) or the password changed; same account and history."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                base_url = normalize_base_url(user_input[CONF_URL])
            except ValueError:
                errors[CONF_URL] = "cloud_invalid_url"
            else:
                password = user_input.get(CONF_PASSWORD) or entry.data[CONF_PASSWORD]
                errors = await async_check_account(
                    self.hass, base_url, entry.data[CONF_USERNAME], password
                )
                if not errors:
                    # The unique id stays: entities and statistics keep their ids.
                    return self.async_update_reload_and_abort(
                        entry,
                        data={**entry.data, CONF_URL: base_url, CONF_PASSWORD: password},
                        reason="cloud_reconfigure_successful",
                    )
        schema = vol.Schema(
            {
                vol.Required(CONF_URL, default=entry.data[CONF_URL]): TextSelector(
                    TextSelectorConfig(type=TextSelectorType.URL)
                ),
                vol.Optional(CONF_PASSWORD): _PASSWORD,
            }
        )
        return self.async_show_form(
            step_id="cloud_reconfigure",
            data_schema=schema,
            errors=errors,
            description_placeholders={"username": entry.data[CONF_USERNAME]},
        )


_RESOURCE_SELECTOR = SelectSelector(
    SelectSelectorConfig(
        options=[RESOURCE_AUTO, *(resource.value for resource in Resource)],
        translation_key="cloud_resource",
        mode=SelectSelectorMode.DROPDOWN,
    )
)


class CloudOptionsFlow(OptionsFlow):
    """How often the account is polled, and what each meter measures."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Start with the polling form."""
        return await self.async_step_cloud(user_input)

    def _meters(self) -> dict[str, CloudMeter]:
        """The meters the running entry knows (none while it is not loaded)."""
        entry = self.config_entry
        if entry.state is not ConfigEntryState.LOADED:
            return {}
        data: dict[str, CloudMeter] = entry.runtime_data.data
        return dict(sorted(data.items()))

    async def async_step_cloud(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The polling interval and, per meter, the server's resource or the resident's."""
        meters = self._meters()
        current: Mapping[str, Any] = self.config_entry.options
        chosen: Mapping[str, str] = current.get(CONF_RESOURCES, {})
        if user_input is not None:
            resources = {
                key: user_input[key]
                for key in meters
                if user_input.get(key, RESOURCE_AUTO) != RESOURCE_AUTO
            }
            # Meters the server does not list now keep what was chosen for them.
            resources |= {key: value for key, value in chosen.items() if key not in meters}
            return self.async_create_entry(
                data={
                    CONF_SCAN_MINUTES: int(user_input[CONF_SCAN_MINUTES]),
                    CONF_RESOURCES: resources,
                }
            )
        low, high = SCAN_MINUTES_RANGE
        fields: dict[Any, Any] = {
            vol.Required(
                CONF_SCAN_MINUTES,
                default=current.get(CONF_SCAN_MINUTES, DEFAULT_SCAN_MINUTES),
            ): NumberSelector(
                NumberSelectorConfig(
                    min=low,
                    max=high,
                    step=1,
                    unit_of_measurement=UnitOfTime.MINUTES,
                    mode=NumberSelectorMode.BOX,
                )
            )
        }
        for key in meters:
            fields[vol.Required(key, default=chosen.get(key, RESOURCE_AUTO))] = _RESOURCE_SELECTOR
        listed = "\n".join(f"- {key}: {meter.name or key}" for key, meter in meters.items())
        return self.async_show_form(
            step_id="cloud",
            data_schema=vol.Schema(fields),
            description_placeholders={"meters": listed or "-"},
        )
