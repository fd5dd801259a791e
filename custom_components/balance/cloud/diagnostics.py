"""Diagnostics of a cloud entry (password, username and token redacted)."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_USERNAME

from .coordinator import CloudConfigEntry

TO_REDACT = {CONF_PASSWORD, CONF_USERNAME, "token"}


def config_entry_diagnostics(entry: CloudConfigEntry) -> dict[str, Any]:
    """The entry, the polling state and each meter's last data as the server sent it."""
    coordinator = entry.runtime_data
    client = coordinator.client
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": dict(entry.options),
        },
        "client": async_redact_data(
            {"base_url": client.base_url, "token": client.token, "logins": client.logins},
            TO_REDACT,
        ),
        "polling": {
            "last_update_success": coordinator.last_update_success,
            "failures": coordinator.failures,
            "update_interval_s": (
                coordinator.update_interval.total_seconds() if coordinator.update_interval else None
            ),
            "unknown_resource": sorted(coordinator.unknown_resource),
        },
        "meters": {
            key: async_redact_data(dict(meter.raw), TO_REDACT)
            for key, meter in (coordinator.data or {}).items()
        },
    }
