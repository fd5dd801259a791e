"""A benchmark home: the sim household with managed sockets, green plans and miss checks."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .engine import GreenPlan, Priority

_FIRMWARE = str(Path(__file__).resolve().parents[2] / "hub_firmware")
if _FIRMWARE not in sys.path:
    sys.path.append(_FIRMWARE)
from sim.household import DEFAULT_HOUSEHOLD, Household  # noqa: E402

DAY_S = 86400
HOUR_S = 3600
EV_W = 3700.0  # 16 A single-phase wallbox
LIMIT_W = 5500.0  # resident's house limit (about a 25 A single-phase contract)
BOILER_CHECKS_H = (6.0, 18.0)  # tank must be hot before the morning and evening draws
BOILER_MIN_CHARGE = 0.5  # share of a full tank's heat (above cold water) at the check times
WATER_J_PER_L_K = 4186.0
PROGRAMME_DEADLINE_S = 4 * HOUR_S  # a started wash must be finished within 4 h
EV_SHORTFALL_WH = 50.0
MANAGED: dict[str, Priority] = {
    "fridge": Priority.YELLOW,
    "heat_pump": Priority.YELLOW,
    "kettle": Priority.YELLOW,
    "oven": Priority.YELLOW,
    "boiler": Priority.GREEN,
    "washing_machine": Priority.GREEN,
    "dishwasher": Priority.GREEN,
    "ev_charger": Priority.GREEN,
}
PROGRAMMES = ("washing_machine", "dishwasher")


@dataclass(frozen=True)
class NightShift:
    """Participant's tariff rule: green loads wait from `block_h` until `opens_h` (local)."""

    block_h: float
    opens_h: float


def household_config() -> dict[str, Any]:
    """The sim's default flat with a 3.7 kW wallbox and the boiler as a green load."""
    appliances = []
    for spec in DEFAULT_HOUSEHOLD["appliances"]:
        item = dict(spec)
        if item["name"] == "ev_charger":
            item["rated_w"] = EV_W
        if item["name"] in MANAGED:
            item["priority"] = MANAGED[item["name"]].value
        appliances.append(item)
    return {"appliances": appliances}


class BenchHome:
    """Steps one household and tracks whether its green loads met their deadlines."""

    def __init__(self, seed: int, shift: NightShift | None = None) -> None:
        """Household `seed`; `shift` adds tariff-window deferral for the plans."""
        self.house = Household(seed, config=household_config())
        self.shift = shift
        self.start_s: int = self.house.start_ts
        self.offset_s: int = self.house.utc_offset_s
        self.appliances = {name: self.house.appliance(name) for name in MANAGED}
        self.rated_w = {name: float(a.rated_w) for name, a in self.appliances.items()}
        self.misses: set[tuple[str, float]] = set()  # (load, deadline or start) not met
        self._departures = 0
        self._started: dict[str, float] = {}
        self._starts = dict.fromkeys(PROGRAMMES, 0)
        self._missed_programme: set[str] = set()

    @property
    def total_w(self) -> float:
        """Mean power of the last step."""
        return float(self.house.power_w)

    def load_w(self, name: str) -> float:
        """Mean power of a managed load over the last step."""
        return float(self.appliances[name].power)

    def supplied(self, name: str) -> bool:
        """Contactor state."""
        return bool(self.appliances[name].supplied)

    def set_supply(self, name: str, on: bool) -> None:
        """Open or close a contactor."""
        self.appliances[name].set_supply(on)

    def red_w(self) -> float:
        """Power that no strategy may shed (red and unmanaged appliances)."""
        return self.total_w - float(sum(a.power for a in self.appliances.values()))

    def advance(self, now_s: float, dt_s: float) -> None:
        """Step the household and check the deadlines crossed during the step."""
        for hour in BOILER_CHECKS_H:
            if self._crosses(now_s, dt_s, hour) and self._boiler_charge() < BOILER_MIN_CHARGE:
                self.misses.add(("boiler", now_s))
        self.house.step(now_s, dt_s)
        end_s = now_s + dt_s
        ev = self.appliances["ev_charger"]
        if ev.departures != self._departures:
            self._departures = ev.departures
            if ev.last_shortfall_wh > EV_SHORTFALL_WH:
                self.misses.add(("ev_charger", float(ev.departures)))
        for name in PROGRAMMES:
            machine = self.appliances[name]
            if machine.starts != self._starts[name]:
                self._starts[name] = machine.starts
                self._started[name] = now_s
                self._missed_programme.discard(name)
            started = self._started.get(name)
            if (
                machine.running
                and started is not None
                and end_s > started + PROGRAMME_DEADLINE_S
                and name not in self._missed_programme
            ):
                self._missed_programme.add(name)
                self.misses.add((name, float(machine.starts)))

    def plans(self, now_s: float) -> dict[str, GreenPlan | None]:
        """What each green load still needs, with its deadline."""
        plans: dict[str, GreenPlan | None] = {}
        ev = self.appliances["ev_charger"]
        if ev.plugged and ev.energy_needed_wh() > 0 and ev.departure_s is not None:
            need_s = ev.energy_needed_wh() / ev.efficiency / EV_W * HOUR_S
            plans["ev_charger"] = self._shifted(now_s, need_s, float(ev.departure_s))
        else:
            plans["ev_charger"] = None
        boiler = self.appliances["boiler"]
        need_s = 0.0
        if boiler.heating:
            missing_j = (boiler.setpoint_c - boiler.tank_c) * boiler.volume_l * WATER_J_PER_L_K
            need_s = missing_j / boiler.rated_w
        plans["boiler"] = self._shifted(now_s, max(need_s, 0.0), self._next_check(now_s))
        for name in PROGRAMMES:
            machine = self.appliances[name]
            started = self._started.get(name)
            if machine.running and started is not None:
                deadline = started + PROGRAMME_DEADLINE_S
                plans[name] = GreenPlan(remaining_s=machine.remaining_s(), deadline_s=deadline)
            else:
                plans[name] = None
        return plans

    def _boiler_charge(self) -> float:
        boiler = self.appliances["boiler"]
        cold = getattr(boiler, "cold_c", 8.0)
        return float((boiler.tank_c - cold) / (boiler.setpoint_c - cold))

    def _shifted(self, now_s: float, need_s: float, deadline_s: float) -> GreenPlan:
        """Plan with deferral while the participant's peak block [block_h, opens_h) lasts."""
        if self.shift is None:
            return GreenPlan(remaining_s=need_s, deadline_s=deadline_s)
        local = (now_s + self.offset_s) % DAY_S
        block = self.shift.block_h * HOUR_S
        opens = self.shift.opens_h * HOUR_S % DAY_S
        blocked = block <= local < opens if block < opens else (local >= block or local < opens)
        if not blocked:
            return GreenPlan(remaining_s=need_s, deadline_s=deadline_s)
        wait = (opens - local) % DAY_S
        return GreenPlan(remaining_s=need_s, deadline_s=deadline_s, allowed_from_s=now_s + wait)

    def _next_check(self, now_s: float) -> float:
        local = (now_s + self.offset_s) % DAY_S
        day_start = now_s - local
        for hour in (*BOILER_CHECKS_H, BOILER_CHECKS_H[0] + 24):
            if local < hour * HOUR_S:
                return day_start + hour * HOUR_S
        raise AssertionError("unreachable")

    def _crosses(self, now_s: float, dt_s: float, hour: float) -> bool:
        local = (now_s + self.offset_s) % DAY_S
        return local <= hour * HOUR_S < local + dt_s
