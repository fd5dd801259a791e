"""Random power cuts of the real hub firmware against the receiver rules of metering.py.

The sim board runs under the real MicroPython unix port and is killed (SIGKILL) at random
moments; it resumes from its last flush. A plain-Python receiver (ChannelTotal, as Home
Assistant uses it) reads COUNTERS over TCP. After all cuts its total must equal what the hub
counted, less at most the pulses docs/protocol.md allows to lose, and nothing may be booked twice.
"""

from __future__ import annotations

import itertools
import os
import random
import socket
import time
from pathlib import Path

from custom_components.balance.hub.messages import Counters, Medium
from custom_components.balance.metering import DEFAULT_MAX_RATE, ChannelTotal
from tests.firmware.simhub import Client, free_port

from .powercut import ELECTRICITY, WATER, PowerCutHub, counted, loss_bound

CUTS = int(os.environ.get("BALANCE_POWER_CUTS", "20"))
SEED = int(os.environ.get("BALANCE_POWER_CUT_SEED", "20261201"))
CONSTANTS = {ELECTRICITY: (1000.0, Medium.ELECTRICITY), WATER: (1000.0, Medium.WATER)}


def _connect(port: int) -> Client:
    client = Client(socket.create_connection(("127.0.0.1", port), timeout=10))
    client.handshake(None)
    return client


def test_random_power_cuts_book_every_reported_pulse_once(
    tmp_path: Path, socket_enabled: None
) -> None:
    """Issue 13.7: N kills at random moments; total == counted - lost, lost within the bound."""
    rng = random.Random(SEED)
    hub = PowerCutHub(tmp_path, free_port())
    totals = {
        channel: ChannelTotal(constant, max_rate=DEFAULT_MAX_RATE[medium])
        for channel, (constant, medium) in CONSTANTS.items()
    }
    reported: dict[int, dict[int, int]] = {}  # boot -> channel -> last accepted count
    for _ in range(CUTS + 1):
        hub.power_on()
        client = _connect(hub.port)
        deadline = time.monotonic() + rng.uniform(0.2, 2.5)
        try:
            while (remaining := deadline - time.monotonic()) > 0:
                message = client.receive(remaining)
                if not isinstance(message, Counters) or message.node_id != 0:
                    continue
                resumed = {b.channel: b.count for b in message.boot_counts}
                for reading in message.readings:
                    total = totals[reading.channel]
                    total.update(
                        reading.count,
                        message.epoch,
                        message.boot,
                        message.hub_time,
                        resumed.get(reading.channel),
                    )
                    assert total.count == reading.count, "an honest report was not accepted"
                    reported.setdefault(message.boot, {})[reading.channel] = reading.count
        finally:
            hub.power_cut()
            client.close()

    runs = hub.runs()
    assert len(runs) == CUTS + 1
    assert len({run.epoch for run in runs}) == 1, "a power cut lost the counter file"
    assert [run.boot for run in runs] == list(range(1, CUTS + 2))
    for run in runs:
        run.reported = reported.get(run.boot, {})
    rollbacks = sum(
        1
        for run, after in itertools.pairwise(runs)
        if run.reported.get(ELECTRICITY, -1) > after.resumed[ELECTRICITY]
    )
    assert rollbacks >= CUTS // 2, "too few cuts rolled the count back below a report"
    for channel, total in totals.items():
        truth, bound = counted(runs, channel), loss_bound(runs, channel)
        lost = truth - total.pulses
        print(f"channel {channel}: counted {truth}, booked {total.pulses}, lost {lost} "
              f"(bound {bound}), {rollbacks} rollbacks in {CUTS} cuts")  # fmt: skip
        assert total.flag is None
        assert total.pulses <= truth, f"channel {channel}: pulses booked twice"
        assert lost <= bound, f"channel {channel}: seen pulses lost"
    assert counted(runs, ELECTRICITY) > 2_000
