"""A closed-loop house for the modulating engine: chargers draw their setpoint, phases add up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from custom_components.balance.dlm import (
    Action,
    ActionKind,
    DlmEngine,
    LoadConfig,
    LoadKind,
    LoadReading,
    Observed,
    Priority,
)


def heat_pump_load(top_w: float) -> LoadConfig:
    """A yellow heat pump with a power limit (600 W up to `top_w`), 5 min on, 15 min off at most."""
    return LoadConfig(
        "hp",
        Priority.YELLOW,
        top_w,
        min_on_s=300,
        max_off_s=900,
        kind=LoadKind.POWER_LIMIT,
        min_w=600,
        max_w=top_w,
    )


@dataclass
class ModHouse:
    """Base load (on L1, or split per phase) plus managed loads; modulating ones draw
    min(setpoint, demand)."""

    engine: DlmEngine
    loads: dict[str, LoadConfig]
    base_w: Callable[[float], dict[str, float]]
    demand_w: dict[str, float]
    on: dict[str, bool] = field(default_factory=dict)
    setpoint: dict[str, float] = field(default_factory=dict)
    temperature: dict[str, float] = field(default_factory=dict)
    log: list[tuple[float, Action]] = field(default_factory=list)
    phases: bool = False

    @classmethod
    def build(
        cls,
        engine: DlmEngine,
        loads: list[LoadConfig],
        base_w: Callable[[float], dict[str, float]],
        phases: bool = False,
    ) -> ModHouse:
        """All loads on, drawing their top power."""
        demand = {c.load_id: c.top_w or 0.0 for c in loads}
        return cls(
            engine,
            {c.load_id: c for c in loads},
            base_w,
            demand,
            {c.load_id: True for c in loads},
            {c.load_id: c.top_w or 0.0 for c in loads if c.modulating},
            phases=phases,
        )

    def draw(self, load_id: str) -> float:
        """Power a load draws now."""
        if not self.on[load_id]:
            return 0.0
        return min(self.demand_w[load_id], self.setpoint.get(load_id, float("inf")))

    def phase_power(self, now_s: float) -> dict[str, float]:
        """Per-phase power."""
        result = dict.fromkeys(("L1", "L2", "L3"), 0.0)
        for p, w in self.base_w(now_s).items():
            result[p] += w
        for load_id, cfg in self.loads.items():
            phases = cfg.phases or ("L1",)
            for p in phases:
                result[p] += self.draw(load_id) / len(phases)
        return result

    def power(self, now_s: float) -> float:
        """House power."""
        return sum(self.phase_power(now_s).values())

    def readings(self) -> dict[str, LoadReading]:
        """Switch states, live power, setpoints and temperatures."""
        return {
            i: LoadReading(
                Observed.ON if self.on[i] else Observed.OFF,
                self.draw(i),
                setpoint_w=self.setpoint.get(i),
                temperature_c=self.temperature.get(i),
            )
            for i in self.loads
        }

    def step(self, now_s: float) -> list[Action]:
        """One update; apply its actions."""
        phase_w = self.phase_power(now_s) if self.phases else None
        actions = self.engine.update(now_s, self.power(now_s), self.readings(), phase_w)
        for action in actions:
            self.log.append((now_s, action))
            if action.kind is ActionKind.SET_POWER:
                assert action.power_w is not None
                self.setpoint[action.load_id] = action.power_w
            else:
                self.on[action.load_id] = action.kind is ActionKind.TURN_ON
        return actions

    def run(self, start_s: float, end_s: float, dt_s: float = 1.0) -> None:
        """Step from start to end (exclusive)."""
        now = start_s
        while now < end_s:
            self.step(now)
            now += dt_s
