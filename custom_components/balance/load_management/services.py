"""Actions of load management: shed, restore, set_limit, set_plan and plan_load."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from datetime import time
from typing import Any

import voluptuous as vol
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util

from ..const import DOMAIN  # noqa: TID252
from ..dlm import LimitReason, LoadKind, Priority  # noqa: TID252
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_DEADLINE,
    ATTR_DURATION,
    ATTR_ENERGY_KWH,
    ATTR_REASON,
    ATTR_TARGET_SOC,
    ATTR_WATTS,
    CONF_LIMIT_W,
    KIND_LOAD_MANAGEMENT,
    SERVICE_PLAN_LOAD,
    SERVICE_RESTORE,
    SERVICE_SET_LIMIT,
    SERVICE_SET_PLAN,
    SERVICE_SHED,
)
from .manager import LoadManagementConfigEntry, LoadManager
from .plan_service import (
    ATTR_POWER_KW,
    PLAN_LOAD_FIELDS,
    PLAN_LOAD_SCHEMA,
    async_plan_managed,
    async_plan_request,
)
from .planning import PlanOverride
from .settings import next_at

LOAD_SCHEMA = vol.Schema({vol.Required(ATTR_ENTITY_ID): cv.entity_id})
SHED_SCHEMA = LOAD_SCHEMA.extend(
    {vol.Optional(ATTR_DURATION): vol.All(cv.time_period, cv.positive_timedelta)}
)
SET_PLAN_SCHEMA = LOAD_SCHEMA.extend(
    {
        vol.Optional(ATTR_ENERGY_KWH): vol.All(vol.Coerce(float), vol.Range(min=0.1, max=250)),
        vol.Optional(ATTR_TARGET_SOC): vol.All(vol.Coerce(float), vol.Range(min=1, max=100)),
        vol.Optional(ATTR_DEADLINE): vol.Any(cv.time, cv.datetime),
    }
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
            if entity_id in (load.switch_entity, load.setpoint_entity, load.climate_entity) or (
                registered is not None and registered.config_subentry_id == load_id
            ):
                return manager, load_id
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="not_managed",
        translation_placeholders={"entity_id": entity_id},
    )


async def _async_shed(call: ServiceCall, data: dict[str, Any]) -> None:
    manager, load_id = _find_load(call.hass, data[ATTR_ENTITY_ID])
    load = manager.loads[load_id]
    if load.priority is Priority.RED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="red_never_shed",
            translation_placeholders={"name": load.name},
        )
    if not manager.enabled:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="dlm_disabled")
    duration = data.get(ATTR_DURATION)
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


async def _async_restore(call: ServiceCall, data: dict[str, Any]) -> None:
    manager, load_id = _find_load(call.hass, data[ATTR_ENTITY_ID])
    manager.restore(load_id)


def _entry_managers(hass: HomeAssistant, data: dict[str, Any]) -> list[LoadManager]:
    """The loaded load-management entries, or the one of `config_entry_id`."""
    managers = _managers(hass)
    if entry_id := data.get(ATTR_CONFIG_ENTRY_ID):
        managers = [m for m in managers if m.entry.entry_id == entry_id]
    if not managers:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="no_load_management"
        )
    return managers


async def _async_set_limit(call: ServiceCall, data: dict[str, Any]) -> None:
    managers = _entry_managers(call.hass, data)
    if len(managers) != 1:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="entry_required")
    manager = managers[0]
    watts: float = data[ATTR_WATTS]
    reason = LimitReason(data[ATTR_REASON])
    duration = data.get(ATTR_DURATION)
    if duration is not None:
        manager.set_temporary_limit(reason, watts, duration.total_seconds())
    elif reason is LimitReason.DR:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="dr_duration")
    else:
        entry = manager.entry
        call.hass.config_entries.async_update_entry(
            entry, options={**entry.options, CONF_LIMIT_W: watts}
        )


def _error(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


async def _async_set_plan(call: ServiceCall, data: dict[str, Any]) -> None:
    manager, load_id = _find_load(call.hass, data[ATTR_ENTITY_ID])
    load = manager.loads[load_id]
    if load.kind is not LoadKind.CHARGER or load.priority is not Priority.GREEN:
        raise _error("not_a_charger", name=load.name)
    energy, soc = data.get(ATTR_ENERGY_KWH), data.get(ATTR_TARGET_SOC)
    if (energy is None) == (soc is None):
        raise _error("plan_needs_target")
    if soc is not None and not (load.soc_entity and load.battery_kwh):
        raise _error("soc_needs_sensor", name=load.name)
    deadline_s = None
    if (deadline := data.get(ATTR_DEADLINE)) is not None:
        now = dt_util.now()
        when = (
            next_at(now, deadline)
            if isinstance(deadline, time)
            else deadline
            if deadline.tzinfo
            else deadline.replace(tzinfo=now.tzinfo)
        )
        if when <= now:
            raise _error("deadline_past", deadline=when.isoformat())
        deadline_s = when.timestamp()
    manager.set_plan(
        load_id, PlanOverride(None if energy is None else energy * 1000.0, soc, deadline_s)
    )


async def _async_plan_load(call: ServiceCall, data: dict[str, Any]) -> ServiceResponse:
    if ATTR_ENTITY_ID in data:
        manager, load_id = _find_load(call.hass, data[ATTR_ENTITY_ID])
        response = async_plan_managed([manager], load_id)
        if not response or not response["loads"]:
            raise _error("not_plannable", name=manager.loads[load_id].name)
        return response
    if ATTR_POWER_KW in data:
        return await async_plan_request(call.hass, data)
    return async_plan_managed(_entry_managers(call.hass, data))


type Handler[R] = Callable[[ServiceCall, dict[str, Any]], Awaitable[R]]

# Fields with their own message when invalid; any other field gets `invalid_field`.
_FIELD_ERRORS = frozenset(
    {
        ATTR_ENTITY_ID,
        ATTR_DURATION,
        ATTR_WATTS,
        ATTR_REASON,
        ATTR_ENERGY_KWH,
        ATTR_TARGET_SOC,
        ATTR_DEADLINE,
        *PLAN_LOAD_FIELDS,
    }
)


def _validated[R](
    schema: vol.Schema, handler: Handler[R]
) -> Callable[[ServiceCall], Coroutine[Any, Any, R]]:
    """Validate in the handler, so a bad value is a translated ServiceValidationError.

    With the schema given to HA instead, the resident would read voluptuous's own text
    (e.g. "expected float for dictionary value @ data['watts']. Got None").
    """

    async def _handle(call: ServiceCall) -> R:
        try:
            data = schema(dict(call.data))
        except vol.Invalid as err:
            field = str(err.path[0]) if err.path else ""
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key=f"invalid_{field}" if field in _FIELD_ERRORS else "invalid_field",
                translation_placeholders={"field": field, "value": repr(call.data.get(field))},
            ) from err
        return await handler(call, data)

    return _handle


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the load-management actions (once, from the integration's async_setup)."""
    for service, schema, handler in (
        (SERVICE_SHED, SHED_SCHEMA, _async_shed),
        (SERVICE_RESTORE, LOAD_SCHEMA, _async_restore),
        (SERVICE_SET_LIMIT, SET_LIMIT_SCHEMA, _async_set_limit),
        (SERVICE_SET_PLAN, SET_PLAN_SCHEMA, _async_set_plan),
    ):
        hass.services.async_register(DOMAIN, service, _validated(schema, handler))
    hass.services.async_register(
        DOMAIN,
        SERVICE_PLAN_LOAD,
        _validated(PLAN_LOAD_SCHEMA, _async_plan_load),
        supports_response=SupportsResponse.ONLY,
    )
