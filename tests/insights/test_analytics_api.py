"""The analytics additions the HA layer uses: the expected curve, reading a group back."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from custom_components.balance.analytics import BalanceGroup, period_report, utc_hour

TZ = ZoneInfo("Europe/Bucharest")


def test_expected_curve_ends_at_the_forecast() -> None:
    """One point per day left in the period, rising to the forecast (DST at month end)."""
    now = datetime(2026, 3, 20, 10, 30, tzinfo=UTC)
    first = utc_hour(now - timedelta(days=60))
    hourly = dict.fromkeys(range(first, utc_hour(now)), 0.5)
    report = period_report(hourly, now, TZ)
    assert report.forecast is not None
    days = [day for day, _ in report.expected]
    assert days == [date(2026, 3, 20) + timedelta(days=k) for k in range(12)]
    values = [value for _, value in report.expected]
    assert values == sorted(values)
    assert values[-1] == pytest.approx(report.forecast)
    assert values[0] == pytest.approx(report.to_date + 0.5 * 12)  # the rest of today (22:00 UTC)
    assert period_report({}, now, TZ).expected == ()


def test_group_value_and_kept_range() -> None:
    """A recorded value reads back; unreported and unkept hours are None."""
    group = BalanceGroup("p", ["c"], TZ, keep_hours=48)
    assert len(group.kept) == 0
    assert group.value("p", 100) is None
    group.record("p", 100, 2.5)
    assert group.value("p", 100) == 2.5
    assert group.value("c", 100) is None
    assert 100 in group.kept
    group.record("p", 200, 1.0)  # pushes hour 100 out
    assert 100 not in group.kept
    assert group.value("p", 100) is None


def test_record_changes_marks_only_changed_hours() -> None:
    """A re-read window: unchanged values leave their hours clean; too old ones are ignored."""
    group = BalanceGroup("p", ["c"], TZ, keep_hours=48)
    assert group.record_changes("p", {100: 1.0, 101: 2.0}) == 2
    assert group.update() == [100, 101]
    assert group.record_changes("p", {100: 1.0, 101: 2.5, 102: 3.0}) == 2
    assert group.update() == [101, 102]
    assert group.value("p", 101) == 2.5
    assert group.record_changes("c", {200: 1.0, 120: 4.0}) == 1  # hour 120 is out of the 48 kept
    assert group.value("c", 120) is None
    assert group.update() == [200]
