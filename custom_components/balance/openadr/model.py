"""Plain data of the VEN: parsed events, the resident's bounds and the DR directive."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from enum import IntEnum, StrEnum

from .errors import DeclineReason, RejectReason


class ShedLevel(IntEnum):
    """OpenADR `SIMPLE` levels as BALANCE acts on them (red loads are never shed)."""

    NORMAL = 0
    GREEN = 1  # shed green loads
    GREEN_YELLOW_ROTATION = 2  # shed green loads, rotate yellow loads within their max-off time
    ALL_SHEDDABLE = 3  # shed every green and yellow load


class Decision(StrEnum):
    """What the VEN did with an event."""

    ACCEPTED = "accepted"
    DECLINED = "declined"
    REJECTED = "rejected"  # invalid: not understood, ignored as a whole
    INFORMATIONAL = "informational"  # valid but carries nothing the home acts on


@dataclass(frozen=True, slots=True)
class Slot:
    """One time window of an event with at most one value per payload type."""

    start: datetime
    end: datetime
    limit_kw: float | None = None
    shed: ShedLevel | None = None
    price: float | None = None


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """A `reportDescriptor` the VEN can honour."""

    payload_type: str
    reading_type: str | None = None
    units: str | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """A validated OpenADR event, its intervals resolved to absolute times."""

    id: str
    program_id: str
    name: str | None
    priority: int | None
    modified: str  # modificationDateTime as sent, for change detection
    slots: tuple[Slot, ...]
    report_requests: tuple[ReportRequest, ...] = ()
    currency: str | None = None
    interval_ids: tuple[int, ...] = ()

    @property
    def start(self) -> datetime:
        """Start of the first slot."""
        return min(slot.start for slot in self.slots)

    @property
    def end(self) -> datetime:
        """End of the last slot."""
        return max(slot.end for slot in self.slots)

    @property
    def controls(self) -> bool:
        """True if the event asks the home to limit or shed (not only prices)."""
        return any(
            slot.limit_kw is not None or (slot.shed is not None and slot.shed > ShedLevel.NORMAL)
            for slot in self.slots
        )


@dataclass(frozen=True, slots=True)
class Bounds:
    """What the resident allows the utility to do. Participation is off by default."""

    opted_in: bool = False
    floor_kw: float = 0.0  # lowest capacity limit accepted (e.g. 4.2 kW under §14a EnWG)
    red_loads_kw: float = 0.0  # what red loads need: the floor never goes below it
    longest_event: timedelta = timedelta(hours=4)
    allowed_hours: tuple[int, int] = (0, 24)  # [from, to) in local hours; from > to wraps
    timezone: tzinfo | None = None  # local time of `allowed_hours` (UTC if None)
    participating_loads: frozenset[str] = frozenset()

    @property
    def effective_floor_kw(self) -> float:
        """The floor that is enforced: never below the red loads' need."""
        return max(self.floor_kw, self.red_loads_kw)


@dataclass(frozen=True, slots=True)
class EventOutcome:
    """The VEN's decision on one event, for entities, logbook and the report to the VTN."""

    event_id: str
    program_id: str | None
    modified: str | None
    decision: Decision
    reason: RejectReason | DeclineReason | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Term:
    """One stretch of the directive: the binding DR values and the events they come from."""

    start: datetime
    end: datetime
    limit_w: float | None = None
    shed: ShedLevel = ShedLevel.NORMAL
    price: float | None = None
    currency: str | None = None
    event_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Directive:
    """What load management and the tariff take from the utility link, as a timeline."""

    terms: tuple[Term, ...] = ()
    participating_loads: frozenset[str] = frozenset()
    fallback: bool = False  # the program's safe mode, applied because the link is lost
    outcomes: Mapping[str, EventOutcome] = field(default_factory=dict)

    def at(self, moment: datetime) -> Term | None:
        """The term in force at `moment` (None: no DR request)."""
        for term in self.terms:
            if term.start <= moment < term.end:
                return term
        return None

    def first_shed(self, after: datetime | None = None) -> Term | None:
        """The earliest term that limits or sheds (and ends after `after`, if given)."""
        for term in self.terms:
            if after is not None and term.end <= after:
                continue
            if term.limit_w is not None or term.shed > ShedLevel.NORMAL:
                return term
        return None
