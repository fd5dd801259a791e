"""Helpers shared by the protocol tests: the vectors and a MicroPython runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[2]
VECTOR_DIR = ROOT / "tests" / "vectors"
MPY_DIR = Path(__file__).parent / "mpy"
MICROPYTHON = str(Path(sys.executable).parent / "micropython")


def load_vectors() -> list[dict[str, Any]]:
    """Return every shared test vector, sorted by name."""
    return [json.loads(p.read_text()) for p in sorted(VECTOR_DIR.glob("*.json"))]


def run_micropython(script: Path, *args: str, heap: str = "4M", stdin: bytes | None = None) -> Any:
    """Run a script under the real MicroPython interpreter and return its JSON output."""
    env = {**os.environ, "MICROPYPATH": f"{ROOT / 'hub_firmware'}:.frozen"}
    result = subprocess.run(
        [MICROPYTHON, "-X", f"heapsize={heap}", str(script), *args],
        input=stdin,
        capture_output=True,
        env=env,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr.decode() + result.stdout.decode()[-2000:]
    return json.loads(result.stdout.decode().strip().splitlines()[-1])
