"""Turn an OpenADR event object into a validated `Event`, or reject it whole."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from .errors import InvalidEventError, RejectReason
from .model import Event, ReportRequest, ShedLevel, Slot
from .parse import (
    BEGINNING_OF_TIME,
    INFINITE,
    add_capped,
    finite_number,
    normalise,
    parse_datetime,
    parse_duration,
)

CAPACITY_LIMIT = "IMPORT_CAPACITY_LIMIT"
SIMPLE = "SIMPLE"
PRICE = "PRICE"
SUPPORTED_REPORTS = frozenset({"USAGE", "DEMAND", "OPERATING_STATE"})
MAX_SLOTS = 4096
REPEAT_HORIZON = timedelta(days=8)  # how far an event repeated by `duration` is unrolled
_KW_PER_UNIT = {"KW": 1.0, "W": 0.001, "MW": 1000.0}


def _fail(reason: RejectReason, detail: str) -> InvalidEventError:
    return InvalidEventError(reason, detail)


def _object_id(value: Any, what: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip() or len(value) > 128:
        raise _fail(RejectReason.MALFORMED, f"{what} missing or invalid: {value!r}")
    return value.strip()


def _mapping(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(RejectReason.MALFORMED, f"{what} is not an object")
    return value


def _sequence(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _fail(RejectReason.MALFORMED, f"{what} is not a list")
    return value


def parse_event(raw: Any, *, now: datetime, rng: random.Random) -> Event:
    """Validate an event (already decoded JSON, any key spelling).

    `now` places 'do it now' intervals; `rng` draws the `randomizeStart` offset. Raises only
    `InvalidEventError`, whatever the input.
    """
    try:
        return _parse_event(raw, now, rng)
    except OverflowError as err:  # times pushed before year 1 or past 9999
        raise _fail(RejectReason.INVALID_DATETIME, "time out of range") from err
    except RecursionError as err:
        raise _fail(RejectReason.MALFORMED, "nested too deeply") from err


def _parse_event(raw: Any, now: datetime, rng: random.Random) -> Event:
    obj = _mapping(normalise(raw), "event")
    event_id = _object_id(obj.get("id"), "id")
    program_id = _object_id(obj.get("programID"), "programID")
    modified = obj.get("modificationDateTime") or obj.get("createdDateTime") or ""
    if modified:
        parse_datetime(modified)
    priority = obj.get("priority")
    if priority is not None and (
        isinstance(priority, bool) or not isinstance(priority, int) or priority < 0
    ):
        raise _fail(RejectReason.INVALID_VALUE, f"priority {priority!r}")
    name = obj.get("eventName")
    units, currency = _descriptors(obj.get("payloadDescriptors"))
    slots, interval_ids = _slots(obj, units=units, now=now, rng=rng)
    if obj.get("duration") is not None and slots:
        slots = _fit_duration(slots, parse_duration(obj["duration"]), now)
    return Event(
        id=event_id,
        program_id=program_id,
        name=name if isinstance(name, str) else None,
        priority=priority,
        modified=str(modified),
        slots=tuple(slot for slot in slots if slot.end > slot.start),
        report_requests=_report_requests(obj.get("reportDescriptors")),
        currency=currency,
        interval_ids=interval_ids,
    )


def _descriptors(value: Any) -> tuple[dict[str, str | None], str | None]:
    """Units per payload type and the price currency; a missing descriptor means defaults."""
    units: dict[str, str | None] = {}
    currency: str | None = None
    for item in _sequence(value, "payloadDescriptors"):
        descriptor = _mapping(item, "payloadDescriptor")
        payload_type = descriptor.get("payloadType")
        if not isinstance(payload_type, str):
            raise _fail(RejectReason.MALFORMED, "payloadDescriptor without payloadType")
        unit = descriptor.get("units")
        units[payload_type] = unit.upper() if isinstance(unit, str) else None
        if payload_type == PRICE and isinstance(descriptor.get("currency"), str):
            currency = descriptor["currency"]
    return units, currency


def _report_requests(value: Any) -> tuple[ReportRequest, ...]:
    requests = []
    for item in _sequence(value, "reportDescriptors"):
        descriptor = _mapping(item, "reportDescriptor")
        payload_type = descriptor.get("payloadType")
        if payload_type in SUPPORTED_REPORTS:
            reading = descriptor.get("readingType")
            unit = descriptor.get("units")
            requests.append(
                ReportRequest(
                    str(payload_type),
                    reading if isinstance(reading, str) else None,
                    unit if isinstance(unit, str) else None,
                )
            )
    return tuple(requests)


def _values(payloads: Any, units: dict[str, str | None]) -> dict[str, list[float]]:
    """Validated values of the payload types the home acts on, per type."""
    found: dict[str, list[float]] = {}
    for item in _sequence(payloads, "payloads"):
        payload = _mapping(item, "payload")
        kind = payload.get("type")
        values = payload.get("values")
        if not isinstance(kind, str) or not isinstance(values, list):
            raise _fail(RejectReason.MALFORMED, "payload without type or values")
        if kind in found:
            raise _fail(RejectReason.DUPLICATE_PAYLOAD, kind)
        if kind == CAPACITY_LIMIT:
            found[kind] = [_capacity_kw(values, units.get(kind))]
        elif kind == SIMPLE:
            found[kind] = [float(_simple_level(values))]
        elif kind == PRICE:
            found[kind] = _prices(values)
    return found


def _capacity_kw(values: list[Any], unit: str | None) -> float:
    number = finite_number(values[0]) if len(values) == 1 else None
    if number is None or number < 0:
        raise _fail(RejectReason.INVALID_VALUE, f"{CAPACITY_LIMIT} {values!r}")
    factor = _KW_PER_UNIT.get(unit or "KW")
    if factor is None:
        raise _fail(RejectReason.UNSUPPORTED_UNITS, f"{CAPACITY_LIMIT} in {unit}")
    return number * factor


def _simple_level(values: list[Any]) -> ShedLevel:
    level = values[0] if len(values) == 1 else None
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 3:
        raise _fail(RejectReason.INVALID_VALUE, f"{SIMPLE} {values!r}")
    return ShedLevel(level)


def _prices(values: list[Any]) -> list[float]:
    prices = [finite_number(value) for value in values]
    if not prices or any(price is None for price in prices):
        raise _fail(RejectReason.INVALID_VALUE, f"{PRICE} {values!r}")
    return [price for price in prices if price is not None]


def _draw(rng: random.Random, spread: Any) -> timedelta:
    span = abs(parse_duration(spread))
    if span >= INFINITE:
        raise _fail(RejectReason.INVALID_DURATION, "randomizeStart is infinite")
    return timedelta(seconds=rng.uniform(-span.total_seconds(), span.total_seconds()))


def _slots(
    obj: dict[str, Any], *, units: dict[str, str | None], now: datetime, rng: random.Random
) -> tuple[list[Slot], tuple[int, ...]]:
    default = _mapping(obj.get("intervalPeriod"), "intervalPeriod")
    default_start = parse_datetime(default["start"]) if "start" in default else None
    if default_start == BEGINNING_OF_TIME:
        default_start = now
    default_duration = parse_duration(default["duration"]) if "duration" in default else None
    offset = _draw(rng, default["randomizeStart"]) if "randomizeStart" in default else timedelta()
    intervals = _sequence(obj.get("intervals"), "intervals")
    if len(intervals) > MAX_SLOTS:
        raise _fail(RejectReason.TOO_MANY_INTERVALS, str(len(intervals)))
    slots: list[Slot] = []
    ids: list[int] = []
    previous_end: datetime | None = None
    for item in intervals:
        interval = _mapping(item, "interval")
        interval_id = interval.get("id")
        if isinstance(interval_id, bool) or not isinstance(interval_id, int):
            raise _fail(RejectReason.MALFORMED, f"interval id {interval_id!r}")
        period = _mapping(interval.get("intervalPeriod"), "intervalPeriod")
        if "randomizeStart" in period:
            offset = _draw(rng, period["randomizeStart"])
        own_start = parse_datetime(period["start"]) if "start" in period else None
        if own_start is not None and own_start != BEGINNING_OF_TIME:
            start = own_start + offset
        elif previous_end is not None:
            start = previous_end
        elif default_start is not None:
            start = default_start + offset
        elif own_start == BEGINNING_OF_TIME:
            start = now + offset
        else:
            raise _fail(RejectReason.MISSING_INTERVAL_PERIOD, f"interval {interval_id}: no start")
        duration = parse_duration(period["duration"]) if "duration" in period else default_duration
        if duration is None:
            raise _fail(RejectReason.MISSING_INTERVAL_PERIOD, f"interval {interval_id}: duration")
        if duration < timedelta():
            raise _fail(RejectReason.INVALID_DURATION, f"interval {interval_id}: negative")
        values = _values(interval.get("payloads"), units)
        slots.extend(_split(start, duration, values))
        ids.append(interval_id)
        previous_end = add_capped(start, duration)
    if len(slots) > MAX_SLOTS:
        raise _fail(RejectReason.TOO_MANY_INTERVALS, str(len(slots)))
    return slots, tuple(ids)


def _split(start: datetime, duration: timedelta, values: dict[str, list[float]]) -> list[Slot]:
    """One slot per price of a multi-valued PRICE payload (sub-intervals), else one slot."""
    limit = values.get(CAPACITY_LIMIT, [None])[0]
    level = values.get(SIMPLE)
    shed = ShedLevel(int(level[0])) if level else None
    prices: list[float | None] = list(values.get(PRICE, [None]))
    if len(prices) > 1 and duration >= INFINITE:
        raise _fail(RejectReason.INVALID_VALUE, "several prices in an endless interval")
    step = duration / len(prices)
    return [
        Slot(
            start=start + step * index,
            end=add_capped(start, duration)
            if index == len(prices) - 1
            else start + step * (index + 1),
            limit_kw=limit,
            shed=shed,
            price=price,
        )
        for index, price in enumerate(prices)
    ]


def _fit_duration(slots: list[Slot], span: timedelta, now: datetime) -> list[Slot]:
    """Apply `event.duration`: cut the intervals short, or repeat them (bounded)."""
    if span < timedelta():
        raise _fail(RejectReason.INVALID_DURATION, "negative event duration")
    first = min(slot.start for slot in slots)
    cycle = max(slot.end for slot in slots) - first
    end = add_capped(first, span)
    fitted: list[Slot] = []
    shift = timedelta()
    horizon = max(now, first) + REPEAT_HORIZON
    while cycle > timedelta() and len(fitted) < MAX_SLOTS:
        if shift and add_capped(first, shift) >= min(end, horizon):
            break
        for slot in slots:
            start, stop = add_capped(slot.start, shift), min(add_capped(slot.end, shift), end)
            if start >= end or start >= horizon:
                return fitted
            fitted.append(replace(slot, start=start, end=stop))
        shift += cycle
    return fitted
