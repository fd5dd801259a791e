"""The full node table (240 nodes, 720 channels) and the router fit the hub's 100 KB heap.

Runs bench/firmware/radio_bench.py under `micropython -X heapsize=100K`; it reports the peak
live heap (gc.mem_alloc() after gc.collect(), sampled every round).
"""

import json
import subprocess

from mpy_run import MICROPYTHON, ROOT, mpy_env

HEAP_BYTES = 100 * 1024


def test_full_table_and_router_fit_100k_heap():
    done = subprocess.run(
        [str(MICROPYTHON), "-X", "heapsize=100K", str(ROOT / "bench/firmware/radio_bench.py")],
        env=mpy_env(),
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    details_line, result_line = done.stdout.strip().splitlines()[-2:]
    details, result = json.loads(details_line), json.loads(result_line)
    print(f"peak live heap {result['peak_heap_bytes']} B, table {details['table_bytes']} B")
    assert details["nodes"] == 240
    assert details["channels"] == 720
    assert details["router"]["table_full"] == 0
    assert details["router"]["duplicate"] > 0
    assert result["peak_heap_bytes"] < HEAP_BYTES // 2
    assert result["frames_routed_per_s"] > 0
