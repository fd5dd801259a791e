"""The planner in load management: the cheapest slots of the green loads, given to the engine.

Every green charger with a job, every green socket with a run time and a deadline and every
green water heater (an energy per day within its daily window) is planned on a 15-minute grid
up to the latest deadline (48 h at most), at the prices of the configured source, under a cap
per slot: the lowest limit in force then (fuse, resident, contract, tariff period, capacity
target) minus the forecast base load. The engine gets each plan as its allowed window (the
current or next planned run; a charger also its planned power for the current slot) and keeps
enforcing the limit in real time; a load that would miss its deadline runs anyway (the
engine's own commitment).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.core import CALLBACK_TYPE, Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.event import async_track_state_change_event, async_track_time_interval
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, LOGGER  # noqa: TID252
from ..dlm import GreenPlan, LoadKind, LoadReading, LoadState, LoadStatus, Priority  # noqa: TID252
from ..planner import (  # noqa: TID252
    Charger,
    HeaterDay,
    Load,
    PlanResult,
    Problem,
    Programme,
    Shortfall,
    WaterHeater,
    plan,
)
from ..pricing import SIGNAL_PRICES_UPDATED  # noqa: TID252
from ..repairs import raise_issue  # noqa: TID252
from .const import CONF_PRICE_ENTITY, CONF_PRICE_ENTRY, ISSUE_PLAN_INFEASIBLE
from .prices import (
    Interval,
    async_pricing_forecast,
    entity_intervals,
    slot_prices,
)
from .schedule import MAX_SLOTS, SLOT, SLOT_H, Schedule
from .settings import LoadSettings

if TYPE_CHECKING:
    from .manager import LoadManager

PRICE_REFRESH = timedelta(hours=1)
DAY_S = 86_400.0
UNCAPPED_KW = 1_000.0  # no limit configured: the loads' own powers bound them
NEED_STEP_KWH = 0.5  # a need that changed by this much is planned again within the slot
_RUNNING = (LoadStatus.ON, LoadStatus.REDUCED)


def has_price_source(options: Mapping[str, Any]) -> bool:
    """True when the options give the planner a price source (a pricing entry or an entity)."""
    return bool(options.get(CONF_PRICE_ENTRY) or options.get(CONF_PRICE_ENTITY))


def plannable(load: LoadSettings) -> bool:
    """A green charger, or a green socket with a deadline or a window."""
    return load.has_plan or (load.kind is LoadKind.CHARGER and load.priority is Priority.GREEN)


def grid_start(now: datetime) -> datetime:
    """Start of the 15-minute slot holding ``now`` (UTC)."""
    utc = dt_util.as_utc(now)
    return utc.replace(minute=utc.minute - utc.minute % 15, second=0, microsecond=0)


def _slot_at(t0: datetime, at: float | None, horizon: int, *, up: bool) -> int | None:
    if at is None:
        return None
    slots = (at - t0.timestamp()) / SLOT.total_seconds()
    return max(0, min(horizon, math.ceil(slots - 1e-9) if up else math.floor(slots + 1e-9)))


def planner_load(
    load: LoadSettings,
    green: GreenPlan,
    state: LoadState,
    reading: LoadReading,
    *,
    t0: datetime,
    horizon: int,
) -> Load | None:
    """The planner's model of a green load's job (None: nothing to plan)."""
    end = _slot_at(t0, green.deadline_s, horizon, up=False)
    until = _slot_at(t0, green.allowed_until_s, horizon, up=False)
    first = _slot_at(t0, green.allowed_from_s, horizon, up=True) or 0
    last = min(x for x in (end, until, horizon) if x is not None)
    if load.kind is LoadKind.CHARGER:
        power = load.power_range_w()
        need = state.need_wh if state.need_wh is not None else _need_wh(green, reading)
        if power is None or need is None or need <= 0 or end is None:
            return None
        return Charger(
            load.load_id,
            max_kw=power[1] / 1000.0,
            window=(min(first, last), last),
            energy_kwh=need / 1000.0,
            min_kw=power[0] / 1000.0,
            running=state.status in _RUNNING,
        )
    if load.rated_w is None or green.remaining_s <= 0 or (end is None and until is None):
        return None
    if load.water_heater:  # the day's energy still to heat, any power up to rated per slot
        power_kw = load.rated_w / 1000.0
        day = HeaterDay(green.remaining_s / 3600.0 * power_kw, (min(first, last), last))
        return WaterHeater(load.load_id, power_kw, (day,))
    slots = math.ceil(green.remaining_s / SLOT.total_seconds() - 1e-9)
    if state.status in _RUNNING:  # a programme is not interrupted: it continues from now
        return Programme(
            load.load_id, (load.rated_w / 1000.0,) * (slots + 1), (0, last), elapsed_slots=1
        )
    return Programme(load.load_id, (load.rated_w / 1000.0,) * slots, (min(first, last), last))


def _need_wh(green: GreenPlan, reading: LoadReading) -> float | None:
    if green.target_soc_pct is not None and green.capacity_wh and reading.soc_pct is not None:
        return max(0.0, (green.target_soc_pct - reading.soc_pct) / 100.0 * green.capacity_wh)
    return green.energy_wh


def _key(load: Load) -> tuple[Any, ...]:
    """What makes a load's plan stale (its need only in steps of NEED_STEP_KWH)."""
    if isinstance(load, Charger):
        return ("c", load.load_id, load.window, round(load.needed_kwh() / NEED_STEP_KWH))
    if isinstance(load, Programme):
        return ("p", load.load_id, load.window, len(load.profile_kw), load.elapsed_slots)
    days = tuple((d.window, round(d.energy_kwh / NEED_STEP_KWH)) for d in load.days)
    return ("h", load.load_id, days)


def schedules_from(
    result: PlanResult, t0: datetime, prices: list[float] | None, deadlines: Mapping[str, int]
) -> dict[str, Schedule]:
    """One schedule per planned load, with its cost and, when infeasible, its shortfall."""
    shortfalls: dict[str, Shortfall] = {s.load_id: s for s in result.shortfalls}
    out = {}
    for load_id, load_plan in result.loads.items():
        cost = (
            None
            if prices is None
            else sum(p * c * SLOT_H for p, c in zip(load_plan.power_kw, prices, strict=False))
        )
        end = deadlines.get(load_id)
        out[load_id] = Schedule(
            load_id,
            t0,
            tuple(load_plan.power_kw),
            load_plan.energy_kwh,
            cost,
            None if end is None else t0 + SLOT * end,
            shortfalls.get(load_id),
        )
    return out


class PlannerLink:
    """Plans the green loads of one manager when a price source is configured."""

    def __init__(self, manager: LoadManager) -> None:
        """Nothing is planned before :meth:`configure` sets a price source."""
        self._manager = manager
        self._hass: HomeAssistant = manager.hass
        self.price_entry: str | None = None
        self.price_entity: str | None = None
        self._intervals: list[Interval] = []
        self._version = 0
        self._key: tuple[Any, ...] | None = None
        self.schedules: dict[str, Schedule] = {}
        self._unsubs: list[CALLBACK_TYPE] = []
        self._issues: set[str] = set()

    @property
    def enabled(self) -> bool:
        """True with a price source."""
        return bool(self.price_entry or self.price_entity)

    @callback
    def configure(self, options: Mapping[str, Any]) -> None:
        """Follow the price source of the options (a pricing entry or a price entity)."""
        entry = options.get(CONF_PRICE_ENTRY) or None
        entity = options.get(CONF_PRICE_ENTITY) or None
        if (entry, entity) == (self.price_entry, self.price_entity):
            return
        self.stop()
        self.price_entry, self.price_entity = entry, entity
        self._intervals, self._key = [], None
        if entity is not None:
            self._unsubs.append(
                async_track_state_change_event(self._hass, [entity], self._on_price_state)
            )
            self._set_intervals(entity_intervals(self._hass.states.get(entity), dt_util.now()))
        elif entry is not None:
            self._unsubs.append(
                async_dispatcher_connect(self._hass, SIGNAL_PRICES_UPDATED, self._on_prices)
            )
            self._unsubs.append(
                async_track_time_interval(self._hass, self._refresh_tick, PRICE_REFRESH)
            )
            self._manager.entry.async_create_background_task(
                self._hass, self.async_refresh_prices(), "balance planner prices"
            )

    @callback
    def stop(self) -> None:
        """Stop following the price source and forget the plans and their issues."""
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        self.schedules = {}
        self._sync_issues({})

    async def async_refresh_prices(self) -> None:
        """Fetch the pricing entry's forecast (kept as it was when the entry is not ready)."""
        if self.price_entry is None:
            return
        intervals = await async_pricing_forecast(self._hass, self.price_entry)
        if intervals is not None and self._set_intervals(intervals):
            self._manager.async_update()

    @callback
    def _on_prices(self, entry_id: str) -> None:
        if entry_id == self.price_entry:
            self._manager.entry.async_create_background_task(
                self._hass, self.async_refresh_prices(), "balance planner prices"
            )

    @callback
    def _refresh_tick(self, _now: datetime) -> None:
        self._on_prices(self.price_entry or "")

    @callback
    def _on_price_state(self, event: Event[EventStateChangedData]) -> None:
        """New prices; an entity that lost them (unavailable) leaves the last ones in force."""
        intervals = entity_intervals(event.data["new_state"], dt_util.now())
        if intervals and self._set_intervals(intervals):
            self._manager.async_update()

    def _set_intervals(self, intervals: list[Interval]) -> bool:
        if intervals == self._intervals:
            return False
        self._intervals = intervals
        self._version += 1
        return True

    # ------------------------------------------------------------------ planning

    def prices(self, t0: datetime, count: int) -> list[float] | None:
        """Price of each slot from ``t0`` (None: no price known)."""
        return slot_prices(self._intervals, t0, SLOT, count)

    @callback
    def apply(
        self,
        now: datetime,
        plans: Mapping[str, GreenPlan],
        readings: Mapping[str, LoadReading],
    ) -> dict[str, GreenPlan]:
        """Plan again when an input changed; each green plan narrowed to its planned run."""
        if not self.enabled:
            return dict(plans)
        t0 = grid_start(now)
        horizon = self._horizon(t0, plans)
        states = self._manager.state().loads
        loads = {
            load_id: model
            for load_id, green in plans.items()
            if (
                model := planner_load(
                    self._manager.loads[load_id],
                    green,
                    states[load_id],
                    readings[load_id],
                    t0=t0,
                    horizon=horizon,
                )
            )
            is not None
        }
        limits = repr(self._manager.limits(dt_util.as_local(t0)))
        key = (t0, horizon, tuple(sorted(_key(m) for m in loads.values())), self._version, limits)
        if key != self._key:
            self._key = key
            self._replan(t0, horizon, loads, plans)
        return {load_id: self._narrowed(now, load_id, green) for load_id, green in plans.items()}

    def _horizon(self, t0: datetime, plans: Mapping[str, GreenPlan]) -> int:
        """Slots to plan: up to a day past the latest deadline (room for the alternative of an
        infeasible load), 48 h at most."""
        ends = [
            at
            for green in plans.values()
            for at in (green.deadline_s, green.allowed_until_s)
            if at is not None
        ]
        if not ends:
            return 1
        latest = max(ends) - t0.timestamp() + DAY_S
        return max(1, min(MAX_SLOTS, math.ceil(latest / SLOT.total_seconds())))

    def _replan(
        self,
        t0: datetime,
        horizon: int,
        loads: Mapping[str, Load],
        plans: Mapping[str, GreenPlan],
    ) -> None:
        prices = self.prices(t0, horizon)
        if not loads or prices is None:
            self.schedules = {}
            self._sync_issues({})
            return
        problem = Problem(
            slots=horizon,
            dt_h=SLOT_H,
            prices=prices,
            cap_kw=self.caps(t0, horizon, loads),
            loads=list(loads.values()),
            previous=self._previous(t0, horizon, loads),
        )
        try:
            result = plan(problem)
        except ValueError as err:
            LOGGER.warning("Load planner rejected its input: %s", err)
            return
        deadlines = {
            load_id: end
            for load_id, green in plans.items()
            if (end := _slot_at(t0, green.deadline_s, MAX_SLOTS, up=False)) is not None
        }
        self.schedules = schedules_from(result, t0, prices, deadlines)
        self._sync_issues(self.schedules)

    def caps(self, t0: datetime, horizon: int, loads: Mapping[str, Load]) -> list[float]:
        """Power the planned loads may use per slot: lowest limit minus the base forecast."""
        manager = self._manager
        base = self._base_forecast(t0, horizon, loads)
        capacity = manager.settings.capacity
        caps = []
        for k in range(horizon):
            limit, _ = manager.limits(dt_util.as_local(t0 + SLOT * k + SLOT / 2)).effective()
            if capacity is not None:
                limit = capacity.target_w if limit is None else min(limit, capacity.target_w)
            caps.append(UNCAPPED_KW if limit is None else max(0.0, limit / 1000.0 - base[k]))
        return caps

    def _base_forecast(self, t0: datetime, horizon: int, loads: Mapping[str, Load]) -> list[float]:
        """kW beside the planned loads: now as measured, later the engine's learned profiles
        (typical demand at that time of day on the last days), else as now."""
        manager = self._manager
        from .manager import power_w  # noqa: PLC0415

        house = power_w(self._hass.states.get(manager.settings.power_entity))
        states = manager.state().loads
        planned = sum(states[i].power_w for i in loads if states[i].status in _RUNNING)
        now_kw = max(0.0, ((house or 0.0) - planned) / 1000.0)
        profiles = manager.engine.profiles
        base = [now_kw]
        for k in range(1, horizon):
            a = (t0 + SLOT * k).timestamp()
            typical = [
                value
                for load_id in loads
                for _, value in profiles[load_id].typical(a, a + SLOT.total_seconds())
                if value is not None
            ]
            base.append(max(0.0, min(typical) / 1000.0) if typical else now_kw)
        return base

    def _previous(
        self, t0: datetime, horizon: int, loads: Mapping[str, Load]
    ) -> dict[str, list[float]] | None:
        """The last plan moved to the new slot 0 (for the planner's stability)."""
        previous = {}
        for load_id in loads:
            old = self.schedules.get(load_id)
            if old is None:
                continue
            shift = round((t0 - old.start) / SLOT)
            powers = list(old.powers[shift:])[:horizon]
            previous[load_id] = powers + [0.0] * (horizon - len(powers))
        return previous or None

    def _narrowed(self, now: datetime, load_id: str, green: GreenPlan) -> GreenPlan:
        """The engine's plan limited to the current or next planned run."""
        schedule = self.schedules.get(load_id)
        run = None if schedule is None else schedule.next_run(now)
        if run is None:
            return green  # nothing planned (done, or nothing possible): the engine decides
        start, end = run
        load = self._manager.loads[load_id]
        if load.kind is not LoadKind.CHARGER and not load.water_heater:
            end = None  # a programme, once started, runs to its end
        planned_w = None
        if load.kind is LoadKind.CHARGER and start is None:  # in a run: this slot's power
            assert schedule is not None
            k = schedule.slot_index(now)
            planned_w = schedule.powers[k] * 1000.0 if k < len(schedule.powers) else None
        return replace(
            green,
            planned=True,
            allowed_from_s=None if start is None else start.timestamp(),
            allowed_until_s=None if end is None else end.timestamp(),
            planned_w=planned_w,
        )

    # -------------------------------------------------------------------- issues

    def _sync_issues(self, schedules: Mapping[str, Schedule]) -> None:
        """A repair issue for each load the plan cannot serve, with the best alternative."""
        entry_id = self._manager.entry.entry_id
        wanted: dict[str, dict[str, str]] = {}
        for load_id, schedule in schedules.items():
            short = schedule.shortfall
            load = self._manager.loads.get(load_id)
            if short is None or load is None:
                continue
            wanted[f"{ISSUE_PLAN_INFEASIBLE}_{entry_id}_{load_id}"] = {
                "name": load.name,
                "requested_kwh": f"{short.requested_kwh:.1f}",
                "possible_kwh": f"{short.possible_kwh:.1f}",
                "deadline": _clock(schedule.deadline),
                "earliest": _clock(
                    None
                    if short.earliest_end_slot is None
                    else schedule.start + SLOT * short.earliest_end_slot
                ),
            }
        for issue_id, placeholders in wanted.items():
            raise_issue(
                self._hass, issue_id, ir.IssueSeverity.WARNING, ISSUE_PLAN_INFEASIBLE, placeholders
            )
        for issue_id in self._issues - wanted.keys():
            ir.async_delete_issue(self._hass, DOMAIN, issue_id)
        self._issues = set(wanted)


def _clock(at: datetime | None) -> str:
    """Local time of day, with the date when it is not today."""
    if at is None:
        return "-"
    local = dt_util.as_local(at)
    if local.date() == dt_util.now().date():
        return local.strftime("%H:%M")
    return local.strftime("%Y-%m-%d %H:%M")
