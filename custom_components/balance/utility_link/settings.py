"""A utility-link entry's settings: the VEN configuration and the resident's bounds."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta, tzinfo
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant

from ..const import DOMAIN  # noqa: TID252
from ..dlm import Priority  # noqa: TID252
from ..load_management.const import KIND_LOAD_MANAGEMENT  # noqa: TID252
from ..load_management.manager import LoadManager  # noqa: TID252
from ..load_management.settings import LoadSettings, managed_loads  # noqa: TID252
from ..openadr import Bounds, VenConfig  # noqa: TID252
from .const import (
    CONF_ALLOWED_FROM,
    CONF_ALLOWED_TO,
    CONF_BASE_URL,
    CONF_CA_PEM,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_FLOOR_KW,
    CONF_KIND,
    CONF_LOADS,
    CONF_LONGEST_EVENT_H,
    CONF_OPTED_IN,
    CONF_POLL_INTERVAL_S,
    CONF_PROGRAM,
    CONF_TOKEN_URL,
    CONF_VEN_NAME,
    CONF_VERSION,
    DEFAULT_LONGEST_EVENT_H,
    DEFAULT_POLL_INTERVAL_S,
    METER_POINT_ID,
)


def ven_config(data: Mapping[str, Any], options: Mapping[str, Any] | None = None) -> VenConfig:
    """The VEN's configuration from the entry data (and the poll interval from the options)."""
    poll = float((options or {}).get(CONF_POLL_INTERVAL_S, DEFAULT_POLL_INTERVAL_S))
    return VenConfig(
        base_url=data[CONF_BASE_URL],
        client_id=data[CONF_CLIENT_ID],
        client_secret=data[CONF_CLIENT_SECRET],
        program_names=(data[CONF_PROGRAM],),
        version=data[CONF_VERSION],
        ven_name=data[CONF_VEN_NAME],
        identifiers={METER_POINT_ID: data[CONF_VEN_NAME]},
        token_url=data.get(CONF_TOKEN_URL) or None,
        ca_pem=data.get(CONF_CA_PEM) or None,
        poll_interval=timedelta(seconds=poll),
    )


def load_manager(hass: HomeAssistant) -> LoadManager | None:
    """The running load management the utility link acts through (the first one)."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        if (
            entry.data.get(CONF_KIND) == KIND_LOAD_MANAGEMENT
            and entry.state is ConfigEntryState.LOADED
        ):
            manager: LoadManager = entry.runtime_data
            return manager
    return None


def _loads(hass: HomeAssistant) -> dict[str, LoadSettings]:
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.data.get(CONF_KIND) == KIND_LOAD_MANAGEMENT:
            return managed_loads(entry)
    return {}


def participant_choices(hass: HomeAssistant) -> list[tuple[str, str]]:
    """(load id, name) of the managed loads that may take part: red loads never do."""
    return [
        (load_id, load.name)
        for load_id, load in _loads(hass).items()
        if load.priority is not Priority.RED
    ]


def red_loads_kw(loads: Mapping[str, LoadSettings]) -> float:
    """What the red loads need (their rated power): the floor never goes below it."""
    return (
        sum((load.rated_w or 0.0) for load in loads.values() if load.priority is Priority.RED)
        / 1000.0
    )


def bounds(options: Mapping[str, Any], loads: Mapping[str, LoadSettings], zone: tzinfo) -> Bounds:
    """The resident's bounds from the options (participation off unless opted in)."""
    return Bounds(
        opted_in=bool(options.get(CONF_OPTED_IN, False)),
        floor_kw=float(options.get(CONF_FLOOR_KW, 0.0)),
        red_loads_kw=red_loads_kw(loads),
        longest_event=timedelta(
            hours=float(options.get(CONF_LONGEST_EVENT_H, DEFAULT_LONGEST_EVENT_H))
        ),
        allowed_hours=(
            int(options.get(CONF_ALLOWED_FROM, 0)),
            int(options.get(CONF_ALLOWED_TO, 24)),
        ),
        timezone=zone,
        participating_loads=frozenset(
            load_id
            for load_id in options.get(CONF_LOADS, [])
            if load_id in loads and loads[load_id].priority is not Priority.RED
        ),
    )
