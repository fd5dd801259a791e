"""Alerts raise on their condition and clear themselves when it ends."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.balance.analytics import (
    AlertEvent,
    AwayAlert,
    LeakKind,
    SilentChannelAlert,
    ThresholdAlert,
    WaterLeakDetector,
)

TZ = ZoneInfo("Europe/Bucharest")
START = datetime(2026, 3, 2, 8, 0, tzinfo=TZ)


def _feed(
    detector: WaterLeakDetector, litres: Sequence[float], start: datetime = START
) -> list[AlertEvent]:
    events: list[AlertEvent] = []
    for minute, value in enumerate(litres):
        events += detector.update(start + timedelta(minutes=minute + 1), value)
    return events


def _raised(events: list[AlertEvent]) -> set[str]:
    return {e.kind for e in events if e.active}


def test_normal_day_raises_nothing() -> None:
    day = [0.0] * 1440
    for at in (420, 425, 600, 780, 1140, 1145, 1300):
        day[at] = day[at + 1] = 4.0  # flushes, taps, a shower
    day[430:440] = [8.0] * 10
    detector = WaterLeakDetector(TZ)
    assert _feed(detector, day * 3) == []


def test_dribble_raises_after_a_day_without_pause_and_clears_on_a_pause() -> None:
    detector = WaterLeakDetector(TZ)
    events = _feed(detector, [1.0 if m % 3 == 0 else 0.0 for m in range(25 * 60)])
    assert LeakKind.DRIBBLE in detector.active
    raised = next(e for e in events if e.kind == LeakKind.DRIBBLE)
    assert raised.at - START == timedelta(hours=24)
    _feed(detector, [0.0] * 61, START + timedelta(hours=25))
    assert LeakKind.DRIBBLE not in detector.active


def test_continuous_flow_raises_after_an_hour_and_clears_when_it_stops() -> None:
    detector = WaterLeakDetector(TZ)
    events = _feed(detector, [5.0] * 90 + [0.0])
    assert [(e.kind, e.active) for e in events] == [
        (LeakKind.CONTINUOUS, True),
        (LeakKind.CONTINUOUS, False),
    ]
    assert events[0].at - START == timedelta(minutes=60)


def test_night_flow_raises_in_the_window_and_clears_after_a_daytime_pause() -> None:
    night = datetime(2026, 3, 3, 2, 0, tzinfo=TZ)
    detector = WaterLeakDetector(TZ)
    events = _feed(detector, [1.0 if m % 5 else 0.0 for m in range(180)], night)
    assert _raised(events) == {LeakKind.NIGHT}
    assert LeakKind.NIGHT in detector.active
    _feed(detector, [0.0] * 120, night + timedelta(hours=3))
    assert detector.active == set()


def test_regular_refills_raise_and_clear_when_they_stop() -> None:
    trace = [0.0] * 600
    for at in range(5, 600, 15):
        trace[at] = 2.0
    detector = WaterLeakDetector(TZ)
    events = _feed(detector, trace)
    assert _raised(events) == {LeakKind.REFILLS}
    _feed(detector, [0.0] * 40, START + timedelta(minutes=600))
    assert detector.active == set()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.0, 1.0, 2.0, 6.0]), min_size=1, max_size=360))
def test_every_alert_clears_after_a_long_daytime_pause(trace: list[float]) -> None:
    detector = WaterLeakDetector(TZ)
    _feed(detector, trace)
    _feed(detector, [0.0] * 180, START + timedelta(minutes=len(trace)))
    assert detector.active == set()


def test_threshold_alert_hysteresis() -> None:
    alert = ThresholdAlert(100.0, kind="forecast_above")
    assert alert.update(START, 99.0) == []
    assert alert.update(START, 101.0) == [AlertEvent(START, "forecast_above", True)]
    assert alert.update(START, 96.0) == []
    assert alert.update(START, 94.0) == [AlertEvent(START, "forecast_above", False)]


def test_away_alert_counts_only_while_away() -> None:
    alert = AwayAlert(2.0, kind="water_away")
    assert alert.update(START, 5.0, away=False) == []
    assert alert.update(START + timedelta(minutes=1), 1.0, away=True) == []
    events = alert.update(START + timedelta(minutes=2), 1.5, away=True)
    assert events == [AlertEvent(START + timedelta(minutes=2), "water_away", True)]
    assert alert.update(START + timedelta(minutes=40), 0.0, away=True)[0].active is False


def test_silent_channel_is_flagged_and_clears_on_the_next_count() -> None:
    alert = SilentChannelAlert()
    at = START
    for hour in range(14 * 24):  # counts every hour but a 3-hour night gap
        assert alert.update(at, 0.0 if hour % 24 < 3 else 2.0) == []
        at += timedelta(hours=1)
    assert alert.limit_h() == 6.0
    events: list[AlertEvent] = []
    for _ in range(7):
        events += alert.update(at, 0.0)
        at += timedelta(hours=1)
    assert [e.active for e in events] == [True]
    assert alert.update(at, 1.0) == [AlertEvent(at, "silent_channel", False)]


def test_a_channel_that_rarely_counts_is_never_flagged() -> None:
    alert = SilentChannelAlert()
    at = START
    for hour in range(30 * 24):
        assert alert.update(at, 1.0 if hour % 96 == 0 else 0.0) == []
        at += timedelta(hours=1)
    assert alert.limit_h() is None


def test_a_slower_minute_breaks_a_continuous_run() -> None:
    detector = WaterLeakDetector(TZ)
    events = _feed(detector, [5.0] * 50 + [0.5] + [5.0] * 50)
    assert LeakKind.CONTINUOUS not in _raised(events)
