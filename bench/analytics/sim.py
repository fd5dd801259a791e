"""Simulated meters, weather, water traces and buildings for the analytics benchmark."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from custom_components.balance.analytics.timebase import local_day, local_day_hours

TZ = ZoneInfo("Europe/Bucharest")
# Hourly shape of a household (local hour 0..23): night trough, morning and evening peaks.
SHAPE = np.array(
    [0.5, 0.4, 0.35, 0.35, 0.35, 0.45, 0.8, 1.2, 1.1, 0.8, 0.7, 0.75,
     0.9, 0.8, 0.7, 0.7, 0.85, 1.2, 1.7, 1.9, 1.8, 1.5, 1.1, 0.75]
)  # fmt: skip
SHAPE = SHAPE / SHAPE.mean()


def local_day_of(hour: int) -> date:
    """Local day of a UTC hour index in the bench's zone."""
    return local_day(hour, TZ)


def weather(rng: np.random.Generator, first: date, days: int) -> dict[date, float]:
    """Daily mean temperatures: a seasonal cycle (coldest mid-January) plus AR(1) anomalies."""
    temps: dict[date, float] = {}
    anomaly = 0.0
    for k in range(days):
        day = first + timedelta(days=k)
        anomaly = 0.8 * anomaly + rng.normal(0.0, 2.2)
        season = 11.0 - 12.0 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 15) / 365.25)
        temps[day] = season + anomaly
    return temps


@dataclass(frozen=True)
class MeterTruth:
    """One simulated electricity meter: its hourly series keyed by UTC hour index."""

    hourly: dict[int, float]


def meter(rng: np.random.Generator, temps: dict[date, float], first: date, days: int) -> MeterTruth:
    """A household meter: weekday pattern, heating with degree days, drift, holidays, noise."""
    base = rng.uniform(4.0, 14.0)
    weekend = rng.uniform(0.95, 1.35)
    heating = rng.choice([0.0, 0.0, rng.uniform(0.15, 0.6), rng.uniform(0.2, 1.2)])
    cooling = rng.uniform(0.0, 0.5)
    level = 1.0
    hourly: dict[int, float] = {}
    away_until = first - timedelta(days=1)
    for k in range(days):
        day = first + timedelta(days=k)
        level = min(1.4, max(0.7, level * math.exp(rng.normal(0.0, 0.01))))
        if day > away_until and rng.random() < 0.004:
            away_until = day + timedelta(days=int(rng.integers(3, 15)))
        factor = weekend if day.weekday() >= 5 else 1.0
        hdd = max(0.0, 18.0 - temps[day])
        cdd = max(0.0, temps[day] - 22.0)
        kwh = (base * factor + heating * hdd + cooling * cdd) * level
        kwh *= math.exp(rng.normal(0.0, 0.12))
        if day <= away_until:
            kwh = 0.25 * base + heating * hdd * 0.5
        hours = local_day_hours(day, TZ)
        local = [(h - hours.start) % 24 for h in hours]
        weights = SHAPE[local] * np.exp(rng.normal(0.0, 0.3, len(hours)))
        for hour, w in zip(hours, weights / weights.sum(), strict=True):
            hourly[hour] = float(kwh * w)
    return MeterTruth(hourly)


# --- water ----------------------------------------------------------------------------------

LEAK_KINDS = ("dribble", "continuous", "night", "refills")


@dataclass(frozen=True)
class Leak:
    """An injected leak: its kind and when it runs (the flow itself is in the trace)."""

    kind: str
    start: datetime
    end: datetime


def water_trace(
    rng: np.random.Generator, start: datetime, days: int, leak_kind: str | None
) -> tuple[list[float], list[Leak]]:
    """Litres per minute from ``start`` (local midnight) for ``days``, 1 L/pulse resolution."""
    minutes = days * 1440
    flow = np.zeros(minutes)
    people = int(rng.integers(1, 5))

    def use(at: int, lpm: float, duration: int) -> None:
        flow[at : at + duration] += lpm

    for d in range(days):
        base = d * 1440
        for _ in range(people):
            wake = int(rng.normal(7 * 60, 40))
            use(
                base + wake + int(rng.integers(0, 30)), rng.uniform(6, 10), int(rng.integers(4, 12))
            )
            for _ in range(int(rng.poisson(5))):  # toilet flushes: a 1-2 minute refill
                t = int(rng.uniform(wake, 23 * 60))
                use(base + t, rng.uniform(3, 6), int(rng.integers(1, 3)))
            for _ in range(int(rng.poisson(8))):  # taps
                t = int(rng.uniform(wake, 23 * 60))
                use(base + t, rng.uniform(2, 6), int(rng.integers(1, 4)))
            if rng.random() < 0.1:  # a night visit
                use(base + int(rng.uniform(60, 300)), rng.uniform(3, 6), 2)
        if rng.random() < 0.4:  # washing machine: several fills
            t = int(rng.uniform(9 * 60, 20 * 60))
            for k in range(4):
                use(base + t + 15 * k, rng.uniform(6, 10), 2)
        if rng.random() < 0.5:  # cooking, dishes
            use(
                base + int(rng.uniform(18 * 60, 21 * 60)),
                rng.uniform(3, 6),
                int(rng.integers(5, 15)),
            )
    leaks: list[Leak] = []
    first = int(rng.uniform(1.3, 2.7) * 1440)
    if leak_kind == "dribble":
        length = int(rng.uniform(2, 3.5) * 1440)
        flow[first : first + length] += rng.uniform(0.1, 0.4)
        leaks.append(Leak("dribble", _at(start, first), _at(start, first + length)))
    elif leak_kind == "continuous":
        length = int(rng.uniform(120, 480))
        flow[first : first + length] += rng.uniform(2, 8)
        leaks.append(Leak("continuous", _at(start, first), _at(start, first + length)))
    elif leak_kind == "night":
        day = first // 1440
        lpm = rng.uniform(0.4, 1.2)
        for d in range(day, day + 3):
            flow[d * 1440 + 60 : d * 1440 + 360] += lpm
        leaks.append(Leak("night", _at(start, day * 1440 + 60), _at(start, (day + 2) * 1440 + 360)))
    elif leak_kind == "refills":
        gap = rng.uniform(8, 25)
        litres = rng.uniform(1.5, 3)
        length = int(rng.uniform(8, 24) * 60)
        t = float(first)
        while t < first + length:
            flow[int(t)] += litres
            t += gap * rng.uniform(0.93, 1.07)
        leaks.append(Leak("refills", _at(start, first), _at(start, first + length)))
    litres_per_min: list[float] = []
    residue = 0.0
    for value in flow:  # a 1 L reed-switch meter: whole pulses per minute
        residue += float(value)
        pulses = math.floor(residue)
        residue -= pulses
        litres_per_min.append(float(pulses))
    return litres_per_min, leaks


def _at(start: datetime, minute: int) -> datetime:
    return start + timedelta(minutes=minute)


# --- buildings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Building:
    """Hourly kWh of a building: parent, metered children and the truth about tampering."""

    parent: np.ndarray
    children: np.ndarray
    true: np.ndarray
    hour_of_day: np.ndarray
    phases: list[int]
    tampered: dict[int, float]


def flat_profiles(rng: np.random.Generator, flats: int, hours: int) -> np.ndarray:
    """Hourly kWh of ``flats`` flats (own habits, appliances, random absences), local hours."""
    hod = np.arange(hours) % 24
    out = np.zeros((flats, hours))
    for i in range(flats):
        shift = int(rng.integers(-2, 3))
        shape = np.roll(SHAPE, shift) * rng.uniform(0.7, 1.3, 24)
        daily = rng.uniform(3, 12)
        base = daily / 24 * shape[hod]
        events = rng.random(hours) < 0.12
        spikes = events * rng.exponential(0.8, hours) * (shape[hod] / shape.max())
        absent = np.repeat(rng.random(hours // 24 + 1) < 0.07, 24)[:hours]
        noise = np.exp(rng.normal(0, 0.25, hours))
        out[i] = np.where(absent, 0.08, base * noise + spikes)
    return out


def building(
    rng: np.random.Generator, flats: int, hours: int, tampered: dict[int, float]
) -> Building:
    """A building on three phases with common areas, feeder losses and meter noise."""
    true = flat_profiles(rng, flats, hours)
    hod = np.arange(hours) % 24
    phases = [int(p) for p in rng.choice(3, flats, p=[0.45, 0.33, 0.22])]
    stairs = np.where((hod >= 18) | (hod < 6), 0.25, 0.05) * rng.uniform(0.5, 1.5)
    lift = 0.02 * true.sum(axis=0) * rng.uniform(0.5, 1.5) * np.exp(rng.normal(0, 0.3, hours))
    load = true.sum(axis=0) + stairs + lift
    per_phase = np.zeros((3, hours))
    np.add.at(per_phase, np.array(phases), true)
    per_phase += (stairs + lift) / 3
    amps = per_phase * 1000 / 230
    neutral = np.abs(np.exp(2j * np.pi / 3 * np.arange(3)) @ amps)
    losses = 0.05 * (np.sum(amps**2, axis=0) + neutral**2) / 1000
    parent = (load + losses) * (1 + rng.normal(0, 0.003, hours))
    children = true.copy()
    for flat, fraction in tampered.items():
        children[flat] *= 1 - fraction
    children = np.round(children, 3)  # meters report whole Wh
    return Building(np.round(parent, 3), children, true, hod, phases, tampered)
