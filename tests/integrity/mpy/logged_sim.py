"""The sim board (boards/sim.py) over TCP, logging what the hub counted: the truth of the
power-cut tests. A line per hub start (boot number, counts resumed from) and per 10 s step
(counts now); a kill may cut the last line short.

    micropython logged_sim.py LOG_PATH <boards.sim options>
"""

import asyncio
import json
import sys
import time

from boards import sim


class LoggedBoard(sim.SimBoard):
    log = None

    def _write(self, record):
        record["unix"] = int(self.clock.unix())
        self.log.write(json.dumps(record) + "\n")
        self.log.flush()

    def _power_up(self):
        super()._power_up()
        self._write(
            {
                "boot": self.hub.boot,
                "epoch": self.hub.epoch,
                "resumed": {str(k): v for k, v in self.hub.boot_counts.items()},
            }
        )

    def _step(self, dt):
        super()._step(dt)  # pulses delivered, then the hub's tick (which may flush)
        if self.hub is not None:
            self._write({"counts": {str(c.channel): c.count for c in self.hub.channels}})


def main(log_path, argv):
    options = sim.parse_args(argv)
    LoggedBoard.log = open(log_path, "a")  # noqa: SIM115 - open for the process's life
    start = int(options["start-time"]) if options["start-time"] else int(time.time())
    sim._makedirs(options["state-dir"])
    board = LoggedBoard(
        options["scenario"],
        start,
        options["state-dir"],
        options["hub-id"],
        int(options["flush-interval"]),
    )
    asyncio.run(sim.serve(board, options))


main(sys.argv[1], sys.argv[2:])
