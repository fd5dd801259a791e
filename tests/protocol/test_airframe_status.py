"""Both air decoders (CPython, MicroPython) refuse reports with reserved status bits."""

from __future__ import annotations

import sys

from .conftest import MPY_DIR, ROOT, run_micropython

sys.path.insert(0, str(ROOT / "hub_firmware"))

from bhub.radio import airframe

VALID_STATUS = [channels | low for low in (0, airframe.STATUS_BATTERY_LOW) for channels in range(4)]


def _accepted_statuses() -> list[int]:
    packet = bytearray(airframe.encode_report(7, 1, [10, 20, 30], 3600))
    accepted = []
    for status in range(256):
        packet[13] = status
        if airframe.OpenAirDecoder().decode(bytes(packet)) is not None:
            accepted.append(status)
    return accepted


def test_only_channel_count_and_battery_bits_decode() -> None:
    """Of the 256 status bytes only the 8 without reserved bits give a report."""
    assert _accepted_statuses() == sorted(VALID_STATUS)


def test_micropython_rejects_the_same_statuses() -> None:
    """The firmware decoder, run by the real MicroPython, accepts exactly the same set."""
    assert run_micropython(MPY_DIR / "airframe_status.py") == sorted(VALID_STATUS)
