"""A tiny closed-loop house for engine tests: switches follow commands unless told not to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from custom_components.balance.dlm import (
    Action,
    ActionKind,
    DlmEngine,
    LoadConfig,
    LoadReading,
    Observed,
)


@dataclass
class FakeHouse:
    """Base load plus managed loads drawing `demand_w` while their switch is on."""

    engine: DlmEngine
    base_w: Callable[[float], float]
    demand_w: dict[str, float]
    switch_on: dict[str, bool] = field(default_factory=dict)
    stuck: set[str] = field(default_factory=set)
    log: list[tuple[float, Action]] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        engine: DlmEngine,
        loads: list[LoadConfig],
        base_w: Callable[[float], float],
        demand_w: dict[str, float] | None = None,
    ) -> FakeHouse:
        """All switches on; demand defaults to each load's rated power."""
        demand = demand_w or {c.load_id: c.rated_w or 0.0 for c in loads}
        return cls(engine, base_w, demand, {c.load_id: True for c in loads})

    def power(self, now_s: float) -> float:
        """House power with the current switch states."""
        return self.base_w(now_s) + sum(w for i, w in self.demand_w.items() if self.switch_on[i])

    def readings(self) -> dict[str, LoadReading]:
        """Observed switch states and live power."""
        return {
            i: LoadReading(Observed.ON if on else Observed.OFF, self.demand_w[i] if on else 0.0)
            for i, on in self.switch_on.items()
        }

    def step(
        self, now_s: float, house_w: float | None = None, sensor_ok: bool = True
    ) -> list[Action]:
        """One engine update; apply its actions."""
        measured = (house_w if house_w is not None else self.power(now_s)) if sensor_ok else None
        actions = self.engine.update(now_s, measured, self.readings())
        for action in actions:
            self.log.append((now_s, action))
            if action.load_id not in self.stuck:
                self.switch_on[action.load_id] = action.kind is ActionKind.TURN_ON
        return actions

    def run(self, start_s: float, end_s: float, dt_s: float = 1.0) -> None:
        """Step from start to end (exclusive)."""
        now = start_s
        while now < end_s:
            self.step(now)
            now += dt_s
