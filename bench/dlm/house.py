"""Households for the issue-9 scenarios: modulating chargers, thermal yellows, phases.

Appliance-level models stepped at 60 s: red demand per phase (standby, lights, cooking, kettles),
a fridge, an electric boiler and a room heater or heat pump with thermal models, washing
machine and dishwasher programmes, and an EV charger that follows a power setpoint between its
minimum (6 A) and maximum current. Deterministic per seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

DAY_S = 86_400
HOUR_S = 3_600
V = 230.0
WATER_J_PER_L_K = 4186.0
EV_MISS_WH = 50.0
PROGRAMME_DEADLINE_S = 4 * HOUR_S


@dataclass
class Appliance:
    """A managed appliance: priority, kind, phases, supply and setpoint."""

    name: str
    priority: str  # "yellow" / "green"
    kind: str  # "switch", "charger", "power_limit", "climate"
    rated_w: float
    phases: tuple[str, ...] = ("L1",)
    min_w: float | None = None
    supplied: bool = True
    setpoint_w: float | None = None
    power_w: float = 0.0  # mean over the last step

    def step(self, now_s: float, dt_s: float, env: Env) -> None:
        """Advance one step (sets `power_w`)."""
        raise NotImplementedError

    def temperature_c(self) -> float | None:
        """Comfort reading, if any."""
        return None


@dataclass
class Env:
    """Outdoor and room temperature, shared."""

    outdoor_c: float = 3.0
    room_c: float = 20.5


@dataclass
class Fridge(Appliance):
    """Compressor with a 3-5 °C thermostat; warms toward the room when unpowered."""

    cabinet_c: float = 4.0
    running: bool = False

    def step(self, now_s: float, dt_s: float, env: Env) -> None:
        if self.cabinet_c >= 5.0:
            self.running = True
        elif self.cabinet_c <= 3.0:
            self.running = False
        on = self.running and self.supplied
        warming = (env.room_c - self.cabinet_c) / (10 * HOUR_S)
        cooling = 4.5 / HOUR_S if on else 0.0
        self.cabinet_c += (warming - cooling) * dt_s
        self.power_w = self.rated_w if on else 0.0

    def temperature_c(self) -> float | None:
        return self.cabinet_c


@dataclass
class Boiler(Appliance):
    """80 L tank, thermostat 55-60 °C, hot-water draws at set times, standby losses."""

    tank_c: float = 58.0
    volume_l: float = 80.0
    heating: bool = False
    draws: dict[int, float] = field(default_factory=dict)  # minute of day -> litres

    def step(self, now_s: float, dt_s: float, env: Env) -> None:
        litres = self.draws.get(int(now_s % DAY_S // 60), 0.0)
        if litres:
            self.tank_c = (self.tank_c * (self.volume_l - litres) + 10.0 * litres) / self.volume_l
        if self.tank_c <= 55.0:
            self.heating = True
        elif self.tank_c >= 60.0:
            self.heating = False
        on = self.heating and self.supplied
        heat_j = (self.rated_w if on else 0.0) - 1.5 * (self.tank_c - env.room_c)
        self.tank_c += heat_j * dt_s / (self.volume_l * WATER_J_PER_L_K)
        self.power_w = self.rated_w if on else 0.0

    def temperature_c(self) -> float | None:
        return self.tank_c


@dataclass
class RoomHeater(Appliance):
    """Electric heater on a thermostat (21 °C 06-23 h, `night_c` at night, +-0.5 K); as a climate
    load, a setpoint under its maximum means a 1 K setback."""

    heating: bool = False
    ua_w_per_k: float = 60.0
    capacity_j_per_k: float = 4.0e6
    cop: float = 1.0
    setback_k: float = 1.0
    night_c: float = 18.0  # thermostat 23-06 h (heat pumps: a small setback)

    def setpoint_c(self, now_s: float, offset_s: int) -> float:
        """Thermostat setpoint at that time of day."""
        hour = (now_s + offset_s) % DAY_S / HOUR_S
        return 21.0 if 6.0 <= hour < 23.0 else self.night_c

    def step(self, now_s: float, dt_s: float, env: Env) -> None:
        target = self.setpoint_c(now_s, 0)
        if (
            self.kind == "climate"
            and self.setpoint_w is not None
            and self.setpoint_w < self.rated_w
        ):
            target -= self.setback_k
        if env.room_c <= target - 0.5:
            self.heating = True
        elif env.room_c >= target + 0.5:
            self.heating = False
        power = 0.0
        if self.heating and self.supplied:
            power = self.rated_w
            if self.kind == "power_limit" and self.setpoint_w is not None:
                power = min(power, self.setpoint_w)
        heat = power * self.cop - self.ua_w_per_k * (env.room_c - env.outdoor_c)
        env.room_c += heat * dt_s / self.capacity_j_per_k
        self.power_w = power

    def temperature_c(self) -> float | None:
        return None


@dataclass
class Programme(Appliance):
    """Washing machine / dishwasher: heating phase at full power, then a low-power wash;
    advances only while supplied."""

    heat_s: float = 1200.0
    wash_s: float = 3600.0
    wash_w: float = 150.0
    start_min: int = -1  # minute of day it is started (-1: not today)
    progress_s: float = -1.0  # -1: idle
    started_s: float = 0.0
    starts: int = 0
    late: bool = False

    def step(self, now_s: float, dt_s: float, env: Env) -> None:
        if self.progress_s < 0 and int(now_s % DAY_S // 60) == self.start_min:
            self.progress_s = 0.0
            self.started_s = now_s
            self.starts += 1
            self.late = False
        if self.progress_s < 0 or not self.supplied:
            self.power_w = 0.0
            return
        self.power_w = self.rated_w if self.progress_s < self.heat_s else self.wash_w
        self.progress_s += dt_s
        if self.progress_s >= self.heat_s + self.wash_s:
            self.progress_s = -1.0

    def remaining_s(self) -> float:
        """Run time left (wall time while supplied)."""
        if self.progress_s < 0:
            return 0.0
        return self.heat_s + self.wash_s - self.progress_s


@dataclass
class Charger(Appliance):
    """EV charger: draws min(setpoint, max) while supplied and the car needs energy."""

    plugged: bool = False
    need_wh: float = 0.0
    job_wh: float = 0.0
    departure_s: float = 0.0
    arrivals: dict[int, tuple[float, float]] = field(default_factory=dict)  # day -> (plug, dep)
    needs: dict[int, float] = field(default_factory=dict)
    shortfalls: list[float] = field(default_factory=list)

    def step(self, now_s: float, dt_s: float, env: Env) -> None:
        day = int(now_s // DAY_S)
        arrival = self.arrivals.get(day)
        if not self.plugged and arrival is not None and arrival[0] <= now_s < arrival[0] + dt_s:
            self.plugged = True
            self.need_wh = self.job_wh = self.needs[day]
            self.departure_s = arrival[1]
        if self.plugged and now_s >= self.departure_s:
            self.shortfalls.append(self.need_wh)
            self.plugged = False
            self.need_wh = 0.0
        power = 0.0
        if self.plugged and self.supplied and self.need_wh > 0:
            setpoint = self.setpoint_w if self.setpoint_w is not None else self.rated_w
            power = min(self.rated_w, setpoint, self.need_wh * 3600.0 / dt_s)
            self.need_wh -= power * dt_s / 3600.0
        self.power_w = power


@dataclass
class RedEvent:
    """Unmanaged demand: `watts` on `phase` during [start, start + duration) of a day."""

    phase: str
    start_s: float
    duration_s: float
    watts: float


class House:
    """A household: red demand per phase plus the managed appliances."""

    def __init__(  # noqa: PLR0917
        self,
        seed: int,
        days: int,
        appliances: list[Appliance],
        phases: int,
        cook_w: tuple[float, float] = (1500.0, 2800.0),
        noon_w: float = 2000.0,
    ) -> None:
        """Red events for `days` days drawn from `seed`: cooking in `cook_w`, a noon appliance
        of `noon_w` on 40 % of days."""
        self.rng = random.Random(seed)
        self.cook_w = cook_w
        self.noon_w = noon_w
        self.env = Env()
        self.appliances = {a.name: a for a in appliances}
        self.phases = ("L1", "L2", "L3")[:phases]
        self.red: list[RedEvent] = []
        self.outdoor_by_day = [self.rng.uniform(-4.0, 6.0) for _ in range(days + 1)]
        for day in range(days + 1):
            self._red_day(day)
        self._red_by_min: dict[int, dict[str, float]] = {}
        for event in self.red:
            first = int(event.start_s // 60)
            for minute in range(first, first + max(1, int(event.duration_s // 60))):
                slot = self._red_by_min.setdefault(minute, {})
                slot[event.phase] = slot.get(event.phase, 0.0) + event.watts
        self.red_w = dict.fromkeys(self.phases, 0.0)

    def _red_day(self, day: int) -> None:
        rng = self.rng
        base = day * DAY_S
        for i, phase in enumerate(self.phases):
            self.red.append(RedEvent(phase, base, DAY_S, 120.0 + 40.0 * i))
        lead = self.phases[0]
        self.red.append(RedEvent(lead, base + rng.uniform(16.5, 17.5) * HOUR_S, 6 * HOUR_S, 250.0))
        cook = self.phases[-1]
        self.red.append(
            RedEvent(
                cook,
                base + rng.uniform(17.8, 19.0) * HOUR_S,
                rng.uniform(1800, 3600),
                rng.uniform(*self.cook_w),
            )
        )
        for hour in (rng.uniform(6.5, 8.0), rng.uniform(17.0, 22.0), rng.uniform(12.0, 16.0)):
            self.red.append(RedEvent(lead, base + hour * HOUR_S, 180.0, 2000.0))
        if rng.random() < 0.4:
            self.red.append(
                RedEvent(
                    self.phases[len(self.phases) // 2],
                    base + rng.uniform(11, 13) * HOUR_S,
                    2400.0,
                    self.noon_w,
                )
            )

    def step(self, now_s: float, dt_s: float) -> None:
        """Advance all appliances and the red demand by one step."""
        day = int(now_s // DAY_S)
        hour = now_s % DAY_S / HOUR_S
        mean = self.outdoor_by_day[min(day, len(self.outdoor_by_day) - 1)]
        self.env.outdoor_c = mean - 3.0 * (1.0 if 2 <= hour < 8 else -0.5)
        slot = self._red_by_min.get(int(now_s // 60), {})
        self.red_w = {p: slot.get(p, 0.0) for p in self.phases}
        for appliance in self.appliances.values():
            appliance.step(now_s, dt_s, self.env)

    def phase_w(self) -> dict[str, float]:
        """Mean power per phase of the last step."""
        result = dict(self.red_w)
        for a in self.appliances.values():
            for phase in a.phases:
                result[phase] += a.power_w / len(a.phases)
        return result

    @property
    def total_w(self) -> float:
        """Mean house power of the last step."""
        return sum(self.phase_w().values())

    def red_total_w(self) -> float:
        """Unmanaged demand of the last step."""
        return sum(self.red_w.values())
