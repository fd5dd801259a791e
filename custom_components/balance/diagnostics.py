"""Diagnostics of the BALANCE integration (the pre-shared key is redacted)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant

from .cloud.coordinator import CloudConfigEntry
from .cloud.diagnostics import config_entry_diagnostics as cloud_diagnostics
from .const import CONF_PSK
from .coordinator import BalanceConfigEntry
from .hub.client import describe
from .insights.diagnostics import async_get_config_entry_diagnostics as insights_diagnostics
from .kinds import by_entry_kind
from .load_management.diagnostics import config_entry_diagnostics
from .load_management.manager import LoadManagementConfigEntry
from .pricing.diagnostics import async_get_config_entry_diagnostics as pricing_diagnostics
from .utility_link.diagnostics import (
    async_get_config_entry_diagnostics as utility_link_diagnostics,
)

TO_REDACT = {CONF_PSK, CONF_HOST, "nonce"}


async def _async_hub_diagnostics(hass: HomeAssistant, entry: BalanceConfigEntry) -> dict[str, Any]:
    """Return the link state, the inventory and the live values of one hub."""
    coordinator = entry.runtime_data.coordinator
    client = entry.runtime_data.client
    nodes: list[dict[str, Any]] = []
    for node in coordinator.nodes.values():
        nodes.append(
            {
                "info": describe(node.info),
                "status": describe(node.status) if node.status else None,
                "report_seq": node.report_seq,
                "stale": node.stale,
                "epoch": node.epoch,
                "channels": [
                    {
                        "channel": ch.channel,
                        "medium": ch.medium.name.lower(),
                        "name": ch.name,
                        "pulse_constant": ch.pulse_constant,
                        "count": ch.count,
                        "rate_mph": ch.rate_mph,
                        "flags": ch.flags,
                        "total": ch.value,
                        "state": ch.total.to_dict(),
                    }
                    for ch in node.channels.values()
                ],
                "outputs": [describe(state) for state in node.outputs.values()],
                "alarms": [
                    {"channel": channel, "kind": int(kind), "active": active}
                    for (channel, kind), active in node.alarms.items()
                ],
            }
        )
    hello = client.hub_hello
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": dict(entry.options),
        },
        "link": {
            "connected": coordinator.connected,
            "authenticated": client.authenticated,
            "session_version": client.session_version,
            "hub_hello": async_redact_data(describe(hello), TO_REDACT) if hello else None,
            "connects": client.connects,
            "disconnects": client.disconnects,
            "last_error": str(client.last_error) if client.last_error else None,
            "decoder": asdict(client.stats),
        },
        "hub_info": describe(coordinator.hub_info) if coordinator.hub_info else None,
        "nodes": nodes,
    }


async def _async_load_management_diagnostics(
    hass: HomeAssistant, entry: LoadManagementConfigEntry
) -> dict[str, Any]:
    return config_entry_diagnostics(entry)


async def _async_cloud_diagnostics(hass: HomeAssistant, entry: CloudConfigEntry) -> dict[str, Any]:
    return cloud_diagnostics(entry)


async_get_config_entry_diagnostics = by_entry_kind(
    hub=_async_hub_diagnostics,
    load_management=_async_load_management_diagnostics,
    pricing=pricing_diagnostics,
    cloud=_async_cloud_diagnostics,
    insights=insights_diagnostics,
    utility_link=utility_link_diagnostics,
)
