"""Logbook lines of the utility link: every DR action with the event id."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.components.logbook.const import LOGBOOK_ENTRY_MESSAGE, LOGBOOK_ENTRY_NAME
from homeassistant.core import Event, HomeAssistant, callback

from ..const import DOMAIN  # noqa: TID252
from .const import (
    ATTR_ACTION,
    ATTR_EVENT_ID,
    ATTR_LIMIT_KW,
    ATTR_REASON,
    ATTR_SHED_LEVEL,
    EVENT_UTILITY_LINK,
)

_ACTIONS = {
    "accepted": "accepted DR event {event_id}",
    "declined": "declined DR event {event_id} ({reason})",
    "opted_out": "opted out of DR event {event_id}",
    "rejected": "rejected invalid DR event {event_id} ({reason})",
    "limit_set": "DR limit {limit_kw} kW set by event {event_id}",
    "limit_cleared": "DR limit lifted",
    "shed_set": "shed level {shed_level} set by event {event_id}",
    "shed_cleared": "shed level lifted",
}
_REASONS = {
    "not_opted_in": "participation is off",
    "opted_out": "the resident opted out",
    "below_floor": "its limit is below your floor",
    "too_long": "it lasts longer than you allow",
    "outside_allowed_hours": "it falls outside your allowed hours",
    "no_participating_loads": "no load may take part",
}


def describe(data: Mapping[str, Any]) -> str:
    """The logbook message of one DR action."""
    action = str(data.get(ATTR_ACTION))
    reason = data.get(ATTR_REASON)
    return _ACTIONS.get(action, action).format(
        event_id=data.get(ATTR_EVENT_ID),
        reason=_REASONS.get(str(reason), reason),
        limit_kw=data.get(ATTR_LIMIT_KW),
        shed_level=data.get(ATTR_SHED_LEVEL),
    )


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, str]]], None],
) -> None:
    """Describe the utility-link events."""

    @callback
    def _describe(event: Event) -> dict[str, str]:
        return {
            LOGBOOK_ENTRY_NAME: str(event.data.get("name") or "Utility link"),
            LOGBOOK_ENTRY_MESSAGE: describe(event.data),
        }

    async_describe_event(DOMAIN, EVENT_UTILITY_LINK, _describe)
