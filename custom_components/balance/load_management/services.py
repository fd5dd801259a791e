"""Actions of load management: balance.shed, balance.restore and balance.set_limit."""

from __future__ import annotations

import voluptuous as vol
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import entity_registry as er

from ..const import DOMAIN  # noqa: TID252
from ..dlm import LimitReason, Priority  # noqa: TID252
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_DURATION,
    ATTR_REASON,
    ATTR_WATTS,
    CONF_LIMIT_W,
    KIND_LOAD_MANAGEMENT,
    SERVICE_RESTORE,
    SERVICE_SET_LIMIT,
    SERVICE_SHED,
)
from .manager import LoadManagementConfigEntry, LoadManager

LOAD_SCHEMA = vol.Schema({vol.Required(ATTR_ENTITY_ID): cv.entity_id})
SHED_SCHEMA = LOAD_SCHEMA.extend(
    {vol.Optional(ATTR_DURATION): vol.All(cv.time_period, cv.positive_timedelta)}
)
SET_LIMIT_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_WATTS): vol.All(vol.Coerce(float), vol.Range(min=100, max=200_000)),
        vol.Optional(ATTR_DURATION): vol.All(cv.time_period, cv.positive_timedelta),
        vol.Optional(ATTR_REASON, default=LimitReason.RESIDENT.value): vol.In(
            [LimitReason.RESIDENT.value, LimitReason.DR.value]
        ),
    }
)


def _managers(hass: HomeAssistant) -> list[LoadManager]:
    entries: list[LoadManagementConfigEntry] = [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.data.get("kind") == KIND_LOAD_MANAGEMENT and entry.state is ConfigEntryState.LOADED
    ]
    return [entry.runtime_data for entry in entries]


def _find_load(hass: HomeAssistant, entity_id: str) -> tuple[LoadManager, str]:
    """The manager and load id of a managed switch or of one of the load's own entities."""
    registered = er.async_get(hass).async_get(entity_id)
    for manager in _managers(hass):
        for load_id, load in manager.loads.items():
            if load.switch_entity == entity_id or (
                registered is not None and registered.config_subentry_id == load_id
            ):
                return manager, load_id
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="not_managed",
        translation_placeholders={"entity_id": entity_id},
    )


async def _async_shed(call: ServiceCall) -> None:
    manager, load_id = _find_load(call.hass, call.data[ATTR_ENTITY_ID])
    load = manager.loads[load_id]
    if load.priority is Priority.RED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="red_never_shed",
            translation_placeholders={"name": load.name},
        )
    if not manager.enabled:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="dlm_disabled")
    duration = call.data.get(ATTR_DURATION)
    if (
        duration is not None
        and load.priority is Priority.YELLOW
        and duration.total_seconds() > load.max_off_min * 60
    ):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="longer_than_max_off",
            translation_placeholders={"name": load.name, "minutes": f"{load.max_off_min:g}"},
        )
    manager.shed(load_id, None if duration is None else duration.total_seconds())


async def _async_restore(call: ServiceCall) -> None:
    manager, load_id = _find_load(call.hass, call.data[ATTR_ENTITY_ID])
    manager.restore(load_id)


async def _async_set_limit(call: ServiceCall) -> None:
    managers = _managers(call.hass)
    if entry_id := call.data.get(ATTR_CONFIG_ENTRY_ID):
        managers = [m for m in managers if m.entry.entry_id == entry_id]
    if len(managers) != 1:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="no_load_management" if not managers else "entry_required",
        )
    manager = managers[0]
    watts: float = call.data[ATTR_WATTS]
    reason = LimitReason(call.data[ATTR_REASON])
    duration = call.data.get(ATTR_DURATION)
    if duration is not None:
        manager.set_temporary_limit(reason, watts, duration.total_seconds())
    elif reason is LimitReason.DR:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="dr_duration")
    else:
        entry = manager.entry
        call.hass.config_entries.async_update_entry(
            entry, options={**entry.options, CONF_LIMIT_W: watts}
        )


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the load-management actions (once, from the integration's async_setup)."""
    hass.services.async_register(DOMAIN, SERVICE_SHED, _async_shed, schema=SHED_SCHEMA)
    hass.services.async_register(DOMAIN, SERVICE_RESTORE, _async_restore, schema=LOAD_SCHEMA)
    hass.services.async_register(
        DOMAIN, SERVICE_SET_LIMIT, _async_set_limit, schema=SET_LIMIT_SCHEMA
    )
