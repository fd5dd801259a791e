#!/usr/bin/env python3
"""Run the sim hub with its serial link on a pseudo-terminal, like a USB-serial hub.

    scripts/sim_hub.py [sim options...]   e.g. --scenario hub_firmware/sim/scenarios/default.json

MicroPython cannot open a pty, so this starts `micropython -m boards.sim --serial-stdio ...`
and relays bytes between the pty master and the process's stdin/stdout; the protocol itself
stays in MicroPython. Prints the device path to give Home Assistant (e.g. /dev/pts/5), then runs
until interrupted or the sim exits.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import tty
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MICROPYTHON = ROOT / ".venv" / "bin" / "micropython"


def main(argv: list[str]) -> int:
    """Relay between a new pty and the sim board until either side ends."""
    # SIGTERM must unwind through `finally` so the sim board is stopped with the relay.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    master, slave = os.openpty()
    tty.setraw(slave)  # binary frames: no echo, no line editing, no CR/LF translation
    print(os.ttyname(slave), flush=True)
    env = dict(os.environ, MICROPYPATH=f"{ROOT / 'hub_firmware'}:.frozen")
    sim = subprocess.Popen([str(MICROPYTHON), "-m", "boards.sim", "--serial-stdio", *argv],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)  # fmt: skip
    assert sim.stdin is not None and sim.stdout is not None
    relay = {master: sim.stdin.fileno(), sim.stdout.fileno(): master}
    selector = selectors.DefaultSelector()
    for source in relay:
        selector.register(source, selectors.EVENT_READ)
    try:
        while sim.poll() is None:
            for key, _ in selector.select(timeout=0.5):
                try:
                    data = os.read(key.fd, 4096)
                except OSError:  # no host has the pty open yet
                    data = b""
                if data:
                    os.write(relay[key.fd], data)
                elif key.fd != master:
                    return sim.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sim.terminate()
        sim.wait()
    return sim.returncode or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
