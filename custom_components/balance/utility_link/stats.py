"""Participation statistics of a utility link: decisions counted once, energy shed per event."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypedDict

from ..openadr import Decision, DeclineReason, EventOutcome  # noqa: TID252

KEPT_DECISIONS = 500  # events whose last counted decision is remembered


class StoredStats(TypedDict):
    """Participation statistics as saved."""

    accepted: int
    declined: int
    opted_out: int
    rejected: int
    decisions: dict[str, str]
    shed_kwh: dict[str, float]
    opted_out_ids: list[str]
    relay_to: list[str] | None  # [event id, program id, end]: the utility's reporting event
    held: list[str]  # loads the shed level held off (taken over again after a restart)


@dataclass(slots=True)
class Participation:
    """How the home took part: counts per decision, energy shed per event."""

    accepted: int = 0
    declined: int = 0
    opted_out: int = 0
    rejected: int = 0
    decisions: dict[str, str] = field(default_factory=dict)  # event id -> decision counted
    shed_kwh: dict[str, float] = field(default_factory=dict)  # event id -> kWh, in order
    opted_out_ids: list[str] = field(default_factory=list)
    relay_to: list[str] | None = None  # kept so that a restart while offline still relays
    held: list[str] = field(default_factory=list)

    def count(self, outcome: EventOutcome) -> str | None:
        """Count a decision once per event and decision; returns what it counted as."""
        kind = outcome_kind(outcome)
        if kind is None or self.decisions.get(outcome.event_id) == kind:
            return None
        self.decisions[outcome.event_id] = kind
        while len(self.decisions) > KEPT_DECISIONS:
            del self.decisions[next(iter(self.decisions))]
        if kind == "accepted":
            self.accepted += 1
        elif kind == "opted_out":
            self.opted_out += 1
        elif kind == "declined":
            self.declined += 1
        else:
            self.rejected += 1
        return kind

    def to_json(self) -> StoredStats:
        """Serialisable form."""
        return {
            "accepted": self.accepted,
            "declined": self.declined,
            "opted_out": self.opted_out,
            "rejected": self.rejected,
            "decisions": dict(self.decisions),
            "shed_kwh": dict(self.shed_kwh),
            "opted_out_ids": list(self.opted_out_ids),
            "relay_to": self.relay_to,
            "held": list(self.held),
        }

    @classmethod
    def from_json(cls, data: StoredStats | None) -> Participation:
        """Inverse of `to_json` (empty statistics for None)."""
        if data is None:
            return cls()
        return cls(
            data["accepted"],
            data["declined"],
            data["opted_out"],
            data["rejected"],
            dict(data["decisions"]),
            dict(data["shed_kwh"]),
            list(data["opted_out_ids"]),
            data.get("relay_to"),
            list(data.get("held", [])),
        )


def outcome_kind(outcome: EventOutcome) -> str | None:
    """The event entity's type for an outcome: accepted, declined, opted_out or rejected."""
    if outcome.decision is Decision.ACCEPTED:
        return "accepted"
    if outcome.decision is Decision.DECLINED:
        return "opted_out" if outcome.reason is DeclineReason.OPTED_OUT else "declined"
    if outcome.decision is Decision.REJECTED:
        return "rejected"
    return None
