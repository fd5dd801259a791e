"""Seeded pseudo-random numbers, bit-identical under MicroPython and CPython.

The generator is xorshift32 (Marsaglia 2003) seeded through the murmur3 finaliser. Only 32-bit
integer operations and exact float arithmetic (+, -, *, / by powers of two, sqrt) are used, so a
seed produces the same stream on every interpreter. Independent streams are derived from a seed
and a text label (`Prng(seed, "plan:3")`), so adding a consumer never shifts another's numbers.
"""

import math

_MASK32 = 0xFFFFFFFF
_TWO_POW_32 = 4294967296.0
_SQRT3 = math.sqrt(3.0)


def text_hash(text):
    """FNV-1a 32-bit hash of `text` (the built-in hash() differs between interpreters)."""
    value = 0x811C9DC5
    for byte in text.encode():
        value = ((value ^ byte) * 0x01000193) & _MASK32
    return value


def _mix32(value):
    value ^= value >> 16
    value = (value * 0x85EBCA6B) & _MASK32
    value ^= value >> 13
    value = (value * 0xC2B2AE35) & _MASK32
    return value ^ (value >> 16)


class Prng:
    """xorshift32 stream for (`seed`, `stream`); `seed` is any int, `stream` any text label."""

    def __init__(self, seed, stream=""):
        folded = (seed ^ (seed >> 32)) & _MASK32
        state = _mix32(folded ^ _mix32(text_hash(stream) ^ 0x9E3779B9))
        self._state = state or 0x6C078965

    def next_u32(self):
        """Next raw 32-bit value."""
        x = self._state
        x ^= (x << 13) & _MASK32
        x ^= x >> 17
        x ^= (x << 5) & _MASK32
        self._state = x
        return x

    def random(self):
        """Uniform float in [0, 1)."""
        return self.next_u32() / _TWO_POW_32

    def uniform(self, low, high):
        """Uniform float in [low, high)."""
        return low + (high - low) * self.random()

    def randint(self, low, high):
        """Integer in [low, high], both inclusive."""
        return low + self.next_u32() % (high - low + 1)

    def chance(self, probability):
        """True with the given probability."""
        return self.random() < probability

    def normal(self, mean, sd):
        """Approximately normal value (Irwin-Hall sum of 4 uniforms, bounded at ±3.46 sd)."""
        total = self.random() + self.random() + self.random() + self.random()
        return mean + sd * (total - 2.0) * _SQRT3

    def stochastic_round(self, expected):
        """Non-negative integer count whose mean is `expected` (floor, plus one with the rest)."""
        whole = int(expected)
        return whole + (1 if self.random() < expected - whole else 0)
