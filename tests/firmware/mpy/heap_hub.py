# A hub with the full node table (240 radio nodes, 720 channels) serving TCP on 127.0.0.1.
# argv: port, base64 key, seconds to run, state directory. Every node reports again before each
# push (0.5 s), so every push carries all 240 nodes. Prints "ready", then at the end one JSON line
# with the live heap (gc.mem_alloc() right after gc.collect()): taken by the imported code, the
# node table, the hub's own state, the idle hub before the link opened, and the peak afterwards
# (sampled every 50 ms). The heap is measured before the other imports, hence E402.
# ruff: noqa: E402
import gc

gc.collect()
_start = gc.mem_alloc()

import asyncio
import json
import sys
import time
from binascii import a2b_base64

from bhub.clock import SimClock
from bhub.hub import Hub
from bhub.link import serve_tcp
from bhub.nodes import NodeTable
from bhub.outputs import Output
from bhub.pulses import PulseChannel

NODES = 240
START = 1_764_000_000


class Counter:
    count = 0

    def poll(self, now_us):
        pass


class Coil:
    def value(self, level):
        pass


def report_all(table, round_no):
    for node in range(NODES):
        table.update(0x10000000 + node, [round_no + node, round_no, node], 3500, -70, 1, 0,
                     START + round_no, (0, 0, 0), 1)  # fmt: skip


def live():
    gc.collect()
    return gc.mem_alloc()


async def main(port, psk, seconds, state_dir):
    code = live() - _start
    table = NodeTable(NODES, NODES * 3)
    report_all(table, 0)
    table_bytes = live() - _start - code
    channels = [PulseChannel(1, 1, Counter()), PulseChannel(2, 2, Counter())]
    outputs = [Output("out" + str(i), Coil()) for i in range(5)]
    hub = Hub("HEAP-HUB", SimClock(START), channels, outputs, state_dir, table)
    hub.start()
    hub.tick()  # every node seen once: the hub's per-node state exists
    idle = live()
    hub_bytes = idle - _start - code - table_bytes
    await serve_tcp(hub, "127.0.0.1", port, psk)
    print("ready")
    peak = 0
    end = time.ticks_add(time.ticks_ms(), seconds * 1000)
    round_no = 0
    while time.ticks_diff(end, time.ticks_ms()) > 0:
        for _ in range(10):
            await asyncio.sleep_ms(50)
            gc.collect()
            peak = max(peak, gc.mem_alloc())
        round_no += 1
        report_all(table, round_no)
        hub.tick()
        hub.push()
    gc.collect()
    result = {"code_bytes": code, "table_bytes": table_bytes, "hub_bytes": hub_bytes,
              "idle_heap_bytes": idle, "peak_heap_bytes": peak,
              "heap_bytes": gc.mem_alloc() + gc.mem_free(),
              "nodes": len(table), "channels": table.channel_total()}  # fmt: skip
    print(json.dumps(result))


asyncio.run(main(int(sys.argv[1]), a2b_base64(sys.argv[2]), int(sys.argv[3]), sys.argv[4]))
