"""Run a script under the real MicroPython unix port with the hub firmware on its path."""

import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MICROPYTHON = ROOT / ".venv" / "bin" / "micropython"
MPY_SCRIPTS = Path(__file__).resolve().parent / "mpy"


def mpy_env():
    """Environment whose MICROPYPATH has the frozen stdlib (asyncio), the firmware and mpy/."""
    return dict(os.environ, MICROPYPATH=f".frozen:{ROOT / 'hub_firmware'}:{MPY_SCRIPTS}")


def run_mpy(script, *args, heap=None, timeout=120):
    """Run tests/firmware/mpy/`script` and return its last stdout line parsed as JSON."""
    command = [str(MICROPYTHON)]
    if heap:
        command += ["-X", f"heapsize={heap}"]
    command += [str(MPY_SCRIPTS / script), *map(str, args)]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, env=mpy_env(), check=False
    )
    assert done.returncode == 0, done.stderr + done.stdout
    return json.loads(done.stdout.strip().splitlines()[-1])
