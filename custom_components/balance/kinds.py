"""The two kinds of config entry of the domain, and the one place that tells them apart.

A hub entry (runtime data :class:`~.coordinator.BalanceRuntimeData`) stands for one BALANCE
hub; a load-management entry (runtime data :class:`~.load_management.manager.LoadManager`)
runs the DLM engine. Home Assistant calls one module per platform for both; each such entry
point is built here from one typed function per kind, so no module asks which kind it holds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Concatenate, TypeIs

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from .coordinator import BalanceConfigEntry
from .load_management.const import CONF_KIND, KIND_LOAD_MANAGEMENT
from .load_management.manager import LoadManagementConfigEntry


def is_load_management_entry(entry: ConfigEntry) -> TypeIs[LoadManagementConfigEntry]:
    """True for a load-management entry (a hub entry has no kind or kind "hub")."""
    return entry.data.get(CONF_KIND) == KIND_LOAD_MANAGEMENT


def for_entry_kind[T](entry: ConfigEntry, *, hub: T, load_management: T) -> T:
    """The one of two things that belongs to the entry's kind."""
    return load_management if is_load_management_entry(entry) else hub


def by_entry_kind[**P, R](
    *,
    hub: Callable[Concatenate[HomeAssistant, BalanceConfigEntry, P], Awaitable[R]],
    load_management: Callable[
        Concatenate[HomeAssistant, LoadManagementConfigEntry, P], Awaitable[R]
    ],
) -> Callable[Concatenate[HomeAssistant, ConfigEntry, P], Coroutine[Any, Any, R]]:
    """An entry point ``(hass, entry, ...)`` that runs the function of the entry's kind."""

    async def entry_point(
        hass: HomeAssistant, entry: ConfigEntry, /, *args: P.args, **kwargs: P.kwargs
    ) -> R:
        if is_load_management_entry(entry):
            return await load_management(hass, entry, *args, **kwargs)
        return await hub(hass, entry, *args, **kwargs)

    return entry_point


async def no_entities(hass: HomeAssistant, entry: ConfigEntry, *args: Any) -> None:
    """Platform setup of a kind that has no entities on that platform (never forwarded)."""
