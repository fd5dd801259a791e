"""The Home Assistant side of DLM: feeds the engine with states and applies its actions."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import (
    ATTR_ENTITY_ID,
    ATTR_UNIT_OF_MEASUREMENT,
    UnitOfPower,
)
from homeassistant.core import (
    CALLBACK_TYPE,
    Context,
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import (
    async_track_state_change_event,
    async_track_time_change,
    async_track_time_interval,
)
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import PowerConverter

from ..const import LOGGER  # noqa: TID252
from ..dlm import (  # noqa: TID252
    PHASES,
    ActionKind,
    DlmEngine,
    EngineState,
    GreenPlan,
    HeldRecord,
    LimitReason,
    Limits,
    LoadKind,
    LoadReading,
    LoadStatus,
    Observed,
    PersistedState,
    Priority,
)
from .actuators import ClimateHold, Command, command, read, release_climate, switched_by_setpoint
from .const import (
    ATTR_COMMAND,
    ATTR_HOUSE_W,
    ATTR_LIMIT_W,
    ATTR_LOAD_NAME,
    ATTR_LOWERED,
    ATTR_REASON,
    ATTR_SETPOINT,
    EVENT_LOAD_MANAGEMENT,
    SAVE_DELAY_S,
    STORAGE_KEY,
    STORAGE_VERSION,
    UPDATE_INTERVAL,
)
from .issues import IssueTracker
from .planner_link import PlannerLink
from .planning import GreenProgress, PlanOverride, charger_plan, green_plan
from .settings import LoadSettings, ManagerSettings, in_period, managed_loads
from .storage import StoredState, from_persisted, to_persisted

type LoadManagementConfigEntry = ConfigEntry[LoadManager]

_HELD = (LoadStatus.SHED, LoadStatus.DEFERRED)
MANUAL_SETTLE_S = 15.0  # a manually shed load found on after this was switched on by someone


class ManualReason(StrEnum):
    """Why load management switched a load outside the engine's own decisions."""

    MANUAL_SHED = "manual_shed"  # the balance.shed action
    MANUAL_RESTORE = "manual_restore"  # the balance.restore action
    MANUAL_END = "manual_end"  # the duration of a balance.shed ran out
    DISABLED = "disabled"  # DLM switched off: every held load comes back
    RELEASED = "released"  # no longer a managed load: it is not left off
    DR_SHED = "dr_shed"  # the utility's shed level (OpenADR SIMPLE) takes the load off
    DR_END = "dr_end"  # the utility's shed level no longer takes the load off


@dataclass(frozen=True, slots=True)
class ManualHold:
    """A load switched off through the `balance.shed` action."""

    since_s: float
    until_s: float | None  # None: until `balance.restore`


def power_w(state: State | None) -> float | None:
    """A power sensor's state in W (None when unknown, not numeric or not a power unit)."""
    if state is None:
        return None
    try:
        value = float(state.state)
    except ValueError:
        return None
    unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT) or UnitOfPower.WATT
    if not math.isfinite(value) or unit not in PowerConverter.VALID_UNITS:
        return None
    return PowerConverter.convert(value, unit, UnitOfPower.WATT)


class LoadManager:
    """Owns the DLM engine of one load-management entry."""

    def __init__(self, hass: HomeAssistant, entry: LoadManagementConfigEntry) -> None:
        """Read the entry; nothing runs before :meth:`async_start`."""
        self.hass = hass
        self.entry = entry
        self.settings = ManagerSettings.from_options(entry.options)
        self.loads: dict[str, LoadSettings] = managed_loads(entry)
        self.engine = self._new_engine()
        self.enabled = True
        self.issues = IssueTracker(hass, entry.entry_id)
        self._store: Store[StoredState] = Store(
            hass, STORAGE_VERSION, STORAGE_KEY.format(entry_id=entry.entry_id)
        )
        self._manual: dict[str, ManualHold] = {}
        self._green: dict[str, GreenProgress] = {}
        self._temporary: dict[LimitReason, tuple[float, float]] = {}  # reason -> (W, until)
        self._dr_loads: frozenset[str] | None = None  # the loads the DR term binds (None: all)
        self._dr_held: set[str] = set()  # held off by the utility link's shed level
        self._climate: dict[str, ClimateHold] = {}
        self._overrides: dict[str, PlanOverride] = {}  # balance.set_plan, per charger job
        self._day = dt_util.now().date().isoformat()
        self._last_s: float | None = None
        self._listeners: list[CALLBACK_TYPE] = []
        self._loads_listeners: list[CALLBACK_TYPE] = []
        self._unsubs: list[CALLBACK_TYPE] = []
        self._state_unsub: CALLBACK_TYPE | None = None
        self.on_policy_change: Callable[[], None] | None = None
        self.device_id: str | None = None  # the "Load management" device
        self.planner = PlannerLink(self)

    # ------------------------------------------------------------------ lifecycle

    def _new_engine(self) -> DlmEngine:
        return DlmEngine(
            [load.load_config() for load in self.loads.values()],
            self.settings.engine_config(),
        )

    async def async_start(self) -> None:
        """Resume from the stored state, adopt the switches' actual states and start acting."""
        stored = await self._store.async_load()
        same_day = stored is not None and stored["day"] == self._day
        if stored is not None:
            self.enabled = stored["enabled"]
            self._manual = {
                k: ManualHold(v["since"], v["until"])
                for k, v in stored["manual"].items()
                if k in self.loads
            }
            self._green = {
                k: GreenProgress(v["ran_s"], v["cycle_end"], v.get("overridden", False))
                for k, v in stored["green"].items()
                if k in self.loads
            }
            self._temporary = {
                LimitReason(k): (v[0], v[1]) for k, v in stored.get("limits", {}).items()
            }
            self._climate = {
                k: ClimateHold(v.get("normal_c"), v.get("setback_c"), v.get("hvac_mode"))
                for k, v in stored.get("climate", {}).items()
                if k in self.loads
            }
            self._overrides = {
                k: PlanOverride(v.get("energy_wh"), v.get("target_soc"), v.get("deadline_s"))
                for k, v in stored.get("plans", {}).items()
                if k in self.loads
            }
        now_s = dt_util.utcnow().timestamp()
        self.engine.adopt(now_s, self._readings(), to_persisted(stored, same_day))
        self._last_s = now_s
        self._track_states()
        self.planner.configure(self.entry.options)
        self._unsubs.append(async_track_time_interval(self.hass, self._tick, UPDATE_INTERVAL))
        self._unsubs.append(
            async_track_time_change(self.hass, self._midnight, hour=0, minute=0, second=0)
        )
        self.async_update()

    async def async_stop(self) -> None:
        """Stop acting and save the state (loads stay as they are: adopted on the next start)."""
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        self.planner.stop()
        if self._state_unsub is not None:
            self._state_unsub()
            self._state_unsub = None
        await self._store.async_save(self._stored())

    @callback
    def async_reconfigure(self, entry: LoadManagementConfigEntry) -> None:
        """Apply changed options or load settings, keeping what the engine holds."""
        settings = ManagerSettings.from_options(entry.options)
        loads = managed_loads(entry)
        loads_changed = loads != self.loads
        rebuild = loads_changed or settings.engine_config() != self.settings.engine_config()
        self._release_removed(loads.keys())
        self.settings, self.loads = settings, loads
        if rebuild:
            exported = self.engine.export_state()
            self.engine = self._new_engine()
            if self.enabled:
                self.engine.adopt(self._now_s(), self._readings(), exported)
        self._track_states()
        self.planner.configure(entry.options)
        if loads_changed:
            for changed in list(self._loads_listeners):
                changed()
        if self.on_policy_change:
            self.on_policy_change()
        self.async_update()

    def _release_removed(self, kept: Iterable[str]) -> None:
        """A load no longer managed is switched back on if load management held it off."""
        removed = self.loads.keys() - set(kept)
        held = {i for i, s in self.engine.state().loads.items() if s.status in _HELD}
        for load_id in sorted(removed & (held | self._manual.keys())):
            self._command(load_id, ActionKind.TURN_ON, ManualReason.RELEASED)
        for load_id in removed:
            for per_load in (self._manual, self._green, self._climate, self._overrides):
                per_load.pop(load_id, None)
        self._dr_held -= removed

    def _track_states(self) -> None:
        if self._state_unsub is not None:
            self._state_unsub()
        entities = {self.settings.power_entity, *self.settings.phase_entities}
        for load in self.loads.values():
            entities.update(load.entities)
        self._state_unsub = async_track_state_change_event(
            self.hass, sorted(entities), self._on_state_change
        )

    # -------------------------------------------------------------------- inputs

    @callback
    def _on_state_change(self, _event: Event[EventStateChangedData]) -> None:
        self.async_update()

    @callback
    def _tick(self, _now: datetime) -> None:
        self.async_update()

    @callback
    def _midnight(self, now: datetime) -> None:
        self._day = now.date().isoformat()
        self.engine.reset_daily_counters()
        if now.day == 1:
            self.engine.reset_month()
        self._save()
        self._notify()

    def _now_s(self) -> float:
        return dt_util.utcnow().timestamp()

    def _readings(self) -> dict[str, LoadReading]:
        states = self.hass.states
        readings = {}
        for load_id, load in self.loads.items():
            hold = self._climate.get(load_id)
            if hold is not None:
                release_climate(self.hass, load, hold)
            power = power_w(states.get(load.power_entity)) if load.power_entity else None
            readings[load_id] = read(self.hass, load, hold, power)
        return readings

    def _phase_readings(self) -> dict[str, float] | None:
        if not self.settings.phase_entities:
            return None
        values = [power_w(self.hass.states.get(e)) for e in self.settings.phase_entities]
        if any(value is None for value in values):
            return None
        return {
            phase: value for phase, value in zip(PHASES, values, strict=True) if value is not None
        }

    def limits(self, now: datetime | None = None) -> Limits:
        """The limit terms in force now (resident, tariff period, contract, temporary)."""
        now = now or dt_util.now()
        now_s = now.timestamp()
        tariff = self.settings.tariff
        temporary = {k: w for k, (w, until) in self._temporary.items() if until > now_s}
        return Limits(
            resident_w=temporary.get(LimitReason.RESIDENT, self.settings.limit_w),
            tariff_w=(
                tariff.limit_w if tariff and in_period(now, tariff.start, tariff.end) else None
            ),
            contract_w=self.settings.contract_w,
            dr_w=temporary.get(LimitReason.DR),
            dr_loads=self._dr_loads,
            hard_w=self.settings.hard_limit_w,
            phase_w=self.settings.phase_limits_w,
            capacity=self.settings.capacity,
        )

    # -------------------------------------------------------------------- update

    @callback
    def async_update(self) -> None:
        """Run the engine on the current states and apply its actions."""
        if not self.enabled:
            self._notify()
            return
        now = dt_util.now()
        now_s = now.timestamp()
        dt_s = 0.0 if self._last_s is None else max(0.0, now_s - self._last_s)
        self._last_s = now_s
        readings = self._readings()
        self._temporary = {k: v for k, v in self._temporary.items() if v[1] > now_s}
        old_limit = self.engine.effective_limit()
        self.engine.set_limits(self.limits(now))
        self._plan_greens(now, dt_s, readings)
        house = power_w(self.hass.states.get(self.settings.power_entity))
        actions = self.engine.update(now_s, house, readings, self._phase_readings())
        set_now = {a.load_id for a in actions if a.kind is ActionKind.SET_POWER}
        for action in actions:
            LOGGER.debug("DLM %s %s (%s)", action.kind, action.load_id, action.reason)
            if action.load_id in self._dr_held and action.kind is not ActionKind.TURN_OFF:
                continue  # the utility's shed level keeps it off
            if (
                action.kind is ActionKind.TURN_ON
                and action.load_id in set_now
                and switched_by_setpoint(self.loads[action.load_id])
            ):
                continue  # its start setpoint, sent just before, starts it (not the minimum)
            lowered = (
                action.power_w is not None
                and (previous := readings[action.load_id].setpoint_w) is not None
                and action.power_w < previous
            )
            self._command(action.load_id, action.kind, action.reason, action.power_w, lowered)
        self._end_manual_holds(now_s, readings)
        state = self.engine.state()
        self.issues.sync(state, self.loads, self.settings)
        if old_limit != self.engine.effective_limit() and self.on_policy_change:
            self.on_policy_change()
        self._save()
        self._notify()

    def _plan_greens(self, now: datetime, dt_s: float, readings: Mapping[str, LoadReading]) -> None:
        """Each green load's job, narrowed by the planner to its cheapest slots."""
        held = self.engine.state().loads
        plans: dict[str, GreenPlan | None] = {}
        for load_id, load in self.loads.items():
            if load.kind is LoadKind.CHARGER and load.priority is Priority.GREEN:
                plans[load_id] = self._plan_charger(load_id, load, now, readings[load_id])
                continue
            if not load.has_plan:
                continue
            progress = self._green.setdefault(load_id, GreenProgress())
            running = readings[load_id].state is Observed.ON
            progress.advance(load, now, dt_s, running)
            if running and held[load_id].status is LoadStatus.DEFERRED:
                progress.overridden = True  # the resident wants it now: respect it this cycle
            plans[load_id] = None if progress.overridden else green_plan(load, now, progress)
        jobs = {load_id: plan for load_id, plan in plans.items() if plan is not None}
        planned = self.planner.apply(now, jobs, readings)
        for load_id, plan in plans.items():
            self.engine.set_plan(load_id, planned.get(load_id, plan))

    def _plan_charger(
        self, load_id: str, load: LoadSettings, now: datetime, reading: LoadReading
    ) -> GreenPlan | None:
        """A charger's job: from plug-in to departure, its energy or SoC need."""
        override = self._overrides.get(load_id)
        if override is not None and override.ended(now.timestamp(), reading.plugged):
            del self._overrides[load_id]
            override = None
        return charger_plan(self.hass, load, now, reading, override)

    def _end_manual_holds(self, now_s: float, readings: Mapping[str, LoadReading]) -> None:
        for load_id, hold in list(self._manual.items()):
            if load_id not in readings:
                del self._manual[load_id]
            elif hold.until_s is not None and now_s >= hold.until_s:
                del self._manual[load_id]
                self._command(load_id, ActionKind.TURN_ON, ManualReason.MANUAL_END)
            elif readings[load_id].state is Observed.ON and now_s - hold.since_s >= MANUAL_SETTLE_S:
                del self._manual[load_id]  # someone switched it on again

    # ------------------------------------------------------------------- outputs

    def _command(
        self,
        load_id: str,
        kind: ActionKind,
        reason: StrEnum,
        power: float | None = None,
        lowered: bool = False,
    ) -> None:
        """Send a command in a context of its own, announced by a logbook event first.

        The event is the context's origin, so the logbook says that load management switched
        or reduced the load and why, on the event's line and on the load's state change.
        """
        load = self.loads[load_id]
        hold = (
            self._climate.setdefault(load_id, ClimateHold())
            if load.kind is LoadKind.CLIMATE
            else None
        )
        state = self.engine.state()
        entity_id = load.command_entity
        if kind is ActionKind.SET_POWER:
            entity_id = load.setpoint_entity or load.climate_entity or entity_id
        planned = command(self.hass, load, kind, power, hold)
        if not planned.calls:
            return
        context = Context()
        self.hass.bus.async_fire(
            EVENT_LOAD_MANAGEMENT,
            {
                ATTR_ENTITY_ID: entity_id,
                ATTR_LOAD_NAME: load.name,
                ATTR_COMMAND: kind.value,
                ATTR_REASON: reason.value,
                ATTR_HOUSE_W: None if state.house_w is None else round(state.house_w),
                ATTR_LIMIT_W: None if state.limit_w is None else round(state.limit_w),
                ATTR_SETPOINT: planned.setpoint,
                ATTR_LOWERED: lowered,
            },
            context=context,
        )
        self.entry.async_create_task(
            self.hass,
            self._async_calls(planned, context),
            f"balance dlm {kind.value} {entity_id}",
        )

    async def _async_calls(self, planned: Command, context: Context) -> None:
        for call in planned.calls:
            try:
                await self.hass.services.async_call(
                    call.domain, call.service, dict(call.data), blocking=True, context=context
                )
            except HomeAssistantError as err:
                LOGGER.warning("Load management could not %s %s: %s", call.service, call.data, err)
                return

    def state(self) -> EngineState:
        """Engine state as of the last update."""
        return self.engine.state()

    def load_status(self, load_id: str) -> LoadStatus:
        """Exposed status of a load (a manual shed shows as shed)."""
        if not self.enabled:
            reading = self._readings()[load_id]
            return LoadStatus.ON if reading.state is Observed.ON else LoadStatus.OFF
        status = self.engine.state().loads[load_id].status
        if (load_id in self._manual or load_id in self._dr_held) and status is LoadStatus.OFF:
            return LoadStatus.SHED
        return status

    # ------------------------------------------------------------ resident control

    async def async_set_enabled(self, enabled: bool) -> None:
        """Switch DLM on or off; off restores every load it holds and stops acting."""
        if enabled == self.enabled:
            return
        if not enabled:
            loads = self.engine.state().loads
            held = [i for i, s in loads.items() if s.status in _HELD]
            for load_id in sorted({*held, *self._manual, *self._dr_held}):
                self._command(load_id, ActionKind.TURN_ON, ManualReason.DISABLED)
            for load_id, load_state in sorted(loads.items()):
                top = self.loads[load_id].power_range_w()
                if load_state.status in (LoadStatus.REDUCED, *_HELD) and top is not None:
                    self._command(load_id, ActionKind.SET_POWER, ManualReason.DISABLED, top[1])
            self._manual.clear()
            self._dr_held.clear()
            self.issues.clear()
        self.enabled = enabled
        off_today = self.engine.export_state().off_today_s
        self.engine = self._new_engine()  # forgets every hold, keeps the daily counters
        self.engine.adopt(self._now_s(), self._readings(), PersistedState({}, off_today))
        if self.on_policy_change:
            self.on_policy_change()
        self.async_update()

    def shed(self, load_id: str, duration_s: float | None) -> None:
        """Switch a load off by hand (yellow loads at most for their max-off)."""
        load = self.loads[load_id]
        span = load.max_off_min * 60.0 if load.priority is Priority.YELLOW else None
        if duration_s is not None:
            span = duration_s if span is None else min(span, duration_s)
        now_s = self._now_s()
        self._manual[load_id] = ManualHold(now_s, None if span is None else now_s + span)
        self._command(load_id, ActionKind.TURN_OFF, ManualReason.MANUAL_SHED)
        self.async_update()

    def restore(self, load_id: str) -> None:
        """Switch a load back on (the engine treats it as a resident override)."""
        self._manual.pop(load_id, None)
        self._command(load_id, ActionKind.TURN_ON, ManualReason.MANUAL_RESTORE)
        self.async_update()

    def set_temporary_limit(self, reason: LimitReason, watts: float, duration_s: float) -> None:
        """Apply a limit term for a while (a resident override or a DR limit)."""
        self._temporary[reason] = (watts, self._now_s() + duration_s)
        self.async_update()

    def set_dr_limit(
        self,
        watts: float | None,
        until_s: float | None = None,
        loads: frozenset[str] | None = None,
    ) -> None:
        """The utility link's DR term of the limit until `until_s` (None: no DR term), binding
        only `loads` (None: every managed load): the others are never shed or lowered for it.

        The engine takes the lowest term, so a DR limit never raises the hard limit.
        """
        changed = loads != self._dr_loads
        self._dr_loads = loads
        if watts is None or until_s is None:
            changed = self._temporary.pop(LimitReason.DR, None) is not None or changed
        else:
            changed = changed or self._temporary.get(LimitReason.DR) != (watts, until_s)
            self._temporary[LimitReason.DR] = (watts, until_s)
        if changed:
            self.async_update()

    @property
    def dr_held(self) -> frozenset[str]:
        """Loads held off by the utility link's shed level."""
        return frozenset(self._dr_held)

    def set_dr_holds(self, load_ids: Iterable[str], *, adopt: bool = False) -> None:
        """Hold exactly these loads off for the utility's shed level; the others come back.

        Red loads are never held; nothing is held while load management is switched off.
        `adopt` takes over the holds from before a restart without switching anything.
        """
        wanted = {
            load_id
            for load_id in load_ids
            if self.enabled
            and load_id in self.loads
            and self.loads[load_id].priority is not Priority.RED
        }
        if wanted == self._dr_held:
            return
        if adopt:
            self._dr_held = wanted
            return
        for load_id in sorted(wanted - self._dr_held):
            self._command(load_id, ActionKind.TURN_OFF, ManualReason.DR_SHED)
        for load_id in sorted(self._dr_held - wanted):
            if load_id in self.loads and load_id not in self._manual:
                self._command(load_id, ActionKind.TURN_ON, ManualReason.DR_END)
        self._dr_held = wanted
        self.async_update()

    def set_plan(self, load_id: str, override: PlanOverride) -> None:
        """A charger's need for this job, given by the resident (until unplug or departure)."""
        self._overrides[load_id] = override
        self.async_update()

    def adopt_held(self, held: Mapping[str, HeldRecord]) -> None:
        """Hold loads found off for a reason outside HA (e.g. the hub guard shed them)."""
        exported = self.engine.export_state()
        fresh = {k: v for k, v in held.items() if k in self.loads and k not in exported.held}
        if not fresh or not self.enabled:
            return
        merged = PersistedState({**exported.held, **fresh}, exported.off_today_s)
        self.engine.adopt(self._now_s(), self._readings(), merged)
        self.async_update()

    # --------------------------------------------------------------- persistence

    def _stored(self) -> StoredState:
        held, off_today, profiles, jobs = from_persisted(self.engine.export_state())
        return {
            "enabled": self.enabled,
            "day": self._day,
            "held": held,
            "off_today": off_today,
            "manual": {
                k: {"since": v.since_s, "until": v.until_s} for k, v in self._manual.items()
            },
            "green": {
                k: {"ran_s": v.ran_s, "cycle_end": v.cycle_end_s, "overridden": v.overridden}
                for k, v in self._green.items()
            },
            "limits": {k.value: [w, until] for k, (w, until) in self._temporary.items()},
            "profiles": profiles,
            "jobs": jobs,
            "climate": {
                k: {"normal_c": v.normal_c, "setback_c": v.setback_c, "hvac_mode": v.hvac_mode}
                for k, v in self._climate.items()
            },
            "plans": {
                k: {
                    "energy_wh": v.energy_wh,
                    "target_soc": v.target_soc,
                    "deadline_s": v.deadline_s,
                }
                for k, v in self._overrides.items()
            },
        }

    def _save(self) -> None:
        # Built here, on the event loop: HA 2025.10/2025.11 call the data function in a worker
        # thread, where iterating dicts the loop mutates is not safe.
        data = self._stored()
        self._store.async_delay_save(lambda: data, SAVE_DELAY_S)

    # ------------------------------------------------------------------ listeners

    @callback
    def async_add_listener(self, update: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `update` after every engine update; return the remover."""
        self._listeners.append(update)
        return lambda: self._listeners.remove(update)

    @callback
    def async_add_loads_listener(self, changed: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `changed` after managed loads were added, removed or changed; return the remover."""
        self._loads_listeners.append(changed)
        return lambda: self._loads_listeners.remove(changed)

    def _notify(self) -> None:
        for update in list(self._listeners):
            update()

    def diagnostics(self) -> dict[str, Any]:
        """State for diagnostics."""
        return {"enabled": self.enabled, "stored": self._stored()}
