"""Config flow of the BALANCE integration: serial or network hubs, discovery, reauth."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import serial.tools.list_ports  # type: ignore[import-untyped]
import voluptuous as vol
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
)
from homeassistant.const import CONF_DEVICE, CONF_HOST, CONF_PORT
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    Selector,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.usb import UsbServiceInfo
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo

from .cloud.flow import CloudFlowMixin, CloudOptionsFlow
from .compat import native_serial_port_selector, port_label, serial_by_id
from .const import (
    CONF_CONNECTION,
    CONF_PSK,
    CONNECTION_SERIAL,
    CONNECTION_TCP,
    DEFAULT_PORT,
    DOMAIN,
    LOGGER,
    MEDIUM_KEYS,
)
from .hub import (
    HubAuthError,
    HubConnectionError,
    HubDowngradeError,
    HubError,
    HubIncompatibleError,
    InvalidKeyError,
)
from .hub.messages import AuthStatus
from .hub_entry import create_client
from .insights.flow import InsightsFlowMixin, InsightsOptionsFlow
from .insights.flow import subentry_types as insights_subentry_types
from .kinds import for_entry_kind
from .load_management.flow import (
    LoadManagementFlowMixin,
    LoadManagementOptionsFlow,
)
from .load_management.flow import subentry_types as load_management_subentry_types
from .options_flow import BalanceOptionsFlow
from .pricing.flow import PricingFlowMixin, PricingOptionsFlow
from .utility_link.flow import UtilityLinkFlowMixin, UtilityLinkOptionsFlow

PROBE_TIMEOUT = 10.0
KEY_ERRORS = frozenset({"invalid_key", "invalid_auth", "key_required", "downgrade"})
MEDIUM_BY_KEY = {key: medium for medium, key in MEDIUM_KEYS.items()}


class ProbeError(Exception):
    """Connecting to the hub failed; ``error`` is the translation key."""

    def __init__(self, error: str, hub_id: str | None = None) -> None:
        """Keep the error key and the hub id if the hub said hello."""
        super().__init__(error)
        self.error = error
        self.hub_id = hub_id


async def async_probe(data: Mapping[str, Any]) -> str:
    """Connect once and return the hub id; raise ProbeError with a translation key."""
    try:
        client = create_client(data, connect_timeout=PROBE_TIMEOUT)
    except InvalidKeyError as err:
        raise ProbeError("invalid_key") from err
    try:
        info = await client.connect()
    except HubAuthError as err:
        hub_id = client.hub_hello.name if client.hub_hello else None
        key = "key_required" if err.status == AuthStatus.KEY_REQUIRED else "invalid_auth"
        raise ProbeError(key, hub_id) from err
    except HubIncompatibleError as err:
        raise ProbeError("incompatible") from err
    except HubDowngradeError as err:
        raise ProbeError("downgrade") from err
    except HubConnectionError as err:
        LOGGER.debug("Cannot connect to %s: %s", client.target, err)
        raise ProbeError("cannot_connect") from err
    except HubError as err:  # pragma: no cover - defensive
        LOGGER.exception("Unexpected hub error")
        raise ProbeError("unknown") from err
    finally:
        await client.disconnect()
    return info.hub_id


def _list_ports() -> list[SelectOptionDict]:
    return [
        SelectOptionDict(
            value=port.device,
            label=port_label(port),
        )
        for port in serial.tools.list_ports.comports()
    ]


PSK_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
PORT_SELECTOR = NumberSelector(
    NumberSelectorConfig(min=1, max=65535, step=1, mode=NumberSelectorMode.BOX)
)


def _network_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(CONF_HOST, default=defaults.get(CONF_HOST, vol.UNDEFINED)): TextSelector(),
            vol.Required(CONF_PORT, default=defaults.get(CONF_PORT, DEFAULT_PORT)): PORT_SELECTOR,
            vol.Optional(CONF_PSK): PSK_SELECTOR,
        }
    )


def _clean(user_input: Mapping[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in user_input.items() if v not in (None, "")}
    if CONF_PORT in data:
        data[CONF_PORT] = int(data[CONF_PORT])
    if CONF_PSK in data:
        data[CONF_PSK] = str(data[CONF_PSK]).strip()
    return data


class BalanceConfigFlow(
    LoadManagementFlowMixin,
    CloudFlowMixin,
    InsightsFlowMixin,
    UtilityLinkFlowMixin,
    PricingFlowMixin,
    domain=DOMAIN,
):
    """Set up a BALANCE hub (or load management, whose steps come from the mixin)."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        """Start with nothing known."""
        self._data: dict[str, Any] = {}
        self._hub_id: str | None = None
        self._needs_key = False

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        """Per channel settings of a hub; the settings of a load-management entry."""
        flow = for_entry_kind(
            config_entry,
            hub=BalanceOptionsFlow,
            load_management=LoadManagementOptionsFlow,
            pricing=PricingOptionsFlow,
            cloud=CloudOptionsFlow,
            insights=InsightsOptionsFlow,
            utility_link=UtilityLinkOptionsFlow,
        )
        return flow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """The subentry flows of the entry's kind (a hub has none)."""
        types = for_entry_kind(
            config_entry,
            hub=dict,
            load_management=load_management_subentry_types,
            pricing=dict,
            cloud=dict,
            insights=insights_subentry_types,
            utility_link=dict,
        )
        return types()

    # ---------------------------------------------------------------- helpers

    async def _async_try(self, data: dict[str, Any]) -> tuple[str | None, dict[str, str]]:
        """Probe; return the hub id or errors for the form."""
        try:
            hub_id = await async_probe(data)
        except ProbeError as err:
            field = CONF_PSK if err.error in KEY_ERRORS else "base"
            return None, {field: err.error}
        return hub_id, {}

    async def _async_port_selector(self) -> Selector[Any]:
        """HA's port picker where it has one, else the ports found here (or a typed path)."""
        if (native := native_serial_port_selector()) is not None:
            return native
        ports = await self.hass.async_add_executor_job(_list_ports)
        return SelectSelector(SelectSelectorConfig(options=ports, custom_value=True))

    def _title(self) -> str:
        return f"BALANCE hub {self._hub_id}"

    async def _async_create(self, data: dict[str, Any], hub_id: str) -> ConfigFlowResult:
        self._hub_id = hub_id
        await self.async_set_unique_id(hub_id, raise_on_progress=False)
        self._abort_if_unique_id_configured()
        return self.async_create_entry(title=self._title(), data=data)

    # ------------------------------------------------------------- user steps

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose serial or network."""
        return self.async_show_menu(
            step_id="user",
            menu_options=[
                "serial",
                "network",
                "load_management",
                "pricing",
                "cloud",
                "insights",
                "utility_link",
            ],
        )

    async def async_step_serial(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick a detected serial port."""
        errors: dict[str, str] = {}
        if user_input is not None:
            device = await self.hass.async_add_executor_job(serial_by_id, user_input[CONF_DEVICE])
            data = _clean({**user_input, CONF_DEVICE: device, CONF_CONNECTION: CONNECTION_SERIAL})
            hub_id, errors = await self._async_try(data)
            if hub_id is not None:
                return await self._async_create(data, hub_id)
        # Detected ports are offered; any other path (e.g. /dev/ttyUSB0 in a container that
        # hides USB details) can be typed in.
        schema = vol.Schema(
            {
                vol.Required(CONF_DEVICE): await self._async_port_selector(),
                vol.Optional(CONF_PSK): PSK_SELECTOR,
            }
        )
        return self.async_show_form(step_id="serial", data_schema=schema, errors=errors)

    async def async_step_network(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Host, port and (if the hub has one) its pre-shared key."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _clean({**user_input, CONF_CONNECTION: CONNECTION_TCP})
            hub_id, errors = await self._async_try(data)
            if hub_id is not None:
                return await self._async_create(data, hub_id)
        return self.async_show_form(
            step_id="network",
            data_schema=self.add_suggested_values_to_schema(_network_schema({}), user_input),
            errors=errors,
        )

    # --------------------------------------------------------------- discovery

    async def async_step_zeroconf(self, discovery_info: ZeroconfServiceInfo) -> ConfigFlowResult:
        """A hub announced itself on the network."""
        hub_id = discovery_info.properties.get("id")
        if not hub_id:
            return self.async_abort(reason="not_balance_hub")
        host, port = discovery_info.host, discovery_info.port or DEFAULT_PORT
        await self.async_set_unique_id(hub_id)
        entry = self.hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, hub_id)
        if entry is not None and entry.data.get(CONF_CONNECTION) == CONNECTION_TCP:
            self._abort_if_unique_id_configured(updates={CONF_HOST: host, CONF_PORT: port})
        self._abort_if_unique_id_configured()
        self._hub_id = hub_id
        self._needs_key = discovery_info.properties.get("key") == "1"
        self._data = {CONF_CONNECTION: CONNECTION_TCP, CONF_HOST: host, CONF_PORT: port}
        self.context["title_placeholders"] = {"name": hub_id}
        return await self.async_step_discovery_confirm()

    async def async_step_usb(self, discovery_info: UsbServiceInfo) -> ConfigFlowResult:
        """A hub was plugged into a USB port."""
        device = await self.hass.async_add_executor_job(serial_by_id, discovery_info.device)
        data = {CONF_CONNECTION: CONNECTION_SERIAL, CONF_DEVICE: device}
        try:
            hub_id = await async_probe(data)
        except ProbeError as err:
            if err.hub_id is None:
                return self.async_abort(reason=err.error)
            hub_id = err.hub_id
            self._needs_key = True
        await self.async_set_unique_id(hub_id)
        entry = self.hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, hub_id)
        if entry is not None and entry.data.get(CONF_CONNECTION) == CONNECTION_SERIAL:
            self._abort_if_unique_id_configured(updates={CONF_DEVICE: device})
        self._abort_if_unique_id_configured()
        self._hub_id = hub_id
        self._data = data
        self.context["title_placeholders"] = {"name": hub_id}
        return await self.async_step_discovery_confirm()

    async def async_step_discovery_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm a discovered hub (and give its key when it has one)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _clean({**self._data, **user_input})
            hub_id, errors = await self._async_try(data)
            if hub_id is not None:
                return await self._async_create(data, hub_id)
        schema = vol.Schema({vol.Required(CONF_PSK): PSK_SELECTOR} if self._needs_key else {})
        return self.async_show_form(
            step_id="discovery_confirm",
            data_schema=schema,
            errors=errors,
            description_placeholders={"name": str(self._hub_id)},
        )

    # ----------------------------------------------------------- reauth / reconfigure

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The hub refused the key (a cloud account: the password)."""
        step = for_entry_kind(
            self._get_reauth_entry(),
            hub=self.async_step_reauth_confirm,
            load_management=self.async_step_reauth_confirm,
            cloud=self.async_step_cloud_reauth,
            utility_link=self.async_step_utility_link_reauth,
        )
        return await step()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the new key."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _clean({**entry.data, **user_input})
            hub_id, errors = await self._async_try(data)
            if hub_id is not None:
                await self.async_set_unique_id(hub_id)
                self._abort_if_unique_id_mismatch(reason="wrong_hub")
                return self.async_update_reload_and_abort(entry, data=data)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema({vol.Required(CONF_PSK): PSK_SELECTOR}),
            errors=errors,
            description_placeholders={"name": entry.title},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Move the hub to another port or address (load management: change its settings)."""
        step = for_entry_kind(
            self._get_reconfigure_entry(),
            hub=self._async_reconfigure_hub,
            load_management=self.async_step_load_management_reconfigure,
            insights=self.async_step_insights_reconfigure,
            cloud=self.async_step_cloud_reconfigure,
            utility_link=self.async_step_utility_link_reconfigure,
        )
        return await step(user_input)

    async def _async_reconfigure_hub(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        entry = self._get_reconfigure_entry()
        serial_link = entry.data.get(CONF_CONNECTION) == CONNECTION_SERIAL
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _clean({**entry.data, **user_input})
            if serial_link:
                data[CONF_DEVICE] = await self.hass.async_add_executor_job(
                    serial_by_id, data[CONF_DEVICE]
                )
            hub_id, errors = await self._async_try(data)
            if hub_id is not None:
                await self.async_set_unique_id(hub_id)
                self._abort_if_unique_id_mismatch(reason="wrong_hub")
                return self.async_update_reload_and_abort(entry, data=data)
        if serial_link:
            schema = vol.Schema(
                {
                    vol.Required(
                        CONF_DEVICE, default=entry.data[CONF_DEVICE]
                    ): await self._async_port_selector(),
                    vol.Optional(CONF_PSK): PSK_SELECTOR,
                }
            )
        else:
            schema = _network_schema(entry.data)
        return self.async_show_form(step_id=SOURCE_RECONFIGURE, data_schema=schema, errors=errors)
