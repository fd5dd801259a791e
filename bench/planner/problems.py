"""The planner benchmark suite: deterministic problems (seeded), 24-48 h, 15/60-min slots."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from custom_components.balance.planner import (
    Charger,
    HeaterDay,
    Load,
    Problem,
    Programme,
    WaterHeater,
    caps_from,
    profile_from_minutes,
)


@dataclass(frozen=True)
class Case:
    """One benchmark problem; ``infeasible`` marks the cases built to be impossible."""

    name: str
    problem: Problem
    infeasible: bool = False


WASHER = ((20, 2.1), (40, 0.25), (30, 0.5), (30, 0.4))
DISHWASHER = ((25, 1.9), (50, 0.1), (30, 1.8), (15, 0.05))
DRYER = ((90, 2.4),)


def _hours(n: int, dt: float) -> list[float]:
    return [(t * dt) % 24 for t in range(n)]


def day_night(n: int, dt: float, day: float = 0.28, night: float = 0.14) -> list[float]:
    """Two-part tariff, night 22:00-07:00 (slot 0 = 17:00)."""
    return [night if (h + 17) % 24 >= 22 or (h + 17) % 24 < 7 else day for h in _hours(n, dt)]


def tou3(n: int, dt: float, dr: bool) -> list[float]:
    """Three zones (peak 07-11 & 17-21, shoulder, off-peak 23-06) with optional DR dips."""
    out = []
    for h in _hours(n, dt):
        clock = (h + 17) % 24
        if 7 <= clock < 11 or 17 <= clock < 21:
            p = 0.36
        elif clock >= 23 or clock < 6:
            p = 0.11
        else:
            p = 0.22
        if dr and (18 <= clock < 19.5):
            p = 0.95
        out.append(p)
    return out


def spot(n: int, dt: float, seed: int, negative: bool = False) -> list[float]:
    """Synthetic day-ahead curve plus markup/VAT, rounded to 0.1 c (plenty of near-ties)."""
    rng = random.Random(seed)
    out = []
    level = 0.09
    for h in _hours(n, dt):
        clock = (h + 17) % 24
        shape = 0.06 * math.sin((clock - 4) / 24 * 2 * math.pi) + 0.05 * math.exp(
            -((clock - 19) ** 2) / 4
        )
        solar = -0.12 * math.exp(-((clock - 13) ** 2) / 6) if negative else 0.0
        level += rng.gauss(0, 0.004)
        out.append(round((level + shape + solar + rng.gauss(0, 0.01)) * 1.19 + 0.05, 3))
    return out


def base_load(n: int, dt: float, seed: int) -> list[float]:
    """Household base forecast, kW: evening bump, night low."""
    rng = random.Random(seed)
    out = []
    for h in _hours(n, dt):
        clock = (h + 17) % 24
        kw = (
            0.35
            + 1.6 * math.exp(-((clock - 19) ** 2) / 3)
            + 0.6 * math.exp(-((clock - 8) ** 2) / 2)
        )
        out.append(round(kw + rng.uniform(0, 0.3), 3))
    return out


def _slot(hours_from_17: float, dt: float) -> int:
    return round(hours_from_17 / dt)


def _programme(
    name: str, steps: tuple[tuple[float, float], ...], dt: float, first_h: float, end_h: float
) -> Programme:
    return Programme(
        name, profile_from_minutes(steps, dt * 60), (_slot(first_h, dt), _slot(end_h, dt))
    )


def _mix(n: int, dt: float, count: int, seed: int, deadline_h: float = 14.0) -> list[Load]:
    """Up to six loads: EV, second EV, washer, dishwasher, water heater, dryer."""
    rng = random.Random(seed)
    days = max(1, round(n * dt / 24))
    loads: list[Load] = [
        Charger(
            "ev",
            7.4,
            (0, _slot(deadline_h, dt)),
            energy_kwh=round(rng.uniform(8, 18), 1),
            min_kw=1.4,
        ),
        Charger(
            "ev2",
            3.7,
            (_slot(1, dt), _slot(deadline_h + 1, dt)),
            energy_kwh=round(rng.uniform(4, 10), 1),
            min_kw=1.4,
        ),
        _programme("washer", WASHER, dt, 0, 24 * days),
        _programme("dishwasher", DISHWASHER, dt, 4, 15),
        WaterHeater(
            "boiler",
            2.0,
            tuple(
                HeaterDay(5.0, (_slot(24 * d + 5, dt), _slot(24 * d + 14, dt))) for d in range(days)
            ),
        ),
        _programme("dryer", DRYER, dt, 2, 24 * days),
    ]
    return loads[:count]


def _problem(prices: list[float], caps: list[float], dt: float, loads: list[Load]) -> Problem:
    return Problem(len(prices), dt, prices, caps, loads)


def suite() -> list[Case]:
    """At least 40 cases covering the issue's list."""
    cases: list[Case] = []
    # Day/night, 1-4 loads, 60 and 15 minutes, 24 h.
    for dt in (1.0, 0.25):
        n = round(24 / dt)
        for count in (1, 2, 4):
            seed = count + int(dt * 100)
            caps = caps_from(6.0, base_load(n, dt, seed))
            cases.append(
                Case(
                    f"daynight_{int(dt * 60)}m_{count}loads",
                    _problem(day_night(n, dt), caps, dt, _mix(n, dt, count, seed)),
                )
            )
    # Three-zone ToU with DR dips, 15 min, 24 and 48 h.
    for hours, count in ((24, 3), (24, 5), (48, 4), (48, 6)):
        dt = 0.25
        n = round(hours / dt)
        caps = caps_from(7.0, base_load(n, dt, hours + count))
        cases.append(
            Case(
                f"tou3_dr_{hours}h_{count}loads",
                _problem(tou3(n, dt, dr=True), caps, dt, _mix(n, dt, count, count)),
            )
        )
    # Dynamic prices, 15 and 60 min, 24-48 h.
    for dt in (0.25, 1.0):
        for hours in (24, 36, 48):
            n = round(hours / dt)
            for count in (2, 5):
                seed = hours * 10 + count + int(dt * 4)
                caps = caps_from(6.5, base_load(n, dt, seed))
                cases.append(
                    Case(
                        f"spot_{int(dt * 60)}m_{hours}h_{count}loads",
                        _problem(spot(n, dt, seed), caps, dt, _mix(n, dt, count, seed)),
                    )
                )
    # Ties: flat price, and two-level price with many equal slots.
    for count in (3, 5):
        dt, n = 0.25, 96
        caps = caps_from(6.0, base_load(n, dt, 7))
        cases.append(
            Case(f"ties_flat_{count}loads", _problem([0.2] * n, caps, dt, _mix(n, dt, count, 7)))
        )
        cases.append(
            Case(
                f"ties_twolevel_{count}loads",
                _problem(
                    [0.1 if t % 8 < 4 else 0.3 for t in range(n)], caps, dt, _mix(n, dt, count, 8)
                ),
            )
        )
    # Tight caps: a 3.7 kW connection (16 A) with everything.
    for count in (3, 6):
        dt, n = 0.25, 96
        caps = caps_from(3.7, [min(b, 0.8) for b in base_load(n, dt, 11)])
        loads = _mix(n, dt, count, 11)
        loads[0] = Charger("ev", 7.4, (0, _slot(14, dt)), energy_kwh=9.0, min_kw=1.4)
        cases.append(
            Case(f"tight_cap_{count}loads", _problem(tou3(n, dt, dr=False), caps, dt, loads))
        )
    # Negative prices at midday (solar surplus), 48 h.
    for count in (2, 4):
        dt, n = 0.25, 192
        caps = caps_from(7.0, base_load(n, dt, 21))
        loads = _mix(n, dt, count, 21, deadline_h=44)
        cases.append(
            Case(
                f"negative_48h_{count}loads",
                _problem(spot(n, dt, 21 + count, negative=True), caps, dt, loads),
            )
        )
    # Zero slack: the EV needs exactly what fits by its deadline.
    for dt in (1.0, 0.25):
        n = round(24 / dt)
        caps = caps_from(6.0, base_load(n, dt, 31))
        end = _slot(14, dt)
        full = sum(min(7.4, caps[t]) for t in range(end)) * dt
        loads: list[Load] = [Charger("ev", 7.4, (0, end), energy_kwh=round(full, 6), min_kw=1.4)]
        cases.append(
            Case(f"zero_slack_{int(dt * 60)}m", _problem(day_night(n, dt), caps, dt, loads))
        )
    # Windows that end at the horizon end.
    for dt in (1.0, 0.25):
        n = round(24 / dt)
        caps = caps_from(6.0, base_load(n, dt, 41))
        loads = [
            Charger("ev", 7.4, (_slot(10, dt), n), energy_kwh=20.0, min_kw=1.4),
            _programme("washer", WASHER, dt, 18, 24),
            WaterHeater("boiler", 2.0, (HeaterDay(4.0, (_slot(16, dt), n)),)),
        ]
        cases.append(
            Case(f"horizon_end_{int(dt * 60)}m", _problem(spot(n, dt, 41), caps, dt, loads))
        )
    # Chargers that may not pause, one of them already running; a running programme.
    dt, n = 0.25, 96
    caps = caps_from(6.0, base_load(n, dt, 51))
    loads = [
        Charger("ev", 7.4, (0, 56), energy_kwh=12.0, min_kw=1.4, may_split=False),
        Charger("ev2", 3.7, (0, 60), energy_kwh=6.0, min_kw=1.4, may_split=False, running=True),
        Programme("washer", profile_from_minutes(WASHER, 15), (0, 96), elapsed_slots=2),
    ]
    cases.append(Case("no_pause_running", _problem(day_night(n, dt), caps, dt, loads)))
    # 192 slots x 6 loads (48 h at 15 min): the timing case.
    for seed in (61, 62):
        dt, n = 0.25, 192
        caps = caps_from(7.4, base_load(n, dt, seed))
        cases.append(
            Case(
                f"size_192x6_s{seed}",
                _problem(spot(n, dt, seed), caps, dt, _mix(n, dt, 6, seed, deadline_h=38)),
            )
        )
    # Infeasible, one of each kind.
    dt, n = 0.25, 96
    caps = caps_from(6.0, base_load(n, dt, 71))
    cases.append(
        Case(
            "infeasible_energy",
            _problem(
                day_night(n, dt),
                caps,
                dt,
                [Charger("ev", 7.4, (0, 28), energy_kwh=40.0, min_kw=1.4)],
            ),
            True,
        )
    )
    low = caps_from(2.2, [0.5] * n)
    cases.append(
        Case(
            "infeasible_no_start",
            _problem(day_night(n, dt), low, dt, [_programme("dryer", DRYER, dt, 0, 24)]),
            True,
        )
    )
    cases.append(
        Case(
            "infeasible_window_short",
            _problem(day_night(n, dt), caps, dt, [_programme("washer", WASHER, dt, 5, 6)]),
            True,
        )
    )
    both = [
        Charger("ev", 7.4, (0, 20), energy_kwh=14.0, min_kw=1.4),
        Charger("ev2", 7.4, (0, 20), energy_kwh=14.0, min_kw=1.4),
    ]
    cases.append(Case("infeasible_conflict", _problem(day_night(n, dt), caps, dt, both), True))
    cases.append(
        Case(
            "infeasible_min_power",
            _problem(
                day_night(n, dt),
                [1.0] * n,
                dt,
                [Charger("ev", 7.4, (0, 96), energy_kwh=5.0, min_kw=1.4)],
            ),
            True,
        )
    )
    return cases
