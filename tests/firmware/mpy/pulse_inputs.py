"""Pulse counting through a datasheet-like fake contact; line supervision; magnet. Prints JSON."""

import json

from bhub.pulses import (
    FLAG_MAGNETIC,
    FLAG_OPEN_CIRCUIT,
    FLAG_SHORT_CIRCUIT,
    DebouncedCounter,
    PulseChannel,
    isolated_line,
)
from sim.prng import Prng

PULSES = 2000


class OptoOutput:
    """A fault optocoupler's output transistor with the hub's pull-up: reads 0 while conducting."""

    def __init__(self):
        self.conducting = False

    def value(self):
        return 0 if self.conducting else 1


def contact_edges(pulses):
    """(level, t_us) edges of a reed contact: 30..60 ms closures, bounce <= 3 ms on both
    edges, 30+ ms gaps, and one 13 us glitch in most closed and open periods."""
    rng = Prng(42, "contact")
    t = 1_000
    for _ in range(pulses):
        for level, length in ((1, rng.randint(30_000, 60_000)), (0, rng.randint(30_000, 90_000))):
            at = t
            for _ in range(rng.randint(0, 6)):  # bounce: alternate levels, ends on `level`
                yield level, at
                at += rng.randint(20, 400)
                yield 1 - level, at
                at += rng.randint(20, 400)
            yield level, at
            if rng.chance(0.8):  # a 13 us spike to the other level
                glitch = t + rng.randint(4_000, length - 100)
                yield 1 - level, glitch
                yield level, glitch + 13
            t += length


def count(poll_every_us):
    """(pulses counted, edges fed) with a poll every `poll_every_us` (0: never)."""
    counter = DebouncedCounter(now_us=0)
    next_poll, edges, at = poll_every_us, 0, 0
    for level, at in contact_edges(PULSES):
        while poll_every_us and next_poll < at:
            counter.poll(next_poll)
            next_poll += poll_every_us
        counter.edge(level, at)
        edges += 1
    counter.poll(at + 100_000)
    return counter.count, edges


def main():
    counted_no_poll, edges = count(0)
    counted_poll_5ms, _ = count(5_000)
    glitch_only = DebouncedCounter(now_us=0)
    for i in range(1000):
        glitch_only.edge(1, i * 1000)
        glitch_only.edge(0, i * 1000 + 13)
    glitch_only.poll(2_000_000)

    open_pin, short_pin = OptoOutput(), OptoOutput()
    magnet = {"level": 0}
    channel = PulseChannel(
        2,
        2,
        DebouncedCounter(),
        read_line=isolated_line(open_pin, short_pin),
        read_magnet=lambda: magnet["level"],
        confirm_samples=3,
    )
    states = []
    for line, level in (
        ("ok", 0),
        ("open", 0),
        ("open", 0),
        ("open", 0),
        ("open", 0),
        ("short", 0),
        ("short", 0),
        ("short", 0),
        ("ok", 1),
        ("ok", 1),
        ("ok", 1),
        ("ok", 0),
        ("ok", 0),
        ("ok", 0),
    ):
        open_pin.conducting = line == "open"
        short_pin.conducting = line == "short"
        magnet["level"] = level
        channel.sample(0, 0)
        states.append(channel.flags)
    print(
        json.dumps(
            {
                "pulses": PULSES,
                "edges": edges,
                "counted_no_poll": counted_no_poll,
                "counted_poll_5ms": counted_poll_5ms,
                "glitches_counted": glitch_only.count,
                "flag_trace": states,
                "flags": [FLAG_OPEN_CIRCUIT, FLAG_SHORT_CIRCUIT, FLAG_MAGNETIC],
            }
        )
    )


main()
