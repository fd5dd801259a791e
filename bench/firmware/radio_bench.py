"""Radio routing benchmark: frames routed per second and peak heap with the full node table.

Under MicroPython it fills a 240-node / 720-channel NodeTable through the Router (each round
every node reports once, half of the frames also arrive again through a relay) and times
Router.handle. Under CPython it re-runs itself with `micropython -X heapsize=100K`, the
hub's heap budget. The last stdout line is {"frames_routed_per_s": ..., "peak_heap_bytes": ...};
the line before it has the details. peak_heap_bytes is the largest live heap (gc.mem_alloc()
right after gc.collect()) sampled after every round: modules, table, router and leftovers.
"""

import json
import sys

NODES = 240
CHANNELS = 3
ROUNDS = 20
REPORT_INTERVAL_S = 300
HEAP_SIZE = "100K"


def measure(rounds=ROUNDS):
    """Run the benchmark in this (MicroPython) interpreter; (details dict, result dict)."""
    import gc
    import time

    from bhub.nodes import NodeTable
    from bhub.radio import airframe
    from bhub.radio.router import Router

    gc.collect()
    before_table = gc.mem_alloc()
    decoder = airframe.OpenAirDecoder()
    router = Router(NodeTable(NODES, NODES * CHANNELS), decoder)
    gc.collect()
    table_bytes = gc.mem_alloc() - before_table
    peak = gc.mem_alloc()
    handled = 0
    busy_us = 0
    now = 1_700_000_000
    for round_no in range(rounds):
        for node in range(NODES):
            node_id = 0x10000000 + node * 7919
            counts = [round_no * 10 + node, round_no * 5, round_no]
            packet = airframe.encode_report(node_id, round_no, counts, 3600, hops=node % 4)
            copies = (packet, decoder.relayed(packet, 1)) if node % 2 else (packet,)
            for copy in copies:
                start = time.ticks_us()
                router.handle(copy, -70, now)
                busy_us += time.ticks_diff(time.ticks_us(), start)
                handled += 1
        now += REPORT_INTERVAL_S
        gc.collect()
        peak = max(peak, gc.mem_alloc())
    table = router.table
    details = {
        "nodes": len(table),
        "channels": table.channel_total(),
        "frames_handled": handled,
        "frames_handled_per_s": round(handled * 1_000_000 / busy_us),
        "table_bytes": table_bytes,
        "heap_free_bytes": gc.mem_free(),
        "router": router.stats(),
    }
    result = {
        "frames_routed_per_s": round(router.frames_routed * 1_000_000 / busy_us),
        "peak_heap_bytes": peak,
    }
    return details, result


def run_under_micropython():
    """CPython entry: run this file with the repository's MicroPython and the hub heap size."""
    import os
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [str(root / ".venv" / "bin" / "micropython"), "-X", f"heapsize={HEAP_SIZE}", __file__],
        env=dict(os.environ, MICROPYPATH=f".frozen:{root / 'hub_firmware'}"),
        capture_output=True, text=True, check=True, timeout=600,
    )  # fmt: skip
    sys.stdout.write(done.stdout)


if __name__ == "__main__":
    if sys.implementation.name == "micropython":
        details, result = measure()
        print(json.dumps(details))
        print(json.dumps(result))
    else:
        run_under_micropython()
