"""Diagnostics of a utility link: credentials, tokens and identifiers redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .const import CONF_CA_PEM, CONF_CLIENT_ID, CONF_CLIENT_SECRET, CONF_VEN_NAME
from .link import UtilityLinkConfigEntry

TO_REDACT = {CONF_CLIENT_SECRET, CONF_CLIENT_ID, CONF_VEN_NAME, CONF_CA_PEM}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: UtilityLinkConfigEntry
) -> dict[str, Any]:
    """Entry data (redacted), options and the link's state."""
    link = entry.runtime_data
    state = link.diagnostics()
    config = dict(state.pop("config"))
    config["client_id"] = "**REDACTED**"
    config["ven_name"] = "**REDACTED**"
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": dict(entry.options),
        },
        "config": config,
        **state,
    }
