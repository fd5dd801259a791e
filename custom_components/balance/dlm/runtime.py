"""Per-load bookkeeping: observed state, holds, timers and command follow-up."""

from __future__ import annotations

from dataclasses import dataclass

from .models import (
    Action,
    ActionKind,
    ActionReason,
    EngineConfig,
    GreenPlan,
    LoadConfig,
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
        return self.cfg.rated_w or 0.0

    def restore_w(self) -> float:
        """Power expected once it is switched on again."""
        if self.cfg.rated_w is not None:
            return self.cfg.rated_w
        return self.last_draw_w or 0.0

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
        if state is Observed.ON and self.observed is not Observed.ON:
            self.on_since_s = now_s if self.seen else float("-inf")
        elif state is not Observed.ON:
            self.on_since_s = None
        self.observed = state
        self.seen = True
        self.measured_w = reading.power_w if reading is not None else None
        if self.measured_w is not None and self.measured_w >= _MIN_DRAW_W:
            self.last_draw_w = self.measured_w
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

    def status(self) -> LoadStatus:
        """Exposed status."""
        if self.failed:
            return LoadStatus.FAILED
        if self.held is not None:
            return self.held
        return LoadStatus.ON if self.observed is Observed.ON else LoadStatus.OFF

    def snapshot(self, now_s: float) -> LoadState:
        """Exposed per-load state."""
        held_for = now_s - self.held_since_s if self.held is not None else None
        power = self.restore_w() if self.held is not None else self.draw_w()
        return LoadState(self.status(), self.off_today_s, held_for, power)

    def _follow_up(self, now_s: float, cfg: EngineConfig) -> Action | None:
        target = Observed.OFF if self.pending is ActionKind.TURN_OFF else Observed.ON
        if self.observed is target:
            self.pending = None
            self.attempts = 0
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
