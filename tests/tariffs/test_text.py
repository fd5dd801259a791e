"""Compact text forms of schedules, zone prices and blocks (what the config flow parses)."""

from __future__ import annotations

import itertools
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.balance.tariffs import (
    DayKind,
    Tariff,
    TariffError,
    TariffErrorCode,
    TimeOfUse,
    ZoneSpan,
    parse_blocks,
    parse_schedule,
    parse_zone_prices,
)

BUC = ZoneInfo("Europe/Bucharest")


def test_schedule_star_parts_join_every_day_kind_with_own_parts() -> None:
    schedule = parse_schedule(
        "mon-fri 07:00-23:00 day; * 23:00-07:00 night\nweekend 07:00-23:00 night"
    )
    assert schedule[DayKind.WORKDAY] == (
        ZoneSpan("day", time(7), time(23)),
        ZoneSpan("night", time(23), time(7)),
    )
    assert schedule[DayKind.WEEKEND] == (
        ZoneSpan("night", time(7), time(23)),
        ZoneSpan("night", time(23), time(7)),
    )
    assert DayKind.HOLIDAY not in schedule  # follows the weekend in the model


def test_schedule_from_text_builds_a_tariff_whose_weekend_follows_workdays() -> None:
    tou = TimeOfUse(
        parse_zone_prices("day=0,80; night=0.45"),
        parse_schedule("mon-fri 07:00-23:00 day; * 23:00-07:00 night"),
    )
    tariff = Tariff(BUC, tou=tou)
    assert tariff.zone_at(datetime(2026, 12, 5, 12, tzinfo=BUC)) == "day"  # Saturday
    assert tariff.zone_at(datetime(2026, 12, 5, 23, 30, tzinfo=BUC)) == "night"
    assert tariff.energy_price(datetime(2026, 12, 1, 8, tzinfo=BUC)) == pytest.approx(0.80)


@pytest.mark.parametrize(
    ("text", "code", "placeholders"),
    [
        (
            "mon-fri 07:00-23:00 day; * 22:00-07:00 night",
            TariffErrorCode.ZONES_OVERLAP,
            {"at": "22:00"},
        ),
        (
            "mon-fri 07:00-22:00 day; * 23:00-07:00 night",
            TariffErrorCode.ZONES_GAP,
            {"at": "22:00"},
        ),
        (
            "mon-fri 07:00-23:00 peak; * 23:00-07:00 night",
            TariffErrorCode.UNKNOWN_ZONE,
            {"zone": "peak"},
        ),
        ("tue 07:00-23:00 day", TariffErrorCode.BAD_SCHEDULE, {"part": "tue 07:00-23:00 day"}),
        ("* 25:00-07:00 night", TariffErrorCode.BAD_SCHEDULE, {"part": "* 25:00-07:00 night"}),
        ("  ;  ", TariffErrorCode.BAD_SCHEDULE, {"part": ";"}),
    ],
)
def test_schedule_errors_name_the_place(
    text: str, code: TariffErrorCode, placeholders: dict[str, str]
) -> None:
    with pytest.raises(TariffError) as err:
        TimeOfUse({"day": 0.8, "night": 0.45}, parse_schedule(text))
    assert err.value.code is code
    assert placeholders.items() <= err.value.placeholders.items()


def test_24_00_ends_the_day() -> None:
    schedule = parse_schedule("* 00:00-24:00 flat")
    assert schedule[DayKind.WORKDAY] == (ZoneSpan("flat", time(0), time(0)),)


@pytest.mark.parametrize("text", ["day=abc", "day=1; day=2", "=1", "day=nan", ""])
def test_bad_zone_prices(text: str) -> None:
    with pytest.raises(TariffError) as err:
        parse_zone_prices(text)
    assert err.value.code is TariffErrorCode.BAD_ZONE_PRICES


def test_blocks_text() -> None:
    blocks = parse_blocks("100:0.5; 300:0,8; *:1.2")
    assert blocks.steps == ((100.0, 0.5), (300.0, 0.8), (None, 1.2))
    with pytest.raises(TariffError) as err:
        parse_blocks("300:0.5; 100:0.8; *:1.2")
    assert err.value.code is TariffErrorCode.BLOCKS_ORDER
    with pytest.raises(TariffError) as err:
        parse_blocks("100=0.5")
    assert err.value.code is TariffErrorCode.BAD_BLOCKS


def _hm(minute: int) -> str:
    return f"{minute % 1440 // 60:02d}:{minute % 60:02d}"


@given(
    cuts=st.sets(st.integers(1, 1439), max_size=8),
    zones=st.lists(st.sampled_from(["day", "night", "peak"]), min_size=9, max_size=9),
    shift=st.integers(0, 1439),
)
def test_any_partition_of_the_day_reads_back_minute_by_minute(
    cuts: set[int], zones: list[str], shift: int
) -> None:
    """A day cut anywhere (wrapping past midnight by ``shift``), typed as text, reads back."""
    bounds = sorted({(c + shift) % 1440 for c in cuts} | {shift % 1440})
    spans = list(itertools.pairwise([*bounds, bounds[0] + 1440]))
    text = "; ".join(f"* {_hm(a)}-{_hm(b)} {zones[k]}" for k, (a, b) in enumerate(spans))
    tou = TimeOfUse({"day": 0.8, "night": 0.4, "peak": 1.2}, parse_schedule(text))
    tariff = Tariff(BUC, tou=tou)
    for k, (a, b) in enumerate(spans):
        for minute in (a, b - 1):
            at = datetime(2026, 12, 2, tzinfo=BUC) + timedelta(minutes=minute % 1440)
            assert tariff.zone_at(at) == zones[k], (text, minute)
