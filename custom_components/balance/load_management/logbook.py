"""Logbook lines of load management: which load it switched or reduced, and why.

The manager fires EVENT_LOAD_MANAGEMENT in a new context right before the command, so the
event is that context's origin: the load's state change then reads "triggered by Load
management ..." instead of "triggered by action Generic turn off".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ENTITY_ID,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import Event, HomeAssistant, callback

from ..const import DOMAIN  # noqa: TID252
from .const import (
    ATTR_COMMAND,
    ATTR_HOUSE_W,
    ATTR_LIMIT_W,
    ATTR_LOAD_NAME,
    ATTR_LOWERED,
    ATTR_REASON,
    ATTR_SETPOINT,
    EVENT_LOAD_MANAGEMENT,
)

NAME = "Load management"

_WHY = {
    "over_limit": "the house drew {house_w} W, over its {limit_w} W limit",
    "rotation": "to make room for a yellow load at its max off time",
    "headroom": "there is room under the {limit_w} W limit again",
    "max_off": "it reached its max off time",
    "defer": "it waits for its allowed window",
    "window": "its allowed window is open",
    "deadline": "to finish by its deadline",
    "sensor_fault": "the house power sensor is unavailable",
    "retry": "repeated, the load did not follow",
    "comfort": "its comfort bound was reached",
    "unplugged": "no vehicle is plugged in, the next session starts at the minimum current",
    "manual_shed": "asked by the balance.shed action",
    "manual_restore": "asked by the balance.restore action",
    "manual_end": "the requested off time is over",
    "disabled": "load management was switched off",
    "released": "it is no longer a managed load",
    "dr_shed": "the utility asked to shed it (demand response)",
    "dr_end": "the utility's shed request is over",
}


def describe(data: Mapping[str, Any]) -> str:
    """The logbook message of one command."""
    name = data.get(ATTR_LOAD_NAME, data.get(ATTR_ENTITY_ID))
    command = data.get(ATTR_COMMAND)
    if command == "set_power":
        verb = "reduced" if data.get(ATTR_LOWERED) else "raised"
        action = f"{verb} {name} to {data.get(ATTR_SETPOINT)}"
    else:
        action = f"switched {'on' if command == 'turn_on' else 'off'} {name}"
    reason = str(data.get(ATTR_REASON))
    why = _WHY.get(reason, reason)
    if reason == "over_limit" and data.get(ATTR_HOUSE_W) is None:
        why = "the house was over its limit"
    return f"{action}: {why.format(house_w=data.get(ATTR_HOUSE_W), limit_w=data.get(ATTR_LIMIT_W))}"


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, str]]], None],
) -> None:
    """Describe the load-management command events."""

    @callback
    def _describe(event: Event) -> dict[str, str]:
        return {
            LOGBOOK_ENTRY_NAME: NAME,
            LOGBOOK_ENTRY_MESSAGE: describe(event.data),
            LOGBOOK_ENTRY_ENTITY_ID: event.data[ATTR_ENTITY_ID],
        }

    async_describe_event(DOMAIN, EVENT_LOAD_MANAGEMENT, _describe)
