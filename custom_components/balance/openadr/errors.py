"""Errors of the OpenADR 3 VEN and the reason codes shown to residents (translated later)."""

from __future__ import annotations

from enum import StrEnum


class RejectReason(StrEnum):
    """Why an event from the VTN could not be understood (it is ignored as a whole)."""

    MALFORMED = "malformed"  # not an object, or required members missing / of the wrong type
    INVALID_DATETIME = "invalid_datetime"
    INVALID_DURATION = "invalid_duration"
    MISSING_INTERVAL_PERIOD = "missing_interval_period"  # no start or duration derivable
    INVALID_VALUE = "invalid_value"  # payload value out of range or of the wrong type
    UNSUPPORTED_UNITS = "unsupported_units"
    DUPLICATE_PAYLOAD = "duplicate_payload"  # one payload type twice in an interval
    TOO_MANY_INTERVALS = "too_many_intervals"


class DeclineReason(StrEnum):
    """Why a valid event was declined by the resident's bounds (reported to the VTN)."""

    NOT_OPTED_IN = "not_opted_in"
    OPTED_OUT = "opted_out"  # the resident opted out of this event
    BELOW_FLOOR = "below_floor"  # capacity limit below the resident's floor / red loads
    TOO_LONG = "too_long"
    OUTSIDE_ALLOWED_HOURS = "outside_allowed_hours"
    NO_PARTICIPATING_LOADS = "no_participating_loads"


class OpenAdrError(Exception):
    """Base class of the VEN's errors."""


class InvalidEventError(OpenAdrError):
    """An event was rejected; `reason` is a `RejectReason`, `detail` is for the log."""

    def __init__(self, reason: RejectReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class InsecureUrlError(OpenAdrError):
    """A VTN or token URL that is not HTTPS (plain HTTP is only allowed to loopback)."""


class VtnAuthError(OpenAdrError):
    """The token endpoint refused the client credentials."""


class VtnUnavailableError(OpenAdrError):
    """The VTN could not be reached (connection, TLS, timeout, 5xx).

    `maybe_delivered` is False when the request certainly never reached the VTN.
    """

    def __init__(self, detail: str, *, maybe_delivered: bool = True) -> None:
        super().__init__(detail)
        self.maybe_delivered = maybe_delivered


class VtnTlsError(VtnUnavailableError):
    """The VTN's certificate could not be verified (wrong CA, name or expired)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, maybe_delivered=False)


class VtnRequestError(OpenAdrError):
    """The VTN answered a request with a 4xx status other than 401."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status


class EnrolmentError(OpenAdrError):
    """The program named in the configuration is not offered by the VTN."""
