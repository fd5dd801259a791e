"""A simulated household: occupants, appliances, dwelling and the meters the hub reads.

Closed-loop use (the sim board, a controller or a benchmark):

    home = Household(seed=7)                      # or Household.from_scenario(load_scenario(p))
    t = home.start_ts
    while ...:
        home.appliance("ev_charger").set_supply(False)  # open a contactor between steps
        home.step(t, 60)                          # simulated time is injected, never read
        t += 60
        home.power_w, home.phase_power_w, home.meter_totals(), home.pulse_count("water", 1, "L/imp")

`step(now_s, dt_s)` must be called with consecutive, forward-moving intervals (dt <= 300 s keeps
the thermostats accurate). After a step:

* `power_w` mean active power of the main meter over the step (W); `phase_power_w` [L1, L2, L3]
* `water_l_per_h` mean water flow (includes `leak_l_per_h`)
* cumulative `energy_wh`, `phase_energy_wh`, `water_l`, `gas_m3`, `heat_wh` (district heating)
* `at_home`, `active` (occupants at home / awake at home), `indoor_c`, `outdoor_c`

`pulse_count()` turns a meter total into the pulse count of a meter with a given constant;
`phase_voltages_v()` / `neutral_voltage_v()` feed the voltage sensors; `events_at(t_s)` lists the
injected scenario events for the board (see sim.scenario). Each appliance draws from its own
random stream, and the activity plan of a day depends only on (seed, day), so changing the
appliance list or the controller never changes when occupants shower or start the laundry.
"""

import math

from .appliances import PHASES, Conditions, make_appliance
from .building import DAY_S, ThermalZone, Weather
from .occupancy import (
    ACTIVE,
    ASLEEP,
    AWAY,
    EVENT_DISHWASHER,
    EVENT_EV_ARRIVE,
    EVENT_EV_DEPART,
    EVENT_HOB,
    EVENT_KETTLE,
    EVENT_OCCUPANT,
    EVENT_OVEN,
    EVENT_WASHING,
    EVENT_WATER,
    PLAN_DAY_START_S,
    ActivityPlanner,
)
from .prng import Prng
from .scenario import DEFAULT_START_LOCAL, DEFAULT_UTC_OFFSET_H, Timeline, local_to_utc_ts

NOMINAL_PHASE_V = 230.0
OCCUPANT_HEAT_W = 80.0
DEFAULT_START_TS = local_to_utc_ts(DEFAULT_START_LOCAL, DEFAULT_UTC_OFFSET_H * 3600)
PLAN_AHEAD_DAYS = 2

# A three-person flat (two workers, one student) on a three-phase supply in Bucharest in January:
# district heating plus an air-to-air heat pump, 80 L electric boiler, gas hob, EV on a wallbox.
DEFAULT_HOUSEHOLD = {
    "occupants": ["worker", "worker", "student"],
    "utc_offset_h": DEFAULT_UTC_OFFSET_H,
    "sunrise_h": 7.75,
    "sunset_h": 16.9,
    "weather": {"mean_outdoor_c": -1.0, "daily_swing_c": 7.0, "day_to_day_sd_c": 3.0},
    "building": {
        "loss_w_per_k": 80.0,
        "time_constant_h": 20.0,
        "district_heating_w": 2500.0,
        "radiator_setpoint_c": 19.0,
        "initial_indoor_c": 20.0,
    },
    "appliances": [
        {"type": "standby", "name": "standby", "phase": "L1"},
        {"type": "media", "name": "media", "phase": "L1"},
        {"type": "lighting", "name": "lighting", "phase": "L1"},
        {"type": "fridge", "name": "fridge", "phase": "L2"},
        {"type": "boiler", "name": "boiler", "phase": "L2"},
        {"type": "heat_pump", "name": "heat_pump", "phase": "L3"},
        {"type": "kettle", "name": "kettle", "phase": "L2"},
        {"type": "gas_hob", "name": "gas_hob", "phase": "L1"},
        {"type": "oven", "name": "oven", "phase": "L3"},
        {"type": "washing_machine", "name": "washing_machine", "phase": "L2"},
        {"type": "dishwasher", "name": "dishwasher", "phase": "L3"},
        {"type": "ev_charger", "name": "ev_charger", "phase": "L1", "rated_w": 7400.0},
    ],
}
_NESTED_KEYS = ("weather", "building")
# activity event -> kind of the appliance it starts
_STARTED_KINDS = {EVENT_KETTLE: "kettle", EVENT_OVEN: "oven", EVENT_WASHING: "washing_machine",
                  EVENT_DISHWASHER: "dishwasher"}

# pulse-constant unit -> (meter dimension, native units per unit)
_PULSE_UNITS = {"Wh": ("energy", 1.0), "kWh": ("energy", 1000.0), "L": ("volume", 1.0),
                "m3": ("volume", 1000.0)}
_CHANNEL_DIMENSIONS = {"electricity": "energy", "heat": "energy", "water": "volume",
                       "gas": "volume"}


def merge_config(overrides):
    """DEFAULT_HOUSEHOLD with `overrides` applied (weather/building merged key by key)."""
    config = dict(DEFAULT_HOUSEHOLD)
    for key in overrides or {}:
        if key not in DEFAULT_HOUSEHOLD:
            raise ValueError("unknown household key %r" % (key,))
        if key in _NESTED_KEYS:
            nested = dict(DEFAULT_HOUSEHOLD[key])
            nested.update(overrides[key])
            config[key] = nested
        else:
            config[key] = overrides[key]
    return config


def pulses_for(native_total, constant, unit):
    """Pulses emitted for `native_total` (Wh or L) by a meter with constant `constant` `unit`.

    `unit` is "imp/<q>" (pulses per quantity) or "<q>/imp" (quantity per pulse) with q one of
    Wh, kWh, L, m3.
    """
    if unit.startswith("imp/"):
        dimension, scale = _PULSE_UNITS[unit[4:]]
        return dimension, int(math.floor(native_total / scale * constant))
    if unit.endswith("/imp"):
        dimension, scale = _PULSE_UNITS[unit[:-4]]
        return dimension, int(math.floor(native_total / scale / constant))
    raise ValueError("pulse unit must look like imp/kWh or L/imp: %r" % (unit,))


class Household:
    """Occupants, appliances, dwelling and meters of one home (see the module docstring)."""

    def __init__(self, seed=1, start_ts=DEFAULT_START_TS, config=None, timeline=None):
        config = merge_config(config)
        self.seed = seed
        self.start_ts = start_ts
        self.utc_offset_s = int(config["utc_offset_h"] * 3600)
        self.sunrise_s = config["sunrise_h"] * 3600
        self.sunset_s = config["sunset_h"] * 3600
        self.weather = Weather(seed, **config["weather"])
        self.zone = ThermalZone(**config["building"])
        self.timeline = timeline if timeline is not None else Timeline()
        self.appliances = []
        self._by_name = {}
        self._by_kind = {}
        for spec in config["appliances"]:
            name = spec.get("name", spec.get("type"))
            appliance = make_appliance(spec, Prng(seed, "appliance:%s" % name))
            if appliance.name in self._by_name:
                raise ValueError("duplicate appliance name %r" % (appliance.name,))
            self.appliances.append(appliance)
            self._by_name[appliance.name] = appliance
            self._by_kind.setdefault(appliance.kind, appliance)
        self._phase_index = [PHASES.index(a.phase) for a in self.appliances]
        self._water_users = [a for a in self.appliances if hasattr(a, "water_l")]
        self._gas_users = [a for a in self.appliances if hasattr(a, "gas_m3")]
        self.boiler = self._by_kind.get("boiler")
        self.ev = self._by_kind.get("ev_charger")
        self.hob = self._by_kind.get("hob") or self._by_kind.get("gas_hob")

        self._water_draws = []
        self._lost_phases = ()
        self.neutral_fault = False
        self.power_w = 0.0
        self.phase_power_w = [0.0, 0.0, 0.0]
        self.water_l_per_h = 0.0
        self.leak_l_per_h = 0.0
        self.energy_wh = 0.0
        self.phase_energy_wh = [0.0, 0.0, 0.0]
        self.water_l = 0.0
        self.gas_m3 = 0.0
        self.heat_wh = 0.0

        self.cond = Conditions()
        self.cond.indoor_c = self.zone.indoor_c
        self.occupant_states = [ASLEEP] * len(config["occupants"])
        self.at_home = 0
        self.planner = ActivityPlanner(seed, config["occupants"], self.utc_offset_s)
        self._queue = []
        self._next_event = 0
        self._planned_day = self.planner.plan_day_of(start_ts) - 1
        self._plan_check_s = start_ts
        self._plan_ahead(start_ts)
        self._replay_occupancy_before(start_ts)
        if self.ev is not None:
            self.ev.departure_s = self._next_departure_s()


    @classmethod
    def from_scenario(cls, scenario, seed=None):
        """Household described by a sim.scenario.Scenario (`seed` overrides the scenario's)."""
        chosen_seed = scenario.seed if seed is None else seed
        return cls(chosen_seed, scenario.start_ts, scenario.household, scenario.timeline)

    # --- queries -----------------------------------------------------------------------------

    def appliance(self, name):
        """The appliance called `name` (KeyError if none)."""
        return self._by_name[name]

    def set_supply(self, name, on):
        """Open (False) or close (True) the contactor of appliance `name`."""
        self._by_name[name].set_supply(on)

    @property
    def active(self):
        """Occupants awake at home."""
        return self.cond.active

    @property
    def indoor_c(self):
        return self.zone.indoor_c

    @property
    def outdoor_c(self):
        return self.cond.outdoor_c

    def events_at(self, t_s):
        """Injected scenario events active at `t_s` (sim.scenario.ScenarioEvent objects)."""
        return self.timeline.events_at(t_s)

    def meter_totals(self):
        """Cumulative readings of the four meters."""
        return {
            "electricity_kwh": self.energy_wh / 1000.0,
            "water_l": self.water_l,
            "gas_m3": self.gas_m3,
            "heat_kwh": self.heat_wh / 1000.0,
        }

    def pulse_count(self, channel, constant, unit):
        """Cumulative pulses of meter `channel` ("electricity", "water", "gas", "heat").

        Example: pulse_count("electricity", 1000, "imp/kWh"), pulse_count("water", 10, "L/imp"),
        pulse_count("gas", 0.01, "m3/imp").
        """
        native = {
            "electricity": self.energy_wh,
            "heat": self.heat_wh,
            "water": self.water_l,
            "gas": self.gas_m3 * 1000.0,
        }[channel]
        dimension, pulses = pulses_for(native, constant, unit)
        if dimension != _CHANNEL_DIMENSIONS[channel]:
            raise ValueError("unit %r does not fit meter %r" % (unit, channel))
        return pulses

    def phase_voltages_v(self):
        """Voltage across the loads of L1, L2, L3 (lost phase: 0; neutral fault: shifted).

        With a broken neutral the star point floats to the admittance-weighted mean of the phase
        voltages; loads are treated as resistances drawing the last step's power at 230 V.
        """
        neutral_re, neutral_im = self._neutral_shift()
        voltages = []
        for index in range(3):
            if PHASES[index] in self._lost_phases:
                voltages.append(0.0)
                continue
            phase_re, phase_im = _phasor(index)
            voltages.append(math.sqrt((phase_re - neutral_re) ** 2 + (phase_im - neutral_im) ** 2))
        return voltages

    def neutral_voltage_v(self):
        """Voltage of the floating star point against earth (0 without a neutral fault)."""
        neutral_re, neutral_im = self._neutral_shift()
        return math.sqrt(neutral_re * neutral_re + neutral_im * neutral_im)

    def _neutral_shift(self):
        if not self.neutral_fault:
            return 0.0, 0.0
        total_g = weighted_re = weighted_im = 0.0
        for index in range(3):
            if PHASES[index] in self._lost_phases:
                continue
            conductance = max(self.phase_power_w[index], 1.0) / (NOMINAL_PHASE_V * NOMINAL_PHASE_V)
            phase_re, phase_im = _phasor(index)
            total_g += conductance
            weighted_re += conductance * phase_re
            weighted_im += conductance * phase_im
        if total_g == 0.0:
            return 0.0, 0.0
        return weighted_re / total_g, weighted_im / total_g

    def state(self):
        """Snapshot for dashboards and the board: meters, occupancy, climate, appliance states."""
        return {
            "power_w": self.power_w,
            "phase_power_w": list(self.phase_power_w),
            "water_l_per_h": self.water_l_per_h,
            "meters": self.meter_totals(),
            "at_home": self.at_home,
            "active": self.cond.active,
            "indoor_c": self.zone.indoor_c,
            "outdoor_c": self.cond.outdoor_c,
            "appliances": [appliance.state() for appliance in self.appliances],
        }

    # --- simulation --------------------------------------------------------------------------

    def step(self, now_s, dt_s):
        """Advance the household from `now_s` to `now_s + dt_s` (UTC seconds)."""
        end_s = now_s + dt_s
        if now_s >= self._plan_check_s:
            self._plan_ahead(now_s)
        queue = self._queue
        while self._next_event < len(queue) and queue[self._next_event][0] < end_s:
            t_s, kind, data = queue[self._next_event]
            self._next_event += 1
            self._apply_event(t_s, kind, data)
        self._apply_timeline(now_s)

        cond = self.cond
        local_s = now_s + self.utc_offset_s
        local_day = int(local_s // DAY_S)
        cond.local_s = local_s - local_day * DAY_S
        cond.weekend = (local_day + 3) % 7 >= 5
        cond.dark = not (self.sunrise_s <= cond.local_s < self.sunset_s)
        cond.outdoor_c = self.weather.outdoor_c(local_day, cond.local_s)
        cond.indoor_c = self.zone.indoor_c

        water_l = self._draw_water(now_s, end_s) + self.leak_l_per_h * dt_s / 3600.0
        total_w = 0.0
        phase_w = [0.0, 0.0, 0.0]
        room_heat_w = OCCUPANT_HEAT_W * self.at_home
        phase_index = self._phase_index
        for index, appliance in enumerate(self.appliances):
            appliance.step(now_s, dt_s, cond)
            power = appliance.power
            total_w += power
            phase_w[phase_index[index]] += power
            room_heat_w += appliance.room_heat_w()
        for appliance in self._water_users:
            water_l += appliance.water_l
        for appliance in self._gas_users:
            self.gas_m3 += appliance.gas_m3
        self.zone.step(dt_s, cond.outdoor_c, room_heat_w)

        self.power_w = total_w
        self.phase_power_w = phase_w
        self.energy_wh += total_w * dt_s / 3600.0
        for index in range(3):
            self.phase_energy_wh[index] += phase_w[index] * dt_s / 3600.0
        self.water_l += water_l
        self.water_l_per_h = water_l * 3600.0 / dt_s
        self.heat_wh += self.zone.radiator_w * dt_s / 3600.0

    def _draw_water(self, now_s, end_s):
        """Litres of the active draws within [now_s, end_s); hot ones cool the boiler tank."""
        litres = 0.0
        remaining = []
        for draw in self._water_draws:
            start_s, stop_s, flow_l_per_s, use_c = draw
            overlap_s = min(stop_s, end_s) - max(start_s, now_s)
            if overlap_s > 0:
                drawn_l = overlap_s * flow_l_per_s
                litres += drawn_l
                if use_c is not None and self.boiler is not None:
                    self.boiler.draw_hot_water(drawn_l, use_c)
            if stop_s > end_s:
                remaining.append(draw)
        self._water_draws = remaining
        return litres

    def _apply_timeline(self, now_s):
        timeline_events = self.timeline.events
        if not timeline_events and not self._lost_phases and not self.leak_l_per_h:
            return
        leak = 0.0
        lost = []
        neutral_fault = False
        for event in self.timeline.events_at(now_s):
            if event.kind == "water_leak":
                leak += event.params["flow_l_per_h"]
            elif event.kind == "phase_loss":
                lost.extend(event.params["phases"])
            elif event.kind == "neutral_fault":
                neutral_fault = True
        self.leak_l_per_h = leak
        self.neutral_fault = neutral_fault
        lost_phases = tuple(phase for phase in PHASES if phase in lost)
        if lost_phases != self._lost_phases:
            self._lost_phases = lost_phases
            for appliance in self.appliances:
                appliance.grid_ok = appliance.phase not in lost_phases

    def _apply_event(self, t_s, kind, data):
        if kind == EVENT_OCCUPANT:
            index, state = data
            self.occupant_states[index] = state
            self._count_occupants()
        elif kind == EVENT_WATER:
            litres, flow_l_per_h, use_c = data
            self._water_draws.append((t_s, t_s + litres * 3600.0 / flow_l_per_h,
                                      flow_l_per_h / 3600.0, use_c))
        elif kind == EVENT_HOB:
            if self.hob is not None:
                self.hob.start(data)
        elif kind == EVENT_EV_ARRIVE:
            if self.ev is not None:
                self.ev.arrive(data, self._next_departure_s())
        elif kind == EVENT_EV_DEPART:
            if self.ev is not None:
                self.ev.depart()
        else:
            self._start_appliance(kind, data)

    def _start_appliance(self, kind, data):
        appliance = self._by_kind.get(_STARTED_KINDS[kind])
        if appliance is None:
            return
        if data is None:
            appliance.start()
        else:
            appliance.start(data)

    def _count_occupants(self):
        self.cond.active = self.occupant_states.count(ACTIVE)
        self.at_home = len(self.occupant_states) - self.occupant_states.count(AWAY)

    def _plan_ahead(self, now_s):
        """Keep activity plans up to PLAN_AHEAD_DAYS plan days beyond the current one."""
        wanted_day = self.planner.plan_day_of(now_s) + PLAN_AHEAD_DAYS
        if wanted_day <= self._planned_day:
            return
        del self._queue[: self._next_event]
        self._next_event = 0
        while self._planned_day < wanted_day:
            self._planned_day += 1
            self._queue.extend(self.planner.plan_day(self._planned_day))
        self._plan_check_s = self._plan_day_start_s(self._planned_day - PLAN_AHEAD_DAYS + 1)
        if self.ev is not None and self.ev.plugged:
            self.ev.departure_s = self._next_departure_s()

    def _plan_day_start_s(self, day):
        return day * DAY_S + PLAN_DAY_START_S - self.utc_offset_s

    def _replay_occupancy_before(self, start_s):
        """Apply occupant transitions planned before `start_s`; drop other past activities."""
        queue = self._queue
        while self._next_event < len(queue) and queue[self._next_event][0] < start_s:
            _t_s, kind, data = queue[self._next_event]
            if kind == EVENT_OCCUPANT:
                self.occupant_states[data[0]] = data[1]
            self._next_event += 1
        self._count_occupants()

    def _next_departure_s(self):
        """Next planned EV departure, or the end of the planned horizon when none is planned."""
        for index in range(self._next_event, len(self._queue)):
            if self._queue[index][1] == EVENT_EV_DEPART:
                return self._queue[index][0]
        return self._plan_day_start_s(self._planned_day + 1)


def _phasor(index):
    """Nominal phase voltage phasor (re, im) of L1, L2, L3 at 0, -120 and +120 degrees."""
    half_sqrt3 = math.sqrt(3.0) / 2.0
    return (
        (NOMINAL_PHASE_V, 0.0),
        (-NOMINAL_PHASE_V / 2.0, -NOMINAL_PHASE_V * half_sqrt3),
        (-NOMINAL_PHASE_V / 2.0, NOMINAL_PHASE_V * half_sqrt3),
    )[index]


def simulate_trace(seed, days, step_s=60, start_ts=DEFAULT_START_TS, controllable=None,
                   config=None):
    """Uncontrolled run for benchmarks.

    Returns {"t_s": [...], "total_w": [...], "appliance_w": {name: [...]}} with one entry per step;
    `controllable` names the appliances whose power is listed (default: all yellow and green).
    """
    home = Household(seed, start_ts, config)
    if controllable is None:
        controllable = [a.name for a in home.appliances if a.priority != "red"]
    tracked = [home.appliance(name) for name in controllable]
    times = []
    totals = []
    per_appliance = [[] for _ in tracked]
    now_s = start_ts
    for _ in range(int(days * DAY_S // step_s)):
        home.step(now_s, step_s)
        times.append(now_s)
        totals.append(home.power_w)
        for index, appliance in enumerate(tracked):
            per_appliance[index].append(appliance.power)
        now_s += step_s
    appliance_w = {}
    for index, name in enumerate(controllable):
        appliance_w[name] = per_appliance[index]
    return {"t_s": times, "total_w": totals, "appliance_w": appliance_w}
