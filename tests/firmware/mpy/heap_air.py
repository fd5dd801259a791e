# Live heap of AirCommands with 240 paired radio nodes (each paired by a real JOIN frame).
import gc
import json
import os
import sys

from bhub.aircmd import AirCommands
from bhub.clock import SimClock
from bhub.radio import airsec

STATE = sys.argv[1] if len(sys.argv) > 1 else "/tmp"
NODES = 240


def key(node_id):
    return bytes((node_id + i) & 0xFF for i in range(16))


codes = {0x10000000 + n: key(n) for n in range(NODES)}  # the provisioning list (in flash)
sent = []
air = AirCommands(
    SimClock(0),
    lambda packet, wake: sent.append(len(packet)),
    STATE + "/air.bin",
    codes,
    os.urandom,
)
joins = [airsec.encode(airsec.KIND_JOIN, codes[n], n, 1, 1, b"abcd", 1) for n in codes]
gc.collect()
before = gc.mem_alloc()
for join in joins:
    air.handle(join)
gc.collect()
after = gc.mem_alloc()
print(
    json.dumps(
        {
            "paired": len(air.paired()),
            "accepts": len(sent),
            "bytes_per_node": (after - before) / NODES,
        }
    )
)
