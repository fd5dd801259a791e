"""A sim hub (real firmware under MicroPython) that loses power at chosen moments, and the
truth of what it counted, from the log of tests/integrity/mpy/logged_sim.py."""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIRMWARE = ROOT / "hub_firmware"
MICROPYTHON = ROOT / ".venv" / "bin" / "micropython"
DRIVER = Path(__file__).resolve().parent / "mpy" / "logged_sim.py"
SCENARIO = FIRMWARE / "sim" / "scenarios" / "default.json"
SCENARIO_START = 1_768_168_800  # 2026-01-12 00:00 +02:00: the EV wallbox is charging
ELECTRICITY, WATER = 1, 2  # node 0 channels of the sim board


@dataclass
class Run:
    """One power-on period of the hub, as its log tells it."""

    boot: int
    epoch: int
    resumed: dict[int, int]
    last: dict[int, int]
    unix: int
    reported: dict[int, int] = field(default_factory=dict)
    """Last count per channel the receiver accepted during this run (filled by the test)."""


class PowerCutHub:
    """`logged_sim.py` on 127.0.0.1:`port`, state in `tmp_path`, sim clock continued across
    power cuts (each power-on starts the household's scenario again)."""

    def __init__(self, tmp_path: Path, port: int, *, speed: float = 60, push_s: float = 0.2,
                 flush_s: int = 60) -> None:  # fmt: skip
        self.port = port
        self.log = tmp_path / "truth.jsonl"
        self.stderr = tmp_path / "sim.log"
        self.state = tmp_path / "state"
        self.options = (
            *("--scenario", str(SCENARIO), "--tcp", f"127.0.0.1:{port}"),
            *("--state-dir", str(self.state), "--speed", str(speed)),
            *("--push-interval", str(push_s), "--flush-interval", str(flush_s)),
        )
        self.start_time = SCENARIO_START
        self.process: subprocess.Popen[bytes] | None = None

    def power_on(self, timeout: float = 20) -> None:
        """Start the hub and wait until it listens."""
        if self.log.exists() and not self.log.read_bytes().endswith(b"\n"):
            with self.log.open("a") as log:
                log.write("\n")  # the kill cut the last line short
        self.stderr.write_text("")
        env = dict(os.environ, MICROPYPATH=f".frozen:{FIRMWARE}")
        with self.stderr.open("w") as err:
            self.process = subprocess.Popen(
                [str(MICROPYTHON), str(DRIVER), str(self.log), *self.options,
                 "--start-time", str(self.start_time)],
                stdout=subprocess.DEVNULL, stderr=err, env=env,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while "sim: ready" not in self.stderr.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"sim hub did not start: {self.stderr.read_text()}")
            time.sleep(0.02)

    def power_cut(self) -> None:
        """SIGKILL: no orderly stop, whatever the firmware was doing."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()
        self.process = None
        runs = self.runs()
        self.start_time = runs[-1].unix + 1 if runs else self.start_time

    def runs(self) -> list[Run]:
        """Every power-on period so far."""
        runs: list[Run] = []
        for line in self.log.read_text().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue  # cut short by a kill
            if "boot" in record:
                resumed = {int(k): v for k, v in record["resumed"].items()}
                runs.append(Run(record["boot"], record["epoch"], resumed, dict(resumed),
                                record["unix"]))  # fmt: skip
            elif runs:
                runs[-1].last = {int(k): v for k, v in record["counts"].items()}
                runs[-1].unix = record["unix"]
        return runs


def counted(runs: list[Run], channel: int) -> int:
    """Pulses the hub counted on `channel` over all runs (what the household produced while
    the hub had power). A run's last flush may follow its last log line: the next run's
    resumed count shows it."""
    total = 0
    for i, run in enumerate(runs):
        end = run.last[channel]
        if i + 1 < len(runs):
            end = max(end, runs[i + 1].resumed[channel])
        total += end - run.resumed[channel]
    return total


def loss_bound(runs: list[Run], channel: int) -> int:
    """Pulses docs/protocol.md allows a receiver to lose: per run, those counted after the later
    of the last flush and the last report the receiver accepted (all of a run it got none of)."""
    bound = 0
    for i, run in enumerate(runs):
        flushed = runs[i + 1].resumed[channel] if i + 1 < len(runs) else None
        end = max(run.last[channel], flushed or 0)
        seen = run.reported.get(channel)
        if seen is None:
            bound += end - run.resumed[channel]
        else:
            bound += end - max(seen, flushed if flushed is not None else seen)
    return bound
