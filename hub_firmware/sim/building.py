"""Outdoor weather and the dwelling's thermal zone (indoor air, radiators, heat meter).

Weather: the daily mean temperature is `mean_outdoor_c` plus an AR(1) anomaly per day
(persistence 0.7, standard deviation `day_to_day_sd_c`), interpolated linearly through the day; a
diurnal swing of `daily_swing_c` has its minimum at 06:00 and maximum at 15:00 local (smoothstep
shape, no libm calls, so traces stay bit-identical across interpreters).

Zone: one-node RC model, C dT/dt = Q_heating + Q_gains - UA (T_in - T_out). Radiators fed by
district heating are on/off with a thermostatic valve (hysteresis ±0.25 K) and their heat is what
the heat meter counts.
"""

import math

from .prng import Prng

DAY_S = 86400
HOUR_S = 3600
_MIN_HOUR = 6.0
_MAX_HOUR = 15.0
_PERSISTENCE = 0.7


def _smoothstep(u):
    return u * u * (3.0 - 2.0 * u)


def diurnal_shape(hour):
    """-0.5 at 06:00, +0.5 at 15:00, smooth in between and around midnight."""
    if _MIN_HOUR <= hour < _MAX_HOUR:
        return _smoothstep((hour - _MIN_HOUR) / (_MAX_HOUR - _MIN_HOUR)) - 0.5
    since_max = hour - _MAX_HOUR if hour >= _MAX_HOUR else hour + 24.0 - _MAX_HOUR
    return 0.5 - _smoothstep(since_max / (24.0 - _MAX_HOUR + _MIN_HOUR))


class Weather:
    """Outdoor temperature for local day numbers that only move forward."""

    def __init__(self, seed, mean_outdoor_c=-1.0, daily_swing_c=7.0, day_to_day_sd_c=3.0):
        self.mean_outdoor_c = mean_outdoor_c
        self.daily_swing_c = daily_swing_c
        self._rng = Prng(seed, "weather")
        self._innovation_sd = day_to_day_sd_c * math.sqrt(1.0 - _PERSISTENCE * _PERSISTENCE)
        self._day = None
        self._anomaly_today = self._rng.normal(0.0, day_to_day_sd_c)
        self._anomaly_tomorrow = self._next_anomaly(self._anomaly_today)

    def _next_anomaly(self, anomaly):
        return _PERSISTENCE * anomaly + self._rng.normal(0.0, self._innovation_sd)

    def outdoor_c(self, local_day, local_s_of_day):
        """Temperature at `local_s_of_day` seconds into local day number `local_day`."""
        if self._day is None:
            self._day = local_day
        while self._day < local_day:
            self._day += 1
            self._anomaly_today = self._anomaly_tomorrow
            self._anomaly_tomorrow = self._next_anomaly(self._anomaly_today)
        fraction = local_s_of_day / DAY_S
        anomaly = self._anomaly_today + (self._anomaly_tomorrow - self._anomaly_today) * fraction
        hour = local_s_of_day / HOUR_S
        return self.mean_outdoor_c + anomaly + self.daily_swing_c * diurnal_shape(hour)


class ThermalZone:
    """Indoor air of the dwelling, heated by district-heating radiators and any heat pump."""

    def __init__(
        self,
        loss_w_per_k=80.0,
        time_constant_h=20.0,
        district_heating_w=2500.0,
        radiator_setpoint_c=19.0,
        initial_indoor_c=20.0,
    ):
        self.loss_w_per_k = loss_w_per_k
        self.capacity_j_per_k = loss_w_per_k * time_constant_h * HOUR_S
        self.district_heating_w = district_heating_w
        self.radiator_setpoint_c = radiator_setpoint_c
        self.indoor_c = initial_indoor_c
        self.radiators_on = False
        self.radiator_w = 0.0

    def step(self, dt_s, outdoor_c, other_heat_w):
        """Advance by `dt_s`; `other_heat_w` is heat pump output plus internal gains."""
        if self.indoor_c < self.radiator_setpoint_c - 0.25:
            self.radiators_on = True
        elif self.indoor_c > self.radiator_setpoint_c + 0.25:
            self.radiators_on = False
        self.radiator_w = self.district_heating_w if self.radiators_on else 0.0
        loss_w = self.loss_w_per_k * (self.indoor_c - outdoor_c)
        net_w = self.radiator_w + other_heat_w - loss_w
        self.indoor_c += net_w * dt_s / self.capacity_j_per_k
