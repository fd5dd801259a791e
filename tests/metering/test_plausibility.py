"""Implausible counters are held back; hub restarts are carried as an offset (metering.py)."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.balance.hub.messages import Medium
from custom_components.balance.metering import (
    CONFIRM_REPORTS,
    COUNTER_MODULO,
    DEFAULT_MAX_RATE,
    MARGIN_S,
    SLACK_PULSES,
    ChannelTotal,
    Reason,
)

KW = DEFAULT_MAX_RATE[Medium.ELECTRICITY]
T0 = 1_767_225_600.0


def _electricity() -> ChannelTotal:
    """1000 imp/kWh, 43.5 kW maximum: 12.1 pulses/s."""
    return ChannelTotal(1000, max_rate=KW)


def test_default_maxima() -> None:
    """3 x 63 A at 230 V; every medium has a maximum."""
    assert pytest.approx(3 * 63 * 230 / 1000, rel=0.01) == KW
    assert set(DEFAULT_MAX_RATE) == set(Medium)


def test_one_report_cannot_add_two_million_kwh() -> None:
    """Issue 13.6: a step of 2**31 - 1 pulses 10 s later is held back, not booked."""
    total = _electricity()
    total.update(5_000, 3, 1, T0)
    assert total.update(5_000 + (1 << 31) - 1, 3, 1, T0 + 10) == 5.0
    assert total.holding
    assert total.flag is not None
    assert (total.flag.reason, total.flag.pulses) == (Reason.RATE, (1 << 31) - 1)
    assert total.held_reports == 1


def test_a_glitch_is_discarded_when_counting_continues_from_the_accepted_value() -> None:
    """The next plausible report books normally and clears the flag."""
    total = _electricity()
    total.update(5_000, 3, 1, T0)
    total.update(4_000_000_000, 3, 1, T0 + 10)
    assert total.update(5_100, 3, 1, T0 + 20) == 5.1
    assert total.flag is None
    assert not total.holding
    assert total.count == 5_100


def test_consistent_reports_confirm_the_position_without_booking_the_step() -> None:
    """Counting goes on from the new value; only the pulses after it are booked."""
    total = _electricity()
    total.update(5_000, 3, 1, T0)
    jump = 900_000_000
    total.update(jump, 3, 1, T0 + 10)
    total.update(jump + 50, 3, 1, T0 + 20)
    assert total.holding and total.total == 5.0
    assert total.update(jump + 120, 3, 1, T0 + 30) == pytest.approx(5.12)
    assert not total.holding
    assert total.flag is not None and total.flag.confirmed
    assert total.flag.reports == CONFIRM_REPORTS
    assert total.update(jump + 220, 3, 1, T0 + 40) == pytest.approx(5.22)
    assert total.flag is not None  # stays until the resident calibrates


def test_epoch_flapping_adds_nothing() -> None:
    """Issue 13.6: alternating epochs 1/2 with the whole count re-added: 8.6 million kWh."""
    total = _electricity()
    count = 1 << 30
    for i in range(8):
        total.update(count + i, 1 + i % 2, 0, T0 + 10 * i)
    assert total.total < count / 1000 + 1  # one kWh at most, not 8.6 million
    assert total.holding


def test_flapping_small_counts_is_held_back_too() -> None:
    """A plausible new epoch is a restart; returning to a left epoch is flapping."""
    total = _electricity()
    total.update(1_000, 1, 0, T0)
    assert total.update(500, 2, 0, T0 + 10) == 1.5  # restart from zero, 500 pulses since
    assert total.update(1_010, 1, 0, T0 + 20) == 1.5
    assert total.flag is not None and total.flag.reason is Reason.EPOCH
    for i in range(10):
        total.update(505 + i, 2, 0, T0 + 30 + 20 * i)
        total.update(1_010 + i, 1, 0, T0 + 40 + 20 * i)
    assert total.pulses == 1_000 + 500 + 14  # epoch 2 advanced by 14; epoch 1 never re-added


def test_rate_allowance_grows_with_time_between_reports() -> None:
    """A week without reports allows a week of maximum power."""
    total = _electricity()
    total.update(0, 1, 1, T0)
    week = 7 * 86_400
    step = int(KW * week / 3600 * 1000)  # a week at full power, at 1000 imp/kWh
    assert total.update(step, 1, 1, T0 + week) == step / 1000
    assert total.flag is None


def test_power_cut_rollback_becomes_an_offset() -> None:
    """Issue 13.7: the hub resumes below the last report; nothing seen is lost or re-booked."""
    total = ChannelTotal(1000)
    total.update(1_000, 5, 1, T0)
    total.update(1_300, 5, 1, T0 + 10)  # seen; the hub flushed 1_200 before
    total.update(1_250, 5, 2, T0 + 30, resumed=1_200)  # 50 pulses since the restart
    assert total.pulses == 1_350
    total.update(1_400, 5, 2, T0 + 40, resumed=1_200)  # climbing back over 1_300 counts too
    assert total.pulses == 1_500
    total.update(1_300, 5, 1, T0 + 50)  # a late report of the boot left: ignored
    assert total.pulses == 1_500


def test_counts_flushed_after_the_last_report_are_booked_after_a_restart() -> None:
    """While the receiver was away the hub flushed more than it saw; they are not lost."""
    total = ChannelTotal(1000)
    total.update(1_000, 5, 1, T0)
    total.update(1_700, 5, 2, T0 + 600, resumed=1_600)
    assert total.pulses == 1_700


def test_restart_before_the_first_report_of_a_boot_climbed_past_the_last_seen() -> None:
    """Count above the last report after a rollback: only the pulses since the restart."""
    total = ChannelTotal(1000)
    total.update(1_300, 5, 1, T0)
    total.update(1_320, 5, 2, T0 + 60, resumed=1_200)  # 120 since the restart, not 20
    assert total.pulses == 1_420


def test_boot_without_resumed_counts_is_a_lossy_offset() -> None:
    """A hub that sends a boot but no resumed counts: no double booking, the climb is lost."""
    total = ChannelTotal(1000)
    total.update(1_300, 5, 1, T0)
    total.update(1_250, 5, 2, T0 + 20)
    total.update(1_260, 5, 2, T0 + 30)
    assert total.pulses == 1_310


def test_without_boot_a_backward_step_is_stale() -> None:
    """Old firmware (boot 0): the serial-number rule, never a wrap."""
    total = ChannelTotal(1000)
    total.update(1_300, 5)
    assert total.update(1_200, 5) == 1.3
    total.update(1_250, 5, 7, resumed=1_200)  # first report with a boot: unknown history
    assert total.pulses == 1_300
    assert total.boot == 0


def test_calibration_confirms_a_held_position_and_clears_the_flag() -> None:
    """The resident's reading is the confirmation of a jump the rate check held back."""
    total = _electricity()
    total.update(5_000, 3, 1, T0)
    total.update(80_000_000, 3, 1, T0 + 10)
    assert total.holding
    assert total.set_register(80_012.0, 80_000_000, 3) == 80_012.0
    assert total.flag is None and total.count == 80_000_000
    assert total.pulses == 80_000_000  # confirmed: the jump is consumption
    assert total.boot == 1
    assert total.update(80_001_000, 3, 1, T0 + 200) == 80_013.0


def test_snapshot_keeps_the_hold() -> None:
    """A restart of Home Assistant in the middle of a hold continues it."""
    total = _electricity()
    total.update(5_000, 3, 1, T0)
    total.update(900_000_000, 3, 1, T0 + 10)
    total.update(900_000_050, 3, 1, T0 + 20)
    copy = ChannelTotal.from_dict(json.loads(json.dumps(total.to_dict())), max_rate=KW)
    assert repr(copy) == repr(total)
    copy.update(900_000_120, 3, 1, T0 + 30)
    assert copy.flag is not None and copy.flag.confirmed
    assert copy.pulses == 5_120


def test_snapshot_of_an_older_version_restores() -> None:
    """Stored totals without boots or flags (before this version) still load."""
    old = {"pulses_per_unit": 1000.0, "offset": 1.5, "pulses": 7, "epoch": 2, "count": 7}
    total = ChannelTotal.from_dict(old, max_rate=KW)
    assert (total.total, total.boot, total.flag) == (1.507, 0, None)
    assert total.update(17, 2, 3, T0, resumed=7) == 1.517


def test_invalid_maximum() -> None:
    """The maximum rate must be positive."""
    with pytest.raises(ValueError):
        ChannelTotal(1000, max_rate=0)


# -- properties -------------------------------------------------------------------------------

_REPORT = st.tuples(
    st.one_of(st.integers(0, COUNTER_MODULO - 1), st.integers(0, 20_000)),
    st.integers(0, 3),  # epochs from a small set: flapping is frequent
    st.integers(0, 3),  # boots
    st.floats(0, 3_600),  # seconds since the previous report
    st.one_of(st.none(), st.integers(0, 20_000)),  # resumed
)


@settings(max_examples=500, deadline=None)
@given(
    reports=st.lists(_REPORT, min_size=1, max_size=40),
    max_rate=st.sampled_from([0.5, 5.0, 43.5]),
    constant=st.sampled_from([1.0, 100.0, 1000.0, 10_000.0]),
)
def test_any_reports_never_decrease_nor_outrun_the_maximum(
    reports: list[tuple[int, int, int, float, int | None]], max_rate: float, constant: float
) -> None:
    """Whatever a broken or hostile hub reports, the total never goes backwards and never
    grows faster than the maximum rate (plus one margin per report)."""
    total = ChannelTotal(constant, max_rate=max_rate)
    at, last = T0, -math.inf
    baseline = None
    per_second = max_rate * constant / 3600
    for n, (count, epoch, boot, wait, resumed) in enumerate(reports):
        at += wait
        now = total.update(count, epoch, boot, at, resumed)
        assert now >= last
        last = now
        if baseline is None:
            baseline = total.pulses
        limit = per_second * (at - T0 + n * MARGIN_S) + n * SLACK_PULSES
        assert total.pulses - baseline <= limit + 1e-6


_EVENT = st.one_of(
    st.tuples(st.just("pulses"), st.floats(1, 900), st.floats(0, 1)),
    st.tuples(st.just("flush"), st.just(0.0), st.just(0.0)),
    st.tuples(st.just("report"), st.floats(0, 60), st.booleans()),
    st.tuples(st.just("cut"), st.just(0.0), st.just(0.0)),
    st.tuples(st.just("restart"), st.just(0.0), st.just(0.0)),
)


@settings(max_examples=1000, deadline=None)
@given(
    first=st.one_of(
        st.integers(0, 10_000), st.integers(COUNTER_MODULO - 50_000, COUNTER_MODULO - 1)
    ),
    events=st.lists(_EVENT, max_size=80),
    constant=st.sampled_from([1.0, 1000.0, 10_000.0]),
)
def test_honest_hub_with_power_cuts_loses_at_most_the_unflushed_pulses(
    first: int, events: list[tuple[str, float, float | bool]], constant: float
) -> None:
    """A meter within its maximum, a hub that flushes, reports (some lost in transit), loses
    power (resumes from its flush, boot + 1) or its whole state (new epoch): the receiver never
    flags it, never books a pulse twice, and loses at most, per cut, the pulses counted after
    the later of the last flush and the last delivered report (all of a boot no report of which
    was delivered), and everything after the last delivered report before a state loss."""
    rate = DEFAULT_MAX_RATE[Medium.ELECTRICITY]
    total = ChannelTotal(constant, max_rate=rate)
    t, epoch, boot = T0, 1, 1
    count = flushed = resumed = truth = first  # unbounded counts of the current epoch
    lost_bound, received = 0, T0
    truth_seen, bound_seen = truth, 0  # at the last delivered report
    seen_in_boot: int | None = first  # count of the last report delivered in this boot

    def deliver(at: float) -> None:
        total.update(count % COUNTER_MODULO, epoch, boot, at, resumed % COUNTER_MODULO)

    deliver(t)
    for kind, value, extra in events:
        if kind == "pulses":
            t += value
            made = math.floor(float(extra) * rate * constant / 3600 * value)
            count, truth = count + made, truth + made
        elif kind == "flush":
            flushed = count
        elif kind == "report" and extra:
            received = max(received, t + value)  # in order, up to 60 s in transit
            deliver(received)
            truth_seen, bound_seen, seen_in_boot = truth, lost_bound, count
        elif kind == "cut":  # resumes from the flush: only the unreported, unflushed are lost
            if seen_in_boot is None:  # nothing of this boot reached the receiver
                lost_bound += count - resumed
            else:
                lost_bound += count - max(flushed, seen_in_boot)
            boot, count, resumed, seen_in_boot = boot + 1, flushed, flushed, None
        elif kind == "restart":  # state lost: everything since the last delivery may be lost
            lost_bound = bound_seen + truth - truth_seen
            epoch, boot, count, flushed, resumed, seen_in_boot = epoch + 1, 1, 0, 0, 0, None
        assert total.flag is None
        assert total.pulses <= truth
    deliver(max(received, t))
    assert total.flag is None
    assert total.pulses <= truth
    assert truth - total.pulses <= lost_bound
