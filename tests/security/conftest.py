"""Fixtures of the attack tests: the real MicroPython sim hub, and sockets on 127.0.0.1."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIRMWARE_TESTS = ROOT / "tests" / "firmware"
for path in (ROOT, FIRMWARE_TESTS):  # the sim hub helpers live with the firmware tests
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from mpy_run import MICROPYTHON  # noqa: E402
from simhub import SimHub, free_port  # noqa: E402

FIRMWARE = ROOT / "hub_firmware"
DEFAULT_SCENARIO = FIRMWARE / "sim" / "scenarios" / "default.json"


@pytest.fixture
def start_sim(tmp_path: Path, socket_enabled: None) -> Iterator[type[SimHub]]:
    """Factory for sim hubs in a per-test state directory; stops them all afterwards."""
    started: list[SimHub] = []

    def start(*options: str) -> SimHub:
        hub = SimHub(MICROPYTHON, FIRMWARE, DEFAULT_SCENARIO, state_dir=tmp_path / "state",
                     port=free_port(), options=options)  # fmt: skip
        started.append(hub)
        return hub

    yield start  # type: ignore[misc]
    for hub in started:
        hub.stop()
