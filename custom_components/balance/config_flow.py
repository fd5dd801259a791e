"""Config flow of the BALANCE integration: serial or network hubs, discovery, reauth."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import serial.tools.list_ports  # type: ignore[import-untyped]
import voluptuous as vol
from homeassistant.components import usb
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.const import CONF_DEVICE, CONF_HOST, CONF_NAME, CONF_PORT
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    DateTimeSelector,
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
from homeassistant.helpers.service_info.usb import UsbServiceInfo
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
from homeassistant.util import dt as dt_util

from .const import (
    CONF_CHANNEL,
    CONF_CHANNELS,
    CONF_CONNECTION,
    CONF_MEDIUM,
    CONF_PSK,
    CONF_PULSE_CONSTANT,
    CONF_REGISTER,
    CONF_REGISTER_TIME,
    CONNECTION_SERIAL,
    CONNECTION_TCP,
    DEFAULT_PORT,
    DOMAIN,
    LOGGER,
    MEDIUM_KEYS,
    pulses_per_unit,
)
from .coordinator import BalanceConfigEntry
from .hub import (
    HubAuthError,
    HubClient,
    HubConnectionError,
    HubError,
    HubIncompatibleError,
    InvalidKeyError,
    parse_psk,
)
from .hub.messages import AuthStatus
from .load_management import is_load_management
from .load_management.flow import LoadManagementFlowMixin, LoadManagementOptionsFlow

PROBE_TIMEOUT = 10.0
KEY_ERRORS = frozenset({"invalid_key", "invalid_auth", "key_required"})
MEDIUM_BY_KEY = {key: medium for medium, key in MEDIUM_KEYS.items()}


def create_client(data: Mapping[str, Any], **kwargs: Any) -> HubClient:
    """Build a hub client from config entry data."""
    psk = parse_psk(data[CONF_PSK]) if data.get(CONF_PSK) else None
    if data.get(CONF_CONNECTION) == CONNECTION_SERIAL:
        return HubClient(device=data[CONF_DEVICE], psk=psk, **kwargs)
    port = data.get(CONF_PORT, DEFAULT_PORT)
    return HubClient(host=data[CONF_HOST], port=port, psk=psk, **kwargs)


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
            label=usb.human_readable_device_name(
                port.device,
                port.serial_number,
                port.manufacturer,
                port.description,
                port.vid,
                port.pid,
            ),
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


class BalanceConfigFlow(LoadManagementFlowMixin, domain=DOMAIN):
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
        if is_load_management(config_entry):
            return LoadManagementOptionsFlow()
        return BalanceOptionsFlow()

    # ---------------------------------------------------------------- helpers

    async def _async_try(self, data: dict[str, Any]) -> tuple[str | None, dict[str, str]]:
        """Probe; return the hub id or errors for the form."""
        try:
            hub_id = await async_probe(data)
        except ProbeError as err:
            field = CONF_PSK if err.error in KEY_ERRORS else "base"
            return None, {field: err.error}
        return hub_id, {}

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
            step_id="user", menu_options=["serial", "network", "load_management"]
        )

    async def async_step_serial(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick a detected serial port."""
        errors: dict[str, str] = {}
        if user_input is not None:
            device = await self.hass.async_add_executor_job(
                usb.get_serial_by_id, user_input[CONF_DEVICE]
            )
            data = _clean({**user_input, CONF_DEVICE: device, CONF_CONNECTION: CONNECTION_SERIAL})
            hub_id, errors = await self._async_try(data)
            if hub_id is not None:
                return await self._async_create(data, hub_id)
        # Detected ports are offered; any other path (e.g. /dev/ttyUSB0 in a container that
        # hides USB details) can be typed in.
        ports = await self.hass.async_add_executor_job(_list_ports)
        schema = vol.Schema(
            {
                vol.Required(CONF_DEVICE): SelectSelector(
                    SelectSelectorConfig(options=ports, custom_value=True)
                ),
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
        device = await self.hass.async_add_executor_job(usb.get_serial_by_id, discovery_info.device)
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
        """The hub refused the key."""
        return await self.async_step_reauth_confirm()

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
        """Move the hub to another port or address."""
        entry = self._get_reconfigure_entry()
        if is_load_management(entry):
            return await self.async_step_load_management_reconfigure(user_input)
        serial_link = entry.data.get(CONF_CONNECTION) == CONNECTION_SERIAL
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _clean({**entry.data, **user_input})
            if serial_link:
                data[CONF_DEVICE] = await self.hass.async_add_executor_job(
                    usb.get_serial_by_id, data[CONF_DEVICE]
                )
            hub_id, errors = await self._async_try(data)
            if hub_id is not None:
                await self.async_set_unique_id(hub_id)
                self._abort_if_unique_id_mismatch(reason="wrong_hub")
                return self.async_update_reload_and_abort(entry, data=data)
        if serial_link:
            ports = await self.hass.async_add_executor_job(_list_ports)
            schema = vol.Schema(
                {
                    vol.Required(CONF_DEVICE, default=entry.data[CONF_DEVICE]): SelectSelector(
                        SelectSelectorConfig(options=ports, custom_value=True)
                    ),
                    vol.Optional(CONF_PSK): PSK_SELECTOR,
                }
            )
        else:
            schema = _network_schema(entry.data)
        return self.async_show_form(step_id=SOURCE_RECONFIGURE, data_schema=schema, errors=errors)


class BalanceOptionsFlow(OptionsFlow):
    """Per channel settings: meter type, pulse constant, register reading and name."""

    def __init__(self) -> None:
        """Nothing chosen yet."""
        self._channel: str | None = None

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose the channel to set up."""
        entry: BalanceConfigEntry = self.config_entry
        if not hasattr(entry, "runtime_data"):
            return self.async_abort(reason="not_loaded")
        coordinator = entry.runtime_data.coordinator
        if user_input is not None:
            self._channel = user_input[CONF_CHANNEL]
            return await self.async_step_channel()
        options = [
            SelectOptionDict(
                value=f"{node.node_id}:{channel.channel}",
                label=f"{coordinator.node_name(node.node_id)} / {channel.channel}"
                + (f" ({channel.name})" if channel.name else ""),
            )
            for node in coordinator.nodes.values()
            for channel in node.channels.values()
        ]
        if not options:
            return self.async_abort(reason="no_channels")
        return self.async_show_form(
            step_id="init",
            data_schema=vol.Schema(
                {vol.Required(CONF_CHANNEL): SelectSelector(SelectSelectorConfig(options=options))}
            ),
        )

    async def async_step_channel(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Settings of one channel."""
        entry: BalanceConfigEntry = self.config_entry
        coordinator = entry.runtime_data.coordinator
        assert self._channel is not None
        node_id, channel_no = (int(x) for x in self._channel.split(":"))
        channel = coordinator.nodes[node_id].channels[channel_no]
        errors: dict[str, str] = {}
        if user_input is not None:
            medium = MEDIUM_BY_KEY[user_input[CONF_MEDIUM]]
            constant = float(user_input[CONF_PULSE_CONSTANT])
            register = user_input.get(CONF_REGISTER)
            when: float | None = None
            if raw_time := user_input.get(CONF_REGISTER_TIME):
                parsed = dt_util.parse_datetime(raw_time, raise_on_error=True)  # selector-checked
                if parsed.tzinfo is None:
                    parsed = parsed.replace(tzinfo=dt_util.get_default_time_zone())
                when = parsed.timestamp()
                if when > datetime.now().timestamp() + 60:
                    errors[CONF_REGISTER_TIME] = "time_in_future"
            if not errors:
                try:
                    await coordinator.async_calibrate(
                        self._channel,
                        pulses_per_unit_=pulses_per_unit(medium, constant),
                        register=None if register is None else float(register),
                        register_time=when,
                    )
                except HubError:
                    errors["base"] = "archive_unavailable"
            if not errors:
                channels = dict(entry.options.get(CONF_CHANNELS, {}))
                settings: dict[str, Any] = {
                    CONF_MEDIUM: int(medium),
                    CONF_PULSE_CONSTANT: constant,
                }
                if name := (user_input.get(CONF_NAME) or "").strip():
                    settings[CONF_NAME] = name
                channels[self._channel] = settings
                return self.async_create_entry(data={**entry.options, CONF_CHANNELS: channels})
        schema = vol.Schema(
            {
                vol.Required(CONF_MEDIUM, default=MEDIUM_KEYS[channel.medium]): SelectSelector(
                    SelectSelectorConfig(
                        options=list(MEDIUM_KEYS.values()),
                        translation_key=CONF_MEDIUM,
                        mode=SelectSelectorMode.DROPDOWN,
                    )
                ),
                vol.Required(CONF_PULSE_CONSTANT, default=channel.pulse_constant): NumberSelector(
                    NumberSelectorConfig(min=0.0001, step="any", mode=NumberSelectorMode.BOX)
                ),
                vol.Optional(CONF_REGISTER): NumberSelector(
                    NumberSelectorConfig(min=0, step="any", mode=NumberSelectorMode.BOX)
                ),
                vol.Optional(CONF_REGISTER_TIME): DateTimeSelector(),
                vol.Optional(CONF_NAME, default=channel.name or ""): TextSelector(),
            }
        )
        return self.async_show_form(
            step_id="channel",
            data_schema=schema,
            errors=errors,
            description_placeholders={
                "channel": self._channel,
                "total": "-" if channel.value is None else f"{channel.value:g}",
            },
        )
