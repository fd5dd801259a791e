"""Simulated household appliances with supply (contactor) control.

Every appliance has `name`, `kind`, `priority` (default hint "red" | "yellow" | "green", see the
product brief), `rated_w`, `phase` ("L1" | "L2" | "L3") and:

* `set_supply(on)` - the contactor; while open (or while its phase is lost, `grid_ok` False) the
  appliance draws 0 W and its internal state reacts (thermal loads drift, programmes hold).
* `step(now_s, dt_s, cond)` - advance from `now_s` to `now_s + dt_s`; called by the household.
* `power_w()` - mean electrical power over the last step, W.
* `room_heat_w()` - heat released into the dwelling over the last step, W.
* `state()` - dict of the observable state (tank temperature, EV energy needed, ...).

Appliances that use water or gas also report `water_l` (litres from the water main during the last
step) or `gas_m3` (gas burnt during the last step). Numbers and their sources:
docs/household-model.md.
"""

PRIORITIES = ("red", "yellow", "green")
PHASES = ("L1", "L2", "L3")
WATER_HEAT_CAPACITY_J_PER_L_K = 4186.0
GAS_KWH_PER_M3 = 10.55


class Conditions:
    """What the household tells its appliances at each step (filled in by Household).

    local_s: seconds since local midnight; weekend: Saturday or Sunday; dark: before sunrise or
    after sunset; outdoor_c / indoor_c: temperatures; active: occupants awake at home.
    """

    def __init__(self):
        self.local_s = 0
        self.weekend = False
        self.dark = True
        self.outdoor_c = 0.0
        self.indoor_c = 20.0
        self.active = 0


class Appliance:
    """Base class: supply state, power bookkeeping and common state."""

    kind = "appliance"
    room_heat_fraction = 1.0

    def __init__(self, name, rated_w, priority, phase):
        if priority not in PRIORITIES:
            raise ValueError("priority must be one of %s: %r" % (PRIORITIES, priority))
        if phase not in PHASES:
            raise ValueError("phase must be one of %s: %r" % (PHASES, phase))
        self.name = name
        self.rated_w = float(rated_w)
        self.priority = priority
        self.phase = phase
        self.supplied = True
        self.grid_ok = True
        self.power = 0.0

    def set_supply(self, on):
        """Close (True) or open (False) the appliance's contactor."""
        self.supplied = bool(on)

    def has_power(self):
        """True when the contactor is closed and the phase carries voltage."""
        return self.supplied and self.grid_ok

    def power_w(self):
        return self.power

    def room_heat_w(self):
        return self.power * self.room_heat_fraction

    def step(self, now_s, dt_s, cond):
        raise NotImplementedError

    def state(self):
        return {
            "name": self.name,
            "kind": self.kind,
            "priority": self.priority,
            "phase": self.phase,
            "supplied": self.supplied,
            "power_w": self.power,
        }


class Standby(Appliance):
    """Always-on base load: router, clocks, appliances on standby."""

    kind = "standby"

    def __init__(self, name="standby", rated_w=35.0, priority="red", phase="L1"):
        super().__init__(name, rated_w, priority, phase)

    def step(self, now_s, dt_s, cond):
        self.power = self.rated_w if self.has_power() else 0.0


class Media(Appliance):
    """TV in the evening (and weekend late mornings) plus a computer per active occupant (max 2)."""

    kind = "media"

    def __init__(self, name="media", rated_w=250.0, priority="red", phase="L1", tv_w=90.0,
                 computer_w=55.0):
        super().__init__(name, rated_w, priority, phase)
        self.tv_w = tv_w
        self.computer_w = computer_w

    def step(self, now_s, dt_s, cond):
        watts = 0.0
        if cond.active and self.has_power():
            hour = cond.local_s // 3600
            if hour >= 18 or (cond.weekend and 10 <= hour < 13):
                watts = self.tv_w
            watts += self.computer_w * min(cond.active, 2)
        self.power = watts


class Lighting(Appliance):
    """Lights follow active occupants: a base room plus one room per active occupant when dark."""

    kind = "lighting"

    def __init__(self, name="lighting", rated_w=300.0, priority="red", phase="L1",
                 per_active_w=45.0, base_w=25.0, daylight_fraction=0.1):
        super().__init__(name, rated_w, priority, phase)
        self.per_active_w = per_active_w
        self.base_w = base_w
        self.daylight_fraction = daylight_fraction

    def step(self, now_s, dt_s, cond):
        watts = 0.0
        if cond.active and self.has_power():
            watts = self.base_w + self.per_active_w * cond.active
            if not cond.dark:
                watts *= self.daylight_fraction
        self.power = min(watts, self.rated_w)


class Fridge(Appliance):
    """Fridge-freezer: cabinet temperature with a hysteresis thermostat and compressor protection.

    The cabinet warms towards room temperature (faster while occupants are active: door openings)
    and the running compressor removes `cooling_k_per_h`. Unpowered, it only warms; on power
    return the compressor restarts once the cabinet is above the band and `min_off_s` has passed.
    """

    kind = "fridge"

    def __init__(self, name="fridge", rated_w=110.0, priority="yellow", phase="L1",
                 setpoint_c=4.0, band_k=1.0, warm_time_constant_h=12.0, cooling_k_per_h=4.0,
                 min_off_s=300, rng=None):
        super().__init__(name, rated_w, priority, phase)
        spread = rng.uniform(0.9, 1.1) if rng else 1.0
        self.setpoint_c = setpoint_c
        self.band_k = band_k
        self.min_off_s = min_off_s
        self._warming_per_s = 1.0 / (warm_time_constant_h * 3600.0 * spread)
        self._cooling_k_per_s = cooling_k_per_h * spread / 3600.0
        self.cabinet_c = setpoint_c + (rng.uniform(-band_k, band_k) if rng else 0.0)
        self.compressor_on = False
        self._stopped_s = -min_off_s

    def step(self, now_s, dt_s, cond):
        powered = self.has_power()
        if self.compressor_on:
            if not powered or self.cabinet_c <= self.setpoint_c - self.band_k:
                self.compressor_on = False
                self._stopped_s = now_s
        elif (powered and self.cabinet_c >= self.setpoint_c + self.band_k
              and now_s - self._stopped_s >= self.min_off_s):
            self.compressor_on = True
        self.power = self.rated_w if self.compressor_on else 0.0
        cooling = self._cooling_k_per_s if self.compressor_on else 0.0
        warming = (cond.indoor_c - self.cabinet_c) * self._warming_per_s * (1.0 + 0.1 * cond.active)
        self.cabinet_c += (warming - cooling) * dt_s

    def state(self):
        state = super().state()
        state["cabinet_c"] = self.cabinet_c
        state["compressor_on"] = self.compressor_on
        return state


class ElectricBoiler(Appliance):
    """Storage water heater with an ideally stratified tank (thermocline model).

    The tank holds `hot_l` litres at `hot_c` above cold mains water. Draws take hot water from
    the top (cold water enters below); the bottom element turns cold water into hot, and once the
    tank is full raises `hot_c` to `setpoint_c`. Standby losses cool the hot zone. The thermostat
    (sensor at `sensor_height` of the tank) starts heating when the thermocline passes it or the
    water has cooled by `hysteresis_k`, and stops when the tank is full at the setpoint.
    """

    kind = "boiler"

    def __init__(self, name="boiler", rated_w=2000.0, priority="yellow", phase="L1",
                 volume_l=80.0, setpoint_c=60.0, hysteresis_k=6.0, loss_w_per_k=1.4,
                 sensor_height=0.3, cold_c=8.0, rng=None):
        super().__init__(name, rated_w, priority, phase)
        self.volume_l = volume_l
        self.setpoint_c = setpoint_c
        self.hysteresis_k = hysteresis_k
        self.loss_w_per_k = loss_w_per_k
        self.sensor_l = volume_l * (1.0 - sensor_height)
        self.cold_c = cold_c
        self.hot_c = setpoint_c - (rng.uniform(0.0, hysteresis_k) if rng else 0.0)
        self.hot_l = volume_l
        self.heating = False
        self.loss_w = 0.0
        self.lukewarm_l = 0.0

    @property
    def tank_c(self):
        """Mean tank temperature."""
        return self.cold_c + (self.hot_c - self.cold_c) * self.hot_l / self.volume_l

    @property
    def outlet_c(self):
        """Temperature at the hot outlet (top of the tank)."""
        return self.hot_c if self.hot_l > 0.0 else self.cold_c

    def draw_hot_water(self, mixed_l, use_c):
        """Deliver `mixed_l` litres at `use_c` by mixing tank and cold water; return hot litres.

        Litres that cannot reach `use_c` (tank exhausted or too cool) add to `lukewarm_l`.
        """
        if self.hot_c > use_c:
            wanted_l = mixed_l * (use_c - self.cold_c) / (self.hot_c - self.cold_c)
            hot_l = min(wanted_l, self.hot_l)
            self.lukewarm_l += mixed_l * (wanted_l - hot_l) / wanted_l
        else:
            hot_l = min(mixed_l, self.hot_l)
            self.lukewarm_l += mixed_l
        self.hot_l -= hot_l
        return hot_l

    def step(self, now_s, dt_s, cond):
        if self.hot_l <= self.sensor_l or self.hot_c <= self.setpoint_c - self.hysteresis_k:
            self.heating = True
        elif self.hot_l >= self.volume_l and self.hot_c >= self.setpoint_c:
            self.heating = False
        self.loss_w = self.loss_w_per_k * (self.hot_c - cond.indoor_c) * self.hot_l / self.volume_l
        power = 0.0
        if self.heating and self.has_power():
            missing_k_l = ((self.volume_l - self.hot_l) * (self.hot_c - self.cold_c)
                           + self.volume_l * (self.setpoint_c - self.hot_c))
            missing_j = missing_k_l * WATER_HEAT_CAPACITY_J_PER_L_K
            power = min(self.rated_w, missing_j / dt_s + self.loss_w)
        self.power = power
        if self.hot_l > 0.0:
            self.hot_c -= self.loss_w * dt_s / (self.hot_l * WATER_HEAT_CAPACITY_J_PER_L_K)
        self._heat(power * dt_s)

    def _heat(self, energy_j):
        """Turn cold water into hot water at `hot_c`; once full, raise `hot_c`."""
        if energy_j <= 0.0:
            return
        if self.hot_l <= 0.0:
            self.hot_c = self.setpoint_c
        per_litre_j = (self.hot_c - self.cold_c) * WATER_HEAT_CAPACITY_J_PER_L_K
        added_l = energy_j / per_litre_j
        if self.hot_l + added_l <= self.volume_l:
            self.hot_l += added_l
            return
        energy_j -= (self.volume_l - self.hot_l) * per_litre_j
        self.hot_l = self.volume_l
        self.hot_c += energy_j / (self.volume_l * WATER_HEAT_CAPACITY_J_PER_L_K)

    def room_heat_w(self):
        return self.loss_w

    def state(self):
        state = super().state()
        state["tank_c"] = self.tank_c
        state["outlet_c"] = self.outlet_c
        state["hot_l"] = self.hot_l
        state["heating"] = self.heating
        state["lukewarm_l"] = self.lukewarm_l
        return state


class HeatPump(Appliance):
    """Air-to-air heat pump (split air conditioner in heating mode) for the living area.

    Runs while someone is awake at home and the room is below `comfort_c` (hysteresis
    `hysteresis_k`), with a `min_off_s` restart delay. Heat output = electrical power x COP, and
    COP = cop_at_0c + cop_slope_per_k x outdoor temperature (floored at 1.5).
    """

    kind = "heat_pump"
    room_heat_fraction = 0.0

    def __init__(self, name="heat_pump", rated_w=1000.0, priority="yellow", phase="L1",
                 comfort_c=21.0, hysteresis_k=0.5, min_off_s=180, cop_at_0c=2.9,
                 cop_slope_per_k=0.07):
        super().__init__(name, rated_w, priority, phase)
        self.comfort_c = comfort_c
        self.hysteresis_k = hysteresis_k
        self.min_off_s = min_off_s
        self.cop_at_0c = cop_at_0c
        self.cop_slope_per_k = cop_slope_per_k
        self.running = False
        self.heat_w = 0.0
        self._stopped_s = -min_off_s

    def cop(self, outdoor_c):
        return max(1.5, self.cop_at_0c + self.cop_slope_per_k * outdoor_c)

    def step(self, now_s, dt_s, cond):
        wanted = cond.active > 0 and self.has_power()
        if self.running:
            if not wanted or cond.indoor_c >= self.comfort_c:
                self.running = False
                self._stopped_s = now_s
        elif (wanted and cond.indoor_c < self.comfort_c - self.hysteresis_k
              and now_s - self._stopped_s >= self.min_off_s):
            self.running = True
        self.power = self.rated_w if self.running else 0.0
        self.heat_w = self.power * self.cop(cond.outdoor_c)

    def room_heat_w(self):
        return self.heat_w

    def state(self):
        state = super().state()
        state["running"] = self.running
        state["heat_w"] = self.heat_w
        return state


class Kettle(Appliance):
    """Boils for the requested time; unpowered it waits (its switch stays on) and resumes."""

    kind = "kettle"

    def __init__(self, name="kettle", rated_w=2000.0, priority="yellow", phase="L1"):
        super().__init__(name, rated_w, priority, phase)
        self.remaining_s = 0.0

    def start(self, duration_s):
        if self.remaining_s <= 0.0:
            self.remaining_s = float(duration_s)

    def step(self, now_s, dt_s, cond):
        power = 0.0
        if self.remaining_s > 0.0 and self.has_power():
            heating_s = min(dt_s, self.remaining_s)
            self.remaining_s -= heating_s
            power = self.rated_w * heating_s / dt_s
        self.power = power

    def state(self):
        state = super().state()
        state["remaining_s"] = self.remaining_s
        return state


class Hob(Appliance):
    """Electric hob session: full power for `boil_s`, then `simmer_level`; time passes unpowered."""

    kind = "hob"

    def __init__(self, name="hob", rated_w=2000.0, priority="red", phase="L1", boil_s=300,
                 simmer_level=0.45):
        super().__init__(name, rated_w, priority, phase)
        self.boil_s = boil_s
        self.simmer_level = simmer_level
        self.session_s = 0.0
        self.remaining_s = 0.0

    def start(self, duration_s):
        self.session_s = float(duration_s)
        self.remaining_s = float(duration_s)

    def _level_fraction(self, dt_s):
        """Mean burner level over this step (0 when idle) and advance the session."""
        if self.remaining_s <= 0.0:
            return 0.0
        cooking_s = min(dt_s, self.remaining_s)
        boiling = self.session_s - self.remaining_s < self.boil_s
        self.remaining_s -= cooking_s
        return (1.0 if boiling else self.simmer_level) * cooking_s / dt_s

    def step(self, now_s, dt_s, cond):
        level = self._level_fraction(dt_s)
        self.power = self.rated_w * level if self.has_power() else 0.0

    def state(self):
        state = super().state()
        state["remaining_s"] = self.remaining_s
        return state


class GasHob(Hob):
    """Gas hob: same sessions as the electric hob, burning gas (counted by the gas meter)."""

    kind = "gas_hob"

    def __init__(self, name="gas_hob", rated_w=0.0, priority="red", phase="L1", burner_w=4000.0,
                 boil_s=300, simmer_level=0.45):
        super().__init__(name, rated_w, priority, phase, boil_s, simmer_level)
        self.burner_w = burner_w
        self.gas_m3 = 0.0

    def step(self, now_s, dt_s, cond):
        level = self._level_fraction(dt_s)
        self.power = 0.0
        self.gas_m3 = self.burner_w * level * dt_s / 3600.0 / 1000.0 / GAS_KWH_PER_M3

    def room_heat_w(self):
        return 0.0


class Oven(Appliance):
    """Electric oven: preheat at full power, then thermostat cycling `on_s` every `period_s`."""

    kind = "oven"

    def __init__(self, name="oven", rated_w=2200.0, priority="yellow", phase="L1",
                 preheat_s=600, on_s=120, period_s=300):
        super().__init__(name, rated_w, priority, phase)
        self.preheat_s = preheat_s
        self.on_s = on_s
        self.period_s = period_s
        self.elapsed_s = 0.0
        self.remaining_s = 0.0

    def start(self, duration_s):
        self.elapsed_s = 0.0
        self.remaining_s = float(duration_s)

    def step(self, now_s, dt_s, cond):
        power = 0.0
        if self.remaining_s > 0.0:
            since_preheat = self.elapsed_s - self.preheat_s
            heating = since_preheat < 0 or since_preheat % self.period_s < self.on_s
            cooking_s = min(dt_s, self.remaining_s)
            if heating and self.has_power():
                power = self.rated_w * cooking_s / dt_s
            self.elapsed_s += cooking_s
            self.remaining_s -= cooking_s
        self.power = power

    def state(self):
        state = super().state()
        state["remaining_s"] = self.remaining_s
        return state


class ProgrammeAppliance(Appliance):
    """Runs a fixed programme of phases (label, power_w, duration_s, water_l).

    Unpowered, the programme holds where it is (`interruptions` counts each hold) and resumes
    when power returns; water of a phase is drawn evenly over the phase.
    """

    room_heat_fraction = 0.3

    def __init__(self, name, rated_w, priority, phase, programme):
        super().__init__(name, rated_w, priority, phase)
        self.programme = programme
        self.running = False
        self.phase_index = 0
        self.phase_remaining_s = 0.0
        self.starts = 0
        self.completed = 0
        self.interruptions = 0
        self.water_l = 0.0
        self._held = False

    def start(self):
        """Start the programme (ignored while one is running)."""
        if not self.running:
            self.running = True
            self.phase_index = 0
            self.phase_remaining_s = float(self.programme[0][2])
            self.starts += 1

    def remaining_s(self):
        """Programme time left, excluding holds."""
        if not self.running:
            return 0.0
        later = 0.0
        for index in range(self.phase_index + 1, len(self.programme)):
            later += self.programme[index][2]
        return self.phase_remaining_s + later

    def step(self, now_s, dt_s, cond):
        self.power = 0.0
        self.water_l = 0.0
        if not self.running:
            return
        if not self.has_power():
            if not self._held:
                self._held = True
                self.interruptions += 1
            return
        self._held = False
        budget_s = dt_s
        energy_j = 0.0
        while budget_s > 0 and self.running:
            _label, power_w, duration_s, water_l = self.programme[self.phase_index]
            run_s = min(budget_s, self.phase_remaining_s)
            energy_j += power_w * run_s
            self.water_l += water_l * run_s / duration_s
            self.phase_remaining_s -= run_s
            budget_s -= run_s
            if self.phase_remaining_s <= 0.0:
                self._next_phase()
        self.power = energy_j / dt_s

    def _next_phase(self):
        self.phase_index += 1
        if self.phase_index < len(self.programme):
            self.phase_remaining_s = float(self.programme[self.phase_index][2])
        else:
            self.running = False
            self.phase_index = 0
            self.completed += 1

    def state(self):
        state = super().state()
        state["running"] = self.running
        state["phase_name"] = self.programme[self.phase_index][0] if self.running else None
        state["remaining_s"] = self.remaining_s()
        state["completed"] = self.completed
        state["interruptions"] = self.interruptions
        return state


# 40 °C cotton: 14 L heated by 30 K (0.49 kWh) plus drum and motor; ~0.66 kWh, 38 L, 84 min.
WASHING_PROGRAMME = (
    ("fill", 10.0, 240, 14.0),
    ("heat", 2000.0, 900, 0.0),
    ("wash", 120.0, 2100, 0.0),
    ("rinse 1", 80.0, 600, 12.0),
    ("rinse 2", 80.0, 600, 12.0),
    ("spin", 350.0, 600, 0.0),
)

# 55-65 °C normal: two heating phases, ~0.98 kWh, 10.5 L, 115 min.
DISHWASHER_PROGRAMME = (
    ("prewash", 60.0, 600, 3.0),
    ("heat wash", 1800.0, 1080, 4.0),
    ("main wash", 60.0, 1500, 0.0),
    ("rinse", 60.0, 600, 3.5),
    ("heat rinse", 1800.0, 720, 0.0),
    ("dry", 10.0, 1800, 0.0),
)


class WashingMachine(ProgrammeAppliance):
    kind = "washing_machine"

    def __init__(self, name="washing_machine", rated_w=2000.0, priority="green", phase="L1",
                 programme=WASHING_PROGRAMME):
        super().__init__(name, rated_w, priority, phase, programme)


class Dishwasher(ProgrammeAppliance):
    kind = "dishwasher"

    def __init__(self, name="dishwasher", rated_w=1800.0, priority="green", phase="L1",
                 programme=DISHWASHER_PROGRAMME):
        super().__init__(name, rated_w, priority, phase, programme)


class EvCharger(Appliance):
    """Wallbox and car: charges while plugged, powered and below `target_soc`.

    The car leaves at `departure_s` (set by the household's plan on arrival; None while away or
    unknown) and comes back having used `trip_km x kwh_per_km`. At each departure the energy still
    missing is recorded (`last_shortfall_wh`, `total_shortfall_wh`). `set_power_limit(w)` models
    current limiting; below `min_charge_w` (6 A) the charger pauses.
    """

    kind = "ev_charger"
    room_heat_fraction = 0.0

    def __init__(self, name="ev_charger", rated_w=7400.0, priority="green", phase="L1",
                 battery_kwh=60.0, target_soc=0.8, efficiency=0.9, kwh_per_km=0.17,
                 min_charge_w=1380.0, rng=None):
        super().__init__(name, rated_w, priority, phase)
        self.capacity_wh = battery_kwh * 1000.0
        self.target_wh = self.capacity_wh * target_soc
        self.efficiency = efficiency
        self.kwh_per_km = kwh_per_km
        self.min_charge_w = min_charge_w
        initial_gap = rng.uniform(0.05, 0.2) if rng else 0.1
        self.battery_wh = self.capacity_wh * (target_soc - initial_gap)
        self.plugged = True
        self.departure_s = None
        self.power_limit_w = None
        self.departures = 0
        self.last_shortfall_wh = 0.0
        self.total_shortfall_wh = 0.0

    def energy_needed_wh(self):
        """Battery energy still missing to reach the target state of charge, Wh."""
        return max(0.0, self.target_wh - self.battery_wh)

    def set_power_limit(self, watts):
        """Limit the charging power (None removes the limit)."""
        self.power_limit_w = watts

    def arrive(self, trip_km, departure_s):
        """The car is back from a `trip_km` trip and is plugged in until `departure_s`."""
        used_wh = trip_km * self.kwh_per_km * 1000.0
        self.battery_wh = max(0.05 * self.capacity_wh, self.battery_wh - used_wh)
        self.plugged = True
        self.departure_s = departure_s

    def depart(self):
        """The car is unplugged and leaves; the energy still missing is recorded."""
        if not self.plugged:
            return
        self.last_shortfall_wh = self.energy_needed_wh()
        self.total_shortfall_wh += self.last_shortfall_wh
        self.departures += 1
        self.plugged = False
        self.departure_s = None

    def step(self, now_s, dt_s, cond):
        power = 0.0
        needed_wh = self.energy_needed_wh()
        if self.plugged and needed_wh > 0.0 and self.has_power():
            power = self.rated_w
            if self.power_limit_w is not None:
                power = min(power, self.power_limit_w)
            if power < self.min_charge_w:
                power = 0.0
            stored_wh = power * self.efficiency * dt_s / 3600.0
            if stored_wh >= needed_wh:
                power = needed_wh / self.efficiency * 3600.0 / dt_s
                self.battery_wh = self.target_wh
            else:
                self.battery_wh += stored_wh
        self.power = power

    def state(self):
        state = super().state()
        state["plugged"] = self.plugged
        state["departure_s"] = self.departure_s
        state["soc"] = self.battery_wh / self.capacity_wh
        state["energy_needed_wh"] = self.energy_needed_wh()
        state["last_shortfall_wh"] = self.last_shortfall_wh
        return state


APPLIANCE_TYPES = {
    "standby": Standby,
    "media": Media,
    "lighting": Lighting,
    "fridge": Fridge,
    "boiler": ElectricBoiler,
    "heat_pump": HeatPump,
    "kettle": Kettle,
    "hob": Hob,
    "gas_hob": GasHob,
    "oven": Oven,
    "washing_machine": WashingMachine,
    "dishwasher": Dishwasher,
    "ev_charger": EvCharger,
}
RANDOMISED_TYPES = ("fridge", "boiler", "ev_charger")


def make_appliance(spec, rng):
    """Build an appliance from a spec dict {"type": ..., "name": ..., other constructor args}."""
    options = dict(spec)
    kind = options.pop("type", None)
    if kind not in APPLIANCE_TYPES:
        raise ValueError("unknown appliance type %r" % (kind,))
    if kind in RANDOMISED_TYPES:
        options["rng"] = rng
    return APPLIANCE_TYPES[kind](**options)
