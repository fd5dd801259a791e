"""Tolerant readers for what real VTNs send: dates, durations, key spellings, nested JSON.

Tolerance is about *spelling* only; values are validated strictly by the callers.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from .errors import InvalidEventError, RejectReason

BEGINNING_OF_TIME = datetime(1, 1, 1, tzinfo=UTC)  # "0001-01-01": 'now' / follow previous
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)  # end of an interval lasting P9999Y
INFINITE = timedelta(days=9999 * 365)

_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$"
)
_DURATION = re.compile(
    r"^(-?)P(?=\d|T\d)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
    r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$"
)

# Canonical spellings of the members the VEN reads, keyed by their folded form, so that
# `program_id`, `programId` and `ProgramID` all read as `programID`.
_KNOWN_KEYS = [
    "id",
    "createdDateTime",
    "modificationDateTime",
    "objectType",
    "programName",
    "programID",
    "eventName",
    "eventID",
    "priority",
    "targets",
    "reportDescriptors",
    "payloadDescriptors",
    "intervalPeriod",
    "intervals",
    "start",
    "duration",
    "randomizeStart",
    "payloads",
    "type",
    "values",
    "payloadType",
    "units",
    "currency",
    "readingType",
    "startInterval",
    "numIntervals",
    "historical",
    "frequency",
    "repeat",
    "aggregate",
    "reportIntervals",
    "attributes",
    "venName",
    "venID",
    "clientID",
    "clientName",
    "resourceName",
    "resources",
    "operation",
    "object",
    "tokenURL",
    "reportName",
    "x",
    "y",
    "access_token",
    "token_type",
    "expires_in",
    "refresh_token",
    "scope",
]
_CANONICAL = {key.replace("_", "").lower(): key for key in _KNOWN_KEYS}


def fold_key(key: str) -> str:
    """The canonical spelling of a member name (unknown names are kept as they are)."""
    return _CANONICAL.get(key.replace("_", "").replace("-", "").lower(), key)


def decode_layers(value: Any, depth: int = 3) -> Any:
    """Undo JSON that was encoded more than once (a string holding an object or array)."""
    for _ in range(depth):
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if not isinstance(value, str):
            break
        text = value.strip()
        if not text.startswith(("{", "[", '"')):
            break
        try:
            value = json.loads(text)
        except ValueError:
            break
    return value


def normalise(value: Any) -> Any:
    """Fold member names recursively and decode double-encoded nested objects."""
    value = decode_layers(value)
    if isinstance(value, dict):
        return {fold_key(str(key)): normalise(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalise(item) for item in value]
    return value


def parse_datetime(value: Any) -> datetime:
    """RFC 3339, and the near misses servers send: a space, no offset (UTC), `+0000`,
    nanoseconds, a bare date. Raises `InvalidEventError(INVALID_DATETIME)`."""
    if isinstance(value, str):
        match = _DATETIME.match(value.strip())
        if match:
            year, month, day, hour, minute, second, fraction, offset = match.groups()
            micro = int((fraction or "0")[:6].ljust(6, "0"))
            try:
                moment = datetime(
                    int(year),
                    int(month),
                    int(day),
                    int(hour or 0),
                    int(minute or 0),
                    int(second or 0),
                    micro,
                    tzinfo=UTC,
                )
                return moment - _offset(offset)
            except (ValueError, OverflowError):
                pass
    raise InvalidEventError(RejectReason.INVALID_DATETIME, f"not a date and time: {value!r}")


def _offset(text: str | None) -> timedelta:
    if not text or text in {"Z", "z", "UTC", "GMT"}:
        return timedelta()
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))


def parse_duration(value: Any) -> timedelta:
    """ISO 8601 duration (Y = 365 d, M = 30 d); P9999Y and longer give `INFINITE`."""
    match = _DURATION.match(value.strip().upper()) if isinstance(value, str) else None
    if match is None:
        raise InvalidEventError(RejectReason.INVALID_DURATION, f"not a duration: {value!r}")
    sign, years, months, weeks, days, hours, minutes, seconds = match.groups()
    try:
        total = timedelta(
            days=int(years or 0) * 365
            + int(months or 0) * 30
            + int(weeks or 0) * 7
            + int(days or 0),
            hours=int(hours or 0),
            minutes=int(minutes or 0),
            seconds=float((seconds or "0").replace(",", ".")),
        )
    except OverflowError:
        total = INFINITE
    except ValueError as err:  # more digits than int() accepts
        raise InvalidEventError(RejectReason.INVALID_DURATION, "absurd duration") from err
    total = min(total, INFINITE)
    return -total if sign else total


def format_datetime(moment: datetime) -> str:
    """RFC 3339 in UTC with a `Z`, as the VEN sends it."""
    text = moment.astimezone(UTC).isoformat(timespec="seconds")
    return text.replace("+00:00", "Z")


def format_duration(span: timedelta) -> str:
    """ISO 8601 duration in seconds, e.g. `PT3600S` (days kept for long spans)."""
    seconds = round(span.total_seconds())
    days, rest = divmod(seconds, 86400)
    if not rest:
        return f"P{days}D" if days else "PT0S"
    return f"P{days}DT{rest}S" if days else f"PT{rest}S"


def add_capped(start: datetime, span: timedelta) -> datetime:
    """`start + span`, saturating at `FAR_FUTURE` (P9999Y must not overflow)."""
    if span >= INFINITE or (span > timedelta() and start >= FAR_FUTURE - span):
        return FAR_FUTURE
    return start + span


def finite_number(value: Any) -> float | None:
    """The value as a float if it is a real JSON number (not a bool, NaN or a string)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def scope_text(value: Any) -> str:
    """OAuth2 scope: servers send a space-separated string or a list of strings."""
    if isinstance(value, list):
        return " ".join(str(item) for item in value)
    return value if isinstance(value, str) else ""
