"""Red-team cases for the counter rules (metering.py): a broken or hostile hub's reports.

The margin for transit and clock skew is one reserve that refills at the maximum rate, so a
storm of reports cannot add a fresh margin each (before, 1000 reports in one second booked
1000 margins: 1,450 kWh on a 43.5 kW meter).
"""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.balance.hub.messages import Medium
from custom_components.balance.metering import (
    DEFAULT_MAX_RATE,
    MARGIN_S,
    SLACK_PULSES,
    ChannelTotal,
)

KW = DEFAULT_MAX_RATE[Medium.ELECTRICITY]
CONSTANT = 1000.0  # imp/kWh
PER_SECOND = KW * CONSTANT / 3600  # 12.1 pulses/s at full power
MARGIN = PER_SECOND * MARGIN_S + SLACK_PULSES  # 1452 pulses
T0 = 1_767_225_600.0


def _electricity() -> ChannelTotal:
    return ChannelTotal(CONSTANT, max_rate=KW)


def test_report_storm_cannot_add_a_margin_per_report() -> None:
    """1000 reports within one second, each one margin ahead: at most one margin is booked."""
    total = _electricity()
    total.update(0, 1, 1, T0)
    count = 0
    for i in range(1000):
        count += int(MARGIN) - 1
        total.update(count, 1, 1, T0 + i / 1000)
    assert total.pulses <= MARGIN + PER_SECOND
    assert total.holding


def test_epoch_cycling_storm_is_bounded() -> None:
    """Cycling through more epochs than are remembered as left books each epoch's whole count;
    within one second that is still no more than one margin."""
    total = _electricity()
    total.update(0, 1, 1, T0)
    for i in range(600):
        total.update(int(MARGIN) - 1, 10 + i % 6, 1, T0 + i / 600)
    assert total.pulses <= MARGIN + PER_SECOND


def test_hold_and_confirm_cycles_are_bounded() -> None:
    """Jump, then two consistent margin-sized steps confirm it; repeated 100 times in a second."""
    total = _electricity()
    total.update(0, 1, 1, T0)
    count, at = 0, T0
    for _ in range(100):
        count += 1_000_000  # implausible: held, never booked
        at += 0.003
        total.update(count, 1, 1, at)
        for _ in range(2):  # consistent with the held report: confirm it
            count += int(MARGIN) - 1
            at += 0.003
            total.update(count, 1, 1, at)
    assert total.pulses <= MARGIN + PER_SECOND * (at - T0)


def test_an_hour_at_full_power_after_an_outage_is_still_booked() -> None:
    """The reserve does not shorten the allowance of a report after a long gap."""
    total = _electricity()
    total.update(0, 1, 1, T0)
    total.update(100, 1, 1, T0 + 10)
    hour = int(PER_SECOND * 3600)
    total.update(100 + hour, 1, 1, T0 + 10 + 3600)
    assert total.flag is None
    assert total.pulses == 100 + hour


def test_steady_reports_at_full_power_are_never_held() -> None:
    """Every 10 s at the maximum rate, for a day: all booked."""
    total = _electricity()
    total.update(0, 1, 1, T0)
    step = int(PER_SECOND * 10)
    for i in range(1, 8640):
        total.update(step * i, 1, 1, T0 + 10 * i)
    assert total.flag is None
    assert total.pulses == step * 8639


def test_lying_boot_counts_are_held() -> None:
    """A restart that claims to have resumed far above the last count books nothing."""
    total = _electricity()
    total.update(5_000, 1, 1, T0)
    total.update(5_010, 1, 2, T0 + 10, resumed=4_000_000_000)
    assert total.pulses == 5_000
    assert total.holding


def test_hub_time_jumping_back_books_no_more_than_the_rate() -> None:
    """Reception times going backwards (a host clock correction) do not widen the allowance."""
    total = _electricity()
    total.update(0, 1, 1, T0)
    total.update(100, 1, 1, T0 + 10)
    for i in range(100):
        total.update(100 + (i + 1) * 50, 1, 1, T0 - 3600 + i * 0.01)
    assert total.pulses <= 100 + MARGIN + PER_SECOND * 10


_REPORT = st.tuples(
    st.one_of(st.integers(0, 2**32 - 1), st.integers(0, 5_000)),  # count
    st.integers(0, 7),  # epoch
    st.integers(0, 4),  # boot
    st.one_of(st.just(0.0), st.floats(0, 2), st.floats(0, 600)),  # seconds since the last
    st.one_of(st.none(), st.integers(0, 5_000)),  # resumed
)


@settings(max_examples=400, deadline=None)
@given(reports=st.lists(_REPORT, min_size=1, max_size=60))
def test_total_never_outruns_the_rate_plus_one_margin(
    reports: list[tuple[int, int, int, float, int | None]],
) -> None:
    """Whatever the hub sends, after the first report the total grows at most by the maximum
    rate over the elapsed time plus a single margin (not one per report)."""
    total = _electricity()
    at, last, baseline = T0, -math.inf, None
    for count, epoch, boot, wait, resumed in reports:
        at += wait
        now = total.update(count, epoch, boot, at, resumed)
        assert now >= last
        last = now
        if baseline is None:
            baseline = total.pulses
        assert total.pulses - baseline <= PER_SECOND * (at - T0) + MARGIN + 1e-6
