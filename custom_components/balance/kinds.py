"""The kinds of config entry of the domain, and the one place that tells them apart.

A hub entry (runtime data :class:`~.coordinator.BalanceRuntimeData`) stands for one BALANCE
hub; a load-management entry (runtime data :class:`~.load_management.manager.LoadManager`)
runs the DLM engine; further kinds (:data:`~.const.ENTRY_KINDS`) each have their own package.
Home Assistant calls one module per platform for all of them; each such entry point is built
here from one typed function per kind, so no module asks which kind it holds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Concatenate, TypeIs

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from .const import CONF_KIND, ENTRY_KINDS, KIND_HUB
from .coordinator import BalanceConfigEntry
from .load_management.const import KIND_LOAD_MANAGEMENT
from .load_management.manager import LoadManagementConfigEntry


class UnknownEntryKindError(ValueError):
    """An entry of a kind this version does not know (e.g. made by a newer version)."""


def entry_kind(entry: ConfigEntry) -> str:
    """The entry's kind; entries made before kinds existed are hubs."""
    kind = entry.data.get(CONF_KIND, KIND_HUB)
    if kind not in ENTRY_KINDS:
        raise UnknownEntryKindError(kind)
    return str(kind)


def is_hub_entry(entry: ConfigEntry) -> TypeIs[BalanceConfigEntry]:
    """True for a hub entry."""
    return bool(entry.data.get(CONF_KIND, KIND_HUB) == KIND_HUB)


def is_load_management_entry(entry: ConfigEntry) -> TypeIs[LoadManagementConfigEntry]:
    """True for a load-management entry."""
    return bool(entry.data.get(CONF_KIND) == KIND_LOAD_MANAGEMENT)


def for_entry_kind[T](entry: ConfigEntry, *, hub: T, load_management: T, **others: T) -> T:
    """The thing that belongs to the entry's kind (``others`` keyed by the further kinds)."""
    kind = entry_kind(entry)
    if kind == KIND_HUB:
        return hub
    if kind == KIND_LOAD_MANAGEMENT:
        return load_management
    if kind not in others:
        raise UnknownEntryKindError(kind)
    return others[kind]


def by_entry_kind[**P, R](
    *,
    hub: Callable[Concatenate[HomeAssistant, BalanceConfigEntry, P], Awaitable[R]],
    load_management: Callable[
        Concatenate[HomeAssistant, LoadManagementConfigEntry, P], Awaitable[R]
    ],
    **others: Callable[Concatenate[HomeAssistant, Any, P], Awaitable[R]],
) -> Callable[Concatenate[HomeAssistant, ConfigEntry, P], Coroutine[Any, Any, R]]:
    """An entry point ``(hass, entry, ...)`` that runs the function of the entry's kind.

    A platform module passes only the kinds that have entities on it: the others are never
    forwarded to it.
    """
    unknown = set(others) - set(ENTRY_KINDS)
    if unknown:
        raise UnknownEntryKindError(", ".join(sorted(unknown)))

    async def entry_point(
        hass: HomeAssistant, entry: ConfigEntry, /, *args: P.args, **kwargs: P.kwargs
    ) -> R:
        if is_load_management_entry(entry):
            return await load_management(hass, entry, *args, **kwargs)
        if is_hub_entry(entry):
            return await hub(hass, entry, *args, **kwargs)
        kind = entry_kind(entry)
        if kind not in others:
            raise UnknownEntryKindError(kind)
        return await others[kind](hass, entry, *args, **kwargs)

    return entry_point


async def no_entities(hass: HomeAssistant, entry: ConfigEntry, *args: Any) -> None:
    """Platform setup of a kind that has no entities on that platform (never forwarded)."""
