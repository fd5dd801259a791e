"""The action of the utility link: balance.dr_opt_out."""

from __future__ import annotations

from typing import Any

import voluptuous as vol
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, SupportsResponse, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv

from ..const import DOMAIN  # noqa: TID252
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_EVENT_ID,
    CONF_KIND,
    KIND_UTILITY_LINK,
    SERVICE_DR_OPT_OUT,
)
from .link import UtilityLink

OPT_OUT_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_EVENT_ID): cv.string,
    }
)


def _error(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def _links(hass: HomeAssistant, entry_id: str | None) -> list[UtilityLink]:
    return [
        entry.runtime_data
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.data.get(CONF_KIND) == KIND_UTILITY_LINK
        and entry.state is ConfigEntryState.LOADED
        and (entry_id is None or entry.entry_id == entry_id)
    ]


async def _async_opt_out(call: ServiceCall) -> dict[str, Any]:
    try:
        data = OPT_OUT_SCHEMA(dict(call.data))
    except vol.Invalid as err:
        raise _error("invalid_field", field=str(err.path[0]) if err.path else "") from err
    event_id: str | None = data.get(ATTR_EVENT_ID)
    links = _links(call.hass, data.get(ATTR_CONFIG_ENTRY_ID))
    if event_id is not None:
        links = [link for link in links if event_id in link.ven.events] or links
    if not links:
        raise _error("no_utility_link")
    if len(links) > 1:
        raise _error("utility_link_required")
    try:
        opted_out = links[0].opt_out(event_id)
    except LookupError as err:
        if event_id is None:
            raise _error("dr_no_event") from err
        raise _error("dr_unknown_event", event_id=event_id) from err
    return {ATTR_EVENT_ID: opted_out}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register balance.dr_opt_out (once, from the integration's async_setup)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_DR_OPT_OUT,
        _async_opt_out,
        supports_response=SupportsResponse.OPTIONAL,
    )
