"""UTC hour indices and local days, across DST."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from custom_components.balance.analytics import (
    daily_totals,
    hour_start,
    local_day,
    local_day_hours,
    utc_hour,
)

TZ = ZoneInfo("Europe/Bucharest")


def test_dst_days_have_23_and_25_hours() -> None:
    assert len(local_day_hours(date(2026, 3, 29), TZ)) == 23
    assert len(local_day_hours(date(2026, 10, 25), TZ)) == 25
    assert len(local_day_hours(date(2026, 7, 1), TZ)) == 24


def test_hour_round_trip() -> None:
    at = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert hour_start(utc_hour(at)) == datetime(2026, 10, 25, 0, tzinfo=UTC)


@given(st.dates(date(2020, 1, 1), date(2035, 12, 31)))
def test_local_days_tile_the_hours(day: date) -> None:
    hours = local_day_hours(day, TZ)
    following = local_day_hours(day + timedelta(days=1), TZ)
    assert hours.stop == following.start
    assert len(hours) in (23, 24, 25)
    assert all(local_day(h, TZ) == day for h in hours)


def test_daily_totals_leave_out_partial_days() -> None:
    day = date(2026, 10, 25)
    hourly = dict.fromkeys(local_day_hours(day, TZ), 1.0)
    hourly[local_day_hours(day + timedelta(days=1), TZ).start] = 5.0
    assert daily_totals(hourly, TZ) == {day: 25.0}
