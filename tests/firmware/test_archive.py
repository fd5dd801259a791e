"""Hourly archive ring buffer under MicroPython: wrap, range queries, epochs, frame runs."""

from mpy_run import run_mpy


def test_ring_buffer_wraps_and_serves_ranges(tmp_path):
    for sub in ("ring", "big", "sizing"):
        (tmp_path / sub).mkdir()
    result = run_mpy("archive_ring.py", tmp_path)
    missing = result["missing"]
    # capacity 24 h, newest hour 60: hours before 37 were overwritten
    assert result["wrapped"] == [[30, 1, [missing] * 7 + [370, 380, 390]]]
    hours_40_60 = [h * 10 for h in range(40, 61)]
    hours_40_60[5] = missing  # hour 45 was never recorded
    assert result["recent_a"] == [[40, 1, hours_40_60]]
    assert result["recent_b"] == [[46, 7, [46, 47, 48, 49]], [50, 8, [50, 51, 52]]]
    assert result["late_column"] == [[58, 1, [missing, missing, 5]]]
    assert result["reopened_columns"] == [[0, 1], [1001, 2], [0, 2]]
    assert result["reopened_a"] == [[59, 1, [590, 600]]]
    assert result["big_runs"] == [[0, 480], [480, 480], [960, 40]]
    assert result["record_size"] == 4 + 6 * 48
