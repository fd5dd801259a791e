"""Options of a hub entry: per channel meter type, pulse constant, register reading and name."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import ConfigFlowResult
from homeassistant.const import CONF_NAME
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
)
from homeassistant.util import dt as dt_util

from .compat import ReloadingOptionsFlow
from .const import (
    CONF_CHANNEL,
    CONF_CHANNELS,
    CONF_MAX_RATE,
    CONF_MEDIUM,
    CONF_NODES,
    CONF_PULSE_CONSTANT,
    CONF_REGISTER,
    CONF_REGISTER_TIME,
    MEDIUM_KEYS,
    pulses_per_unit,
)
from .coordinator import BalanceConfigEntry
from .hub import HubError
from .metering import DEFAULT_MAX_RATE
from .names import node_label

NODE_CHOICE = "node:"
MEDIUM_BY_KEY = {key: medium for medium, key in MEDIUM_KEYS.items()}


class BalanceOptionsFlow(ReloadingOptionsFlow):
    """Per channel settings: meter type, pulse constant, register reading and name.

    Saving reloads the entry (the entities are rebuilt with the new settings).
    """

    def __init__(self) -> None:
        """Nothing chosen yet."""
        self._channel: str | None = None
        self._node: int | None = None

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose the meter channel, or the radio module, to set up."""
        entry: BalanceConfigEntry = self.config_entry
        if not hasattr(entry, "runtime_data"):
            return self.async_abort(reason="not_loaded")
        coordinator = entry.runtime_data.coordinator
        inventory = coordinator.inventory
        if user_input is not None:
            choice: str = user_input[CONF_CHANNEL]
            if choice.startswith(NODE_CHOICE):
                self._node = int(choice.removeprefix(NODE_CHOICE))
                return await self.async_step_node()
            self._channel = choice
            return await self.async_step_channel()
        options = [
            SelectOptionDict(
                value=f"{node.node_id}:{channel.channel}",
                label=f"{inventory.node_name(node.node_id)}: "
                f"{inventory.names.meter(node, channel)} (input {channel.channel})",
            )
            for node in coordinator.nodes.values()
            for channel in node.channels.values()
        ]
        options.extend(
            SelectOptionDict(
                value=f"{NODE_CHOICE}{node.node_id}", label=inventory.node_name(node.node_id)
            )
            for node in coordinator.nodes.values()
            if inventory.is_radio_node(node.node_id)
        )
        if not options:
            return self.async_abort(reason="no_channels")
        return self.async_show_form(
            step_id="init",
            data_schema=vol.Schema(
                {vol.Required(CONF_CHANNEL): SelectSelector(SelectSelectorConfig(options=options))}
            ),
        )

    async def async_step_node(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Name a radio module (its device, and the start of its entities' names)."""
        entry: BalanceConfigEntry = self.config_entry
        assert self._node is not None
        key = str(self._node)
        if user_input is not None:
            nodes = {k: dict(v) for k, v in entry.options.get(CONF_NODES, {}).items()}
            if name := (user_input.get(CONF_NAME) or "").strip():
                nodes[key] = {**nodes.get(key, {}), CONF_NAME: name}
            else:
                nodes.pop(key, None)  # back to "Radio module <id>"
            return self.async_create_entry(data={**entry.options, CONF_NODES: nodes})
        current = entry.runtime_data.coordinator.inventory.user_node_name(self._node) or ""
        return self.async_show_form(
            step_id="node",
            data_schema=vol.Schema({vol.Optional(CONF_NAME, default=current): TextSelector()}),
            description_placeholders={"node": node_label(self._node)},
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
                max_rate = user_input.get(CONF_MAX_RATE)
                if max_rate is not None and float(max_rate) != DEFAULT_MAX_RATE[channel.medium]:
                    settings[CONF_MAX_RATE] = float(max_rate)  # else the medium's default
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
                vol.Optional(
                    CONF_MAX_RATE,
                    default=channel.total.max_rate or DEFAULT_MAX_RATE[channel.medium],
                ): NumberSelector(
                    NumberSelectorConfig(min=0.001, step="any", mode=NumberSelectorMode.BOX)
                ),
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
