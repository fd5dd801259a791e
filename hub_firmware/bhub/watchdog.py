"""Watchdog: machine.WDT on the ESP32, a recording stand-in on the sim board (same interface)."""

import time


class HardwareWatchdog:
    """machine.WDT: resets the chip unless fed within `timeout_ms`; cannot be stopped once made."""

    def __init__(self, timeout_ms):
        from machine import WDT  # only on hardware

        self.timeout_ms = timeout_ms
        self._wdt = WDT(timeout=timeout_ms)

    def feed(self):
        self._wdt.feed()


class SimWatchdog:
    """Records feeds so the sim can assert the main loop keeps feeding in time.

    `starved` is True once two feeds (or creation and the first feed, or the last feed and now)
    were further apart than `timeout_ms`: the moment real hardware would have reset.
    `ticks_ms` is the clock (time.ticks_ms by default; the sim may inject its simulated clock).
    """

    def __init__(self, timeout_ms, ticks_ms=None):
        self.timeout_ms = timeout_ms
        self._ticks_ms = ticks_ms or time.ticks_ms
        self.feeds = 0
        self.longest_gap_ms = 0
        self._last_feed_ms = self._ticks_ms()

    def feed(self):
        now = self._ticks_ms()
        self.longest_gap_ms = max(self.longest_gap_ms, time.ticks_diff(now, self._last_feed_ms))
        self._last_feed_ms = now
        self.feeds += 1

    @property
    def starved(self):
        since_last = time.ticks_diff(self._ticks_ms(), self._last_feed_ms)
        return max(self.longest_gap_ms, since_last) > self.timeout_ms
