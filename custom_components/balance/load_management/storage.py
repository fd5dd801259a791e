"""What the load manager keeps across restarts (JSON via a Store)."""

from __future__ import annotations

from typing import NotRequired, TypedDict

from ..dlm import HeldRecord, LoadStatus, PersistedState  # noqa: TID252


class StoredHeld(TypedDict):
    """A load the engine held off."""

    status: str
    since: float


class StoredGreen(TypedDict):
    """Progress of a green load in its cycle."""

    ran_s: float
    cycle_end: float | None
    overridden: NotRequired[bool]


class StoredManual(TypedDict):
    """A load shed through the `balance.shed` action."""

    since: float
    until: float | None


class StoredState(TypedDict):
    """The load manager's persisted state."""

    enabled: bool
    day: str
    held: dict[str, StoredHeld]
    off_today: dict[str, float]
    manual: dict[str, StoredManual]
    green: dict[str, StoredGreen]
    limits: NotRequired[dict[str, list[float]]]
    profiles: NotRequired[dict[str, dict[str, list[float | None]]]]  # load -> day -> slots


def to_persisted(stored: StoredState | None, same_day: bool) -> PersistedState:
    """Engine view of the stored state (daily counters only when still the same day)."""
    if stored is None:
        return PersistedState()
    held = {
        load_id: HeldRecord(LoadStatus(rec["status"]), rec["since"])
        for load_id, rec in stored["held"].items()
    }
    profiles = {
        load_id: {
            int(day): row
            for day, row in days.items()
            if isinstance(day, str) and day.isdigit() and isinstance(row, list)
        }
        for load_id, days in stored.get("profiles", {}).items()
        if isinstance(days, dict)
    }
    return PersistedState(
        held=held, off_today_s=stored["off_today"] if same_day else {}, profiles=profiles
    )


def from_persisted(
    state: PersistedState,
) -> tuple[dict[str, StoredHeld], dict[str, float], dict[str, dict[str, list[float | None]]]]:
    """JSON view of what the engine exports (held loads, daily counters, demand profiles)."""
    held: dict[str, StoredHeld] = {
        load_id: {"status": rec.status.value, "since": rec.since_s}
        for load_id, rec in state.held.items()
    }
    profiles = {
        load_id: {str(day): list(row) for day, row in days.items()}
        for load_id, days in state.profiles.items()
    }
    return held, dict(state.off_today_s), profiles
