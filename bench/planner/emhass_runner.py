"""Solve planner problems with EMHASS (run inside the EMHASS venv): JSON lines in, JSON out.

Input (stdin): {"problems": [{"name", "dt_h", "prices", "cap_kw", "loads": [...]}]}, each load
{"kind": "continuous"|"min_power"|"sequence", "nominal_w", "energy_wh", "min_w", "profile_w",
"start", "end"}. Output (stdout, last line): {"name": {"powers_w": [[...]], "ms": float,
"status": str}}. Grid limit = cap: base load is set to (H - cap) under a grid maximum H.
"""

from __future__ import annotations

import asyncio
import json
import logging
import pathlib
import sys
import time

import numpy as np
import pandas as pd
from emhass import utils
from emhass.optimization import Optimization

LOG = logging.getLogger("emhass-bench")
LOG.setLevel(logging.ERROR)


async def _base_params(step_min: int) -> tuple[dict, dict, dict, dict]:
    root = pathlib.Path(utils.__file__).parent
    emhass_conf = {
        "data_path": pathlib.Path("/tmp"),
        "root_path": root,
        "defaults_path": root / "data" / "config_defaults.json",
        "associations_path": root / "data" / "associations.csv",
    }
    config = await utils.build_config(emhass_conf, LOG, str(emhass_conf["defaults_path"]))
    config["optimization_time_step"] = step_min
    params = await utils.build_params(emhass_conf, {}, config, LOG)
    rh, oc, pc = utils.get_yaml_parse(params, LOG)
    return emhass_conf, rh, oc, pc


def solve(problem: dict, confs: tuple[dict, dict, dict, dict]) -> dict:
    emhass_conf, rh, oc, pc = (dict(c) for c in confs)
    n = len(problem["prices"])
    dt_h = problem["dt_h"]
    loads = problem["loads"]
    k = len(loads)
    head_w = max(problem["cap_kw"]) * 1000.0 + 1000.0
    oc.update(
        {
            "number_of_deferrable_loads": k,
            "nominal_power_of_deferrable_loads": [
                x["profile_w"] if x["kind"] == "sequence" else x["nominal_w"] for x in loads
            ],
            "minimum_power_of_deferrable_loads": [x.get("min_w", 0.0) for x in loads],
            "operating_hours_of_each_deferrable_load": [
                0 if x["kind"] == "sequence" else x["energy_wh"] / x["nominal_w"] for x in loads
            ],
            "start_timesteps_of_each_deferrable_load": [x["start"] for x in loads],
            "end_timesteps_of_each_deferrable_load": [x["end"] for x in loads],
            "treat_deferrable_load_as_semi_cont": [False] * k,
            "set_deferrable_load_single_constant": [False] * k,
            "set_deferrable_startup_penalty": [0.0] * k,
            "def_minimum_on_time": [0] * k,
            "def_minimum_off_time": [0] * k,
            "set_deferrable_max_startups": [0] * k,
            "cost_forecast_per_deferrable_load": [None] * k,
            "deferrable_load_max_cost": [0.0] * k,
            "set_use_battery": False,
            "set_use_pv": False,
            "set_total_pv_sell": False,
            "delta_forecast_daily": pd.Timedelta(hours=n * dt_h),
        }
    )
    pc["maximum_power_from_grid"] = head_w
    pc["maximum_power_to_grid"] = 0.0
    rh["optimization_time_step"] = pd.to_timedelta(round(dt_h * 60), "minutes")
    index = pd.date_range("2026-01-05", periods=n, freq=f"{round(dt_h * 60)}min", tz="UTC")
    prices = np.array(problem["prices"], dtype=float)
    data = pd.DataFrame({"unit_load_cost": prices, "unit_prod_price": np.zeros(n)}, index=index)
    p_load = np.array([head_w - c * 1000.0 for c in problem["cap_kw"]])
    started, cpu = time.perf_counter(), time.process_time()
    opt = Optimization(
        rh,
        oc,
        pc,
        "unit_load_cost",
        "unit_prod_price",
        "cost",
        emhass_conf,
        LOG,
        opt_time_delta=round(n * dt_h),
        num_timesteps=n,
    )
    out = opt.perform_optimization(
        data,
        np.zeros(n),
        p_load,
        prices,
        np.zeros(n),
    )
    ms = (time.perf_counter() - started) * 1000.0
    cpu_ms = (time.process_time() - cpu) * 1000.0
    powers = [out[f"P_deferrable{j}"].to_numpy().tolist() for j in range(k)]
    status = str(getattr(opt, "optim_status", "unknown"))
    return {"powers_w": powers, "ms": ms, "cpu_ms": cpu_ms, "status": status}


def main() -> None:
    payload = json.loads(sys.stdin.read())
    cache: dict[int, tuple[dict, dict, dict, dict]] = {}
    results = {}
    for problem in payload["problems"]:
        step = round(problem["dt_h"] * 60)
        if step not in cache:
            cache[step] = asyncio.run(_base_params(step))
        try:
            results[problem["name"]] = solve(problem, cache[step])
        except Exception as err:
            results[problem["name"]] = {"error": f"{type(err).__name__}: {err}"}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
