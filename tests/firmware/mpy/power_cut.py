"""Run the sim board and print the hub's counts every step until killed, or restore and print.

power_cut.py run STATE_DIR      one JSON line per 10 s step: counts now, counts last flushed
power_cut.py restore STATE_DIR  JSON of the counts and epoch the hub boots with
power_cut.py reboot STATE_DIR   run 2 h, stop the hub orderly (soft reboot), boot it again
"""

import json
import sys

from boards.sim import SimBoard

SCENARIO = "hub_firmware/sim/scenarios/default.json"
START = 1768168800  # Monday 2026-01-12 00:00 local


def counts(hub):
    return {str(c.channel): c.count for c in hub.channels}


def main(mode, state_dir):
    board = SimBoard(SCENARIO, START + 18 * 3600, state_dir, flush_interval_s=60)
    hub = board.hub
    if mode == "restore":
        print(json.dumps({"counts": counts(hub), "epoch": hub.epoch}))
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
