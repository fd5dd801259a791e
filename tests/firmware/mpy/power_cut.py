"""Run the sim board and print the hub's counts every step until killed, or restore and print.

power_cut.py run STATE_DIR      one JSON line per 10 s step: counts now, counts last flushed
power_cut.py restore STATE_DIR  JSON of the counts, epoch and boot the hub boots with
power_cut.py reboot STATE_DIR   run 2 h, stop the hub orderly (soft reboot), boot it again
power_cut.py archive STATE_DIR  run across a full hour, lose power 5 s later, boot again
"""

import json
import sys

from bhub.archive import HOUR_S
from boards.sim import SimBoard

SCENARIO = "hub_firmware/sim/scenarios/default.json"
START = 1768168800  # Monday 2026-01-12 00:00 local


def counts(hub):
    return {str(c.channel): c.count for c in hub.channels}


def main(mode, state_dir):
    start = START + 18 * 3600 + (25 if mode == "archive" else 0)
    board = SimBoard(SCENARIO, start, state_dir, flush_interval_s=60)
    hub = board.hub
    if mode == "restore":
        resumed = {str(k): v for k, v in hub.boot_counts.items()}
        print(
            json.dumps(
                {"counts": counts(hub), "epoch": hub.epoch, "boot": hub.boot, "resumed": resumed}
            )
        )
    elif mode == "archive":  # started at 18:00:25: periodic flushes at hh:mm:25
        board.advance(HOUR_S - 25 - 10)
        board.advance(20)  # archived at 19:00:00, power lost at 19:00:10
        column = hub.archive.column(0, 1)
        hour = hub.archive.last_hour * HOUR_S
        archived = next(hub.archive.chunks(column, hour, hour + HOUR_S))[2][0]
        after = SimBoard(SCENARIO, START + 19 * 3600 + 10, state_dir).hub  # no orderly stop
        print(
            json.dumps(
                {
                    "archived": archived,
                    "resumed": after.boot_counts[1],
                    "counted": hub.channels[0].count,
                }
            )
        )
    elif mode == "reboot":
        board.advance(7200)
        before = counts(hub)
        board.stop()
        after = SimBoard(SCENARIO, START, state_dir).hub
        print(
            json.dumps(
                {"before": before, "after": counts(after), "same_epoch": after.epoch == hub.epoch}
            )
        )
    else:
        print(json.dumps({"epoch": hub.epoch}))
        while True:
            board.advance(10)
            saved = {str(k): v for k, v in hub.store.saved.items()}
            print(json.dumps({"counts": counts(hub), "flushed": saved}))


main(sys.argv[1], sys.argv[2])
