"""The compared controllers: none, a naive shedder like popular HA integrations, and ours."""

from __future__ import annotations

from typing import Protocol

from .engine import (
    ActionKind,
    DlmEngine,
    EngineConfig,
    Limits,
    LoadConfig,
    LoadReading,
    Observed,
    Priority,
)
from .home import MANAGED, BenchHome

ENGINE_CONFIG = EngineConfig(
    reaction_s=60.0,
    debounce_s=0.0,
    restore_gap_s=60.0,
    restore_margin_w=300.0,
    restore_lookback_s=600.0,
    min_off_s=120.0,
    rotate_lead_s=60.0,
    green_slack_s=1800.0,
    sensor_timeout_s=300.0,
    settle_s=30.0,
    raise_lookback_s=120.0,
)
YELLOW_MAX_OFF_S = 900.0
YELLOW_MIN_ON_S = 300.0
_MIN_DRAW_W = 1.0


class Strategy(Protocol):
    """Sees the last step's power and switches contactors before the next step."""

    def control(self, now_s: float, home: BenchHome) -> int:
        """Apply this minute's decisions; return the number of switch operations."""


class NoControl:
    """Never switches anything."""

    def control(self, now_s: float, home: BenchHome) -> int:
        """Do nothing."""
        return 0


class Naive:
    """Over the limit: switch off the largest running managed load; restore last-off first."""

    def __init__(self, limit_w: float) -> None:
        """Shed against `limit_w`."""
        self.limit_w = limit_w
        self.stack: list[tuple[str, float]] = []

    def control(self, now_s: float, home: BenchHome) -> int:
        """One shed or one restore per minute."""
        power = home.total_w
        if power > self.limit_w:
            running = [
                (home.load_w(n), n)
                for n in MANAGED
                if home.supplied(n) and home.load_w(n) >= _MIN_DRAW_W
            ]
            if not running:
                return 0
            watts, name = max(running)
            home.set_supply(name, False)
            self.stack.append((name, watts))
            return 1
        if self.stack and self.limit_w - power > self.stack[-1][1]:
            name, _ = self.stack.pop()
            home.set_supply(name, True)
            return 1
        return 0


class Ours:
    """The DLM engine in closed loop, fed with the home's green plans every minute."""

    def __init__(self, home: BenchHome, limit_w: float) -> None:
        """One engine per home."""
        loads = [
            LoadConfig(
                name,
                priority,
                home.rated_w[name],
                min_on_s=YELLOW_MIN_ON_S if priority is Priority.YELLOW else 60.0,
                max_off_s=YELLOW_MAX_OFF_S,
            )
            for name, priority in MANAGED.items()
        ]
        self.engine = DlmEngine(loads, ENGINE_CONFIG, Limits(resident_w=limit_w))

    def control(self, now_s: float, home: BenchHome) -> int:
        """Update the engine with the last step's readings and apply its actions."""
        for name, plan in home.plans(now_s).items():
            self.engine.set_plan(name, plan)
        readings = {
            n: LoadReading(Observed.ON if home.supplied(n) else Observed.OFF, home.load_w(n))
            for n in MANAGED
        }
        actions = self.engine.update(now_s, home.total_w, readings)
        for action in actions:
            home.set_supply(action.load_id, action.kind is ActionKind.TURN_ON)
        return len(actions)
