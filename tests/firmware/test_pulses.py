"""Pulse inputs under MicroPython: debounce of a bouncing contact, glitches, line supervision."""

from mpy_run import run_mpy


def test_bouncing_contact_counts_every_pulse_and_no_glitch():
    result = run_mpy("pulse_inputs.py")
    assert result["counted_no_poll"] == result["pulses"]  # edges alone suffice
    assert result["counted_poll_5ms"] == result["pulses"]
    assert result["glitches_counted"] == 0


def test_line_supervision_and_magnet_need_three_equal_samples():
    result = run_mpy("pulse_inputs.py")
    open_circuit, short_circuit, magnetic = result["flags"]
    assert result["flag_trace"] == [
        0, 0, 0, open_circuit, open_circuit, open_circuit, open_circuit,
        short_circuit, short_circuit, short_circuit, magnetic, magnetic, magnetic, 0,
    ]  # fmt: skip
