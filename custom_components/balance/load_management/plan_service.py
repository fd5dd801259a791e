"""The balance.plan_load action: the plan of managed loads, or of a load described in the call.

With ``entity_id`` (a managed load) or ``config_entry_id`` (a load-management entry) it returns
the plans load management follows. With a power, a need and a deadline instead it plans that
load alone at the prices given (a price entity, a pricing entry or a night window), for
automations such as the EV night charging blueprint.
"""

from __future__ import annotations

import math
from datetime import datetime, time
from typing import Any

import voluptuous as vol
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant, ServiceResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util

from ..const import DOMAIN  # noqa: TID252
from ..planner import Charger, PlanStatus, Problem, Programme, plan  # noqa: TID252
from .const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_DEADLINE,
    ATTR_ENERGY_KWH,
    ATTR_TARGET_SOC,
)
from .manager import LoadManager
from .planner_link import grid_start, plannable, schedules_from
from .prices import (
    Interval,
    async_pricing_forecast,
    entity_intervals,
    night_intervals,
    slot_prices,
)
from .schedule import MAX_SLOTS, SLOT, SLOT_H, Schedule
from .settings import next_at

ATTR_POWER_KW = "power_kw"
ATTR_MIN_POWER_KW = "min_power_kw"
ATTR_RUN_MINUTES = "run_minutes"
ATTR_SOC = "soc"
ATTR_BATTERY_KWH = "battery_kwh"
ATTR_START_AFTER = "start_after"
ATTR_SPLIT = "split"
ATTR_PRICE_ENTITY = "price_entity"
ATTR_PRICING_ENTRY_ID = "pricing_entry_id"
ATTR_CHEAP_START = "cheap_start"
ATTR_CHEAP_END = "cheap_end"
REQUEST = "request"  # the key of a load described in the call

_WHEN = vol.Any(cv.time, cv.datetime)
PLAN_LOAD_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_ENTITY_ID): cv.entity_id,
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_POWER_KW): vol.All(vol.Coerce(float), vol.Range(min=0.1, max=50)),
        vol.Optional(ATTR_MIN_POWER_KW): vol.All(vol.Coerce(float), vol.Range(min=0, max=50)),
        vol.Optional(ATTR_ENERGY_KWH): vol.All(vol.Coerce(float), vol.Range(min=0, max=250)),
        vol.Optional(ATTR_TARGET_SOC): vol.All(vol.Coerce(float), vol.Range(min=1, max=100)),
        vol.Optional(ATTR_SOC): vol.All(vol.Coerce(float), vol.Range(min=0, max=100)),
        vol.Optional(ATTR_BATTERY_KWH): vol.All(vol.Coerce(float), vol.Range(min=1, max=250)),
        vol.Optional(ATTR_RUN_MINUTES): vol.All(vol.Coerce(float), vol.Range(min=1, max=1440)),
        vol.Optional(ATTR_DEADLINE): _WHEN,
        vol.Optional(ATTR_START_AFTER): _WHEN,
        vol.Optional(ATTR_SPLIT, default=True): cv.boolean,
        vol.Optional(ATTR_PRICE_ENTITY): cv.entity_id,
        vol.Optional(ATTR_PRICING_ENTRY_ID): cv.string,
        vol.Optional(ATTR_CHEAP_START): cv.time,
        vol.Optional(ATTR_CHEAP_END): cv.time,
    }
)
PLAN_LOAD_FIELDS = frozenset(
    {
        ATTR_POWER_KW,
        ATTR_MIN_POWER_KW,
        ATTR_RUN_MINUTES,
        ATTR_SOC,
        ATTR_BATTERY_KWH,
        ATTR_START_AFTER,
        ATTR_PRICE_ENTITY,
        ATTR_CHEAP_START,
        ATTR_CHEAP_END,
    }
)
"""Fields with their own message when invalid (with the shared ones of the other actions)."""


def _error(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def _iso(at: datetime | None) -> str | None:
    return None if at is None else dt_util.as_local(at).isoformat()


def schedule_response(schedule: Schedule | None, name: str) -> dict[str, Any]:
    """A load's plan as response data: runs, energy, cost, or why and what is possible."""
    if schedule is None:
        return {"name": name, "status": "not_planned", "slots": []}
    out: dict[str, Any] = {
        "name": name,
        "status": "planned" if schedule.shortfall is None else "infeasible",
        "slots": [
            {"start": _iso(r.start), "end": _iso(r.end), "power_kw": r.power_kw}
            for r in schedule.runs()
        ],
        "start": _iso(schedule.planned_start),
        "end": _iso(schedule.planned_end),
        "energy_kwh": round(schedule.energy_kwh, 3),
        "cost": None if schedule.cost is None else round(schedule.cost, 4),
        "deadline": _iso(schedule.deadline),
    }
    if (short := schedule.shortfall) is not None:
        earliest = short.earliest_end_slot
        out |= {
            "reason": short.reason.value,
            "requested_kwh": round(short.requested_kwh, 3),
            "possible_kwh": round(short.possible_kwh, 3),
            "earliest_end": None if earliest is None else _iso(schedule.start + SLOT * earliest),
        }
    return out


def _moment(value: time | datetime, now: datetime) -> datetime:
    if isinstance(value, time):
        return next_at(now, value)
    return value if value.tzinfo else value.replace(tzinfo=dt_util.get_default_time_zone())


async def _intervals(hass: HomeAssistant, data: dict[str, Any], now: datetime) -> list[Interval]:
    """Prices of the call's source ([] when it knows none)."""
    if entity := data.get(ATTR_PRICE_ENTITY):
        return entity_intervals(hass.states.get(entity), now)
    if entry_id := data.get(ATTR_PRICING_ENTRY_ID):
        return await async_pricing_forecast(hass, entry_id) or []
    start, end = data.get(ATTR_CHEAP_START), data.get(ATTR_CHEAP_END)
    if start is None or end is None:
        raise _error("plan_needs_prices")
    return night_intervals(dt_util.as_local(now), start, end)


def _request_load(data: dict[str, Any], first: int, end: int) -> Charger | Programme:
    power = data.get(ATTR_POWER_KW)
    if power is None:
        raise _error("plan_needs_power")
    if (minutes := data.get(ATTR_RUN_MINUTES)) is not None:
        slots = math.ceil(minutes / (SLOT.total_seconds() / 60.0) - 1e-9)
        return Programme(REQUEST, (power,) * slots, (first, end))
    energy = data.get(ATTR_ENERGY_KWH)
    soc, target, battery = data.get(ATTR_SOC), data.get(ATTR_TARGET_SOC), data.get(ATTR_BATTERY_KWH)
    if energy is None and target is not None and soc is not None and battery is not None:
        energy = max(0.0, (target - soc) / 100.0 * battery)
    if energy is None:
        raise _error("plan_needs_need")
    return Charger(
        REQUEST,
        max_kw=power,
        window=(first, end),
        energy_kwh=energy,
        min_kw=min(power, data.get(ATTR_MIN_POWER_KW, 0.0)),
        may_split=data[ATTR_SPLIT],
    )


async def async_plan_request(hass: HomeAssistant, data: dict[str, Any]) -> ServiceResponse:
    """Plan the load described in the call alone, in the cheapest slots before its deadline."""
    now = dt_util.now()
    if (deadline := data.get(ATTR_DEADLINE)) is None:
        raise _error("plan_needs_deadline")
    when = _moment(deadline, now)
    if when <= now:
        raise _error("deadline_past", deadline=when.isoformat())
    t0 = grid_start(now)
    end = math.floor((when - t0) / SLOT + 1e-9)
    if end > MAX_SLOTS:
        raise _error("deadline_too_far", deadline=when.isoformat())
    first = 0
    if (after := data.get(ATTR_START_AFTER)) is not None:
        first = min(end, max(0, math.ceil((_moment(after, now) - t0) / SLOT - 1e-9)))
    load = _request_load(data, first, end)
    intervals = await _intervals(hass, data, now)
    prices = slot_prices(intervals, t0, SLOT, MAX_SLOTS)  # beyond the deadline: the alternative
    if prices is None:
        raise _error("no_prices", source=str(data.get(ATTR_PRICE_ENTITY) or "-"))
    relative = ATTR_PRICE_ENTITY not in data and ATTR_PRICING_ENTRY_ID not in data
    cap = load.max_kw if isinstance(load, Charger) else max(load.profile_kw)
    result = plan(
        Problem(slots=MAX_SLOTS, dt_h=SLOT_H, prices=prices, cap_kw=[cap] * MAX_SLOTS, loads=[load])
    )
    schedule = schedules_from(result, t0, None if relative else prices, {REQUEST: end})[REQUEST]
    response = schedule_response(schedule, REQUEST)
    return {
        "loads": {REQUEST: response},
        "cost": response["cost"],
        "feasible": result.status is PlanStatus.OPTIMAL,
    }


def async_plan_managed(managers: list[LoadManager], load_id: str | None = None) -> ServiceResponse:
    """The plans load management follows now (one load, or every planned load)."""
    loads: dict[str, Any] = {}
    for manager in managers:
        if not manager.planner.enabled:
            raise _error("planner_no_prices", name=manager.entry.title)
        manager.async_update()
        for key, load in manager.loads.items():
            if plannable(load) and load_id in (None, key):
                loads[key] = schedule_response(manager.planner.schedules.get(key), load.name)
    costs = [plan["cost"] for plan in loads.values() if plan.get("cost") is not None]
    return {
        "loads": loads,
        "cost": round(sum(costs), 4) if costs else None,
        "feasible": all(plan["status"] != "infeasible" for plan in loads.values()),
    }
