"""MicroPython half of the firmware bench: pulse debounce throughput and flash writes per hour.

pulse_events_per_s: contact pulses (each with 3 bounces on both edges, 16 edge events) that the
    debounced counter processes per second of CPU on this machine.
flash_bytes_per_hour: bytes the sim hub writes to flash per simulated hour (counter flushes
    every 60 s plus the hourly archive record), measured over a simulated day.
"""

import json
import sys
import time

from bhub.pulses import DebouncedCounter
from boards.sim import BouncingContact, SimBoard

PULSES = 10_000
SPACING_US = 80_000
SIM_HOURS = 24


def pulse_events_per_s():
    counter = DebouncedCounter(now_us=0)
    contact = BouncingContact(counter)
    started = time.ticks_us()
    contact.emit(PULSES, 0, PULSES * SPACING_US)
    counter.poll(PULSES * SPACING_US)
    elapsed_us = time.ticks_diff(time.ticks_us(), started)
    assert counter.count == PULSES
    return PULSES * 1_000_000 // elapsed_us


def flash_bytes_per_hour(state_dir):
    board = SimBoard("hub_firmware/sim/scenarios/default.json", 1768168800, state_dir)
    hub = board.hub
    before = hub.store.bytes_written + hub.archive.bytes_written
    board.advance(SIM_HOURS * 3600)
    written = hub.store.bytes_written + hub.archive.bytes_written - before
    return written // SIM_HOURS


print(
    json.dumps(
        {
            "pulse_events_per_s": pulse_events_per_s(),
            "flash_bytes_per_hour": flash_bytes_per_hour(sys.argv[1]),
        }
    )
)
