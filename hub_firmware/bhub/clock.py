"""Time sources for the hub: wall-clock unix seconds plus a monotonic clock.

All hub logic reads time through a clock object so the host sim can run it faster than real time.
Link keepalive timers deliberately use real ticks instead (see bhub/link.py).
"""

import time

_TICKS_STEP = 1 << 28  # largest increment ticks_add accepts on every port
_EPOCH_OFFSET = 946684800 if time.gmtime(0)[0] == 2000 else 0  # ports with a 2000 epoch


class RealClock:
    """The board's RTC; `set_unix` (TIME_SYNC) moves wall time, never `monotonic`."""

    def __init__(self):
        self._offset = 0
        self._mono_s = 0.0
        self._last_ticks = time.ticks_ms()

    def unix(self):
        return time.time() + _EPOCH_OFFSET + self._offset

    def set_unix(self, unix_time):
        self._offset = unix_time - time.time() - _EPOCH_OFFSET

    def ticks_us(self):
        return time.ticks_us()

    def monotonic(self):
        """Seconds since boot; survives ticks_ms wrap-around if read at least every few days."""
        ticks = time.ticks_ms()
        self._mono_s += time.ticks_diff(ticks, self._last_ticks) / 1000
        self._last_ticks = ticks
        return self._mono_s


class SimClock:
    """Simulated time starting at `start` unix seconds; only `advance` moves it.

    `ticks_us()` are simulated microsecond ticks, comparable with time.ticks_diff.
    """

    def __init__(self, start):
        self._now = float(start)
        self._offset = 0.0
        self._ticks = 0

    def advance(self, seconds):
        self._now += seconds
        micros = int(seconds * 1_000_000)
        while micros > 0:
            step = min(micros, _TICKS_STEP)
            self._ticks = time.ticks_add(self._ticks, step)
            micros -= step

    def ticks_us(self):
        return self._ticks

    def unix(self):
        return self._now + self._offset

    def set_unix(self, unix_time):
        self._offset = unix_time - self._now

    def monotonic(self):
        return self._now
