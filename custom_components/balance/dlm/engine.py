"""The DLM engine: keeps the house under its limits with the fewest switch operations.

Plain Python, no Home Assistant import; the caller injects time (`now_s`, seconds on a clock
that survives restarts, e.g. epoch seconds) and applies the returned actions.

Limits are checked per *dimension*: the whole house (`TOTAL`, against the lowest soft term and
the hard term) and, with per-phase readings, each phase against its fuse. A load weighs 1 on the
total and `1 / len(phases)` on each of its phases (1 on every phase when untagged).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .capacity import CapacityTracker
from .jobs import need_s, need_wh, required_w
from .models import (
    Action,
    ActionKind,
    ActionReason,
    CapacityTarget,
    EngineConfig,
    EngineState,
    GreenPlan,
    GuardOutput,
    GuardPolicy,
    HeldRecord,
    LimitReason,
    Limits,
    LoadConfig,
    LoadKind,
    LoadReading,
    LoadState,
    LoadStatus,
    Observed,
    PersistedState,
    Priority,
)
from .peaks import Peaks
from .profile import DemandProfile
from .runtime import LoadRuntime
from .selection import Candidate, select_shed

_NO_DEADLINE_RANK = -1e12
_NO_DEADLINE_WAIT_S = 6 * 3600.0
_PAUSE_FLOOR_S = 120.0  # a paused committed green is back on with this much slack left
_MAKE_ROOM_S = 900.0  # a paused committed green makes room once its slack is down to this
_BURST_MIN_S = 180.0  # a green run on a capacity period's saved budget lasts at least this
# setpoint, its time, the power and the phase readings it replaced: to drop a setpoint again
_SetpointUndo = tuple[float | None, float, float, Mapping[str, float]]

TOTAL = "total"  # the whole-house dimension; phases are "L1", "L2", "L3"


class DlmEngine:
    """Decides which managed loads to shed, reduce, defer and restore; one `update()` per
    reading."""

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
        self._phase_read: dict[str, float] = {}
        self._est: dict[str, float] = {TOTAL: 0.0}  # per dimension, corrected for commands
        self._peaks: dict[str, Peaks] = {}  # per dimension: post-decision estimates
        self._fixed_peaks: dict[str, Peaks] = {}  # per dimension: the non-modulating part
        self._capacity = CapacityTracker()
        self._unmanaged = DemandProfile()  # unmanaged demand per slot: where red spikes come
        self._spike_w = self._cfg.capacity_spike_w  # red spike a capacity period keeps back
        self._over_since: float | None = None
        self._missing_since: float | None = None
        self._fault = False
        self._unreachable = False
        self._shed_this_update = False
        self._last_on_s = float("-inf")
        self._actions: list[Action] = []
        self._set_this_update: dict[str, tuple[Action, _SetpointUndo]] = {}
        self.profiles = {
            i: DemandProfile() for i, r in self._loads.items() if r.cfg.priority is Priority.GREEN
        }  # per green load: the house's demand without it

    # -- inputs ---------------------------------------------------------------------------------

    def set_limits(self, limits: Limits) -> None:
        """Replace the limit terms (soft: resident, tariff, contract, DR, capacity; hard)."""
        self._limits = limits

    def set_plan(self, load_id: str, plan: GreenPlan | None) -> None:
        """Set what a green load still needs; a new plan cancels a resident's override.

        A plan with another deadline than the current job's starts a new job (its delivered
        energy counts from zero); None ends the job."""
        runtime = self._loads[load_id]
        if runtime.cfg.priority is not Priority.GREEN:
            raise ValueError(f"{load_id} is not a green load")
        if plan is None or (
            runtime.job_deadline_s is not None and plan.deadline_s != runtime.job_deadline_s
        ):
            runtime.energy_wh = 0.0
        if plan is None or plan.deadline_s != runtime.job_deadline_s:
            runtime.forecast_at_s = float("-inf")  # a new job: forecast at the next update
        runtime.job_deadline_s = plan.deadline_s if plan is not None else None
        runtime.plan = plan
        runtime.defer_overridden = False

    def reset_daily_counters(self) -> None:
        """Start a new day for the `off_today_s` counters (call at local midnight)."""
        for runtime in self._loads.values():
            runtime.off_today_s = 0.0

    def reset_month(self) -> None:
        """Start a new billing month for the capacity peak (call at local month start)."""
        self._capacity.reset_month()

    def update(
        self,
        now_s: float,
        house_w: float | None,
        readings: Mapping[str, LoadReading],
        phase_w: Mapping[str, float] | None = None,
    ) -> list[Action]:
        """Take the house power (None: unavailable), load readings and optional per-phase
        powers; return commands."""
        dt_s = 0.0 if self._now is None else max(0.0, now_s - self._now)
        self._now = now_s
        self._actions = []
        self._set_this_update = {}
        self._shed_this_update = False
        for runtime in self._loads.values():
            retry = runtime.observe(readings.get(runtime.cfg.load_id), now_s, dt_s, self._cfg)
            if retry is not None:
                self._actions.append(retry)
        self._house_w = house_w
        self._phase_read = dict(phase_w or {})
        if house_w is None:
            self._on_sensor_missing(now_s)
            return self._actions
        self._missing_since = None
        self._fault = False
        if self._limits.capacity is not None:
            self._capacity.observe(self._limits.capacity, now_s, house_w, dt_s)
        self._estimate(house_w)
        if self._limits.capacity is not None:
            self._learn_spikes(now_s, self._limits.capacity)
        for load_id, profile in self.profiles.items():
            profile.record(now_s, self._est[TOTAL] - self._in_estimate(self._loads[load_id]))
        self._refresh_forecasts(now_s)
        self._defer_greens(now_s)
        self._shed_if_over(now_s)
        self._comfort_restore(now_s)
        self._yellow_max_off(now_s)
        self._committed_power(now_s)
        self._restore_one(now_s)
        self._raise_setpoints(now_s)
        self._park_unplugged(now_s)
        self._remember_estimate(now_s)
        return self._actions

    def adopt(
        self, now_s: float, readings: Mapping[str, LoadReading], persisted: PersistedState
    ) -> None:
        """Resume after a restart: re-hold loads we recorded as held that are still off, and
        take back the learned demand profiles, job energies and capacity figures given."""
        self._now = now_s
        for load_id, history in persisted.profiles.items():
            if history and load_id in self.profiles:
                self.profiles[load_id].load(history)
        for load_id, runtime in self._loads.items():
            runtime.observe(readings.get(load_id), now_s, 0.0, self._cfg)
            runtime.off_today_s = persisted.off_today_s.get(load_id, 0.0)
            runtime.energy_wh = persisted.energy_wh.get(load_id, runtime.energy_wh)
        for load_id, record in persisted.held.items():
            runtime_or_none = self._loads.get(load_id)
            if runtime_or_none is None or runtime_or_none.observed is Observed.ON:
                continue
            if record.status in (LoadStatus.SHED, LoadStatus.DEFERRED):
                runtime_or_none.held = record.status
                runtime_or_none.held_since_s = min(record.since_s, now_s)
        if persisted.capacity_period_start_s is not None:
            self._capacity.period_start_s = persisted.capacity_period_start_s
            self._capacity.period_wh = persisted.capacity_period_wh
        self._capacity.month_peak_w = max(self._capacity.month_peak_w, persisted.month_peak_w)
        if persisted.month_peak_start_s is not None:
            self._capacity.month_peak_start_s = persisted.month_peak_start_s

    # -- outputs --------------------------------------------------------------------------------

    def state(self) -> EngineState:
        """Snapshot of the engine and per-load state as of the last update."""
        now_s = self._now or 0.0
        limit, reason = self.effective_limit()
        headroom = None
        if limit is not None and self._house_w is not None:
            headroom = limit - self._house_w
        loads = {i: self._load_state(r, now_s) for i, r in self._loads.items()}
        target = self._limits.capacity
        return EngineState(
            limit_w=limit,
            limit_reason=reason,
            house_w=self._house_w,
            headroom_w=headroom,
            shedding_active=any(r.held is LoadStatus.SHED for r in self._loads.values()),
            limit_unreachable=self._unreachable,
            sensor_fault=self._fault,
            loads=loads,
            hard_limit_w=self._limits.hard_w,
            soft_limit_w=self._soft()[0],
            phase_w=dict(self._phase_read),
            phase_headroom_w={
                p: lim - self._phase_read[p]
                for p, lim in self._limits.phase_w.items()
                if p in self._phase_read
            },
            capacity=self._capacity.state(target, now_s) if target is not None else None,
            deadline_at_risk=any((s.shortfall_wh or 0.0) > 0 for s in loads.values()),
        )

    def effective_limit(
        self, steady: bool = False, runtime: LoadRuntime | None = None
    ) -> tuple[float | None, LimitReason]:
        """The binding whole-house limit in W (soft terms incl. capacity, and hard) and which
        term binds; `steady`: the capacity term no higher than its target (see `_soft`);
        for a load the DR term does not bind (`Limits.dr_loads`), without it."""
        soft, reason = self._soft(steady, dr=not self._dr_exempt(runtime))
        hard = self._limits.hard_w
        if hard is not None and (soft is None or hard < soft):
            return hard, LimitReason.HARD
        return soft, reason

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
            energy_wh={i: r.energy_wh for i, r in self._loads.items() if r.energy_wh > 0},
            capacity_period_start_s=self._capacity.period_start_s,
            capacity_period_wh=self._capacity.period_wh,
            month_peak_w=self._capacity.month_peak_w,
            month_peak_start_s=self._capacity.month_peak_start_s,
        )

    def _load_state(self, runtime: LoadRuntime, now_s: float) -> LoadState:
        base = runtime.snapshot(now_s)
        plan = runtime.plan
        need = need_wh(runtime)
        if plan is None or need is None:
            return base
        expected = shortfall = soc = None
        if plan.deadline_s is not None:
            reachable = min(need, runtime.forecast_wh if runtime.forecast_wh is not None else need)
            expected = runtime.energy_wh + reachable
            shortfall = max(0.0, need - reachable)
            if plan.capacity_wh and runtime.soc_pct is not None:
                soc = runtime.soc_pct + reachable / plan.capacity_wh * 100.0
        return LoadState(
            base.status,
            base.off_today_s,
            base.shed_for_s,
            base.power_w,
            setpoint_w=base.setpoint_w,
            energy_wh=base.energy_wh,
            need_wh=need,
            expected_wh=expected,
            shortfall_wh=shortfall,
            expected_soc_pct=soc,
            deadline_s=plan.deadline_s,
            setpoint_changes=base.setpoint_changes,
        )

    # -- limits and estimates -------------------------------------------------------------------

    def _soft(self, steady: bool = False, dr: bool = True) -> tuple[float | None, LimitReason]:
        """Lowest soft term, the capacity period's remaining budget included.

        Overloads are judged on the whole budget (a short peak may spend what the period saved);
        turn-ons and raised setpoints (`steady`) on no more than the target, so chargers run at a
        steady power instead of chasing the budget within every period, and nothing is started
        in the last minutes of a period on budget the next period will not have. Both keep back
        what the yellows will draw by themselves in the period (`_reserve_wh`)."""
        lim = self._limits
        best: float | None = None
        reason = LimitReason.NONE
        terms: list[tuple[float | None, LimitReason]] = [
            (lim.resident_w, LimitReason.RESIDENT),
            (lim.tariff_w, LimitReason.TARIFF),
            (lim.contract_w, LimitReason.CONTRACT),
            (lim.dr_w if dr else None, LimitReason.DR),
        ]
        if lim.capacity is not None and self._now is not None:
            spike_w = self._spike_w
            react = self._cfg.reaction_s
            reserve = self._reserve_wh(lim.capacity, self._now)
            budget = self._capacity.budget_w(lim.capacity, self._now, spike_w, react, reserve)
            if steady:
                spike_s = self._cfg.capacity_spike_s
                budget = self._capacity.budget_w(lim.capacity, self._now, spike_w, spike_s, reserve)
                budget = min(budget, lim.capacity.target_w)
            terms.append((budget - self._cfg.capacity_margin_w, LimitReason.CAPACITY))
        for value, why in terms:
            if value is not None and (best is None or value < best):
                best, reason = value, why
        return best, reason

    def _learn_spikes(self, now_s: float, target: CapacityTarget) -> None:
        """Record the unmanaged demand per slot of the day and size this update's spike
        reserve: the configured spike, or, once days are known, no more than the rise to the
        highest unmanaged demand seen in the rest of this slot or the slots on either side of
        it on the past days (a kettle comes at about the same time of day, not to the
        minute)."""
        unmanaged = self._est[TOTAL] - sum(self._in_estimate(r) for r in self._loads.values())
        self._unmanaged.record(now_s, unmanaged)
        slot = self._unmanaged.slot_s
        seen = self._unmanaged.peak(now_s - slot, target.left_s(now_s) + 2 * slot)
        spike = self._cfg.capacity_spike_w
        self._spike_w = spike if seen is None else min(spike, max(0.0, seen - unmanaged))

    def _reserve_wh(self, target: CapacityTarget, now_s: float) -> float:
        """Energy the managed yellows will take of the period's rest by themselves: one
        reaction step of what satisfied thermostats may start drawing (`_latent_w`), and each
        shed yellow from its max-off on (it comes back then, at least at its minimum)."""
        left = target.left_s(now_s)
        reserve = self._latent_w() * min(self._cfg.reaction_s, left)
        for runtime in self._loads.values():
            if runtime.held is LoadStatus.SHED and runtime.cfg.priority is Priority.YELLOW:
                due = max(now_s, runtime.held_since_s + runtime.cfg.max_off_s)
                power = runtime.cfg.min_w if runtime.cfg.modulating else None
                reserve += (power or runtime.restore_w()) * max(0.0, now_s + left - due)
        return reserve / 3600.0

    def _latent_w(self) -> float:
        """Power the running yellows may add by themselves before the next reaction: what a
        satisfied thermostat (drawing under its setpoint or rated power) takes when it starts."""
        latent = 0.0
        for runtime in self._loads.values():
            if (
                runtime.cfg.priority is not Priority.YELLOW
                or runtime.observed is not Observed.ON
                or runtime.held is not None
                or runtime.pending is not None
            ):
                continue
            expected = runtime.setpoint_w if runtime.cfg.modulating else None
            latent += max(0.0, (expected or runtime.restore_w()) - runtime.draw_w())
        return latent

    def _dims(
        self, runtime: LoadRuntime | None = None, steady: bool = False
    ) -> list[tuple[str, float]]:
        """(dimension, limit) pairs that bind; for a committed green allowed to exceed the soft
        terms the whole house is bounded by the hard term only."""
        total = self._limits.hard_w
        if runtime is None or not self._exceeds_soft(runtime):
            total = self.effective_limit(steady, runtime)[0]
        dims = [(TOTAL, total)] if total is not None else []
        dims.extend((p, w) for p, w in self._limits.phase_w.items() if p in self._est)
        return dims

    def _hard_dims(self) -> list[tuple[str, float]]:
        dims = [(TOTAL, self._limits.hard_w)] if self._limits.hard_w is not None else []
        return dims + [(p, w) for p, w in self._limits.phase_w.items() if p in self._est]

    def _dr_exempt(self, runtime: LoadRuntime | None) -> bool:
        """True for a load the DR term does not bind (not among `Limits.dr_loads`)."""
        members = self._limits.dr_loads
        return runtime is not None and members is not None and runtime.cfg.load_id not in members

    def _dr_share(self, dim: str, lim: float, steady: bool = False) -> float:
        """How much of an excess over `lim` on `dim` only the DR loads may take off: the gap
        between the limit without the DR term and `lim` (0 when the DR term binds all loads)."""
        if dim != TOTAL or self._limits.dr_loads is None or self._limits.dr_w is None:
            return 0.0
        soft = self._soft(steady, dr=False)[0]
        hard = self._limits.hard_w
        others = min((v for v in (soft, hard) if v is not None), default=float("inf"))
        return max(0.0, others - lim)

    def _exceeds_soft(self, runtime: LoadRuntime) -> bool:
        return runtime.cfg.exceed_soft and self._committed(runtime, self._now or 0.0)

    @staticmethod
    def _weight(runtime: LoadRuntime, dim: str) -> float:
        """Share of a load's power on a dimension."""
        phases = runtime.cfg.phases
        if dim == TOTAL or not phases:
            return 1.0
        return 1.0 / len(phases) if dim in phases else 0.0

    def _estimate(self, house_w: float) -> None:
        """House (and phase) power corrected for commands sent but not yet followed."""
        self._est = {TOTAL: house_w, **self._phase_read}
        for runtime in self._loads.values():
            expected = self._in_estimate(runtime)
            for dim in self._est:
                seen = self._in_reading(runtime, dim)
                self._est[dim] += (expected - seen) * self._weight(runtime, dim)

    def _in_reading(self, runtime: LoadRuntime, dim: str) -> float:
        """What a reading holds of a load: a phase reading unchanged since the load's setpoint
        changed (within `settle_s`) lags and still holds the power from before, as if the
        command were pending; otherwise what the load draws now."""
        if (
            dim != TOTAL
            and runtime.cfg.modulating
            and (self._now or 0.0) - runtime.setpoint_at_s < self._cfg.settle_s
            and runtime.setpoint_phase_w.get(dim) == self._phase_read.get(dim)
        ):
            return runtime.setpoint_from_w
        return runtime.draw_w()

    def _adjust(self, runtime: LoadRuntime, before_w: float) -> None:
        """Move the estimates by the change of a load's contribution since `before_w`."""
        delta = self._in_estimate(runtime) - before_w
        for dim in self._est:
            self._est[dim] += delta * self._weight(runtime, dim)

    def _in_estimate(self, runtime: LoadRuntime) -> float:
        """What a load contributes to the estimate: nothing once told to turn off, its expected
        power once told to turn on, a new setpoint while it settles (a climate load the higher of
        the two: a setback acts only once the room has cooled), otherwise what it draws."""
        if runtime.pending is ActionKind.TURN_OFF:
            return 0.0
        if runtime.pending is ActionKind.TURN_ON and runtime.observed is not Observed.ON:
            return runtime.restore_w()
        settling = (self._now or 0.0) - runtime.setpoint_at_s < self._cfg.settle_s
        if runtime.cfg.modulating and settling and runtime.setpoint_w is not None:
            if runtime.observed is not Observed.ON:
                return 0.0
            if runtime.cfg.kind is LoadKind.CLIMATE:
                return max(runtime.draw_w(), runtime.setpoint_w)
            return runtime.setpoint_w
        return runtime.draw_w()

    def _modulating_part(self, dim: str) -> float:
        return sum(
            self._in_estimate(r) * self._weight(r, dim)
            for r in self._loads.values()
            if r.cfg.modulating
        )

    def _remember_estimate(self, now_s: float) -> None:
        """Keep the post-decision estimates for the look-back peaks."""
        for dim, value in self._est.items():
            self._peaks.setdefault(dim, Peaks()).add(now_s, value)
            fixed = value - self._modulating_part(dim)
            self._fixed_peaks.setdefault(dim, Peaks()).add(now_s, fixed)

    def _recent_peak(self, dim: str, now_s: float) -> float:
        """Highest estimate of the look-back window, including the current one."""
        current = self._est[dim]
        peaks = self._peaks.get(dim)
        return peaks.peak(now_s, self._cfg.restore_lookback_s, current) if peaks else current

    def _fit_w(
        self, runtime: LoadRuntime, now_s: float, dims: list[tuple[str, float]] | None = None
    ) -> float:
        """Highest power a modulating load could draw with every limit held (`dims`, default
        the steady ones), judged on the recent peak of the non-modulating demand (inf without
        limits)."""
        fit = float("inf")
        for dim, lim in dims if dims is not None else self._dims(runtime, steady=True):
            weight = self._weight(runtime, dim)
            if weight == 0:
                continue
            others = self._modulating_part(dim) - self._in_estimate(runtime) * weight
            fixed_now = self._est[dim] - self._modulating_part(dim)
            peaks = self._fixed_peaks.get(dim)
            fixed = peaks.peak(now_s, self._cfg.raise_lookback_s, fixed_now) if peaks else fixed_now
            room = lim - self._cfg.setpoint_margin_w - fixed - others
            fit = min(fit, room / weight)
        return fit

    def _burst_w(self, runtime: LoadRuntime, now_s: float) -> float | None:
        """Power a modulating green that cannot run steadily under a capacity period (its
        steady fit is below its minimum) may draw until the period ends, on what the period
        has saved: its whole remaining budget, the spike reserve kept back; None when not even
        its minimum fits that way, or less than `_BURST_MIN_S` is left of the period."""
        target = self._limits.capacity
        minimum = runtime.cfg.min_w or 0.0
        if (
            target is None
            or runtime.cfg.priority is not Priority.GREEN
            or not runtime.cfg.modulating
            or runtime.cfg.kind is LoadKind.CLIMATE
            or self._exceeds_soft(runtime)
        ):
            return None
        start = self._capacity.period_start_s
        left = (start if start is not None else now_s) + target.period_s - now_s
        if left < _BURST_MIN_S:
            return None
        steady = self.effective_limit(steady=True, runtime=runtime)
        if steady[1] is not LimitReason.CAPACITY or steady[0] is None:
            return None
        spike_s = self._cfg.capacity_spike_s
        reserve = self._reserve_wh(target, now_s)
        budget = self._capacity.budget_w(target, now_s, self._spike_w, spike_s, reserve)
        lim = self._limits
        dr = None if self._dr_exempt(runtime) else lim.dr_w
        total = budget - self._cfg.capacity_margin_w
        for value in (lim.resident_w, lim.tariff_w, lim.contract_w, dr, lim.hard_w):
            if value is not None:
                total = min(total, value)
        dims = [(TOTAL, total)] + [(d, w) for d, w in self._dims(runtime, True) if d != TOTAL]
        fit = min(self._top(runtime), self._fit_w(runtime, now_s, dims))
        return fit if fit >= minimum else None

    def _fits(self, runtime: LoadRuntime, watts: float, now_s: float, margin_w: float) -> bool:
        """True when `watts` more of this load fit under every limit with the margin, judged on
        the recent peaks."""
        return all(
            self._recent_peak(dim, now_s) + (watts + margin_w) * self._weight(runtime, dim) <= lim
            for dim, lim in self._dims(runtime, steady=True)
            if self._weight(runtime, dim) > 0
        )

    # -- decisions ------------------------------------------------------------------------------

    def _on_sensor_missing(self, now_s: float) -> None:
        """Without house power keep the time bounds; after the timeout release shed loads."""
        if self._missing_since is None:
            self._missing_since = now_s
        self._fault = now_s - self._missing_since >= self._cfg.sensor_timeout_s
        self._yellow_max_off(now_s, rotate=False)
        if now_s - self._last_on_s < self._cfg.restore_gap_s:
            return
        for runtime in self._held_in_restore_order(now_s):
            if self._committed(runtime, now_s) and not self._hard_dims():
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
            elif runtime.idle_on() and self._min_on_done(runtime, now_s):
                self._turn_off(runtime, LoadStatus.DEFERRED, ActionReason.DEFER, now_s)

    def _shed_if_over(self, now_s: float) -> None:
        """Once an overload outlasts the debounce, lower setpoints and shed the fewest, least
        important loads, on every dimension that is over."""
        dims = self._dims()
        if not any(self._est[d] > lim for d, lim in dims):
            self._over_since = None
            self._unreachable = False
            return
        if self._over_since is None:
            self._over_since = now_s
        if now_s - self._over_since < self._cfg.debounce_s:
            return
        before = len(self._actions)
        for dim, lim in dims:
            need = self._est[dim] - lim
            self._relieve(dim, need, now_s, ActionReason.OVER_LIMIT, dr_w=self._dr_share(dim, lim))
        self._shed_this_update = self._shed_this_update or len(self._actions) > before
        self._unreachable = any(self._est[d] > lim for d, lim in dims)

    def _relieve(
        self,
        dim: str,
        need_w: float,
        now_s: float,
        reason: ActionReason,
        exclude: str | None = None,
        *,
        dr_w: float = 0.0,
    ) -> float:
        """Take `need_w` off a dimension: setpoints first (greens, then yellows), then sheds
        (greens before yellows); over a hard limit also what is otherwise spared. The last
        `dr_w` of the need is the DR term's alone: only its loads take that part. Returns what
        could not be taken."""
        if need_w <= 0:
            return 0.0
        dr_part = min(need_w, dr_w)
        left = self._relieve_among(dim, need_w - dr_part, now_s, reason, exclude, None)
        return left + self._relieve_among(
            dim, dr_part, now_s, reason, exclude, self._limits.dr_loads
        )

    def _relieve_among(  # noqa: PLR0917
        self,
        dim: str,
        need_w: float,
        now_s: float,
        reason: ActionReason,
        exclude: str | None,
        members: frozenset[str] | None,
    ) -> float:
        """`_relieve` with the loads limited to `members` (None: all)."""
        if need_w <= 0:
            return 0.0
        hard = self._over_hard(dim)
        for priority in (Priority.GREEN, Priority.YELLOW):
            need_w = self._reduce(priority, dim, need_w, now_s, reason, hard, exclude, members)
            if need_w <= 0:
                return 0.0
            if priority is Priority.GREEN and not hard and self._capacity_binds():
                # a green with slack gives way before a yellow's setpoint: it makes the period
                # up later, the yellow's comfort cannot
                need_w = self._shed_waiting_greens(dim, need_w, now_s, reason, exclude, members)
                if need_w <= 0:
                    return 0.0
        chosen = select_shed(self._candidates(now_s, dim, exclude, members=members), need_w)
        self._shed(chosen, reason, now_s)
        need_w -= sum(c.power_w for c in chosen)
        if need_w > 0 and hard:  # the fuse wins over deadlines, min-on and recovery times
            chosen = select_shed(
                self._candidates(now_s, dim, exclude, force=True, members=members), need_w
            )
            self._shed(chosen, reason, now_s)
            need_w -= sum(c.power_w for c in chosen)
        return max(0.0, need_w)

    def _capacity_binds(self) -> bool:
        return self._soft()[1] is LimitReason.CAPACITY

    def _shed_waiting_greens(  # noqa: PLR0917
        self,
        dim: str,
        need_w: float,
        now_s: float,
        reason: ActionReason,
        exclude: str | None,
        members: frozenset[str] | None,
    ) -> float:
        """Shed greens that are not committed (their deadline leaves time) for `need_w`."""
        chosen = select_shed(self._waiting_greens(now_s, dim, exclude, members), need_w)
        self._shed(chosen, reason, now_s)
        return need_w - sum(c.power_w for c in chosen)

    def _waiting_greens(
        self, now_s: float, dim: str, exclude: str | None, members: frozenset[str] | None
    ) -> list[Candidate]:
        """Shed candidates among the greens that are not committed."""
        return [
            c
            for c in self._candidates(now_s, dim, exclude, members=members)
            if c.priority is Priority.GREEN and not self._committed(self._loads[c.load_id], now_s)
        ]

    def _over_hard(self, dim: str) -> bool:
        if dim != TOTAL:
            return True
        hard = self._limits.hard_w
        return hard is not None and self._est[TOTAL] > hard

    def _reduce(  # noqa: PLR0917
        self,
        priority: Priority,
        dim: str,
        need_w: float,
        now_s: float,
        reason: ActionReason,
        hard: bool,
        exclude: str | None,
        members: frozenset[str] | None = None,
    ) -> float:
        """Lower setpoints of running modulating loads of `priority` (most flexible first)."""
        runners = [
            r
            for r in self._loads.values()
            if r.cfg.priority is priority
            and r.cfg.modulating
            and r.cfg.load_id != exclude
            and (members is None or r.cfg.load_id in members)
            and r.held is None
            and r.pending is None
            and not r.failed
            and r.setpoint_ready(now_s)
            and self._weight(r, dim) > 0
            and not (hard and r.cfg.kind is LoadKind.CLIMATE)  # a setback acts too slowly
        ]
        runners.sort(key=lambda r: (self._rank(r, now_s), r.cfg.load_id))
        for runtime in runners:
            if need_w <= 0:
                break
            if not hard and self._exceeds_soft(runtime):
                continue  # a committed green allowed above the soft terms
            room = runtime.reducible_w(runtime.cfg.min_w or 0.0)
            if room <= 0:
                continue
            weight = self._weight(runtime, dim)
            cut = min(room, max(need_w / weight, runtime.cfg.setpoint_deadband_w))
            if runtime.cfg.kind is LoadKind.CLIMATE:
                cut = room  # two levels: the setback
            self._set_power(runtime, runtime.draw_w() - cut, reason, now_s)
            need_w -= cut * weight
        return need_w

    def _comfort_restore(self, now_s: float) -> None:
        """A shed yellow whose comfort reading reached its bound comes back at once."""
        for runtime in self._loads.values():
            if (
                runtime.held is LoadStatus.SHED
                and self._comfort_bound(runtime)
                and self._room_for(runtime, now_s, ActionReason.COMFORT)
            ):
                self._force_on(runtime, ActionReason.COMFORT, now_s)

    def _yellow_max_off(self, now_s: float, rotate: bool = True) -> None:
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
            if now_s - runtime.held_since_s >= runtime.cfg.max_off_s and (
                not rotate or self._room_for(runtime, now_s, ActionReason.MAX_OFF)
            ):
                self._force_on(runtime, ActionReason.MAX_OFF, now_s)
        if not rotate or now_s - self._last_on_s < self._cfg.restore_gap_s:
            return
        for runtime in shed_yellows:
            if runtime.held is None or now_s - runtime.held_since_s < self._rotate_due_s(
                runtime, shed_yellows
            ):
                continue
            if self._fits(runtime, runtime.restore_w(), now_s, 0.0):
                self._turn_on(runtime, ActionReason.HEADROOM, now_s)
                return
            if self._swap_in(runtime, now_s):
                return

    def _rotate_due_s(self, runtime: LoadRuntime, shed_yellows: list[LoadRuntime]) -> float:
        """Off time after which a shed yellow is rotated back in: shortly before its max-off,
        or earlier when a yellow shed after it cannot come back beside it under the hard limits
        (which bind forced restores too), so that its min-on ends before the other's max-off:
        two yellows shed by one spike take turns."""
        lead = self._cfg.rotate_lead_s
        due = runtime.cfg.max_off_s - lead
        for other in shed_yellows:
            if other is runtime or other.held is None or other.held_since_s < runtime.held_since_s:
                continue
            if self._fit_together(runtime, other):
                continue
            turn = other.held_since_s - runtime.held_since_s + other.cfg.max_off_s
            due = min(due, turn - runtime.cfg.min_on_s - lead)
        return due

    def _fit_together(self, first: LoadRuntime, second: LoadRuntime) -> bool:
        """Both restored would fit under the hard limits by the current estimate."""
        return all(
            self._est[dim]
            + first.restore_w() * self._weight(first, dim)
            + second.restore_w() * self._weight(second, dim)
            <= lim
            for dim, lim in self._hard_dims()
        )

    def _swap_in(self, runtime: LoadRuntime, now_s: float) -> bool:
        """Shed others so that a yellow can come back before its max-off, if they suffice."""
        plans: list[tuple[str, float, float]] = []
        for dim, lim in self._dims(runtime, steady=True):
            weight = self._weight(runtime, dim)
            need = self._est[dim] + runtime.restore_w() * weight - lim
            if weight > 0 and need > 0:
                plans.append((dim, need, self._dr_share(dim, lim, steady=True)))
        for dim, need, _ in plans:
            cands = self._candidates(now_s, dim, runtime.cfg.load_id)
            reducible = sum(
                r.reducible_w(r.cfg.min_w or 0.0) * self._weight(r, dim)
                for r in self._loads.values()
                if r.cfg.modulating and r.setpoint_ready(now_s) and r.held is None
            )
            if sum(c.power_w for c in select_shed(cands, need)) + reducible < need:
                return False
        for dim, need, dr_w in plans:
            self._relieve(dim, need, now_s, ActionReason.ROTATION, runtime.cfg.load_id, dr_w=dr_w)
        if not all(
            self._est[dim] + runtime.restore_w() * self._weight(runtime, dim) <= lim
            for dim, lim in self._hard_dims()
        ):
            return False  # the hard limit wins; max-off makes room again
        self._turn_on(runtime, ActionReason.ROTATION, now_s)
        return True

    def _room_for(self, runtime: LoadRuntime, now_s: float, reason: ActionReason) -> bool:
        """Before a forced restore, make room under the limits (a deadline: all of them; a
        yellow's max-off or comfort bound: the hard ones, soft excess is shed next update);
        False when the hard limits cannot hold with it (the hard limit wins)."""
        dims = (
            self._dims(runtime, steady=True)
            if reason is ActionReason.DEADLINE
            else self._hard_dims()
        )
        for dim, lim in dims:
            weight = self._weight(runtime, dim)
            need = self._est[dim] + runtime.restore_w() * weight - lim
            if weight > 0 and need > 0:
                dr_w = self._dr_share(dim, lim, steady=True)
                self._relieve(
                    dim, need, now_s, ActionReason.OVER_LIMIT, runtime.cfg.load_id, dr_w=dr_w
                )
        return all(
            self._est[dim] + runtime.restore_w() * self._weight(runtime, dim) <= lim
            for dim, lim in self._hard_dims()
        )

    def _committed_power(self, now_s: float) -> None:
        """A running committed modulating green gets at least the power its deadline needs,
        making room by lowering and shedding others (never beyond the hard limits)."""
        for runtime in self._loads.values():
            if (
                not runtime.cfg.modulating
                or runtime.observed is not Observed.ON
                or runtime.held is not None
                or runtime.pending is not None
                or not runtime.setpoint_ready(now_s)
                or not self._committed(runtime, now_s)
            ):
                continue
            want = min(self._top(runtime), self._required(runtime, now_s))
            current = runtime.draw_w()
            if want - current < runtime.cfg.setpoint_deadband_w:
                continue
            for dim, lim in self._dims(runtime, steady=True):
                weight = self._weight(runtime, dim)
                need = self._est[dim] + (want - current) * weight + self._margin() * weight - lim
                if weight > 0 and need > 0:
                    dr_w = self._dr_share(dim, lim, steady=True)
                    load_id = runtime.cfg.load_id
                    self._relieve(dim, need, now_s, ActionReason.DEADLINE, load_id, dr_w=dr_w)
            target = min(want, current + self._headroom_for(runtime))
            if target - current >= runtime.cfg.setpoint_deadband_w:
                self._set_power(runtime, target, ActionReason.DEADLINE, now_s)

    def _makes_room(self, runtime: LoadRuntime, now_s: float) -> bool:
        """A paused committed green that does not fit the budget waits for it while its slack
        exceeds `_MAKE_ROOM_S`; then it sheds and lowers others (the charger, a heat pump) for
        it. True when it fits the budget now (nothing shed over a red spike it cannot fit)."""
        slack = self._slack(runtime, now_s)
        if slack is None or slack > _MAKE_ROOM_S:
            return False
        self._room_for(runtime, now_s, ActionReason.DEADLINE)
        return self._fits_budget(runtime)

    def _fits_budget(self, runtime: LoadRuntime) -> bool:
        """True when the load fits under the period's whole remaining budget now."""
        limit = self.effective_limit(runtime=runtime)[0]
        return limit is None or self._est[TOTAL] + runtime.restore_w() <= limit

    def _headroom_for(self, runtime: LoadRuntime) -> float:
        """How much more a load may draw now under every limit (by the current estimate)."""
        room = float("inf")
        for dim, lim in self._dims(runtime, steady=True):
            weight = self._weight(runtime, dim)
            if weight > 0:
                room = min(room, (lim - self._margin() - self._est[dim]) / weight)
        return max(0.0, room)

    def _restore_one(self, now_s: float) -> None:
        """Restore at most one held load per gap, when headroom covers it plus the margin."""
        if self._shed_this_update or now_s - self._last_on_s < self._cfg.restore_gap_s:
            return
        for runtime in self._held_in_restore_order(now_s):
            if self._committed(runtime, now_s):
                if (
                    self._pausable(runtime, now_s)
                    and not self._fits_budget(runtime)
                    and not self._makes_room(runtime, now_s)
                ):
                    continue
                if runtime.cfg.modulating:
                    start = min(self._top(runtime), self._required(runtime, now_s))
                    runtime.start_w = max(runtime.cfg.min_w or 0.0, start)
                if self._room_for(runtime, now_s, ActionReason.DEADLINE) and self._start(
                    runtime, ActionReason.DEADLINE, now_s
                ):
                    return
        if self._over_since is not None:
            return
        for runtime in self._held_in_restore_order(now_s):
            if runtime.held is LoadStatus.SHED:
                if now_s - runtime.held_since_s < self._cfg.min_off_s:
                    continue
                if self._busy_ahead(runtime, now_s):
                    continue
                reason = ActionReason.HEADROOM
            elif self._defer_wanted(runtime, now_s):
                continue
            else:
                reason = ActionReason.WINDOW
            if runtime.cfg.kind is LoadKind.CLIMATE:
                runtime.start_w = self._top(runtime)  # back at its setpoint: it may heat at once
            if runtime.cfg.modulating and runtime.cfg.kind is not LoadKind.CLIMATE:
                fit = min(self._top(runtime), self._fit_w(runtime, now_s))
                if fit < (runtime.cfg.min_w or 0.0):
                    burst = self._burst_w(runtime, now_s)
                    if burst is None:
                        continue
                    runtime.start_w = burst  # on the period's saved budget, until it ends
                else:
                    runtime.start_w = fit
                    if not self._steady_fits(runtime, now_s):
                        continue
            elif not self._fits(runtime, runtime.restore_w(), now_s, self._cfg.restore_margin_w):
                continue
            if self._start(runtime, reason, now_s):
                return

    def _steady_fits(self, runtime: LoadRuntime, now_s: float) -> bool:
        """A held modulating load whose steady fit reaches its minimum may start: on the recent
        peak with the setpoint margin; under a binding capacity term on that fit alone (the
        recent peak of a thermostat that has just stopped would leave the saved budget unused,
        and the budget pays for the overlap if it starts again)."""
        if self._capacity_binds():
            return True
        return self._fits(runtime, runtime.cfg.min_w or 0.0, now_s, self._margin())

    def _raise_setpoints(self, now_s: float) -> None:
        """Raise running modulating loads towards their maximum as far as the limits allow."""
        if self._over_since is not None:
            return
        for runtime in self._loads.values():
            if (
                not runtime.cfg.modulating
                or runtime.observed is not Observed.ON
                or runtime.held is not None
                or runtime.pending is not None
                or runtime.failed
                or runtime.plugged is False
                or not runtime.setpoint_ready(now_s)
            ):
                continue
            top = self._top(runtime)
            current = runtime.setpoint_w if runtime.setpoint_w is not None else top
            target = min(top, self._fit_w(runtime, now_s))
            if target < top and self._outranks_greens(runtime):
                target = self._yield_greens(runtime, target, top, now_s)
            if target < (runtime.cfg.min_w or 0.0):
                burst = self._burst_w(runtime, now_s)  # running on the period's saved budget
                target = max(target, burst if burst is not None else target)
            if runtime.cfg.kind is LoadKind.CLIMATE and target < top:
                continue  # two levels: back to the normal setpoint only when it fits
            if target - current >= runtime.cfg.setpoint_deadband_w or (target >= top > current):
                self._set_power(runtime, target, ActionReason.HEADROOM, now_s)
            elif current - top >= runtime.cfg.setpoint_deadband_w:
                # the planned power of this slot is lower than the last one's
                self._set_power(runtime, top, ActionReason.WINDOW, now_s)

    def _outranks_greens(self, runtime: LoadRuntime) -> bool:
        """A reduced yellow under a binding capacity term: greens that can still wait give way
        to it, as they do in an overload (else a charger that started while the heat pump was
        idle keeps it at its minimum all night)."""
        return (
            runtime.cfg.priority is Priority.YELLOW
            and runtime.cfg.kind is not LoadKind.CLIMATE
            and self._capacity_binds()
        )

    def _yield_greens(
        self, runtime: LoadRuntime, fit_w: float, top_w: float, now_s: float
    ) -> float:
        """Setpoint for a reduced yellow (at most `top_w`) when waiting greens give way: what it
        would fit without them. An idle one is set to it at once, as far as the hard limits
        hold with the greens still on (when its thermostat starts, the overload sheds the greens
        first); for a drawing one they are shed now."""
        waiting = self._waiting_greens(now_s, TOTAL, runtime.cfg.load_id, None)
        target = min(top_w, fit_w + sum(c.power_w for c in waiting))
        idle = runtime.draw_w() < max(runtime.cfg.min_w or 0.0, runtime.cfg.setpoint_deadband_w)
        if idle:
            target = min(target, self._fit_w(runtime, now_s, self._hard_dims()))
        if target - fit_w < runtime.cfg.setpoint_deadband_w:
            return fit_w
        if not idle:
            self._shed(select_shed(waiting, target - fit_w), ActionReason.ROTATION, now_s)
            target = min(target, self._fit_w(runtime, now_s))
        return target

    def _park_unplugged(self, now_s: float) -> None:
        """A charger without a vehicle gets its minimum setpoint, so that the next session
        starts at 6 A instead of at whatever the last one ended with; under a capacity term
        it is also switched off (`_parked_off`)."""
        for runtime in self._loads.values():
            minimum = runtime.cfg.min_w or 0.0
            if (
                runtime.cfg.kind is LoadKind.CHARGER
                and runtime.plugged is False
                and runtime.pending is None
                and runtime.setpoint_ready(now_s)
                and (runtime.setpoint_w is None or runtime.setpoint_w > minimum)
            ):
                self._set_power(runtime, minimum, ActionReason.UNPLUGGED, now_s)
            if self._parked_off(runtime) and runtime.idle_on():
                self._turn_off(runtime, LoadStatus.DEFERRED, ActionReason.UNPLUGGED, now_s)

    def _parked_off(self, runtime: LoadRuntime) -> bool:
        """An unplugged charger under a capacity term: kept off, so that a car plugged in
        draws nothing until the engine grants it power (at 6 A from the plug-in on, a car
        plugged in a period's last minute ends that period over the target)."""
        return (
            self._limits.capacity is not None
            and runtime.cfg.kind is LoadKind.CHARGER
            and runtime.plugged is False
        )

    def _busy_ahead(self, runtime: LoadRuntime, now_s: float) -> bool:
        """True when a shed green load should wait for the quieter time the profile foresees
        (and its deadline leaves room to wait for it)."""
        horizon = self._cfg.busy_horizon_s
        limit = self.effective_limit(runtime=runtime)[0]
        if runtime.cfg.priority is not Priority.GREEN or limit is None or horizon <= 0:
            return False
        run_s = need_s(runtime)
        span = min(horizon, run_s) if runtime.plan and run_s > 0 else horizon
        slack = self._slack(runtime, now_s)
        wait = _NO_DEADLINE_WAIT_S if slack is None else slack - self._cfg.green_slack_s
        cap = limit - runtime.restore_w() - self._cfg.restore_margin_w
        profile = self.profiles[runtime.cfg.load_id]
        quiet = profile.quiet_from(now_s, span, cap, now_s + wait, self._cfg.busy_share)
        return quiet is not None and quiet > now_s

    # -- green jobs -----------------------------------------------------------------------------

    def _refresh_forecasts(self, now_s: float) -> None:
        """Energy each green job can still get by its deadline under the limits it may use:
        per 15-min slot, what the limit leaves beside the typical demand without the load."""
        for load_id, runtime in self._loads.items():
            plan = runtime.plan
            if plan is None or plan.deadline_s is None:
                runtime.forecast_wh = None
                continue
            if now_s - runtime.forecast_at_s < self._cfg.forecast_every_s:
                continue
            runtime.forecast_at_s = now_s
            limit = (
                self._limits.hard_w
                if runtime.cfg.exceed_soft
                else self.effective_limit(runtime=runtime)[0]
            )
            top = self._full_top(runtime)
            if limit is None:
                runtime.forecast_wh = top * max(0.0, plan.deadline_s - now_s) / 3600.0
                continue
            other_now = self._est[TOTAL] - self._in_estimate(runtime)
            lowest = runtime.cfg.min_w if runtime.cfg.modulating else top
            total = 0.0
            start = max(now_s, plan.allowed_from_s or now_s)
            for span, typical in self.profiles[load_id].typical(start, plan.deadline_s):
                other = typical if typical is not None else other_now
                power = min(top, limit - self._margin() - other)
                if power >= (lowest or 0.0):
                    total += power * span / 3600.0
            runtime.forecast_wh = total

    def _top(self, runtime: LoadRuntime) -> float:
        """Highest setpoint: the load's top, capped at the planner's power for the current slot
        while the plan holds (the power the deadline requires wins when the job fell behind)."""
        top = self._full_top(runtime)
        plan = runtime.plan
        if plan is None or plan.planned_w is None or not runtime.cfg.modulating:
            return top
        planned = max(plan.planned_w, runtime.cfg.min_w or 0.0)
        return min(top, max(planned, self._required(runtime, self._now or 0.0)))

    def _full_top(self, runtime: LoadRuntime) -> float:
        return runtime.cfg.top_w or runtime.restore_w()

    def _required(self, runtime: LoadRuntime, now_s: float) -> float:
        return required_w(runtime, now_s, self._cfg.green_slack_s)

    def _margin(self) -> float:
        return self._cfg.setpoint_margin_w

    def _slack(self, runtime: LoadRuntime, now_s: float) -> float | None:
        """Seconds a green load can still wait before its latest start (None: no deadline)."""
        plan = runtime.plan
        if plan is None or plan.deadline_s is None:
            return None
        return plan.deadline_s - need_s(runtime) - now_s

    def _rank(self, runtime: LoadRuntime, now_s: float) -> float:
        """Shed order within a priority (lower first): yellows by time off today, greens by
        most slack."""
        if runtime.cfg.priority is Priority.YELLOW:
            return runtime.off_today_s
        slack = self._slack(runtime, now_s)
        return _NO_DEADLINE_RANK if slack is None else -slack

    def _committed(self, runtime: LoadRuntime, now_s: float) -> bool:
        """A green load with a pending need that must run now to meet its deadline: switch
        loads (and planned modulating ones) from their latest start minus the slack, other
        modulating ones once the power the deadline requires reaches their minimum."""
        plan = runtime.plan
        if plan is None or plan.deadline_s is None or runtime.plugged is False:
            return False
        if runtime.cfg.modulating and not plan.planned:
            needed = self._required(runtime, now_s)
            return needed > 0 and needed >= (runtime.cfg.min_w or 0.0)
        slack = self._slack(runtime, now_s)
        return slack is not None and need_s(runtime) > 0 and slack <= self._cfg.green_slack_s

    def _protected(self, runtime: LoadRuntime, now_s: float) -> bool:
        """A committed green that is not shed for a soft limit: a switch load (it cannot run
        at less), or a modulating one allowed above the soft terms. A modulating green without
        that permission stays under the soft terms (down to off) and shows its shortfall."""
        if not self._committed(runtime, now_s) or self._pausable(runtime, now_s):
            return False
        return not runtime.cfg.modulating or runtime.cfg.exceed_soft

    def _pausable(self, runtime: LoadRuntime, now_s: float) -> bool:
        """A committed switch green that a capacity period may pause: the capacity budget binds
        and its slack exceeds the pause floor (a red spike costs minutes, not the deadline)."""
        if runtime.cfg.modulating or self._soft()[1] is not LimitReason.CAPACITY:
            return False
        slack = self._slack(runtime, now_s)
        return slack is not None and slack > _PAUSE_FLOOR_S

    def _defer_wanted(self, runtime: LoadRuntime, now_s: float) -> bool:
        """True when a green load should stay off for now."""
        plan = runtime.plan
        if plan is None or runtime.defer_overridden or not need_s(runtime) > 0:
            return False
        if self._committed(runtime, now_s):
            return False
        early = plan.allowed_from_s is not None and now_s < plan.allowed_from_s
        late = plan.allowed_until_s is not None and now_s >= plan.allowed_until_s
        return early or late

    # -- helpers --------------------------------------------------------------------------------

    def _comfort_bound(self, runtime: LoadRuntime) -> bool:
        """True when a yellow's comfort reading is at or beyond its bound."""
        temp = runtime.temperature_c
        cfg = runtime.cfg
        if temp is None:
            return False
        high = cfg.comfort_max_c is not None and temp >= cfg.comfort_max_c
        low = cfg.comfort_min_c is not None and temp <= cfg.comfort_min_c
        return high or low

    def _candidates(
        self,
        now_s: float,
        dim: str,
        exclude: str | None = None,
        force: bool = False,
        members: frozenset[str] | None = None,
    ) -> list[Candidate]:
        """Loads (of `members`, None: all) that may be switched off now and would lower `dim`;
        with `force` (last resort for a hard limit) the remaining ones too: protected greens,
        loads inside their min-on, recovery or comfort bound."""
        result = []
        for runtime in self._loads.values():
            priority = runtime.cfg.priority
            weight = self._weight(runtime, dim)
            if (
                priority is Priority.RED
                or weight == 0
                or runtime.cfg.load_id == exclude
                or (members is not None and runtime.cfg.load_id not in members)
                or runtime.held is not None
                or runtime.pending is not None
                or runtime.failed
                or not runtime.sheddable_draw()
            ):
                continue
            if force:
                if self._spared(runtime, now_s):
                    result.append(self._candidate(runtime, now_s, weight))
                continue
            if self._spared(runtime, now_s):
                continue
            result.append(self._candidate(runtime, now_s, weight))
        return result

    def _spared(self, runtime: LoadRuntime, now_s: float) -> bool:
        """Kept out of ordinary sheds: inside min-on, a protected committed green, a yellow in
        its recovery time or at its comfort bound."""
        if not self._min_on_done(runtime, now_s) or self._protected(runtime, now_s):
            return True
        return runtime.cfg.priority is Priority.YELLOW and (
            now_s < runtime.recover_until_s or self._comfort_bound(runtime)
        )

    def _candidate(self, runtime: LoadRuntime, now_s: float, weight: float) -> Candidate:
        power = self._in_estimate(runtime) * weight
        return Candidate(
            runtime.cfg.load_id, runtime.cfg.priority, power, self._rank(runtime, now_s)
        )

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

        held = [
            r
            for r in self._loads.values()
            if r.held is not None and r.pending is None and not self._parked_off(r)
        ]
        return sorted(held, key=key)

    def _min_on_done(self, runtime: LoadRuntime, now_s: float) -> bool:
        return runtime.on_since_s is not None and now_s - runtime.on_since_s >= runtime.cfg.min_on_s

    def _shed(self, chosen: Sequence[Candidate], reason: ActionReason, now_s: float) -> None:
        for candidate in chosen:
            runtime = self._loads[candidate.load_id]
            self._undo_set_power(runtime)
            self._turn_off(runtime, LoadStatus.SHED, reason, now_s)

    def _set_power(
        self, runtime: LoadRuntime, watts: float, reason: ActionReason, now_s: float
    ) -> None:
        before = self._in_estimate(runtime)
        undo: _SetpointUndo = (
            runtime.setpoint_w,
            runtime.setpoint_at_s,
            runtime.setpoint_from_w,
            runtime.setpoint_phase_w,
        )
        action = runtime.set_power(watts, reason, now_s, self._phase_read)
        self._actions.append(action)
        self._set_this_update[runtime.cfg.load_id] = (action, undo)
        self._adjust(runtime, before)

    def _undo_set_power(self, runtime: LoadRuntime) -> None:
        """A load lowered and then shed in the same update: drop the useless setpoint."""
        entry = self._set_this_update.pop(runtime.cfg.load_id, None)
        if entry is None:
            return
        action, undo = entry
        before = self._in_estimate(runtime)
        self._actions.remove(action)
        (
            runtime.setpoint_w,
            runtime.setpoint_at_s,
            runtime.setpoint_from_w,
            runtime.setpoint_phase_w,
        ) = undo
        runtime.setpoint_changes -= 1
        self._adjust(runtime, before)

    def _turn_off(
        self, runtime: LoadRuntime, status: LoadStatus, reason: ActionReason, now_s: float
    ) -> None:
        before = self._in_estimate(runtime)
        self._actions.append(runtime.command(ActionKind.TURN_OFF, reason, now_s))
        runtime.hold(status, now_s)
        self._adjust(runtime, before)

    def _force_on(self, runtime: LoadRuntime, reason: ActionReason, now_s: float) -> None:
        """A yellow's forced restore (max-off, comfort): a modulating one at the power that
        fits (at least its minimum); it then has its recovery time."""
        if runtime.cfg.modulating:
            fit = min(self._top(runtime), self._fit_w(runtime, now_s))
            runtime.start_w = max(runtime.cfg.min_w or 0.0, fit)
            if self._start(runtime, reason, now_s, recover=True):
                return
        self._turn_on(runtime, reason, now_s, recover=True)

    def _start(
        self, runtime: LoadRuntime, reason: ActionReason, now_s: float, recover: bool = False
    ) -> bool:
        """Turn a held load on; a modulating one first gets its starting setpoint."""
        start = runtime.start_w
        if runtime.cfg.modulating and start is not None:
            current = runtime.setpoint_w
            deadband = runtime.cfg.setpoint_deadband_w
            # an old setpoint within the deadband is kept, unless it would break a hard limit
            too_high = (
                current is not None and current > start and not self._fits_hard(runtime, current)
            )
            differs = current is None or abs(start - current) >= deadband or too_high
            if differs and runtime.setpoint_ready(now_s):
                self._actions.append(runtime.set_power(start, reason, now_s, self._phase_read))
            elif current is not None and (current > start + deadband or too_high):
                return False  # its old setpoint would not fit and may not change yet
            elif current is not None:
                runtime.start_w = current
        self._turn_on(runtime, reason, now_s, recover)
        return True

    def _fits_hard(self, runtime: LoadRuntime, watts: float) -> bool:
        """A held load drawing `watts` would stay under every hard limit (current estimate)."""
        return all(
            self._est[dim] + watts * self._weight(runtime, dim) <= lim
            for dim, lim in self._hard_dims()
        )

    def _turn_on(
        self, runtime: LoadRuntime, reason: ActionReason, now_s: float, recover: bool = False
    ) -> None:
        before = self._in_estimate(runtime)
        self._actions.append(runtime.command(ActionKind.TURN_ON, reason, now_s))
        runtime.release(now_s, recover)
        self._adjust(runtime, before)
        self._last_on_s = now_s
