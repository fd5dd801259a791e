# Pulse rates of radio node channels and wired inputs as COUNTERS report them, with the hub's
# per-channel state in arrays (bhub.pulses.RateTable). argv: state directory. Prints one JSON
# line: the reported rate_mph of each step.
import json
import sys

from bhub.clock import SimClock
from bhub.hub import Hub
from bhub.nodes import NodeTable
from bhub.pulses import PulseChannel

START = 1_764_000_000
NODE = 0x10000001


class Counter:
    count = 0

    def poll(self, now_us):
        pass


class Recorder:
    def __init__(self):
        self.counters = {}

    def send_named(self, name, **fields):
        if name == "counters":
            self.counters[fields["node_id"]] = [r["rate_mph"] for r in fields["readings"]]


clock = SimClock(START)
table = NodeTable(4, 12)
wired = Counter()
hub = Hub("RATES", clock, [PulseChannel(1, 1, wired)], [], sys.argv[1], table)
hub.start()
recorder = Recorder()
steps = {}


def step(name, seconds, counts=None, wired_count=None, epoch=1):
    clock.advance(seconds)
    if counts is not None:
        table.update(NODE, counts, 3500, -70, 1, 0, int(clock.unix()), (0,) * len(counts), epoch)
    if wired_count is not None:
        wired.count = wired_count
    hub.tick()
    hub._send_counters(recorder, 0)
    hub._send_counters(recorder, NODE)
    steps[name] = {"node": recorder.counters[NODE], "wired": recorder.counters[0]}


step("first", 0, [100, 5, 0xFFFFFFFB], 7)  # first sample of every channel: no rate yet
step("pulses", 36, [110, 5, 0xFFFFFFFB], 17)  # 10 pulses in 36 s: 3.6 s each = 1,000,000 mph
step("decay", 10, wired_count=17)  # no pulse for 10 s: as if the next came now (360,000)
step("wrap", 10, [110, 5, 5], 17)  # channel 3 passes 2**32: 10 pulses in 56 s
step("restart", 10, [3, 5, 5], 17, epoch=2)  # channel 1 restarted: ignored until it passes 110
step("silent", 601, [3, 5, 5], 17, epoch=2)  # over RATE_WINDOW_S without a pulse: 0
print(json.dumps(steps))
