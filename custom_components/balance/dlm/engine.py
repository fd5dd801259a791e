"""The DLM engine: keeps the house under its effective limit with the fewest switch operations.

Plain Python, no Home Assistant import; the caller injects time (`now_s`, seconds on a clock
that survives restarts, e.g. epoch seconds) and applies the returned actions.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence

from .models import (
    Action,
    ActionKind,
    ActionReason,
    EngineConfig,
    EngineState,
    GreenPlan,
    GuardOutput,
    GuardPolicy,
    HeldRecord,
    LimitReason,
    Limits,
    LoadConfig,
    LoadReading,
    LoadStatus,
    Observed,
    PersistedState,
    Priority,
)
from .profile import DemandProfile
from .runtime import LoadRuntime
from .selection import Candidate, select_shed

_NO_DEADLINE_RANK = -1e12
_NO_DEADLINE_WAIT_S = 6 * 3600.0


class DlmEngine:
    """Decides which managed loads to shed, defer and restore; one `update()` per reading."""

    def __init__(
        self,
        loads: Sequence[LoadConfig],
        config: EngineConfig | None = None,
        limits: Limits | None = None,
    ) -> None:
        """Create an engine for `loads` (ids must be unique)."""
        self._cfg = config or EngineConfig()
        self._limits = limits or Limits()
        self._loads: dict[str, LoadRuntime] = {}
        for load in loads:
            if load.load_id in self._loads:
                raise ValueError(f"duplicate load id {load.load_id}")
            self._loads[load.load_id] = LoadRuntime(load)
        self._now: float | None = None
        self._house_w: float | None = None
        self._est_w = 0.0
        self._peaks: deque[tuple[float, float]] = deque()  # (time, estimate), decreasing values
        self._over_since: float | None = None
        self._missing_since: float | None = None
        self._fault = False
        self._unreachable = False
        self._shed_this_update = False
        self._last_on_s = float("-inf")
        self._actions: list[Action] = []
        self.profiles = {
            i: DemandProfile() for i, r in self._loads.items() if r.cfg.priority is Priority.GREEN
        }  # per green load: the house's demand without it

    # -- inputs ---------------------------------------------------------------------------------

    def set_limits(self, limits: Limits) -> None:
        """Replace the limit terms (resident, tariff period, contracted capacity, DR)."""
        self._limits = limits

    def set_plan(self, load_id: str, plan: GreenPlan | None) -> None:
        """Set what a green load still needs; a new plan cancels a resident's override."""
        runtime = self._loads[load_id]
        if runtime.cfg.priority is not Priority.GREEN:
            raise ValueError(f"{load_id} is not a green load")
        runtime.plan = plan
        runtime.defer_overridden = False

    def reset_daily_counters(self) -> None:
        """Start a new day for the `off_today_s` counters (call at local midnight)."""
        for runtime in self._loads.values():
            runtime.off_today_s = 0.0

    def update(
        self, now_s: float, house_w: float | None, readings: Mapping[str, LoadReading]
    ) -> list[Action]:
        """Take the house power (None: unavailable) and load readings; return commands."""
        dt_s = 0.0 if self._now is None else max(0.0, now_s - self._now)
        self._now = now_s
        self._actions = []
        self._shed_this_update = False
        for runtime in self._loads.values():
            retry = runtime.observe(readings.get(runtime.cfg.load_id), now_s, dt_s, self._cfg)
            if retry is not None:
                self._actions.append(retry)
        self._house_w = house_w
        limit, _ = self._limits.effective()
        if house_w is None:
            self._on_sensor_missing(now_s)
            return self._actions
        self._missing_since = None
        self._fault = False
        self._est_w = self._estimate(house_w)
        for load_id, profile in self.profiles.items():
            profile.record(now_s, self._est_w - self._in_estimate(self._loads[load_id]))
        self._defer_greens(now_s)
        self._shed_if_over(now_s, limit)
        self._yellow_max_off(now_s, limit)
        self._restore_one(now_s, limit)
        self._remember_estimate(now_s)
        return self._actions

    def adopt(
        self, now_s: float, readings: Mapping[str, LoadReading], persisted: PersistedState
    ) -> None:
        """Resume after a restart: re-hold loads we recorded as held that are still off, and
        take back the learned demand profiles that are given."""
        self._now = now_s
        for load_id, history in persisted.profiles.items():
            if history and load_id in self.profiles:
                self.profiles[load_id].load(history)
        for load_id, runtime in self._loads.items():
            runtime.observe(readings.get(load_id), now_s, 0.0, self._cfg)
            runtime.off_today_s = persisted.off_today_s.get(load_id, 0.0)
        for load_id, record in persisted.held.items():
            runtime_or_none = self._loads.get(load_id)
            if runtime_or_none is None or runtime_or_none.observed is Observed.ON:
                continue
            if record.status in (LoadStatus.SHED, LoadStatus.DEFERRED):
                runtime_or_none.held = record.status
                runtime_or_none.held_since_s = min(record.since_s, now_s)

    # -- outputs --------------------------------------------------------------------------------

    def state(self) -> EngineState:
        """Snapshot of the engine and per-load state as of the last update."""
        now_s = self._now or 0.0
        limit, reason = self._limits.effective()
        headroom = None
        if limit is not None and self._house_w is not None:
            headroom = limit - self._house_w
        return EngineState(
            limit_w=limit,
            limit_reason=reason,
            house_w=self._house_w,
            headroom_w=headroom,
            shedding_active=any(r.held is LoadStatus.SHED for r in self._loads.values()),
            limit_unreachable=self._unreachable,
            sensor_fault=self._fault,
            loads={i: r.snapshot(now_s) for i, r in self._loads.items()},
        )

    def effective_limit(self) -> tuple[float | None, LimitReason]:
        """The binding limit in W and which term binds."""
        return self._limits.effective()

    def guard_policy(self) -> GuardPolicy:
        """Rules for the hub's local guard, mirroring this engine's configuration."""
        outputs = tuple(
            GuardOutput(
                load_id=r.cfg.load_id,
                priority=r.cfg.priority,
                max_off_s=r.cfg.max_off_s if r.cfg.priority is Priority.YELLOW else None,
                min_on_s=r.cfg.min_on_s,
            )
            for r in self._loads.values()
        )
        return GuardPolicy(house_limit_w=self._limits.effective()[0], outputs=outputs)

    def export_state(self) -> PersistedState:
        """What to persist so that `adopt()` can resume after a restart."""
        held = {
            i: HeldRecord(r.held, r.held_since_s)
            for i, r in self._loads.items()
            if r.held is not None
        }
        return PersistedState(
            held=held,
            off_today_s={i: r.off_today_s for i, r in self._loads.items()},
            profiles={i: p.export() for i, p in self.profiles.items()},
        )

    # -- decisions ------------------------------------------------------------------------------

    def _estimate(self, house_w: float) -> float:
        """House power corrected for commands sent but not yet followed."""
        return house_w + sum(self._in_estimate(r) - r.draw_w() for r in self._loads.values())

    def _on_sensor_missing(self, now_s: float) -> None:
        """Without house power keep the time bounds; after the timeout release shed loads."""
        if self._missing_since is None:
            self._missing_since = now_s
        self._fault = now_s - self._missing_since >= self._cfg.sensor_timeout_s
        self._yellow_max_off(now_s, None, rotate=False)
        if now_s - self._last_on_s < self._cfg.restore_gap_s:
            return
        for runtime in self._held_in_restore_order(now_s):
            if self._committed(runtime, now_s):
                self._turn_on(runtime, ActionReason.DEADLINE, now_s)
                return
            if self._fault and runtime.held is LoadStatus.SHED:
                self._turn_on(runtime, ActionReason.SENSOR_FAULT, now_s)
                return

    def _defer_greens(self, now_s: float) -> None:
        """Keep green loads off outside their allowed window unless the deadline needs them."""
        for runtime in self._loads.values():
            if runtime.cfg.priority is not Priority.GREEN or not self._defer_wanted(runtime, now_s):
                continue
            if runtime.held is LoadStatus.SHED:
                runtime.held = LoadStatus.DEFERRED
            elif (
                runtime.held is None
                and runtime.observed is Observed.ON
                and runtime.pending is None
                and not runtime.failed
                and self._min_on_done(runtime, now_s)
            ):
                self._turn_off(runtime, LoadStatus.DEFERRED, ActionReason.DEFER, now_s)

    def _shed_if_over(self, now_s: float, limit: float | None) -> None:
        """Shed the fewest, least important loads once an overload outlasts the debounce."""
        if limit is None or self._est_w <= limit:
            self._over_since = None
            self._unreachable = False
            return
        if self._over_since is None:
            self._over_since = now_s
        if now_s - self._over_since < self._cfg.debounce_s:
            return
        chosen = select_shed(self._candidates(now_s), self._est_w - limit)
        self._shed(chosen, ActionReason.OVER_LIMIT, now_s)
        self._shed_this_update = self._shed_this_update or bool(chosen)
        self._unreachable = self._est_w > limit

    def _yellow_max_off(self, now_s: float, limit: float | None, rotate: bool = True) -> None:
        """Restore yellow loads at max-off; shortly before, swap in another load if possible."""
        shed_yellows = sorted(
            (
                r
                for r in self._loads.values()
                if r.held is LoadStatus.SHED and r.cfg.priority is Priority.YELLOW
            ),
            key=lambda r: r.held_since_s,
        )
        for runtime in shed_yellows:
            if now_s - runtime.held_since_s >= runtime.cfg.max_off_s:
                self._turn_on(runtime, ActionReason.MAX_OFF, now_s)
        if not rotate or now_s - self._last_on_s < self._cfg.restore_gap_s:
            return
        for runtime in shed_yellows:
            due_at = runtime.cfg.max_off_s - self._cfg.rotate_lead_s
            if runtime.held is None or now_s - runtime.held_since_s < due_at:
                continue
            if limit is None or self._recent_peak(now_s) + runtime.restore_w() <= limit:
                self._turn_on(runtime, ActionReason.HEADROOM, now_s)
                return
            need = self._est_w + runtime.restore_w() - limit
            swap = select_shed(self._candidates(now_s), need)
            if sum(c.power_w for c in swap) >= need:
                self._shed(swap, ActionReason.ROTATION, now_s)
                self._turn_on(runtime, ActionReason.ROTATION, now_s)
                return

    def _restore_one(self, now_s: float, limit: float | None) -> None:
        """Restore at most one held load per gap, when headroom covers it plus the margin."""
        if self._shed_this_update or now_s - self._last_on_s < self._cfg.restore_gap_s:
            return
        for runtime in self._held_in_restore_order(now_s):
            if self._committed(runtime, now_s):
                self._make_room(runtime, now_s, limit)
                self._turn_on(runtime, ActionReason.DEADLINE, now_s)
                return
        if self._over_since is not None:
            return
        for runtime in self._held_in_restore_order(now_s):
            if runtime.held is LoadStatus.SHED:
                if now_s - runtime.held_since_s < self._cfg.min_off_s:
                    continue
                if self._busy_ahead(runtime, now_s, limit):
                    continue
                reason = ActionReason.HEADROOM
            elif self._defer_wanted(runtime, now_s):
                continue
            else:
                reason = ActionReason.WINDOW
            needed = runtime.restore_w() + self._cfg.restore_margin_w
            if limit is None or self._recent_peak(now_s) + needed <= limit:
                self._turn_on(runtime, reason, now_s)
                return

    def _make_room(self, runtime: LoadRuntime, now_s: float, limit: float | None) -> None:
        """Before a committed green comes back, shed the loads its power would not fit with."""
        if limit is None:
            return
        need = self._est_w + runtime.restore_w() - limit
        if need <= 0:
            return
        self._shed(select_shed(self._candidates(now_s), need), ActionReason.OVER_LIMIT, now_s)

    def _busy_ahead(self, runtime: LoadRuntime, now_s: float, limit: float | None) -> bool:
        """True when a shed green load should wait for the quieter time the profile foresees
        (and its deadline leaves room to wait for it)."""
        horizon = self._cfg.busy_horizon_s
        if runtime.cfg.priority is not Priority.GREEN or limit is None or horizon <= 0:
            return False
        plan = runtime.plan
        span = min(horizon, plan.remaining_s) if plan and plan.remaining_s > 0 else horizon
        slack = self._slack(runtime, now_s)
        wait = _NO_DEADLINE_WAIT_S if slack is None else slack - self._cfg.green_slack_s
        cap = limit - runtime.restore_w() - self._cfg.restore_margin_w
        profile = self.profiles[runtime.cfg.load_id]
        quiet = profile.quiet_from(now_s, span, cap, now_s + wait, self._cfg.busy_share)
        return quiet is not None and quiet > now_s

    # -- helpers --------------------------------------------------------------------------------

    def _in_estimate(self, runtime: LoadRuntime) -> float:
        """What a load contributes to the estimate: nothing once told to turn off, its expected
        power once told to turn on, otherwise what it draws."""
        if runtime.pending is ActionKind.TURN_OFF:
            return 0.0
        if runtime.pending is ActionKind.TURN_ON and runtime.observed is not Observed.ON:
            return runtime.restore_w()
        return runtime.draw_w()

    def _remember_estimate(self, now_s: float) -> None:
        """Keep the post-decision estimate for the look-back peak (monotonic deque)."""
        while self._peaks and self._peaks[-1][1] <= self._est_w:
            self._peaks.pop()
        self._peaks.append((now_s, self._est_w))

    def _recent_peak(self, now_s: float) -> float:
        """Highest estimate of the look-back window, including the current one."""
        horizon = now_s - self._cfg.restore_lookback_s
        while self._peaks and self._peaks[0][0] < horizon:
            self._peaks.popleft()
        return max(self._est_w, self._peaks[0][1]) if self._peaks else self._est_w

    def _candidates(self, now_s: float) -> list[Candidate]:
        """Loads that may be switched off now."""
        result = []
        for runtime in self._loads.values():
            priority = runtime.cfg.priority
            if (
                priority is Priority.RED
                or runtime.held is not None
                or runtime.pending is not None
                or runtime.failed
                or not runtime.sheddable_draw()
                or not self._min_on_done(runtime, now_s)
                or self._committed(runtime, now_s)
            ):
                continue
            if priority is Priority.YELLOW:
                rank = runtime.off_today_s
            else:
                slack = self._slack(runtime, now_s)
                rank = _NO_DEADLINE_RANK if slack is None else -slack
            result.append(Candidate(runtime.cfg.load_id, priority, runtime.draw_w(), rank))
        return result

    def _held_in_restore_order(self, now_s: float) -> list[LoadRuntime]:
        """Held loads, yellow first (longest off first), then green by least slack."""

        def key(runtime: LoadRuntime) -> tuple[int, float, float]:
            slack = self._slack(runtime, now_s)
            is_green = runtime.cfg.priority is Priority.GREEN
            return (
                int(is_green),
                slack if slack is not None else float("inf"),
                runtime.held_since_s,
            )

        held = [r for r in self._loads.values() if r.held is not None and r.pending is None]
        return sorted(held, key=key)

    def _slack(self, runtime: LoadRuntime, now_s: float) -> float | None:
        """Seconds a green load can still wait before its latest start (None: no deadline)."""
        plan = runtime.plan
        if plan is None or plan.deadline_s is None:
            return None
        return plan.deadline_s - plan.remaining_s - now_s

    def _committed(self, runtime: LoadRuntime, now_s: float) -> bool:
        """A green load with a pending need that must run now to meet its deadline."""
        slack = self._slack(runtime, now_s)
        return (
            slack is not None
            and runtime.plan is not None
            and runtime.plan.remaining_s > 0
            and slack <= self._cfg.green_slack_s
        )

    def _defer_wanted(self, runtime: LoadRuntime, now_s: float) -> bool:
        """True when a green load should stay off for now."""
        plan = runtime.plan
        if plan is None or plan.remaining_s <= 0 or runtime.defer_overridden:
            return False
        if self._committed(runtime, now_s):
            return False
        early = plan.allowed_from_s is not None and now_s < plan.allowed_from_s
        late = plan.allowed_until_s is not None and now_s >= plan.allowed_until_s
        return early or late

    def _min_on_done(self, runtime: LoadRuntime, now_s: float) -> bool:
        return runtime.on_since_s is not None and now_s - runtime.on_since_s >= runtime.cfg.min_on_s

    def _shed(self, chosen: Sequence[Candidate], reason: ActionReason, now_s: float) -> None:
        for candidate in chosen:
            self._turn_off(self._loads[candidate.load_id], LoadStatus.SHED, reason, now_s)

    def _turn_off(
        self, runtime: LoadRuntime, status: LoadStatus, reason: ActionReason, now_s: float
    ) -> None:
        self._est_w -= runtime.draw_w()
        self._actions.append(runtime.command(ActionKind.TURN_OFF, reason, now_s))
        runtime.hold(status, now_s)

    def _turn_on(self, runtime: LoadRuntime, reason: ActionReason, now_s: float) -> None:
        self._est_w += runtime.restore_w()
        self._actions.append(runtime.command(ActionKind.TURN_ON, reason, now_s))
        runtime.held = None
        self._last_on_s = now_s
