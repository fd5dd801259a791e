"""Repair issues of load management: power sensor missing, loads not following commands."""

from __future__ import annotations

from collections.abc import Mapping

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from ..const import DOMAIN  # noqa: TID252
from ..dlm import EngineState, LoadStatus  # noqa: TID252
from ..repairs import raise_issue  # noqa: TID252
from .const import (
    ISSUE_DEADLINE_AT_RISK,
    ISSUE_LOAD_FAILED,
    ISSUE_SENSOR_UNAVAILABLE,
    SHORTFALL_ISSUE_WH,
)
from .settings import LoadSettings, ManagerSettings


class IssueTracker:
    """Creates and deletes the repair issues of one load-management entry."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Track the issues raised for `entry_id`."""
        self._hass = hass
        self._entry_id = entry_id
        self._raised = {  # issues left from before a restart are resolved by the next sync
            issue_id
            for domain, issue_id in ir.async_get(hass).issues
            if domain == DOMAIN and entry_id in issue_id
        }

    def sync(
        self, state: EngineState, loads: Mapping[str, LoadSettings], settings: ManagerSettings
    ) -> None:
        """Raise issues for what is wrong now and delete the ones that are resolved."""
        wanted: dict[str, tuple[str, dict[str, str]]] = {}
        if state.sensor_fault:
            wanted[f"{ISSUE_SENSOR_UNAVAILABLE}_{self._entry_id}"] = (
                ISSUE_SENSOR_UNAVAILABLE,
                {
                    "entity_id": settings.power_entity,
                    "seconds": str(int(settings.sensor_timeout_s)),
                },
            )
        for load_id, load_state in state.loads.items():
            if load_state.status is LoadStatus.FAILED and load_id in loads:
                load = loads[load_id]
                wanted[f"{ISSUE_LOAD_FAILED}_{self._entry_id}_{load_id}"] = (
                    ISSUE_LOAD_FAILED,
                    {"name": load.name, "entity_id": load.command_entity},
                )
        for load_id, load_state in state.loads.items():
            short = load_state.shortfall_wh
            if short is None or short < SHORTFALL_ISSUE_WH or load_id not in loads:
                continue
            deadline = load_state.deadline_s
            wanted[f"{ISSUE_DEADLINE_AT_RISK}_{self._entry_id}_{load_id}"] = (
                ISSUE_DEADLINE_AT_RISK,
                {
                    "name": loads[load_id].name,
                    "shortfall_kwh": f"{short / 1000.0:.1f}",
                    "deadline": "-"
                    if deadline is None
                    else dt_util.as_local(dt_util.utc_from_timestamp(deadline)).strftime("%H:%M"),
                    "limit_w": "-"
                    if state.hard_limit_w is None
                    else str(round(state.hard_limit_w)),
                },
            )
        for issue_id, (key, placeholders) in wanted.items():
            if issue_id not in self._raised:
                raise_issue(self._hass, issue_id, ir.IssueSeverity.WARNING, key, placeholders)
        for issue_id in self._raised - wanted.keys():
            ir.async_delete_issue(self._hass, DOMAIN, issue_id)
        self._raised = set(wanted)

    def clear(self) -> None:
        """Delete every issue raised so far."""
        for issue_id in self._raised:
            ir.async_delete_issue(self._hass, DOMAIN, issue_id)
        self._raised.clear()
