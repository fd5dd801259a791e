"""Issue-9 scenarios (`ecopower`, `three_phase`, `capacity`) and their strategies.

Strategies: `none`; `naive` (over a limit, switch off the largest running managed load, restore
the last one when its power fits); `onoff` (the engine as before issue 9: every load a switch,
the charger at full power, one instantaneous limit, no hard/phase/capacity terms, no recovery
time, no comfort readings); `ours` (the engine with charger setpoints, climate setbacks, the
hard and per-phase limits, comfort readings and, in `capacity`, the period budget);
`ours_instant` (capacity only: the same engine held under the target as an instantaneous limit).
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field

from .engine import (
    ActionKind,
    CapacityTarget,
    DlmEngine,
    GreenPlan,
    Limits,
    LoadConfig,
    LoadKind,
    LoadReading,
    Observed,
    Priority,
)
from .house import (
    DAY_S,
    EV_MISS_WH,
    HOUR_S,
    PROGRAMME_DEADLINE_S,
    Appliance,
    Boiler,
    Charger,
    Fridge,
    House,
    Programme,
    RoomHeater,
)
from .strategies import ENGINE_CONFIG, YELLOW_MAX_OFF_S, YELLOW_MIN_ON_S

STEP_S = 60
PERIOD_S = 900
FRIDGE_MAX_C = 6.5
BOILER_MIN_C = 45.0
ROOM_BAND_K = 1.5  # room deficit counts below the thermostat setpoint minus this


@dataclass(frozen=True)
class Scenario:
    """One house type and its limits."""

    name: str
    phases: int
    limit_w: float | None  # instantaneous limit of the scenario (total)
    hard_w: float | None
    phase_w: float | None  # per-phase fuse
    capacity_w: float | None  # 15-min capacity target
    cook_w: tuple[float, float] = (1500.0, 2800.0)  # red cooking demand
    noon_w: float = 2000.0
    strategies: tuple[str, ...] = ("none", "naive", "onoff", "ours")
    seed_share: float = 1.0  # share of the bench's seeds this scenario runs (time budget)


def _charger(
    rng: random.Random,
    days: int,
    phases: tuple[str, ...],
    max_a: float,
    need_wh: tuple[float, float] = (8000.0, 20000.0),
) -> Charger:
    n = len(phases)
    ev = Charger("ev", "green", "charger", max_a * 230.0 * n, phases, min_w=6 * 230.0 * n)
    for day in range(days):
        plug = day * DAY_S + rng.uniform(17.0, 21.0) * HOUR_S
        ev.arrivals[day] = (plug, (day + 1) * DAY_S + rng.uniform(6.5, 8.0) * HOUR_S)
        ev.needs[day] = rng.uniform(*need_wh)
    return ev


def _programmes(rng: random.Random, phase_a: str, phase_b: str) -> list[Appliance]:
    washer = Programme("washer", "green", "switch", 2000.0, (phase_a,))
    washer.start_min = int(rng.uniform(17.5, 21.0) * 60)
    dish = Programme("dishwasher", "green", "switch", 1800.0, (phase_b,), heat_s=1500.0)
    dish.start_min = int(rng.uniform(20.0, 22.0) * 60)
    return [washer, dish]


def _yellows(rng: random.Random, fridge: str, boiler: str) -> list[Appliance]:
    tank = Boiler("boiler", "yellow", "switch", 2000.0, (boiler,))
    tank.draws = {int(rng.uniform(6.5, 7.5) * 60): 45.0, int(rng.uniform(19.5, 21.5) * 60): 40.0}
    return [Fridge("fridge", "yellow", "switch", 120.0, (fridge,)), tank]


def build_ecopower(rng: random.Random, days: int) -> list[Appliance]:
    heater = RoomHeater("heater", "yellow", "climate", 2000.0, ("L1",), min_w=200.0)
    return [
        *_yellows(rng, "L1", "L1"),
        heater,
        *_programmes(rng, "L1", "L1"),
        _charger(rng, days, ("L1",), 32.0),
    ]


def build_three_phase(rng: random.Random, days: int) -> list[Appliance]:
    heater = RoomHeater("heater", "yellow", "climate", 2000.0, ("L3",), min_w=200.0)
    return [
        *_yellows(rng, "L1", "L2"),
        heater,
        *_programmes(rng, "L2", "L3"),
        _charger(rng, days, ("L1", "L2", "L3"), 16.0),
    ]


def build_capacity(rng: random.Random, days: int) -> list[Appliance]:
    pump = RoomHeater(
        "heat_pump",
        "yellow",
        "power_limit",
        2500.0,
        ("L1",),
        min_w=600.0,
        ua_w_per_k=150.0,
        cop=3.0,
        night_c=20.0,
    )
    return [
        Fridge("fridge", "yellow", "switch", 120.0, ("L1",)),
        pump,
        _programmes(rng, "L1", "L1")[0],
        _charger(rng, days, ("L1",), 32.0, (4000.0, 10000.0)),
    ]


Builder = Callable[[random.Random, int], list[Appliance]]
SCENARIOS: dict[str, tuple[Scenario, Builder]] = {
    "ecopower": (Scenario("ecopower", 1, 6000.0, 6000.0, None, None), build_ecopower),
    "three_phase": (
        Scenario("three_phase", 3, None, None, 25 * 230.0, None, seed_share=0.5),
        build_three_phase,
    ),
    "capacity": (
        Scenario(
            "capacity",
            1,
            2500.0,
            9200.0,
            None,
            2500.0,
            cook_w=(900.0, 1400.0),
            noon_w=1000.0,
            strategies=("none", "naive", "onoff", "ours", "ours_instant", "optimum"),
            seed_share=0.5,
        ),
        build_capacity,
    ),
}


# -- strategies ---------------------------------------------------------------------------------


class Controller:
    """Base: returns (switch ops, setpoint changes) per step."""

    def control(self, now_s: float, house: House) -> tuple[int, int]:
        """Act before the next step."""
        return 0, 0


class NaiveController(Controller):
    """Largest running managed load off when a limit is exceeded; last-off first back."""

    def __init__(self, scenario: Scenario, limit_w: float | None) -> None:
        """Against the scenario's total limit or per-phase fuse."""
        self.scenario = scenario
        self.limit_w = limit_w
        self.stack: list[tuple[str, float]] = []

    def _over(self, house: House) -> tuple[str | None, float]:
        if self.scenario.phase_w is not None:
            phases = house.phase_w()
            worst = max(phases, key=lambda p: phases[p] - (self.scenario.phase_w or 0.0))
            return worst, phases[worst] - self.scenario.phase_w
        assert self.limit_w is not None
        return None, house.total_w - self.limit_w

    def control(self, now_s: float, house: House) -> tuple[int, int]:
        phase, excess = self._over(house)
        if excess > 0:
            running = [
                (a.power_w, a.name)
                for a in house.appliances.values()
                if a.supplied and a.power_w >= 1.0 and (phase is None or phase in a.phases)
            ]
            if not running:
                return 0, 0
            watts, name = max(running)
            house.appliances[name].supplied = False
            self.stack.append((name, watts))
            return 1, 0
        if self.stack and -excess > self.stack[-1][1]:
            name, _ = self.stack.pop()
            house.appliances[name].supplied = True
            return 1, 0
        return 0, 0


class EngineController(Controller):
    """The DLM engine in closed loop."""

    def __init__(self, scenario: Scenario, house: House, modern: bool, instant: bool) -> None:
        """`modern`: load kinds, hard/phase/capacity terms, comfort; else the on/off engine."""
        self.modern = modern
        loads = [self._config(a, modern) for a in house.appliances.values()]
        if modern:
            capacity = None
            resident = None
            if scenario.capacity_w is not None:
                if instant:
                    resident = scenario.capacity_w
                else:
                    capacity = CapacityTarget(scenario.capacity_w, PERIOD_S)
            phase_w = (
                dict.fromkeys(house.phases, scenario.phase_w)
                if scenario.phase_w is not None
                else {}
            )
            limits = Limits(
                resident_w=resident, hard_w=scenario.hard_w, phase_w=phase_w, capacity=capacity
            )
        else:
            total = scenario.limit_w
            if total is None and scenario.phase_w is not None:
                total = scenario.phase_w * scenario.phases
            limits = Limits(resident_w=total)
        self.engine = DlmEngine(loads, ENGINE_CONFIG, limits)

    @staticmethod
    def _config(a: Appliance, modern: bool) -> LoadConfig:
        priority = Priority(a.priority)
        kind = LoadKind(a.kind) if modern else LoadKind.SWITCH
        yellow = priority is Priority.YELLOW
        return LoadConfig(
            a.name,
            priority,
            a.rated_w,
            min_on_s=YELLOW_MIN_ON_S if yellow else 60.0,
            max_off_s=YELLOW_MAX_OFF_S,
            kind=kind,
            min_w=a.min_w if modern else None,
            max_w=a.rated_w if modern and kind is not LoadKind.SWITCH else None,
            phases=a.phases if modern else (),
            recovery_s=300.0 if modern else 0.0,
            comfort_max_c=FRIDGE_MAX_C if modern and a.name == "fridge" else None,
            comfort_min_c=BOILER_MIN_C if modern and a.name == "boiler" else None,
        )

    def _plan(self, a: Appliance) -> GreenPlan | None:
        if isinstance(a, Charger):
            if not a.plugged or a.need_wh <= 0:
                return None
            if self.modern:
                return GreenPlan(energy_wh=a.job_wh, deadline_s=a.departure_s)
            return GreenPlan(remaining_s=a.need_wh * 3600.0 / a.rated_w, deadline_s=a.departure_s)
        if isinstance(a, Programme) and a.progress_s >= 0:
            return GreenPlan(
                remaining_s=a.remaining_s(), deadline_s=a.started_s + PROGRAMME_DEADLINE_S
            )
        return None

    def control(self, now_s: float, house: House) -> tuple[int, int]:
        readings = {}
        for a in house.appliances.values():
            if a.priority == "green":
                self.engine.set_plan(a.name, self._plan(a))
            readings[a.name] = LoadReading(
                Observed.ON if a.supplied else Observed.OFF,
                a.power_w,
                setpoint_w=a.setpoint_w if self.modern and a.kind != "switch" else None,
                plugged=a.plugged if isinstance(a, Charger) and self.modern else None,
                temperature_c=a.temperature_c() if self.modern else None,
            )
        phase_w = house.phase_w() if self.modern and house.phases != ("L1",) else None
        actions = self.engine.update(now_s, house.total_w, readings, phase_w)
        ops = sets = 0
        for action in actions:
            a = house.appliances[action.load_id]
            if action.kind is ActionKind.SET_POWER:
                a.setpoint_w = action.power_w
                sets += 1
            else:
                a.supplied = action.kind is ActionKind.TURN_ON
                ops += 1
        return ops, sets


def make_controller(name: str, scenario: Scenario, house: House) -> Controller:
    """Strategy by name."""
    if name == "none":
        return Controller()
    if name == "naive":
        return NaiveController(scenario, scenario.limit_w)
    return EngineController(scenario, house, name != "onoff", name == "ours_instant")


# -- figures ------------------------------------------------------------------------------------


@dataclass
class Figures:
    """Per strategy and scenario (summed over seeds; temperatures and peaks are extremes)."""

    over_limit_s: float = 0.0
    hard_limit_s: float = 0.0
    green_misses: int = 0
    green_kwh_short: float = 0.0
    yellow_violations: int = 0
    yellow_infeasible: int = 0
    switch_ops: int = 0
    setpoint_changes: int = 0
    fridge_max_c: float = -99.0
    boiler_min_c: float = 99.0
    room_deficit_kh: float = 0.0
    peak_kw: float = 0.0
    month_peak_15min_kw: float = 0.0
    target_kw: float | None = None
    periods_over_target: int = 0  # clock-aligned periods whose mean exceeds the target
    infeasible_periods: int = 0  # ... whose red demand alone does (no strategy can avoid them)
    infeasible_jobs: int = 0
    lower_bound: bool = False  # `optimum` of `capacity`: the LP bound, only its own figures

    def add(self, other: Figures) -> None:
        """Sum over seeds."""
        for name in ("over_limit_s", "hard_limit_s", "green_kwh_short", "room_deficit_kh"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in (
            "green_misses",
            "yellow_violations",
            "yellow_infeasible",
            "switch_ops",
            "setpoint_changes",
            "periods_over_target",
            "infeasible_periods",
            "infeasible_jobs",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.fridge_max_c = max(self.fridge_max_c, other.fridge_max_c)
        self.boiler_min_c = min(self.boiler_min_c, other.boiler_min_c)
        self.peak_kw = max(self.peak_kw, other.peak_kw)
        self.month_peak_15min_kw = max(self.month_peak_15min_kw, other.month_peak_15min_kw)
        self.target_kw = other.target_kw
        self.lower_bound = other.lower_bound

    def as_dict(self) -> dict[str, float | int | None]:
        """JSON-ready (target_kw only where it applies)."""
        data = {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}
        if self.lower_bound:
            keys = ("month_peak_15min_kw", "target_kw", "infeasible_periods", "room_deficit_kh")
            return {"lower_bound": True, "green_misses": 0, **{k: data[k] for k in keys}}
        del data["lower_bound"]
        if data["target_kw"] is None:
            for key in (
                "target_kw",
                "month_peak_15min_kw",
                "periods_over_target",
                "infeasible_periods",
            ):
                del data[key]
        return data


@dataclass
class _Tracker:
    """Over-limit time beyond the reaction step, against a set of (dimension, limit)."""

    limits: dict[str, float]
    over_s: float = 0.0

    def add(
        self, power: dict[str, float], excused: dict[str, float], red: dict[str, float]
    ) -> None:
        if any(
            power[d] - excused.get(d, 0.0) > lim + 0.5 and red.get(d, 0.0) <= lim
            for d, lim in self.limits.items()
        ):
            self.over_s += STEP_S


@dataclass
class Trace:
    """One run's minute series, for the plot."""

    house_w: list[float] = field(default_factory=list)
    setpoint_w: list[float] = field(default_factory=list)
    ev_w: list[float] = field(default_factory=list)


def simulate(
    scenario_name: str, seed: int, days: int, strategy: str, trace: bool = False
) -> tuple[Figures, Trace | None]:
    """One closed-loop run."""
    scenario, build = SCENARIOS[scenario_name]
    rng = random.Random(seed * 7919 + len(scenario_name))
    house = House(seed, days, build(rng, days), scenario.phases, scenario.cook_w, scenario.noon_w)
    controller = make_controller(strategy, scenario, house)
    figures = Figures(target_kw=scenario.capacity_w / 1000.0 if scenario.capacity_w else None)
    soft = {"total": scenario.limit_w} if scenario.limit_w is not None else {}
    hard: dict[str, float] = {"total": scenario.hard_w} if scenario.hard_w is not None else {}
    if scenario.phase_w is not None:
        soft.update(dict.fromkeys(house.phases, scenario.phase_w))
        hard.update(dict.fromkeys(house.phases, scenario.phase_w))
    over, over_hard = _Tracker(soft), _Tracker(hard)
    window: deque[float] = deque(maxlen=PERIOD_S // STEP_S)
    period_wh = red_wh = 0.0
    target_w = scenario.capacity_w
    off_steps = {n: 0 for n, a in house.appliances.items() if a.priority == "yellow"}
    prev: tuple[dict[str, float], dict[str, tuple[bool, float | None, float]]] | None = None
    heater = next((a for a in house.appliances.values() if isinstance(a, RoomHeater)), None)
    programmes = [a for a in house.appliances.values() if isinstance(a, Programme)]
    result_trace = Trace() if trace else None
    now = 0.0
    for _ in range(days * DAY_S // STEP_S):
        ops, sets = controller.control(now, house)
        figures.switch_ops += ops
        figures.setpoint_changes += sets
        house.step(now, STEP_S)
        phases = house.phase_w()
        power = {"total": sum(phases.values()), **phases}
        red = {"total": house.red_total_w(), **house.red_w}
        loads = {n: (a.supplied, a.setpoint_w, a.power_w) for n, a in house.appliances.items()}
        excused = dict.fromkeys(power, 0.0)
        if prev is not None:
            prev_red, prev_loads = prev
            for d in power:
                excused[d] = max(0.0, red[d] - prev_red[d])
            for name, (on, setpoint, watts) in loads.items():
                was_on, was_setpoint, was_w = prev_loads[name]
                if on and was_on and setpoint == was_setpoint and watts > was_w:
                    a = house.appliances[name]
                    rise = watts - was_w
                    excused["total"] += rise
                    for p in a.phases:
                        if p in excused:
                            excused[p] += rise / len(a.phases)
        seen_red = prev[0] if prev is not None else red
        prev = ({d: red[d] for d in power}, loads)
        over.add(power, excused, red)
        over_hard.add(power, excused, red)
        total = power["total"]
        window.append(total)
        if len(window) == window.maxlen:
            figures.peak_kw = max(figures.peak_kw, sum(window) / len(window) / 1000.0)
        period_wh += total * STEP_S / 3600.0
        red_wh += red["total"] * STEP_S / 3600.0
        if (now + STEP_S) % PERIOD_S == 0:
            mean_w = period_wh * 3600.0 / PERIOD_S
            figures.month_peak_15min_kw = max(figures.month_peak_15min_kw, mean_w / 1000.0)
            if target_w is not None:
                figures.periods_over_target += int(mean_w > target_w + 0.5)
                figures.infeasible_periods += int(red_wh * 3600.0 / PERIOD_S > target_w + 0.5)
            period_wh = red_wh = 0.0
        for name, steps in off_steps.items():
            off_steps[name] = 0 if house.appliances[name].supplied else steps + 1
            if off_steps[name] * STEP_S == YELLOW_MAX_OFF_S + STEP_S:
                if restore_exceeds_hard(house.appliances[name], seen_red, hard):
                    figures.yellow_infeasible += 1
                else:
                    figures.yellow_violations += 1
        fridge = house.appliances.get("fridge")
        if isinstance(fridge, Fridge):
            figures.fridge_max_c = max(figures.fridge_max_c, fridge.cabinet_c)
        boiler = house.appliances.get("boiler")
        if isinstance(boiler, Boiler):
            figures.boiler_min_c = min(figures.boiler_min_c, boiler.tank_c)
        if heater is not None:
            band = heater.setpoint_c(now, 0) - ROOM_BAND_K
            figures.room_deficit_kh += max(0.0, band - house.env.room_c) * STEP_S / HOUR_S
        for machine in programmes:
            if (
                machine.progress_s >= 0
                and not machine.late
                and now + STEP_S > machine.started_s + PROGRAMME_DEADLINE_S
            ):
                machine.late = True
                figures.green_misses += 1
        if result_trace is not None:
            ev = house.appliances["ev"]
            result_trace.house_w.append(total)
            result_trace.setpoint_w.append(
                ev.setpoint_w if ev.setpoint_w is not None else ev.rated_w
            )
            result_trace.ev_w.append(ev.power_w)
        now += STEP_S
    ev = house.appliances["ev"]
    assert isinstance(ev, Charger)
    for short in ev.shortfalls:
        figures.green_kwh_short += max(0.0, short) / 1000.0
        figures.green_misses += int(short > EV_MISS_WH)
    figures.infeasible_jobs = _infeasible(ev, scenario)
    figures.over_limit_s = over.over_s
    figures.hard_limit_s = over_hard.over_s
    return figures, result_trace


def restore_exceeds_hard(
    appliance: Appliance, red: Mapping[str, float], hard: Mapping[str, float]
) -> bool:
    """Whether supplying `appliance` at its rated power on top of red demand alone (as the
    controller last saw it: "total" and per phase) would exceed a hard limit: a yellow held off
    past its max-off for that reason is `yellow_infeasible`, not a violation."""
    share = appliance.rated_w / len(appliance.phases)
    added = {"total": appliance.rated_w} | dict.fromkeys(appliance.phases, share)
    return any(red.get(dim, 0.0) + added.get(dim, 0.0) > limit + 0.5 for dim, limit in hard.items())


def _infeasible(ev: Charger, scenario: Scenario) -> int:
    """Jobs that no strategy could meet under the hard limits (EV at its max power while
    plugged, the house's standby aside)."""
    cap = ev.rated_w
    if scenario.hard_w is not None:
        cap = min(cap, scenario.hard_w - 500.0)
    if scenario.capacity_w is not None:
        cap = min(cap, scenario.capacity_w - 500.0)
    return sum(
        1
        for day, (plug, departure) in ev.arrivals.items()
        if ev.needs[day] > cap * (departure - plug) / 3600.0
    )


def run_job(args: tuple[str, int, int, str]) -> tuple[str, str, Figures]:
    """Pool entry: (scenario, seed, days, strategy)."""
    scenario, seed, days, strategy = args
    if strategy == "optimum":
        return scenario, strategy, lower_bound(scenario, seed, days)
    figures, _ = simulate(scenario, seed, days, strategy)
    return scenario, strategy, figures


def lower_bound(scenario_name: str, seed: int, days: int) -> Figures:
    """`optimum` of `capacity`: the perfect-foresight LP bound on the month's peak, with every
    deadline met and no room deficit (`bench/dlm/capacity_bound.py`)."""
    from .capacity_bound import bound, household

    scenario = SCENARIOS[scenario_name][0]
    assert scenario.capacity_w is not None
    result = bound(household(scenario_name, seed, days), days, scenario.capacity_w)
    return Figures(
        month_peak_15min_kw=result.month_peak_kw,
        target_kw=scenario.capacity_w / 1000.0,
        infeasible_periods=result.infeasible_periods,
        lower_bound=True,
    )
