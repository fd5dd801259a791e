"""The Home Assistant side of DLM: feeds the engine with states and applies its actions."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import (
    ATTR_ENTITY_ID,
    ATTR_UNIT_OF_MEASUREMENT,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
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
from homeassistant.core import (
    DOMAIN as HA_DOMAIN,
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
    ActionKind,
    DlmEngine,
    EngineState,
    HeldRecord,
    LimitReason,
    Limits,
    LoadReading,
    LoadStatus,
    Observed,
    PersistedState,
    Priority,
)
from .const import SAVE_DELAY_S, STORAGE_KEY, STORAGE_VERSION, UPDATE_INTERVAL
from .issues import IssueTracker
from .planning import GreenProgress, green_plan
from .settings import LoadSettings, ManagerSettings, in_period, managed_loads
from .storage import StoredState, from_persisted, to_persisted

type LoadManagementConfigEntry = ConfigEntry[LoadManager]

_HELD = (LoadStatus.SHED, LoadStatus.DEFERRED)
MANUAL_SETTLE_S = 15.0  # a manually shed load found on after this was switched on by someone


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


def observed(state: State | None) -> Observed:
    """Observed state of a switch entity."""
    if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return Observed.UNAVAILABLE
    return Observed.ON if state.state == STATE_ON else Observed.OFF


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
        self._day = dt_util.now().date().isoformat()
        self._last_s: float | None = None
        self._listeners: list[CALLBACK_TYPE] = []
        self._unsubs: list[CALLBACK_TYPE] = []
        self._state_unsub: CALLBACK_TYPE | None = None
        self.on_policy_change: Callable[[], None] | None = None

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
        now_s = dt_util.utcnow().timestamp()
        self.engine.adopt(now_s, self._readings(), to_persisted(stored, same_day))
        self._last_s = now_s
        self._track_states()
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
        if self._state_unsub is not None:
            self._state_unsub()
            self._state_unsub = None
        await self._store.async_save(self._stored())

    @callback
    def async_reconfigure(self, entry: LoadManagementConfigEntry) -> None:
        """Apply changed options or load settings, keeping what the engine holds."""
        settings = ManagerSettings.from_options(entry.options)
        loads = managed_loads(entry)
        rebuild = loads != self.loads or settings.engine_config() != self.settings.engine_config()
        self.settings, self.loads = settings, loads
        if rebuild:
            exported = self.engine.export_state()
            self.engine = self._new_engine()
            if self.enabled:
                self.engine.adopt(self._now_s(), self._readings(), exported)
        self._track_states()
        if self.on_policy_change:
            self.on_policy_change()
        self.async_update()

    def _track_states(self) -> None:
        if self._state_unsub is not None:
            self._state_unsub()
        entities = {self.settings.power_entity}
        for load in self.loads.values():
            entities.add(load.switch_entity)
            if load.power_entity:
                entities.add(load.power_entity)
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
        self._save()
        self._notify()

    def _now_s(self) -> float:
        return dt_util.utcnow().timestamp()

    def _readings(self) -> dict[str, LoadReading]:
        states = self.hass.states
        return {
            load_id: LoadReading(
                observed(states.get(load.switch_entity)),
                power_w(states.get(load.power_entity)) if load.power_entity else None,
            )
            for load_id, load in self.loads.items()
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
        for action in self.engine.update(now_s, house, readings):
            LOGGER.debug("DLM %s %s (%s)", action.kind, action.load_id, action.reason)
            self._switch(action.load_id, action.kind is ActionKind.TURN_ON)
        self._end_manual_holds(now_s, readings)
        state = self.engine.state()
        self.issues.sync(state, self.loads, self.settings)
        if old_limit != self.engine.effective_limit() and self.on_policy_change:
            self.on_policy_change()
        self._save()
        self._notify()

    def _plan_greens(self, now: datetime, dt_s: float, readings: Mapping[str, LoadReading]) -> None:
        held = self.engine.state().loads
        for load_id, load in self.loads.items():
            if not load.has_plan:
                continue
            progress = self._green.setdefault(load_id, GreenProgress())
            running = readings[load_id].state is Observed.ON
            progress.advance(load, now, dt_s, running)
            if running and held[load_id].status is LoadStatus.DEFERRED:
                progress.overridden = True  # the resident wants it now: respect it this cycle
            plan = None if progress.overridden else green_plan(load, now, progress)
            self.engine.set_plan(load_id, plan)

    def _end_manual_holds(self, now_s: float, readings: Mapping[str, LoadReading]) -> None:
        for load_id, hold in list(self._manual.items()):
            if load_id not in readings:
                del self._manual[load_id]
            elif hold.until_s is not None and now_s >= hold.until_s:
                del self._manual[load_id]
                self._switch(load_id, True)
            elif readings[load_id].state is Observed.ON and now_s - hold.since_s >= MANUAL_SETTLE_S:
                del self._manual[load_id]  # someone switched it on again

    # ------------------------------------------------------------------- outputs

    def _switch(self, load_id: str, on: bool) -> None:
        entity_id = self.loads[load_id].switch_entity
        self.entry.async_create_task(
            self.hass, self._async_switch(entity_id, on), f"balance dlm switch {entity_id}"
        )

    async def _async_switch(self, entity_id: str, on: bool) -> None:
        try:
            await self.hass.services.async_call(
                HA_DOMAIN,
                SERVICE_TURN_ON if on else SERVICE_TURN_OFF,
                {ATTR_ENTITY_ID: entity_id},
                blocking=False,
                context=Context(),
            )
        except HomeAssistantError as err:
            LOGGER.warning("Load management could not switch %s: %s", entity_id, err)

    def state(self) -> EngineState:
        """Engine state as of the last update."""
        return self.engine.state()

    def load_status(self, load_id: str) -> LoadStatus:
        """Exposed status of a load (a manual shed shows as shed)."""
        if not self.enabled:
            state = self.hass.states.get(self.loads[load_id].switch_entity)
            return LoadStatus.ON if observed(state) is Observed.ON else LoadStatus.OFF
        status = self.engine.state().loads[load_id].status
        if load_id in self._manual and status is LoadStatus.OFF:
            return LoadStatus.SHED
        return status

    # ------------------------------------------------------------ resident control

    async def async_set_enabled(self, enabled: bool) -> None:
        """Switch DLM on or off; off restores every load it holds and stops acting."""
        if enabled == self.enabled:
            return
        if not enabled:
            held = [i for i, s in self.engine.state().loads.items() if s.status in _HELD]
            for load_id in {*held, *self._manual}:
                self._switch(load_id, True)
            self._manual.clear()
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
        self._switch(load_id, False)
        self.async_update()

    def restore(self, load_id: str) -> None:
        """Switch a load back on (the engine treats it as a resident override)."""
        self._manual.pop(load_id, None)
        self._switch(load_id, True)
        self.async_update()

    def set_temporary_limit(self, reason: LimitReason, watts: float, duration_s: float) -> None:
        """Apply a limit term for a while (a resident override or a DR limit)."""
        self._temporary[reason] = (watts, self._now_s() + duration_s)
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
        held, off_today, profiles = from_persisted(self.engine.export_state())
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
        }

    def _save(self) -> None:
        self._store.async_delay_save(self._stored, SAVE_DELAY_S)

    # ------------------------------------------------------------------ listeners

    @callback
    def async_add_listener(self, update: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `update` after every engine update; return the remover."""
        self._listeners.append(update)
        return lambda: self._listeners.remove(update)

    def _notify(self) -> None:
        for update in list(self._listeners):
            update()

    def diagnostics(self) -> dict[str, Any]:
        """State for diagnostics."""
        return {"enabled": self.enabled, "stored": self._stored()}
