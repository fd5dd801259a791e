"""Daily consumption model: weekday profile x degree days, with a recent-level correction.

Method (docs/analytics.md): ``y = a[weekday] + b * HDD + c * CDD`` per day (HDD/CDD are heating and
cooling degree days from the daily mean outdoor temperature). The slopes ``b, c`` (>= 0, a small
ridge) come from a least-squares fit over up to ``slope_days`` (a year: within one season degree
days hardly vary); the weekday levels ``a`` are then the weighted means of what the weather does
not explain over the last ``window_days`` (half-life ``half_life_days``), so they follow habits.
Without temperatures only the weekday levels are fitted. The prediction is then scaled by a level
factor that moves part way (``level_weight``) to the ratio of actual to fitted consumption over
the last ``level_days``. Future days take a given
forecast temperature, else last year's temperature around that date plus today's anomaly fading
by ``anomaly_decay`` a day, else the mean of the last 7 known days (persistence).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

WEEKDAYS = 7


@dataclass(frozen=True, slots=True)
class ForecastConfig:
    """Tunables of the daily model (defaults chosen on the bench, docs/analytics.md)."""

    window_days: int = 56
    slope_days: int = 365
    min_days: int = 14
    half_life_days: float = 28.0
    heating_base_c: float = 18.0
    cooling_base_c: float = 22.0
    level_days: int = 7
    level_weight: float = 0.5
    ridge: float = 1e-4
    anomaly_decay: float = 0.8


@dataclass(frozen=True, slots=True)
class DailyModel:
    """A fitted daily model; ``predict`` gives the expected consumption of one day."""

    weekday: tuple[float, ...]
    per_hdd: float
    per_cdd: float
    level: float
    heating_base_c: float
    cooling_base_c: float
    fallback_temp_c: float | None
    method: str

    def predict(self, day: date, temp_c: float | None = None) -> float:
        """Expected consumption of ``day`` at daily mean temperature ``temp_c``."""
        value = self.weekday[day.weekday()]
        temp = temp_c if temp_c is not None else self.fallback_temp_c
        if temp is not None:
            value += self.per_hdd * heating_dd(temp, self.heating_base_c)
            value += self.per_cdd * max(0.0, temp - self.cooling_base_c)
        return max(0.0, value * self.level)


def heating_dd(temp_c: float, base_c: float) -> float:
    """Heating degree days of one day with mean temperature ``temp_c``."""
    return max(0.0, base_c - temp_c)


def recent_temperature(temps: Mapping[date, float], until: date, days: int = 7) -> float | None:
    """Mean of the last ``days`` known daily temperatures before ``until`` (within 3 weeks)."""
    known = [temps[d] for k in range(1, 22) if (d := until - timedelta(days=k)) in temps][:days]
    return sum(known) / len(known) if known else None


def _slopes(
    daily: Mapping[date, float], temps: Mapping[date, float], days: list[date], cfg: ForecastConfig
) -> tuple[float, float]:
    """Degree-day slopes from a year of days: the seasons identify them, a window cannot."""
    y = np.array([daily[d] for d in days], dtype=np.float64)
    x = np.zeros((len(days), WEEKDAYS + 2), dtype=np.float64)
    for row, day in enumerate(days):
        x[row, day.weekday()] = 1.0
        x[row, WEEKDAYS] = heating_dd(temps[day], cfg.heating_base_c)
        x[row, WEEKDAYS + 1] = max(0.0, temps[day] - cfg.cooling_base_c)
    penalty = np.full(WEEKDAYS + 2, 1e-9 * len(days))
    penalty[WEEKDAYS:] = cfg.ridge * float(np.sum(x[:, WEEKDAYS:] ** 2)) + 1e-9
    beta = np.linalg.solve(x.T @ x + np.diag(penalty), x.T @ y)
    return max(0.0, float(beta[WEEKDAYS])), max(0.0, float(beta[WEEKDAYS + 1]))


def _climate(temps: Mapping[date, float], day: date) -> float | None:
    """Mean temperature of the same dates last year (+-7 days), None if too few are known."""
    known = [temps[d] for k in range(-7, 8) if (d := day - timedelta(days=365 + k)) in temps]
    return sum(known) / len(known) if len(known) >= 5 else None


def expected_temperatures(
    temps: Mapping[date, float], until: date, last: date, decay: float = 0.8
) -> dict[date, float]:
    """Daily temperatures expected from ``until`` to ``last`` inclusive (method above)."""
    recent = recent_temperature(temps, until)
    now_climate = _climate(temps, until - timedelta(days=4))
    anomaly = recent - now_climate if recent is not None and now_climate is not None else None
    out: dict[date, float] = {}
    day = until
    while day <= last:
        climate = _climate(temps, day)
        if day in temps:
            out[day] = temps[day]
        elif climate is not None and anomaly is not None:
            out[day] = climate + anomaly * decay ** (day - until).days
        elif recent is not None:
            out[day] = recent
        day += timedelta(days=1)
    return out


def fit_daily_model(
    daily: Mapping[date, float],
    until: date,
    temps: Mapping[date, float] | None = None,
    config: ForecastConfig = ForecastConfig(),
) -> DailyModel | None:
    """Fit on the complete days before ``until``; None with fewer than ``min_days`` of them."""
    days = [
        d for k in range(config.window_days, 0, -1) if (d := until - timedelta(days=k)) in daily
    ]
    if len(days) < config.min_days:
        return None
    per_hdd = per_cdd = 0.0
    use_temps = temps is not None and sum(d in temps for d in days) >= 0.8 * len(days)
    if use_temps:
        assert temps is not None
        days = [d for d in days if d in temps]
        year = [
            d
            for k in range(config.slope_days, 0, -1)
            if (d := until - timedelta(days=k)) in daily and d in temps
        ]
        per_hdd, per_cdd = _slopes(daily, temps, year, config)

    def weather(day: date) -> float:
        if not use_temps or temps is None:
            return 0.0
        temp = temps[day]
        return per_hdd * heating_dd(temp, config.heating_base_c) + per_cdd * max(
            0.0, temp - config.cooling_base_c
        )

    rest = {d: daily[d] - weather(d) for d in days}
    weights = {d: 0.5 ** ((until - d).days / config.half_life_days) for d in days}
    overall = sum(rest[d] * weights[d] for d in days) / sum(weights.values())
    levels: list[float] = []
    for weekday in range(WEEKDAYS):
        same = [d for d in days if d.weekday() == weekday]
        total = sum(weights[d] for d in same)
        levels.append(sum(rest[d] * weights[d] for d in same) / total if same else overall)
    recent = days[-config.level_days :]
    fitted = sum(levels[d.weekday()] + weather(d) for d in recent)
    level = 1.0
    if fitted > 0:
        ratio = sum(daily[d] for d in recent) / fitted
        level = min(2.0, max(0.5, 1.0 + config.level_weight * (ratio - 1.0)))
    return DailyModel(
        weekday=tuple(levels),
        per_hdd=per_hdd,
        per_cdd=per_cdd,
        level=level,
        heating_base_c=config.heating_base_c,
        cooling_base_c=config.cooling_base_c,
        fallback_temp_c=recent_temperature(temps, until) if use_temps and temps else None,
        method="weekday x degree days" if use_temps else "weekday",
    )


def forecast_days(
    model: DailyModel, first: date, last: date, temps: Mapping[date, float] | None = None
) -> float:
    """Expected consumption of the days ``first`` to ``last`` inclusive."""
    total = 0.0
    day = first
    while day <= last:
        total += model.predict(day, temps.get(day) if temps else None)
        day += timedelta(days=1)
    return total
