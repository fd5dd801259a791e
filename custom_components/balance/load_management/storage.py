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
    jobs: NotRequired[StoredJobs]
    climate: NotRequired[dict[str, StoredClimate]]
    plans: NotRequired[dict[str, StoredPlan]]


class StoredJobs(TypedDict):
    """Energy delivered per job and the capacity period (engine state)."""

    energy_wh: dict[str, float]
    capacity_period_start_s: float | None
    capacity_period_wh: float
    month_peak_w: float
    month_peak_start_s: float | None


class StoredClimate(TypedDict):
    """What load management changed on a climate entity."""

    normal_c: float | None
    setback_c: float | None
    hvac_mode: str | None


class StoredPlan(TypedDict):
    """A charger job's need set by balance.set_plan."""

    energy_wh: float | None
    target_soc: float | None
    deadline_s: float | None


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
    jobs = stored.get("jobs")
    return PersistedState(
        held=held,
        off_today_s=stored["off_today"] if same_day else {},
        profiles=profiles,
        energy_wh=dict(jobs["energy_wh"]) if jobs else {},
        capacity_period_start_s=jobs["capacity_period_start_s"] if jobs else None,
        capacity_period_wh=jobs["capacity_period_wh"] if jobs else 0.0,
        month_peak_w=jobs["month_peak_w"] if jobs else 0.0,
        month_peak_start_s=jobs["month_peak_start_s"] if jobs else None,
    )


def from_persisted(
    state: PersistedState,
) -> tuple[
    dict[str, StoredHeld], dict[str, float], dict[str, dict[str, list[float | None]]], StoredJobs
]:
    """JSON view of what the engine exports (holds, daily counters, profiles, jobs)."""
    held: dict[str, StoredHeld] = {
        load_id: {"status": rec.status.value, "since": rec.since_s}
        for load_id, rec in state.held.items()
    }
    profiles = {
        load_id: {str(day): list(row) for day, row in days.items()}
        for load_id, days in state.profiles.items()
    }
    jobs: StoredJobs = {
        "energy_wh": dict(state.energy_wh),
        "capacity_period_start_s": state.capacity_period_start_s,
        "capacity_period_wh": state.capacity_period_wh,
        "month_peak_w": state.month_peak_w,
        "month_peak_start_s": state.month_peak_start_s,
    }
    return held, dict(state.off_today_s), profiles, jobs
