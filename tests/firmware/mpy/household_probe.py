"""Household experiments printed as one JSON line; runs unchanged under MicroPython and CPython.

Usage: household_probe.py <experiment> [seed] [days]. `sim` must be importable (MICROPYPATH or
PYTHONPATH pointing at hub_firmware). Keys are printed sorted so outputs compare byte for byte.
"""

import json
import struct
import sys

from sim import DEFAULT_START_TS, Household, builtin_scenario_path, load_scenario

HOUR = 3600
STEP = 60


def float_bits(value):
    return struct.pack("<d", value).hex()


def run(home, start_s, hours, before_step=None, after_step=None):
    t_s = start_s
    for _ in range(int(hours * HOUR // STEP)):
        if before_step:
            before_step(t_s)
        home.step(t_s, STEP)
        if after_step:
            after_step(t_s)
        t_s += STEP
    return t_s


def checksum(seed, days):
    """Energy totals and a 32-bit checksum of the per-step power trace."""
    home = Household(seed)
    digest = [0x811C9DC5]

    def fold(_t_s):
        value = int(home.power_w * 1000.0) & 0xFFFFFFFF
        digest[0] = ((digest[0] ^ value) * 0x01000193) & 0xFFFFFFFF

    run(home, DEFAULT_START_TS, days * 24, after_step=fold)
    return {
        "checksum": digest[0],
        "energy_bits": float_bits(home.energy_wh),
        "water_bits": float_bits(home.water_l),
        "gas_bits": float_bits(home.gas_m3),
        "heat_bits": float_bits(home.heat_wh),
        "energy_wh": home.energy_wh,
    }


def daily_profile(seed, days):
    """Energy per day (kWh) and mean power per local hour of day (W)."""
    home = Household(seed)
    daily = [0.0] * days
    hourly = [0.0] * 24
    index = [0]

    def collect(_t_s):
        step = index[0]
        daily[step // 1440] += home.power_w * STEP / 3600000.0
        hourly[(step // 60) % 24] += home.power_w / (60 * days)
        index[0] += 1

    run(home, DEFAULT_START_TS, days * 24, after_step=collect)
    return {"daily_kwh": daily, "hourly_w": hourly}


def boiler(seed, _days):
    """Single worker household: boiler unpowered 05:00-12:00 on Monday, then powered again."""
    home = Household(seed, config={"occupants": ["worker"]})
    tank = home.appliance("boiler")
    shed_power = [0.0]

    def track(_t_s):
        shed_power[0] = max(shed_power[0], tank.power)

    t_s = run(home, DEFAULT_START_TS, 5)
    shed_start_c = tank.tank_c
    tank.set_supply(False)
    t_s = run(home, t_s, 4, after_step=track)
    nine_c = tank.tank_c
    t_s = run(home, t_s, 3, after_step=track)
    noon_c = tank.tank_c
    tank.set_supply(True)
    energy_before_wh = home.energy_wh
    run(home, t_s, 2)
    return {
        "shed_start_c": shed_start_c,
        "nine_c": nine_c,
        "noon_c": noon_c,
        "recovered_c": tank.tank_c,
        "max_power_while_shed_w": shed_power[0],
        "energy_after_restore_wh": home.energy_wh - energy_before_wh,
    }


def ev(seed, days):
    """EV over `days`: never shed, shed every night 16:00-09:00 local, and limited to 3 kW."""
    results = {}
    for mode in ("free", "shed", "limited"):
        home = Household(seed)
        car = home.appliance("ev_charger")
        peak = [0.0]
        if mode == "limited":
            car.set_power_limit(3000.0)

        def control(t_s, home=home, car=car, mode=mode):
            hour = ((t_s + home.utc_offset_s) // HOUR) % 24
            if mode == "shed":
                car.set_supply(not (hour >= 16 or hour < 9))

        def observe(_t_s, car=car, peak=peak):
            peak[0] = max(peak[0], car.power)

        run(home, DEFAULT_START_TS, days * 24, before_step=control, after_step=observe)
        results[mode + "_departures"] = car.departures
        results[mode + "_shortfall_wh"] = car.total_shortfall_wh
        results[mode + "_peak_w"] = peak[0]
    return results


def washer(seed, _days):
    """First washing programme run as is, and with a 45 min supply cut 20 min after its start."""
    results = {}
    for cut in (False, True):
        home = Household(seed)
        machine = home.appliance("washing_machine")
        marks = {"start": None, "done": None, "held_remaining": [], "held_power": 0.0}
        energy = [0.0]

        def control(t_s, machine=machine, marks=marks, cut=cut):
            if marks["start"] is None and machine.running:
                marks["start"] = t_s
            if cut and marks["start"] is not None:
                machine.set_supply(not (marks["start"] + 1200 <= t_s < marks["start"] + 3900))

        def observe(t_s, machine=machine, marks=marks, energy=energy):
            energy[0] += machine.power * STEP / 3600.0
            if not machine.supplied:
                marks["held_remaining"].append(machine.remaining_s())
                marks["held_power"] = max(marks["held_power"], machine.power)
            if marks["done"] is None and machine.completed:
                marks["done"] = t_s

        run(home, DEFAULT_START_TS, 96, before_step=control, after_step=observe)
        name = "cut_" if cut else "plain_"
        results[name + "duration_s"] = marks["done"] - marks["start"]
        results[name + "energy_wh"] = energy[0]
        results[name + "interruptions"] = machine.interruptions
        if cut:
            held = marks["held_remaining"]
            results["held_steps"] = len(held)
            results["held_remaining_constant"] = min(held) == max(held)
            results["held_power_w"] = marks["held_power"]
    return results


def leak(_seed, days):
    """leak.json: minimum flow after the leak starts, and count of dry steps before it."""
    scenario = load_scenario(builtin_scenario_path("leak"))
    home = Household.from_scenario(scenario)
    leak_start = scenario.timeline.events[0].start_s
    stats = {"dry_before": 0, "min_flow_after": 1e9, "steps_after": 0}

    def observe(t_s):
        if t_s < leak_start:
            stats["dry_before"] += home.water_l_per_h == 0.0
        else:
            stats["min_flow_after"] = min(stats["min_flow_after"], home.water_l_per_h)
            stats["steps_after"] += 1

    run(home, scenario.start_ts, days * 24, after_step=observe)
    return stats


def fridge(seed, _days):
    """Fridge unpowered for 2 h from 10:00, then 1 h of normal supply."""
    home = Household(seed)
    unit = home.appliance("fridge")
    t_s = run(home, DEFAULT_START_TS, 10)
    before_c = unit.cabinet_c
    unit.set_supply(False)
    t_s = run(home, t_s, 2)
    warm_c = unit.cabinet_c
    unit.set_supply(True)
    home.step(t_s, STEP)
    restarted = unit.compressor_on
    run(home, t_s + STEP, 1)
    return {
        "before_c": before_c,
        "warm_c": warm_c,
        "restarted": restarted,
        "after_c": unit.cabinet_c,
        "band_top_c": unit.setpoint_c + unit.band_k,
    }


def faults(_seed, _days):
    """faults.json for one day: L2 power while L2 is lost, voltages during the neutral fault."""
    scenario = load_scenario(builtin_scenario_path("faults"))
    home = Household.from_scenario(scenario)
    stats = {"l2_power_while_lost_w": 0.0, "kinds_seen": [], "neutral_fault_voltages": None}

    def observe(t_s):
        hours = (t_s - scenario.start_ts) / HOUR
        for event in home.events_at(t_s):
            if event.kind not in stats["kinds_seen"]:
                stats["kinds_seen"].append(event.kind)
        if 19.0 <= hours < 19.5:
            stats["l2_power_while_lost_w"] = max(
                stats["l2_power_while_lost_w"], home.phase_power_w[1]
            )
        if hours == 20.0:
            readings = home.phase_voltages_v()
            readings.append(home.neutral_voltage_v())
            stats["neutral_fault_voltages"] = readings

    run(home, scenario.start_ts, 24, after_step=observe)
    stats["energy_bits"] = float_bits(home.energy_wh)
    return stats


EXPERIMENTS = {
    "checksum": checksum,
    "daily_profile": daily_profile,
    "boiler": boiler,
    "ev": ev,
    "washer": washer,
    "leak": leak,
    "fridge": fridge,
    "faults": faults,
}


def main(argv):
    experiment = EXPERIMENTS[argv[1]]
    seed = int(argv[2]) if len(argv) > 2 else 1
    days = int(argv[3]) if len(argv) > 3 else 1
    result = experiment(seed, days)
    print(json.dumps([[key, result[key]] for key in sorted(result)]))


main(sys.argv)
