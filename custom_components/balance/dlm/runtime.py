"""Per-load bookkeeping: observed state, holds, timers and command follow-up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .models import (
    Action,
    ActionKind,
    ActionReason,
    EngineConfig,
    GreenPlan,
    LoadConfig,
    LoadKind,
    LoadReading,
    LoadState,
    LoadStatus,
    Observed,
)

_MIN_DRAW_W = 1.0


@dataclass(slots=True)
class LoadRuntime:
    """Mutable state the engine keeps for one load."""

    cfg: LoadConfig
    observed: Observed = Observed.UNAVAILABLE
    seen: bool = False  # False until the first reading: a load found on counts as on long ago
    measured_w: float | None = None
    last_draw_w: float | None = None  # last live power seen while it drew power
    on_since_s: float | None = None
    held: LoadStatus | None = None  # SHED or DEFERRED
    held_since_s: float = 0.0
    off_today_s: float = 0.0
    pending: ActionKind | None = None
    pending_at_s: float = 0.0
    commanded_at_s: float = float("-inf")
    attempts: int = 0
    failed_state: Observed | None = None  # observed state when it was declared failed
    plan: GreenPlan | None = None
    defer_overridden: bool = False
    setpoint_w: float | None = None  # modulating: last commanded (or reported) setpoint
    setpoint_at_s: float = float("-inf")
    setpoint_from_w: float = 0.0  # modulating: what it drew when the last setpoint was sent
    setpoint_phase_w: Mapping[str, float] = field(default_factory=dict)  # phase readings then
    setpoint_changes: int = 0
    start_w: float | None = None  # modulating: setpoint a pending turn-on starts at
    plugged: bool | None = None
    soc_pct: float | None = None
    temperature_c: float | None = None
    recover_until_s: float = float("-inf")  # yellow: not shed again before this
    last_off_s: float = 0.0  # length of the last off period the engine held
    energy_wh: float = 0.0  # delivered in the current job
    job_deadline_s: float | None = None
    forecast_wh: float | None = None  # energy the remaining time can still deliver
    forecast_at_s: float = float("-inf")

    @property
    def failed(self) -> bool:
        """True while the load is reported as not following commands."""
        return self.failed_state is not None

    def draw_w(self) -> float:
        """Power it draws now."""
        if self.observed is not Observed.ON:
            return 0.0
        if self.measured_w is not None:
            return self.measured_w
        if self.cfg.modulating and self.setpoint_w is not None:
            return self.setpoint_w
        return self.cfg.top_w or 0.0

    def restore_w(self) -> float:
        """Power expected once it is switched on again."""
        if self.cfg.kind is LoadKind.CLIMATE:
            return self.cfg.top_w or 0.0  # its thermostat may call for full power at once
        if self.cfg.modulating:
            for watts in (self.start_w, self.setpoint_w, self.cfg.top_w):
                if watts is not None:
                    return watts
        if self.cfg.rated_w is not None:
            return self.cfg.rated_w
        return self.last_draw_w or 0.0

    def reducible_w(self, floor_w: float) -> float:
        """Power a lower setpoint (down to `floor_w`) would save (0 unless modulating, on and
        set above the floor)."""
        if not self.cfg.modulating or self.observed is not Observed.ON:
            return 0.0
        if self.setpoint_w is not None and self.setpoint_w <= floor_w:
            return 0.0
        return max(0.0, self.draw_w() - floor_w)

    def setpoint_ready(self, now_s: float) -> bool:
        """True when a new setpoint may be sent (rate limit)."""
        return now_s - self.setpoint_at_s >= self.cfg.setpoint_interval_s

    def set_power(
        self, watts: float, reason: ActionReason, now_s: float, phase_w: Mapping[str, float]
    ) -> Action:
        """Record a new setpoint (with the power and the phase readings it replaces) and
        return its command."""
        self.setpoint_from_w = self.draw_w()
        self.setpoint_phase_w = dict(phase_w)
        self.setpoint_w = watts
        self.setpoint_at_s = now_s
        self.setpoint_changes += 1
        return Action(ActionKind.SET_POWER, self.cfg.load_id, reason, watts)

    def idle_on(self) -> bool:
        """True when it is on, not held, not failed and no command is pending: the engine
        may switch it off."""
        return (
            self.held is None
            and self.observed is Observed.ON
            and self.pending is None
            and not self.failed
        )

    def sheddable_draw(self) -> bool:
        """True when switching it off would reduce the house power."""
        return self.draw_w() >= _MIN_DRAW_W

    def observe(
        self, reading: LoadReading | None, now_s: float, dt_s: float, cfg: EngineConfig
    ) -> Action | None:
        """Take a new reading; return a retry command if one is due."""
        state = reading.state if reading is not None else Observed.UNAVAILABLE
        if self.held is not None:
            self.off_today_s += dt_s
        if reading is not None:
            self.plugged = reading.plugged
            self.soc_pct = reading.soc_pct
            self.temperature_c = reading.temperature_c
            settled = now_s - self.setpoint_at_s >= cfg.settle_s
            if reading.setpoint_w is not None and (settled or self.setpoint_w is None):
                self.setpoint_w = reading.setpoint_w
        if state is Observed.ON and self.observed is not Observed.ON:
            self.on_since_s = now_s if self.seen else float("-inf")
        elif state is not Observed.ON:
            self.on_since_s = None
        self.observed = state
        self.seen = True
        self.measured_w = reading.power_w if reading is not None else None
        if self.measured_w is not None and self.measured_w >= _MIN_DRAW_W:
            self.last_draw_w = self.measured_w
        if self.plan is not None:
            self.energy_wh += self.draw_w() * dt_s / 3600.0
        if self.failed_state is not None and state is not self.failed_state:
            self.failed_state = None
        if self.pending is not None:
            return self._follow_up(now_s, cfg)
        if self.held is not None and state is Observed.ON:
            self._overridden()
        return None

    def command(self, kind: ActionKind, reason: ActionReason, now_s: float) -> Action:
        """Record a command for follow-up and return it."""
        self.pending = kind
        self.pending_at_s = now_s
        self.commanded_at_s = now_s
        self.attempts = 0
        if kind is ActionKind.TURN_ON:
            self.on_since_s = now_s
        return Action(kind, self.cfg.load_id, reason)

    def hold(self, status: LoadStatus, now_s: float) -> None:
        """Mark it as held off by the engine (keeps an earlier start time)."""
        if self.held is None:
            self.held_since_s = now_s
        self.held = status

    def release(self, now_s: float, recover: bool) -> None:
        """No longer held; after a forced restore (`recover`) it is not shed again for
        max(recovery_s, the off period it just had); recovery_s == 0 disables that."""
        if self.held is not None:
            self.last_off_s = now_s - self.held_since_s
        if recover and self.cfg.recovery_s > 0:
            self.recover_until_s = now_s + max(self.cfg.recovery_s, self.last_off_s)
        self.held = None

    def status(self) -> LoadStatus:
        """Exposed status."""
        if self.failed:
            return LoadStatus.FAILED
        if self.held is not None:
            return self.held
        if self.observed is not Observed.ON:
            return LoadStatus.OFF
        top = self.cfg.top_w
        lowered = self.setpoint_w is not None and top is not None and self.setpoint_w < top
        return LoadStatus.REDUCED if self.cfg.modulating and lowered else LoadStatus.ON

    def snapshot(self, now_s: float) -> LoadState:
        """Exposed per-load state (plan figures are added by the engine)."""
        held_for = now_s - self.held_since_s if self.held is not None else None
        power = self.restore_w() if self.held is not None else self.draw_w()
        return LoadState(
            self.status(),
            self.off_today_s,
            held_for,
            power,
            setpoint_w=self.setpoint_w if self.cfg.modulating else None,
            energy_wh=self.energy_wh,
            setpoint_changes=self.setpoint_changes,
        )

    def _follow_up(self, now_s: float, cfg: EngineConfig) -> Action | None:
        target = Observed.OFF if self.pending is ActionKind.TURN_OFF else Observed.ON
        if self.observed is target:
            self.pending = None
            self.attempts = 0
            self.start_w = None
            return None
        if now_s - self.pending_at_s < cfg.settle_s:
            return None
        assert self.pending is not None
        if self.attempts < cfg.max_retries:
            self.attempts += 1
            self.pending_at_s = now_s
            return Action(self.pending, self.cfg.load_id, ActionReason.RETRY)
        self.pending = None
        self.failed_state = self.observed
        self.held = None
        return None

    def _overridden(self) -> None:
        """Someone switched a held load on: respect it and stop holding it."""
        if self.held is LoadStatus.DEFERRED:
            self.defer_overridden = True
        self.held = None
