"""Tests of the pulse-counter totals (metering.py)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.balance.metering import (
    COUNTER_MODULO,
    ChannelTotal,
    rate_per_hour,
)

_STEP = st.one_of(st.integers(0, 5_000), st.integers(0, (1 << 31) - 1))
_EVENT = st.tuples(st.sampled_from(["count", "restart", "dup", "old"]), _STEP, _STEP)


@settings(max_examples=400)
@given(
    first=st.integers(0, COUNTER_MODULO - 1),
    epoch=st.integers(0, 0xFFFF),
    events=st.lists(_EVENT, max_size=60),
    constant=st.sampled_from([1.0, 100.0, 800.0, 1000.0, 10_000.0]),
)
def test_total_follows_true_pulses(
    first: int, epoch: int, events: list[tuple[str, int, int]], constant: float
) -> None:
    """Wraps, restarts, duplicates and stale reports: monotonic, exact unless a restart loses."""
    total = ChannelTotal(constant)
    count, pulses, lost = first, first, 0
    history = [(count, pulses)]  # reports of the current epoch
    last = total.update(count, epoch)
    for kind, step, since in events:
        report = (count, epoch)
        if kind == "count":
            count, pulses = (count + step) % COUNTER_MODULO, pulses + step
            history.append((count, pulses))
            report = (count, epoch)
        elif kind == "restart":  # pulses after the last report are lost, then a fresh start
            missed = step % 1000
            lost += missed
            epoch = (epoch + 1) % 0x10000
            count, pulses = since, pulses + missed + since
            history = [(count, pulses)]
            report = (count, epoch)
        elif kind == "old":
            recent = [h for h in history if pulses - h[1] < 1 << 31]
            report = (recent[-1 - step % len(recent)][0], epoch)
        now = total.update(*report)
        assert now >= last
        assert total.pulses == pulses - lost
        assert now == pytest.approx((pulses - lost) / constant, rel=1e-12)
        last = now


def test_wrap_and_new_epoch_add() -> None:
    """A wrap adds the distance past 2**32; a new epoch adds its whole count."""
    total = ChannelTotal(1000)
    assert total.update(COUNTER_MODULO - 500, 7) == pytest.approx((COUNTER_MODULO - 500) / 1000)
    assert total.update(1500, 7) == pytest.approx(COUNTER_MODULO / 1000 + 1.5)
    assert total.update(250, 8) == pytest.approx(COUNTER_MODULO / 1000 + 1.75)
    assert (total.epoch, total.count) == (8, 250)


def test_duplicate_and_stale_reports_ignored() -> None:
    """Repeated or older counts of the same epoch change nothing."""
    total = ChannelTotal(100)
    total.update(1000, 1)
    total.update(1200, 1)
    assert total.update(1200, 1) == 12.0
    assert total.update(1100, 1) == 12.0
    assert total.count == 1200
    assert total.update(1300, 1) == 13.0


def test_offset_is_initial_total() -> None:
    """The constructor's offset is added to the counted pulses."""
    total = ChannelTotal(1000, offset=12_345.5)
    assert total.total == 12_345.5
    assert total.update(2000, 0) == 12_347.5


def test_set_register_now_and_earlier() -> None:
    """The total equals the display at the reading's count, then follows the pulses."""
    total = ChannelTotal(1000)
    total.update(10_000, 3)
    assert total.set_register(5_000.0, 10_000, 3) == 5_000.0
    assert total.update(11_000, 3) == 5_001.0
    # A reading noted earlier, when the counter showed 10_500.
    assert total.set_register(6_000.0, 10_500, 3) == 6_000.5
    # A reading ahead of the last report is applied as a report too.
    assert total.set_register(7_000.0, 12_000, 3) == 7_000.0
    assert total.count == 12_000


def test_set_register_under_new_epoch() -> None:
    """A calibration after a restart first counts the new epoch, then sets the display."""
    total = ChannelTotal(10)
    total.update(500, 1)
    assert total.set_register(1.25, 40, 2) == 1.25
    assert total.pulses == 540
    assert total.update(50, 2) == 2.25


def test_calibration_never_changes_counted_pulses() -> None:
    """Calibrating moves only the offset (backfill sums stay consumption only)."""
    total = ChannelTotal(1000)
    total.update(3000, 0)
    total.set_register(100.0, 3000, 0)
    assert total.pulses == 3000


def test_round_trip_json() -> None:
    """A persisted snapshot continues exactly like the original."""
    total = ChannelTotal(800, offset=3.5)
    total.update(COUNTER_MODULO - 10, 4)
    total.update(30, 4)
    copy = ChannelTotal.from_dict(json.loads(json.dumps(total.to_dict())))
    assert repr(copy) == repr(total)
    assert copy.update(830, 4) == total.update(830, 4)
    assert ChannelTotal.from_dict(ChannelTotal(5).to_dict()).count is None


def test_new_constant_keeps_total() -> None:
    """Changing the pulse constant keeps the total; later pulses use the new constant."""
    total = ChannelTotal(1000)
    total.update(5000, 1)
    restored = ChannelTotal.from_dict(total.to_dict(), pulses_per_unit=2000)
    assert restored.total == 5.0
    assert restored.update(7000, 1) == 6.0
    restored.set_pulses_per_unit(500)
    assert restored.update(7500, 1) == 7.0


@pytest.mark.parametrize("constant", [0, -1.0, float("nan")])
def test_invalid_constant(constant: float) -> None:
    """The pulse constant must be positive."""
    with pytest.raises(ValueError):
        ChannelTotal(constant)
    with pytest.raises(ValueError):
        rate_per_hour(1000, constant)


def test_rates() -> None:
    """Milli-pulses per hour become units per hour."""
    assert rate_per_hour(1_000_000, 1000) == 1.0  # 1000 imp/h at 1000 imp/kWh = 1 kW
    assert rate_per_hour(600_000, 1000) == 0.6  # 600 L/h at 1 L per pulse = 0.6 m³/h
    assert rate_per_hour(0, 1000) == 0.0


def test_total_at() -> None:
    """The total at an earlier or later count of the same epoch; None for another epoch."""
    total = ChannelTotal(100, offset=1.0)
    assert total.total_at(0, 0) is None
    total.update(1000, 2)
    assert total.total_at(900, 2) == 10.0
    assert total.total_at(1100, 2) == 12.0
    assert total.total_at(5, 3) is None
