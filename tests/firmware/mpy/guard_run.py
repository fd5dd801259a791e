"""The DLM guard against a household-like load, second by second. Prints JSON of the trace.

Outputs: 0 red 3 kW, 1 and 2 yellow 2 kW (max_off 600 s, min_on 300 s), 3 green 3 kW,
4 green 1 kW; 2 kW of other load; limit 7 kW. The host sends heartbeats for 60 s, goes silent
for 2 h (timeout 30 s), then comes back.
"""

import json

from bhub.guard import MODE_HUB, Guard
from bhub.outputs import CLOSED, Output, OutputBank


class Clock:
    def __init__(self):
        self.now = 0.0

    def monotonic(self):
        return self.now


class Coil:
    def value(self, level):
        pass


RATED = (3000, 2000, 2000, 3000, 1000)
PRIORITY = (0, 1, 1, 2, 2)
BASE_W = 2000


def main():
    clock = Clock()
    changes = []
    bank = OutputBank(
        [Output(str(i), Coil()) for i in range(5)],
        clock,
        lambda i, state, cause: changes.append((clock.now, i, state, cause)),
    )
    bank.boot()
    changes.clear()
    guard = Guard(bank, clock)
    policy = {
        "policy_id": 9,
        "limit_w": 7000,
        "meter_node": 0,
        "meter_channel": 1,
        "meter_imp_per_kwh": 1000,
        "heartbeat_timeout_s": 30,
        "outputs": [
            {
                "node_id": 0,
                "output": i,
                "priority": PRIORITY[i],
                "max_off_s": 600 if PRIORITY[i] == 1 else 0,
                "min_on_s": 300 if PRIORITY[i] == 1 else 0,
                "rated_w": RATED[i],
            }
            for i in range(5)
        ],
    }
    status = guard.set_policy(policy)
    modes, over_limit_s = [], 0
    silent_from, silent_to, end = 60, 60 + 7200, 60 + 7200 + 600
    for second in range(end):
        clock.now = float(second)
        host_alive = second < silent_from or second >= silent_to
        if host_alive and second % 10 == 0 and guard.heartbeat(9):
            modes.append((second, "host"))
        power = BASE_W + sum(RATED[i] for i in range(5) if bank.state(i) == CLOSED)
        if guard.step(power):
            modes.append((second, "hub" if guard.mode == MODE_HUB else "host"))
        if power > policy["limit_w"] and guard.mode == MODE_HUB and second > silent_from + 120:
            over_limit_s += 1
    print(
        json.dumps(
            {
                "status": status,
                "changes": changes,
                "modes": modes,
                "over_limit_s": over_limit_s,
                "silent": [silent_from, silent_to],
            }
        )
    )


main()
