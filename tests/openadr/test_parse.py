"""Tolerant spelling, strict values: dates, durations, events, notifications."""

from __future__ import annotations

import ast
import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import pytest

from custom_components.balance.openadr import (
    V3_0_1,
    V3_1_0,
    InvalidEventError,
    RejectReason,
    ShedLevel,
    parse_event,
    parse_notification,
)
from custom_components.balance.openadr.parse import (
    FAR_FUTURE,
    INFINITE,
    add_capped,
    decode_layers,
    fold_key,
    format_duration,
    parse_datetime,
    parse_duration,
    scope_text,
)

UTC = dt.UTC
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01T12:00:00Z", NOW),
        ("2026-12-01T12:00:00.123456789Z", NOW.replace(microsecond=123456)),
        ("2026-12-01 12:00:00", NOW),
        ("2026-12-01T14:00:00+02:00", NOW),
        ("2026-12-01T14:00:00+0200", NOW),
        ("2026-12-01T07:00-05", NOW),
        ("2026-12-01t12:00:00 UTC", NOW),
        ("2026-12-01", NOW.replace(hour=0)),
    ],
)
def test_datetime_spellings(text: str, expected: dt.datetime) -> None:
    """RFC 3339 and its common near misses read as the same instant."""
    assert parse_datetime(text) == expected


@pytest.mark.parametrize(
    "text",
    ["yesterday", "2026-13-01T00:00:00Z", "", 1700000000, None, "0001-01-01T00:00:00+01:00"],
)
def test_datetime_rejected(text: Any) -> None:
    """Anything else is an invalid_datetime rejection."""
    with pytest.raises(InvalidEventError) as caught:
        parse_datetime(text)
    assert caught.value.reason is RejectReason.INVALID_DATETIME


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT5M", dt.timedelta(minutes=5)),
        ("PT1H30M", dt.timedelta(minutes=90)),
        ("P1DT0.5S", dt.timedelta(days=1, seconds=0.5)),
        ("P2W", dt.timedelta(days=14)),
        ("P1Y", dt.timedelta(days=365)),
        ("P1M", dt.timedelta(days=30)),
        ("pt15m", dt.timedelta(minutes=15)),
        ("-PT1H", -dt.timedelta(hours=1)),
        ("P9999Y", INFINITE),
        ("P99999999999999999999D", INFINITE),
        ("PT" + "9" * 400 + "S", INFINITE),
    ],
)
def test_durations(text: str, expected: dt.timedelta) -> None:
    """ISO 8601 durations, P9999Y meaning 'forever'."""
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["P", "PT", "1H", "PT5X", 300, "P" + "9" * 5000 + "D"])
def test_duration_rejected(text: Any) -> None:
    """Malformed durations are rejected."""
    with pytest.raises(InvalidEventError) as caught:
        parse_duration(text)
    assert caught.value.reason is RejectReason.INVALID_DURATION


def test_helpers() -> None:
    """Key folding, nested JSON, scope lists, capped addition, duration output."""
    assert fold_key("program_id") == "programID"
    assert fold_key("ModificationDateTime") == "modificationDateTime"
    assert fold_key("vendorThing") == "vendorThing"
    assert decode_layers(json.dumps(json.dumps({"a": 1}))) == {"a": 1}
    assert decode_layers(b'{"a": 1}') == {"a": 1}
    assert decode_layers("{not json") == "{not json"
    assert decode_layers("plain") == "plain"
    assert scope_text(["a", "b"]) == "a b"
    assert scope_text("a b") == "a b"
    assert scope_text(None) == ""
    assert add_capped(NOW, INFINITE) == FAR_FUTURE
    assert add_capped(NOW, -dt.timedelta(hours=1)) == NOW - dt.timedelta(hours=1)
    assert format_duration(dt.timedelta()) == "PT0S"
    assert format_duration(dt.timedelta(days=2)) == "P2D"
    assert format_duration(dt.timedelta(days=1, seconds=5)) == "P1DT5S"


def nested(depth: int) -> list[Any]:
    """A list nested `depth` times (deeper than the recursion limit)."""
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


def event(**changes: Any) -> dict[str, Any]:
    """A minimal valid event at NOW."""
    body: dict[str, Any] = {
        "id": "e1",
        "programID": "p1",
        "modificationDateTime": "2026-12-01T11:00:00Z",
        "intervalPeriod": {"start": "2026-12-01T12:00:00Z", "duration": "PT5M"},
        "intervals": [{"id": 0, "payloads": [{"type": "SIMPLE", "values": [1]}]}],
    }
    body.update(changes)
    return body


def parse(body: dict[str, Any], seed: int = 1) -> Any:
    """Parse with a fixed seed."""
    return parse_event(body, now=NOW, rng=random.Random(seed))


def reason(body: Any) -> RejectReason:
    """The rejection reason of an event."""
    with pytest.raises(InvalidEventError) as caught:
        parse_event(body, now=NOW, rng=random.Random(1))
    return caught.value.reason


def test_interval_period_inheritance() -> None:
    """Intervals follow each other; an own start or duration overrides the event's."""
    parsed = parse(
        event(
            intervals=[
                {"id": 0, "payloads": [{"type": "SIMPLE", "values": [1]}]},
                {
                    "id": 1,
                    "intervalPeriod": {"duration": "PT10M"},
                    "payloads": [{"type": "SIMPLE", "values": [2]}],
                },
                {"id": 2, "payloads": [{"type": "SIMPLE", "values": [3]}]},
                {
                    "id": 3,
                    "intervalPeriod": {"start": "2026-12-01T14:00:00Z"},
                    "payloads": [{"type": "SIMPLE", "values": [0]}],
                },
            ]
        )
    )
    starts = [(slot.start - NOW, slot.end - slot.start, slot.shed) for slot in parsed.slots]
    minutes = dt.timedelta(minutes=1)
    assert starts == [
        (0 * minutes, 5 * minutes, ShedLevel.GREEN),
        (5 * minutes, 10 * minutes, ShedLevel.GREEN_YELLOW_ROTATION),
        (15 * minutes, 5 * minutes, ShedLevel.ALL_SHEDDABLE),
        (120 * minutes, 5 * minutes, ShedLevel.NORMAL),
    ]
    assert parsed.interval_ids == (0, 1, 2, 3)
    assert parsed.controls


def test_do_it_now_and_multi_valued_price() -> None:
    """0001-01-01 is 'now'; several prices split an interval into sub-intervals."""
    parsed = parse(
        event(
            intervalPeriod={"start": "0001-01-01", "duration": "PT3H"},
            payloadDescriptors=[
                {
                    "objectType": "EVENT_PAYLOAD_DESCRIPTOR",
                    "payloadType": "PRICE",
                    "currency": "EUR",
                }
            ],
            intervals=[{"id": 0, "payloads": [{"type": "PRICE", "values": [0.1, 0.2, 0.3]}]}],
        )
    )
    assert [(slot.start, slot.price) for slot in parsed.slots] == [
        (NOW + dt.timedelta(hours=hour), price) for hour, price in ((0, 0.1), (1, 0.2), (2, 0.3))
    ]
    assert parsed.currency == "EUR"
    assert not parsed.controls
    only_interval = parse(
        event(
            intervalPeriod=None,
            intervals=[
                {
                    "id": 0,
                    "intervalPeriod": {"start": "0001-01-01T00:00:00", "duration": "P9999Y"},
                    "payloads": [{"type": "SIMPLE", "values": [1]}],
                }
            ],
        )
    )
    assert only_interval.slots[0].start == NOW
    assert only_interval.slots[0].end == FAR_FUTURE


def test_event_duration_cuts_and_repeats() -> None:
    """event.duration shortens the intervals or loops them (bounded)."""
    cut = parse(event(duration="PT2M"))
    assert cut.end - cut.start == dt.timedelta(minutes=2)
    looped = parse(event(duration="PT20M"))
    assert len(looped.slots) == 4
    assert looped.end == NOW + dt.timedelta(minutes=20)
    forever = parse(event(duration="P9999Y"))
    assert forever.end <= NOW + dt.timedelta(days=8, minutes=5)


def test_units_and_limits() -> None:
    """Capacity limits in W, kW or MW; other units are refused."""

    def limit(value: Any, units: str | None) -> Any:
        descriptors = (
            []
            if units is None
            else [
                {
                    "objectType": "EVENT_PAYLOAD_DESCRIPTOR",
                    "payloadType": "IMPORT_CAPACITY_LIMIT",
                    "units": units,
                }
            ]
        )
        return event(
            payloadDescriptors=descriptors,
            intervals=[
                {"id": 0, "payloads": [{"type": "IMPORT_CAPACITY_LIMIT", "values": [value]}]}
            ],
        )

    assert parse(limit(5, None)).slots[0].limit_kw == 5.0
    assert parse(limit(4200, "W")).slots[0].limit_kw == 4.2
    assert parse(limit(0.01, "mw")).slots[0].limit_kw == 10.0
    assert reason(limit(5, "A")) is RejectReason.UNSUPPORTED_UNITS
    for bad in ("5", -1, True, float("nan"), None):
        assert reason(limit(bad, None)) is RejectReason.INVALID_VALUE


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"id": None}, RejectReason.MALFORMED),
        ({"programID": ""}, RejectReason.MALFORMED),
        ({"intervals": "x"}, RejectReason.MALFORMED),
        ({"intervalPeriod": []}, RejectReason.MALFORMED),
        ({"payloadDescriptors": [{"units": "KW"}]}, RejectReason.MALFORMED),
        ({"payloadDescriptors": ["x"]}, RejectReason.MALFORMED),
        ({"priority": "1"}, RejectReason.INVALID_VALUE),
        ({"priority": -1}, RejectReason.INVALID_VALUE),
        ({"modificationDateTime": "now"}, RejectReason.INVALID_DATETIME),
        (
            {"intervalPeriod": {"start": "2026-12-01T12:00:00Z"}},
            RejectReason.MISSING_INTERVAL_PERIOD,
        ),
        ({"intervalPeriod": {"duration": "PT5M"}}, RejectReason.MISSING_INTERVAL_PERIOD),
        (
            {"intervalPeriod": {"start": "0001-01-01", "duration": "-PT5M"}},
            RejectReason.INVALID_DURATION,
        ),
        ({"duration": "-PT1H"}, RejectReason.INVALID_DURATION),
        (
            {
                "intervalPeriod": {
                    "start": "0001-01-01",
                    "duration": "PT5M",
                    "randomizeStart": "P9999Y",
                }
            },
            RejectReason.INVALID_DURATION,
        ),
        ({"intervals": [{"id": "0", "payloads": []}]}, RejectReason.MALFORMED),
        ({"intervals": [{"id": 0, "payloads": [{"type": "SIMPLE"}]}]}, RejectReason.MALFORMED),
        (
            {"intervals": [{"id": 0, "payloads": [{"type": "SIMPLE", "values": [1]}] * 2}]},
            RejectReason.DUPLICATE_PAYLOAD,
        ),
        (
            {"intervals": [{"id": 0, "payloads": [{"type": "SIMPLE", "values": [1, 2]}]}]},
            RejectReason.INVALID_VALUE,
        ),
        (
            {"intervals": [{"id": 0, "payloads": [{"type": "SIMPLE", "values": [1.0]}]}]},
            RejectReason.INVALID_VALUE,
        ),
        (
            {"intervals": [{"id": 0, "payloads": [{"type": "PRICE", "values": []}]}]},
            RejectReason.INVALID_VALUE,
        ),
        (
            {
                "intervalPeriod": {"start": "0001-01-01", "duration": "P9999Y"},
                "intervals": [{"id": 0, "payloads": [{"type": "PRICE", "values": [1, 2]}]}],
            },
            RejectReason.INVALID_VALUE,
        ),
        (
            {"intervals": [{"id": n, "payloads": []} for n in range(4097)]},
            RejectReason.TOO_MANY_INTERVALS,
        ),
        (
            {
                "intervalPeriod": {"start": "9999-12-31T23:00:00Z", "duration": "PT2H"},
                "intervals": [{"id": 0, "payloads": [{"type": "PRICE", "values": [1, 2]}]}],
            },
            RejectReason.INVALID_DATETIME,
        ),
        ({"intervals": nested(5000)}, RejectReason.MALFORMED),
    ],
)
def test_invalid_events(changes: dict[str, Any], expected: RejectReason) -> None:
    """Each defect rejects the whole event with its reason."""
    assert reason(event(**changes)) is expected


def test_event_extras() -> None:
    """Unknown payloads are ignored, integer ids accepted, report requests kept."""
    parsed = parse(
        event(
            id=7,
            priority=2,
            eventName="peak",
            reportDescriptors=[
                {"payloadType": "USAGE", "readingType": "DIRECT_READ", "units": "KWH"},
                {"payloadType": "STORAGE_CHARGE_LEVEL"},
            ],
            intervals=[{"id": 0, "payloads": [{"type": "ALERT_OTHER", "values": ["x"]}]}],
        )
    )
    assert parsed.id == "7"
    assert (parsed.priority, parsed.name) == (2, "peak")
    assert [request.payload_type for request in parsed.report_requests] == ["USAGE"]
    assert not parsed.controls
    assert reason("[]") is RejectReason.MALFORMED


def test_randomize_start_per_interval() -> None:
    """An interval with its own randomizeStart draws a new offset for its absolute start."""
    body = event(
        intervals=[
            {"id": 0, "payloads": []},
            {
                "id": 1,
                "intervalPeriod": {"start": "2026-12-01T13:00:00Z", "randomizeStart": "PT1M"},
                "payloads": [],
            },
        ]
    )
    first, second = parse(body).slots
    assert first.start == NOW
    assert abs(second.start - (NOW + dt.timedelta(hours=1))) <= dt.timedelta(minutes=1)
    assert second.start != NOW + dt.timedelta(hours=1)


def test_notifications() -> None:
    """3.0.1 verbs map to CRUD names; a double-encoded object is decoded."""
    inner = json.dumps({"id": "e1", "program_id": "p1"})
    note = parse_notification(
        json.dumps({"operation": "POST", "object_type": "event", "object": inner}), V3_0_1
    )
    assert (note.operation, note.object_type, note.object["programID"]) == ("CREATE", "EVENT", "p1")
    assert (
        parse_notification(
            {"operation": "delete", "objectType": "EVENT", "object": {}}, V3_1_0
        ).operation
        == "DELETE"
    )
    for bad in ([], {"operation": "POST", "objectType": "EVENT", "object": {}}, {"operation": 1}):
        with pytest.raises(InvalidEventError):
            parse_notification(bad, V3_1_0)


def test_package_is_plain_python() -> None:
    """The VEN imports nothing from Home Assistant nor from the integration around it."""
    package = Path(__file__).resolve().parents[2] / "custom_components/balance/openadr"
    imported: set[str] = set()
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                imported.add("." * node.level + (node.module or ""))
    assert not [name for name in imported if name.startswith(("homeassistant", "..", "custom_"))]
    assert "aiohttp" in imported
