"""The learned demand profile that lets shed green loads wait out an evening's busy hours."""

from __future__ import annotations

import math

import pytest

from custom_components.balance.dlm.profile import DAY_S, DemandProfile

H = 3600


def evenings(profile: DemandProfile, days: range, busy_w: float = 3000.0) -> None:
    """Every 10 min of `days`: 500 W, and `busy_w` from 18:00 to 21:00."""
    for day in days:
        for t in range(day * DAY_S, (day + 1) * DAY_S, 600):
            local = t % DAY_S
            profile.record(t, busy_w if 18 * H <= local < 21 * H else 500.0)


def test_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError):
        DemandProfile(slot_s=7 * 60)  # does not divide a day
    with pytest.raises(ValueError):
        DemandProfile(days=0)


def test_counts_past_days_only_and_keeps_the_slot_maximum() -> None:
    profile = DemandProfile()
    profile.record(18 * H, 1000.0)
    profile.record(18 * H + 60, 2500.0)
    profile.record(18 * H + 120, 800.0)
    # the same day is not "past": nothing known yet
    assert profile.busy_days(18 * H + 300, 600, 2000.0) == (0, 0)
    assert profile.busy_days(DAY_S + 18 * H, 600, 2000.0) == (1, 1)
    assert profile.busy_days(DAY_S + 18 * H, 600, 2500.0) == (0, 1)  # the maximum was kept
    assert profile.busy_days(DAY_S + 17 * H, 600, 0.0) == (0, 0)  # no data for that slot


def test_forgets_days_beyond_its_memory() -> None:
    profile = DemandProfile(days=3)
    evenings(profile, range(0, 1))
    profile.record(5 * DAY_S, 100.0)  # day 5: day 0 is now more than 3 days back
    assert profile.busy_days(6 * DAY_S + 19 * H, H, 1000.0) == (0, 0)
    assert 0 not in profile.export()


def test_quiet_from_finds_the_end_of_the_busy_hours() -> None:
    profile = DemandProfile()
    evenings(profile, range(0, 7))
    now = 7 * DAY_S + 18 * H + 30 * 60
    # 2 h that stay under 2 kW start at 21:00, the end of the learned busy hours
    assert profile.quiet_from(now, 2 * H, 2000.0, now + 6 * H, 0.0) == 7 * DAY_S + 21 * H
    # high enough a cap: now is fine
    assert profile.quiet_from(now, 2 * H, 3000.0, now + 6 * H, 0.0) == now
    # the wait allowed ends before the quiet time: no quiet time to wait for
    assert profile.quiet_from(now, 2 * H, 2000.0, now + H, 0.0) is None


def test_busy_share_tolerates_an_unusual_day() -> None:
    profile = DemandProfile()
    evenings(profile, range(0, 6), busy_w=500.0)
    evenings(profile, range(6, 7))  # one busy evening in seven
    now = 7 * DAY_S + 19 * H
    assert profile.quiet_from(now, H, 2000.0, now + 6 * H, 0.0) == 7 * DAY_S + 21 * H
    assert profile.quiet_from(now, H, 2000.0, now + 6 * H, 0.2) == now


def test_export_load_roundtrip_drops_malformed_rows() -> None:
    profile = DemandProfile()
    evenings(profile, range(0, 2))
    saved = profile.export()
    restored = DemandProfile()
    bad_row: list[float | None] = [None] * 96
    bad_row[3] = math.nan
    restored.load({**saved, 7: [1.0, 2.0], 8: bad_row})
    assert restored.export() == saved
    assert restored.busy_days(2 * DAY_S + 19 * H, H, 2000.0) == (2, 2)
