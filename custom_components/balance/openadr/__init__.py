"""OpenADR 3 VEN (3.1.0 and 3.0.1): the home's side of the utility link, in plain Python.

No Home Assistant import: the integration injects its aiohttp session, a report store and
callbacks, and maps the `Directive` onto load management and the tariff.
"""

from .errors import (
    DeclineReason,
    EnrolmentError,
    InsecureUrlError,
    InvalidEventError,
    OpenAdrError,
    RejectReason,
    VtnAuthError,
    VtnRequestError,
    VtnTlsError,
    VtnUnavailableError,
)
from .events import parse_event
from .model import Bounds, Decision, Directive, Event, EventOutcome, ShedLevel, Slot, Term
from .notify import Notification, parse_notification
from .plan import evaluate, resolve
from .reports import (
    JsonFileStore,
    MemoryStore,
    ReportBuffer,
    ReportStore,
    UsageSource,
    meter_report,
)
from .transport import check_url, tls_context
from .ven import Ven, VenConfig, VenStats, redact
from .version import V3_0_1, V3_1_0, VERSIONS, ApiVersion

__all__ = [
    "V3_0_1",
    "V3_1_0",
    "VERSIONS",
    "ApiVersion",
    "Bounds",
    "Decision",
    "DeclineReason",
    "Directive",
    "EnrolmentError",
    "Event",
    "EventOutcome",
    "InsecureUrlError",
    "InvalidEventError",
    "JsonFileStore",
    "MemoryStore",
    "Notification",
    "OpenAdrError",
    "RejectReason",
    "ReportBuffer",
    "ReportStore",
    "ShedLevel",
    "Slot",
    "Term",
    "UsageSource",
    "Ven",
    "VenConfig",
    "VenStats",
    "VtnAuthError",
    "VtnRequestError",
    "VtnTlsError",
    "VtnUnavailableError",
    "check_url",
    "evaluate",
    "meter_report",
    "parse_event",
    "parse_notification",
    "redact",
    "resolve",
    "tls_context",
]
