"""Firmware benchmark: prints ONE JSON line with pulse_events_per_s, flash_bytes_per_hour
(bench/firmware/pulse_bench.py), frames_routed_per_s, peak_heap_bytes (radio_bench.py) and
air_command_latency_p95_s, node_battery_years, meter_node_battery_years (air_bench.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def last_json_line(command: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True, timeout=600)  # fmt: skip
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    """Run the firmware benches under MicroPython and print their figures."""
    env = dict(os.environ, MICROPYPATH=f"{ROOT / 'hub_firmware'}:.frozen")
    micropython = str(ROOT / ".venv/bin/micropython")
    with tempfile.TemporaryDirectory() as state_dir:
        results = last_json_line([micropython, str(HERE / "pulse_bench.py"), state_dir], env)
    with tempfile.TemporaryDirectory() as state_dir:
        air = last_json_line([micropython, str(HERE / "air_bench.py"), state_dir], env)
    radio = last_json_line([sys.executable, str(HERE / "radio_bench.py")])
    results.update((key, radio[key]) for key in ("frames_routed_per_s", "peak_heap_bytes"))
    results.update(air)
    for key, value in results.items():
        print(f"{key:26s} {value:>12,}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
