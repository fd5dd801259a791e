"""Pulse inputs of the hub: counting, debounce, rate, line supervision and magnetic tamper.

Two counting paths feed the same `PulseChannel`:
- `HardwareCounter` (machine.Counter, MicroPython >= 1.26, or esp32.PCNT) for electronic S0
  outputs, which do not bounce; the peripheral counts even while Python is busy.
- `DebouncedCounter` fed by a pin IRQ for mechanical contacts (reed switches). A level is accepted
  only after it stayed unchanged for `stable_us`, so contact bounce and short glitches (13 us
  spikes) are never counted, while a 30 ms pulse (S0 minimum, EN 62053-31) always is.
"""

import time
from array import array

from micropython import const

# ChannelFlag bits of docs/protocol.md (COUNTERS readings, NODE_INFO).
FLAG_OPEN_CIRCUIT = const(1)
FLAG_SHORT_CIRCUIT = const(2)
FLAG_MAGNETIC = const(4)

DEFAULT_STABLE_US = const(10_000)  # well under half of a 30 ms pulse, well over contact bounce
RATE_WINDOW_S = const(600)  # rate_mph is 0 when no pulse came for this long


class DebouncedCounter:
    """Counts pulses from (level, ticks_us) edge events of a bouncing contact.

    `edge` is IRQ-safe (no allocation). An edge event proves the previous raw level lasted until
    then, so counting never depends on how often `poll` runs; `poll` only makes it prompt.
    """

    def __init__(self, stable_us=DEFAULT_STABLE_US, active_level=1, idle_level=None, now_us=0):
        self.count = 0
        self._stable_us = stable_us
        self._active = active_level
        self._accepted = (1 - active_level) if idle_level is None else idle_level
        self._raw = self._accepted
        self._raw_since = now_us

    def edge(self, level, now_us):
        """The input was seen at `level` at `now_us` (pin IRQ, either edge)."""
        self._settle(now_us)
        self._raw = level
        self._raw_since = now_us

    def poll(self, now_us):
        """Accept the current raw level if it has been stable long enough."""
        self._settle(now_us)

    def _settle(self, now_us):
        if self._raw != self._accepted and time.ticks_diff(now_us, self._raw_since) >= self._stable_us:
            self._accepted = self._raw
            if self._raw == self._active:
                self.count += 1

    def attach(self, pin, trigger):
        """Count IRQs of `pin`; `trigger` is Pin.IRQ_RISING | Pin.IRQ_FALLING."""
        pin.irq(lambda p: self.edge(p.value(), time.ticks_us()), trigger)


class HardwareCounter:
    """Pulse count of a hardware counter peripheral, widened to an unbounded int.

    `read_raw` returns the peripheral's value; `raw_bits` is its width (16 for a bare PCNT unit,
    0 when the driver already extends it, like machine.Counter).
    """

    def __init__(self, read_raw, raw_bits=0):
        self._read_raw = read_raw
        self._mask = (1 << raw_bits) - 1 if raw_bits else 0
        self._last_raw = read_raw()
        self._count = 0

    @property
    def count(self):
        raw = self._read_raw()
        delta = raw - self._last_raw
        if self._mask:
            delta &= self._mask
        self._last_raw = raw
        self._count += delta
        return self._count

    def poll(self, now_us):
        pass


def hardware_counter(unit, pin_no, filter_ns=1_000):
    """A HardwareCounter (peripheral `unit`) on `pin_no` counting rising edges, or None
    without counter hardware."""
    try:
        from machine import Counter, Pin

        counter = Counter(unit, Pin(pin_no, Pin.IN), edge=Counter.RISING, filter_ns=filter_ns)
        return HardwareCounter(counter.value)
    except (ImportError, AttributeError, TypeError, ValueError):
        pass
    try:
        import esp32
        from machine import Pin

        pcnt = esp32.PCNT(unit, pin=Pin(pin_no, Pin.IN), rising=esp32.PCNT.INCREMENT,
                          filter=1023)
        pcnt.start()
        return HardwareCounter(pcnt.value, raw_bits=16)
    except (ImportError, AttributeError, TypeError, ValueError):
        return None


# Float arrays hold what the port's float holds: doubles on the unix port, singles on the ESP32.
_FLOAT, _FLOAT_BYTES = ("d", 8) if float("1.000000001") != 1.0 else ("f", 4)
_U32 = 0xFFFFFFFF
_U32_HALF = 0x7FFFFFFF  # a step up to this is forward, a larger one backward (serial arithmetic)


class RateTable:
    """Pulse rates of `size` channels in milli-pulses per hour, from the interval between each
    channel's last two pulses, in preallocated arrays (no allocation per channel or update).

    Between pulses the estimate decays as if the next pulse were about to come, so a load that
    stops is seen falling instead of frozen; after RATE_WINDOW_S without a pulse it is 0. Counts
    are u32 and may wrap; a count behind the last one (a restarted counter) is ignored until it
    passes it.
    """

    def __init__(self, size):
        self._seen = bytearray(size)
        self._last_count = array("I", bytes(4 * size))
        zeros = bytes(_FLOAT_BYTES * size)  # one initialiser for both float arrays
        self._last_time = array(_FLOAT, zeros)
        self._interval = array(_FLOAT, zeros)

    def update(self, index, count, now):
        count &= _U32
        if not self._seen[index]:
            self._seen[index] = 1
            self._last_count[index], self._last_time[index] = count, now
            return
        pulses = (count - self._last_count[index]) & _U32
        if 0 < pulses <= _U32_HALF:
            self._interval[index] = (now - self._last_time[index]) / pulses
            self._last_count[index], self._last_time[index] = count, now

    def rate_mph(self, index, now):
        interval = self._interval[index]
        if not interval:
            return 0
        since = now - self._last_time[index]
        if since > RATE_WINDOW_S:
            return 0
        interval = max(interval, since)
        return int(3_600_000 / interval) if interval > 0 else 0


# Line supervision of an opto-isolated input (docs/hub-radio.md): on the isolated side a window
# comparator watches the loop (short below 0.09 of the loop supply, open above 0.85) and drives
# two optocouplers whose outputs pull a hub pin low while the fault lasts.
LINE_OK = const(0)
LINE_OPEN_CIRCUIT = const(FLAG_OPEN_CIRCUIT)
LINE_SHORT_CIRCUIT = const(FLAG_SHORT_CIRCUIT)


def isolated_line(open_pin, short_pin):
    """Return a reader of the line state from the two active-low fault optocoupler outputs."""

    def read():
        if not open_pin.value():
            return LINE_OPEN_CIRCUIT
        if not short_pin.value():
            return LINE_SHORT_CIRCUIT
        return LINE_OK

    return read


class Confirmed:
    """A state that changes only after `samples` consecutive equal observations."""

    def __init__(self, samples, state=0):
        self.state = state
        self._samples = samples
        self._candidate = state
        self._seen = 0

    def observe(self, value):
        """Record one observation; return True when the confirmed state changed."""
        if value == self.state:
            self._seen = 0
            return False
        if value != self._candidate:
            self._candidate, self._seen = value, 0
        self._seen += 1
        if self._seen < self._samples:
            return False
        self.state, self._seen = value, 0
        return True


class PulseChannel:
    """One wired meter input: cumulative count, rate and plausibility flags.

    `base` is the count persisted before this boot. `read_line` returns the line state (LINE_OK,
    LINE_OPEN_CIRCUIT or LINE_SHORT_CIRCUIT, e.g. from `isolated_line`) and `read_magnet` the
    tamper sensor level (1 = field present); either may be None when the input has no sensor.
    """

    def __init__(self, channel, medium, counter, base=0, read_line=None, read_magnet=None,
                 confirm_samples=3):
        self.channel = channel
        self.medium = medium
        self.counter = counter
        self.base = base
        self._read_line = read_line
        self._read_magnet = read_magnet
        self._line = Confirmed(confirm_samples)
        self._magnet = Confirmed(confirm_samples)
        self._rate = RateTable(1)

    @property
    def count(self):
        return (self.base + self.counter.count) & 0xFFFFFFFF

    @property
    def flags(self):
        return self._line.state | (FLAG_MAGNETIC if self._magnet.state else 0)

    @property
    def supervised_flags(self):
        """The flags this input can ever raise (NODE_INFO capability bits)."""
        line = FLAG_OPEN_CIRCUIT | FLAG_SHORT_CIRCUIT if self._read_line else 0
        return line | (FLAG_MAGNETIC if self._read_magnet else 0)

    def sample(self, now, now_us):
        """Poll the counter and sensors; return the flag bits that changed."""
        self.counter.poll(now_us)
        self._rate.update(0, self.counter.count, now)
        before = self.flags
        if self._read_line:
            self._line.observe(self._read_line())
        if self._read_magnet:
            self._magnet.observe(1 if self._read_magnet() else 0)
        return before ^ self.flags

    def rate_mph(self, now):
        return self._rate.rate_mph(0, now)
