"""Fixtures of the firmware tests: the real MicroPython binary and a running sim hub."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # simhub uses the integration's codec (custom_components)
    sys.path.insert(0, str(ROOT))

from mpy_run import MICROPYTHON  # noqa: E402
from simhub import SimHub, free_port  # noqa: E402

FIRMWARE = ROOT / "hub_firmware"
DEFAULT_SCENARIO = FIRMWARE / "sim" / "scenarios" / "default.json"


@pytest.fixture
def start_sim(tmp_path: Path, socket_enabled: None) -> Iterator[type[SimHub]]:
    """Factory for sim hubs in a per-test state directory; stops them all afterwards.

    `socket_enabled` lifts pytest-socket's block (installed with the HA test harness).
    """
    started: list[SimHub] = []

    def start(*options: str, state_dir: Path | None = None) -> SimHub:
        hub = SimHub(MICROPYTHON, FIRMWARE, DEFAULT_SCENARIO,
                     state_dir=state_dir or tmp_path / "state", port=free_port(),
                     options=options)  # fmt: skip
        started.append(hub)
        return hub

    yield start  # type: ignore[misc]
    for hub in started:
        hub.stop()
