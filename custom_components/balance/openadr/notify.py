"""Read a VTN notification (webhook body) whatever its encoding quirks; push is wired later."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import InvalidEventError, RejectReason
from .parse import normalise
from .version import ApiVersion


@dataclass(frozen=True, slots=True)
class Notification:
    """An operation on an object: CREATE / READ / UPDATE / DELETE."""

    operation: str
    object_type: str
    object: dict[str, Any]


def parse_notification(body: Any, api: ApiVersion) -> Notification:
    """Decode a notification: snake_case keys, double-encoded JSON, 3.0.1 verb names."""
    data = normalise(body)
    if not isinstance(data, dict):
        raise InvalidEventError(RejectReason.MALFORMED, "notification is not an object")
    operation, kind, obj = data.get("operation"), data.get("objectType"), data.get("object")
    if not isinstance(operation, str) or not isinstance(kind, str) or not isinstance(obj, dict):
        raise InvalidEventError(RejectReason.MALFORMED, "notification lacks operation/object")
    name = api.operation(operation)
    if name not in {"CREATE", "READ", "UPDATE", "DELETE"}:
        raise InvalidEventError(RejectReason.MALFORMED, f"unknown operation {operation!r}")
    return Notification(name, kind.upper(), obj)
