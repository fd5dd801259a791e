"""Pulse rates under the real MicroPython: radio node channels and wired inputs report the same
estimate as before the per-channel state moved into arrays (bhub.pulses.RateTable)."""

from mpy_run import run_mpy


def test_node_and_wired_rates(tmp_path):
    steps = run_mpy("node_rates.py", tmp_path)
    assert steps["first"] == {"node": [0, 0, 0], "wired": [0]}
    assert steps["pulses"] == {"node": [1_000_000, 0, 0], "wired": [1_000_000]}
    assert steps["decay"] == {"node": [360_000, 0, 0], "wired": [360_000]}
    # Channel 3 counted 10 pulses across the u32 wrap in 56 s: 5.6 s each.
    assert steps["wrap"]["node"] == [180_000, 0, 642_857]
    # Channel 1 went back to 3 (new epoch): ignored, its estimate decays from its last pulse (30 s
    # ago); channel 3 last pulsed 10 s ago.
    assert steps["restart"]["node"] == [3_600_000 // 30, 0, 3_600_000 // 10]
    assert steps["silent"] == {"node": [0, 0, 0], "wired": [0]}
