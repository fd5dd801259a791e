"""Data types of the DLM engine: configuration, inputs, actions and exposed state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

YELLOW_MAX_OFF_RANGE_S = (420.0, 900.0)


class Priority(StrEnum):
    """Socket priority from the BALANCE concept."""

    RED = "red"  # never switched off
    YELLOW = "yellow"  # off for at most max_off_s (7-15 min)
    GREEN = "green"  # may be deferred for hours, but must meet its deadline


class Observed(StrEnum):
    """Observed state of a load's switch."""

    ON = "on"
    OFF = "off"
    UNAVAILABLE = "unavailable"


class LoadStatus(StrEnum):
    """Exposed status of a managed load."""

    ON = "on"  # supplied and not held by the engine
    OFF = "off"  # off or unavailable, not held by the engine
    SHED = "shed"  # switched off by the engine to respect the limit
    DEFERRED = "deferred"  # green load kept off until it is allowed to run
    FAILED = "failed"  # did not follow a command after the bounded retries


class LimitReason(StrEnum):
    """Which limit term binds."""

    NONE = "none"
    RESIDENT = "resident"
    TARIFF = "tariff"
    CONTRACT = "contract"
    DR = "dr"


class ActionKind(StrEnum):
    """Command sent to a load's switch."""

    TURN_OFF = "turn_off"
    TURN_ON = "turn_on"


class ActionReason(StrEnum):
    """Why a command was issued."""

    OVER_LIMIT = "over_limit"  # shed: house above the effective limit
    ROTATION = "rotation"  # shed another load so a yellow load can come back before max-off
    HEADROOM = "headroom"  # restore: enough headroom again
    MAX_OFF = "max_off"  # restore: a yellow load reached its max-off time
    DEFER = "defer"  # green load kept off until its window
    WINDOW = "window"  # green load allowed to run (window open or need met)
    DEADLINE = "deadline"  # green load must start to finish by its deadline
    SENSOR_FAULT = "sensor_fault"  # restore: house power unknown for too long
    RETRY = "retry"  # repeat of a command the load did not follow


@dataclass(frozen=True, slots=True)
class Action:
    """One switch command produced by an update."""

    kind: ActionKind
    load_id: str
    reason: ActionReason


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Timing and hysteresis parameters (seconds and watts)."""

    reaction_s: float = 30.0  # an overload is shed within this time
    debounce_s: float = 5.0  # overloads shorter than this are ignored (kettle inrush)
    restore_gap_s: float = 30.0  # minimum time between two turn-on commands
    restore_margin_w: float = 200.0  # headroom needed on top of a load's power to restore it
    restore_lookback_s: float = 300.0  # headroom is judged on the peak of this recent window
    min_off_s: float = 60.0  # a shed load stays off at least this long
    rotate_lead_s: float = 60.0  # swap a yellow load this long before its max-off
    green_slack_s: float = 900.0  # safety margin before a green load's latest start
    sensor_timeout_s: float = 60.0  # house power missing this long is a fault
    settle_s: float = 10.0  # time a switch gets to follow a command
    max_retries: int = 2  # repeats of an unfollowed command before the load is failed
    busy_horizon_s: float = 7200.0  # a shed green load is restored only if this (or its
    # remaining run, if shorter) looks quiet in the learned profile; 0 disables the foresight
    busy_share: float = 0.0  # "looks busy": more than this share of past days went over

    def __post_init__(self) -> None:
        """Reject inconsistent parameters."""
        if not 0.0 <= self.debounce_s <= self.reaction_s:
            raise ValueError("debounce_s must be within [0, reaction_s]")
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if not 0.0 <= self.busy_share <= 1.0:
            raise ValueError("busy_share must be within [0, 1]")
        for name in (
            "restore_gap_s",
            "restore_margin_w",
            "min_off_s",
            "rotate_lead_s",
            "green_slack_s",
            "sensor_timeout_s",
            "settle_s",
            "busy_horizon_s",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")


@dataclass(frozen=True, slots=True)
class LoadConfig:
    """A managed load; `rated_w` may be None when live power is measured."""

    load_id: str
    priority: Priority
    rated_w: float | None = None
    min_on_s: float = 60.0  # also the recovery time between two off periods
    max_off_s: float = 900.0  # enforced for yellow loads only

    def __post_init__(self) -> None:
        """Reject values outside the concept's bounds."""
        if self.rated_w is not None and self.rated_w <= 0:
            raise ValueError(f"{self.load_id}: rated_w must be > 0")
        if self.min_on_s < 0:
            raise ValueError(f"{self.load_id}: min_on_s must be >= 0")
        low, high = YELLOW_MAX_OFF_RANGE_S
        if self.priority is Priority.YELLOW and not low <= self.max_off_s <= high:
            raise ValueError(f"{self.load_id}: yellow max_off_s must be within [{low}, {high}]")


@dataclass(frozen=True, slots=True)
class GreenPlan:
    """What a green load still needs; absolute times on the engine's clock."""

    remaining_s: float = 0.0  # run time still needed (energy need / power)
    deadline_s: float | None = None  # the run must be complete by then
    allowed_from_s: float | None = None  # deferred before this time (e.g. night tariff start)
    allowed_until_s: float | None = None  # deferred from this time on


@dataclass(frozen=True, slots=True)
class LoadReading:
    """Observed switch state and, when metered, the load's live power."""

    state: Observed
    power_w: float | None = None


@dataclass(frozen=True, slots=True)
class Limits:
    """The optional limit terms in W; the effective limit is their minimum."""

    resident_w: float | None = None
    tariff_w: float | None = None
    contract_w: float | None = None
    dr_w: float | None = None

    def effective(self) -> tuple[float | None, LimitReason]:
        """Return the binding limit and its reason (earlier terms win ties)."""
        best: float | None = None
        reason = LimitReason.NONE
        for value, why in (
            (self.resident_w, LimitReason.RESIDENT),
            (self.tariff_w, LimitReason.TARIFF),
            (self.contract_w, LimitReason.CONTRACT),
            (self.dr_w, LimitReason.DR),
        ):
            if value is not None and (best is None or value < best):
                best, reason = value, why
        return best, reason


@dataclass(frozen=True, slots=True)
class LoadState:
    """Exposed per-load state."""

    status: LoadStatus
    off_today_s: float  # time held off by the engine since the last daily reset
    shed_for_s: float | None  # seconds since the engine switched it off; None when not held
    power_w: float  # power it draws (on) or is expected to draw when restored (held)


@dataclass(frozen=True, slots=True)
class EngineState:
    """Exposed engine-level state."""

    limit_w: float | None
    limit_reason: LimitReason
    house_w: float | None
    headroom_w: float | None  # limit - house power; None without limit or reading
    shedding_active: bool
    limit_unreachable: bool  # over the limit with nothing left that may be shed
    sensor_fault: bool
    loads: Mapping[str, LoadState]


@dataclass(frozen=True, slots=True)
class HeldRecord:
    """A load the engine holds off, as persisted across restarts."""

    status: LoadStatus  # SHED or DEFERRED
    since_s: float


@dataclass(frozen=True, slots=True)
class PersistedState:
    """What the engine needs to resume after a restart."""

    held: Mapping[str, HeldRecord] = field(default_factory=dict)
    off_today_s: Mapping[str, float] = field(default_factory=dict)
    # per green load: day number -> the house's demand without it, per slot of the day
    profiles: Mapping[str, Mapping[int, Sequence[float | None]]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GuardOutput:
    """Per-output rule for the hub's local guard."""

    load_id: str
    priority: Priority
    max_off_s: float | None  # None: not bounded (red never off, green deferrable)
    min_on_s: float


@dataclass(frozen=True, slots=True)
class GuardPolicy:
    """Policy pushed to the hub so it can keep the limit if HA is gone."""

    house_limit_w: float | None
    outputs: tuple[GuardOutput, ...]
