"""Data types of the DLM engine: configuration, inputs, actions and exposed state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

YELLOW_MAX_OFF_RANGE_S = (420.0, 900.0)
PHASES = ("L1", "L2", "L3")


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


class LoadKind(StrEnum):
    """How the engine can act on a load."""

    SWITCH = "switch"  # on/off only
    CHARGER = "charger"  # EV charger: power setpoint in [min_w, max_w] (HA converts to A), on/off
    POWER_LIMIT = "power_limit"  # heat pump / heater with a power limit in [min_w, max_w]
    CLIMATE = "climate"  # two levels: max_w at its setpoint, min_w with the setback offset


MODULATING = frozenset({LoadKind.CHARGER, LoadKind.POWER_LIMIT, LoadKind.CLIMATE})


class LoadStatus(StrEnum):
    """Exposed status of a managed load."""

    ON = "on"  # supplied and not held by the engine
    REDUCED = "reduced"  # running with its setpoint lowered by the engine
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
    CAPACITY = "capacity"  # the capacity period's remaining budget
    HARD = "hard"  # main fuse / breaker


class ActionKind(StrEnum):
    """Command sent to a load's switch."""

    TURN_OFF = "turn_off"
    TURN_ON = "turn_on"
    SET_POWER = "set_power"  # `Action.power_w` is the new setpoint in W


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
    COMFORT = "comfort"  # restore: a yellow load's comfort reading reached its bound
    UNPLUGGED = "unplugged"  # charger without a vehicle: setpoint back to its minimum (and off
    # under a capacity term)


@dataclass(frozen=True, slots=True)
class Action:
    """One command produced by an update; `power_w` is set for SET_POWER only."""

    kind: ActionKind
    load_id: str
    reason: ActionReason
    power_w: float | None = None


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
    capacity_margin_w: float = 100.0  # kept below a capacity period's remaining budget
    capacity_spike_w: float = 2000.0  # turn-ons and raises keep back the energy of a red
    capacity_spike_s: float = 180.0  # spike this large and long (a kettle) in every period
    setpoint_margin_w: float = 150.0  # a raised setpoint leaves this much under the limit
    raise_lookback_s: float = 120.0  # setpoints are raised on the peak of this recent window
    forecast_every_s: float = 900.0  # how often a job's expected energy is recomputed

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
            "capacity_margin_w",
            "capacity_spike_w",
            "capacity_spike_s",
            "setpoint_margin_w",
            "raise_lookback_s",
            "forecast_every_s",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")


@dataclass(frozen=True, slots=True)
class LoadConfig:
    """A managed load; `rated_w` may be None when live power is measured.

    Modulating kinds (charger, power limit, climate) run anywhere in [min_w, max_w] while on;
    `max_w` defaults to `rated_w`. `phases` tags the phases it draws from ("L1", "L2", "L3";
    a 3-phase load draws a third on each); untagged loads count on every phase.
    """

    load_id: str
    priority: Priority
    rated_w: float | None = None
    min_on_s: float = 60.0  # a switched-on load stays on at least this long
    max_off_s: float = 900.0  # enforced for yellow loads only
    kind: LoadKind = LoadKind.SWITCH
    min_w: float | None = None  # lowest setpoint while on (charger: 6 A x V x phases)
    max_w: float | None = None  # highest setpoint (charger: max A x V x phases)
    phases: tuple[str, ...] = ()
    setpoint_interval_s: float = 30.0  # at most one SET_POWER per this interval
    setpoint_deadband_w: float = 230.0  # smaller setpoint changes are not sent
    exceed_soft: bool = False  # to meet its deadline it may exceed soft terms (never the hard)
    recovery_s: float = 300.0  # a yellow restored at max-off (or comfort) stays on at least
    # max(recovery_s, its last off period) before it may be shed again; 0 disables it
    comfort_max_c: float | None = None  # yellow: restored when its reading rises to this (fridge)
    comfort_min_c: float | None = None  # yellow: restored when its reading falls to this (room)

    def __post_init__(self) -> None:
        """Reject values outside the concept's bounds."""
        if self.rated_w is not None and self.rated_w <= 0:
            raise ValueError(f"{self.load_id}: rated_w must be > 0")
        if self.min_on_s < 0:
            raise ValueError(f"{self.load_id}: min_on_s must be >= 0")
        low, high = YELLOW_MAX_OFF_RANGE_S
        if self.priority is Priority.YELLOW and not low <= self.max_off_s <= high:
            raise ValueError(f"{self.load_id}: yellow max_off_s must be within [{low}, {high}]")
        modulating = self.kind in MODULATING
        if modulating and (self.min_w is None or self.top_w is None or self.min_w <= 0):
            raise ValueError(f"{self.load_id}: needs 0 < min_w <= max_w (or rated_w)")
        if (
            modulating
            and self.min_w is not None
            and self.top_w is not None
            and self.min_w > self.top_w
        ):
            raise ValueError(f"{self.load_id}: needs 0 < min_w <= max_w (or rated_w)")
        for name in ("setpoint_interval_s", "setpoint_deadband_w", "recovery_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{self.load_id}: {name} must be >= 0")
        if any(p not in PHASES for p in self.phases):
            raise ValueError(f"{self.load_id}: phases must be among {PHASES}")

    @property
    def modulating(self) -> bool:
        """True when the engine can set its power."""
        return self.kind in MODULATING

    @property
    def top_w(self) -> float | None:
        """Highest power it runs at: `max_w`, else `rated_w`."""
        return self.max_w if self.max_w is not None else self.rated_w


@dataclass(frozen=True, slots=True)
class GreenPlan:
    """What a green load still needs; absolute times on the engine's clock.

    The need is `energy_wh` (energy still to deliver, measured at the load), or a target SoC
    (`target_soc_pct` with `capacity_wh`, against `LoadReading.soc_pct`), or `remaining_s` of
    run time at full power. The engine counts the energy delivered since the plan was set.
    """

    remaining_s: float = 0.0  # run time still needed (energy need / power)
    deadline_s: float | None = None  # the run must be complete by then
    allowed_from_s: float | None = None  # deferred before this time (e.g. night tariff start)
    allowed_until_s: float | None = None  # deferred from this time on
    energy_wh: float | None = None
    target_soc_pct: float | None = None
    capacity_wh: float | None = None
    planned: bool = False  # the window comes from the planner: commit at the latest full-power
    # start (not once the deadline needs the minimum power), so the planned cheap slots are kept
    planned_w: float | None = None  # a modulating load: the planner's power for the current
    # slot, its setpoint's cap while the plan holds (the deadline's required power above it wins)


@dataclass(frozen=True, slots=True)
class LoadReading:
    """Observed switch state and, when available, live power and the load's own sensors."""

    state: Observed
    power_w: float | None = None
    setpoint_w: float | None = None  # the setpoint the load reports (HA converts A to W)
    plugged: bool | None = None  # charger: a vehicle is connected (None: unknown)
    soc_pct: float | None = None  # charger: the vehicle's state of charge
    temperature_c: float | None = None  # comfort reading (fridge, room, tank)


@dataclass(frozen=True, slots=True)
class CapacityTarget:
    """A limit on the mean power over billing periods aligned on the clock (900 s, 3600 s)."""

    target_w: float
    period_s: float = 900.0

    def __post_init__(self) -> None:
        """Reject values that cannot be a period target."""
        if self.target_w <= 0 or self.period_s <= 0:
            raise ValueError("capacity target_w and period_s must be > 0")

    def left_s(self, now_s: float) -> float:
        """Seconds left of the clock-aligned period that `now_s` falls in."""
        return self.period_s - now_s % self.period_s


@dataclass(frozen=True, slots=True)
class Limits:
    """The optional limit terms in W.

    Soft terms (resident, tariff, contract, DR, and a capacity period's remaining budget) bind
    every load except a committed green allowed to exceed them; `hard_w` (main fuse) and the
    per-phase `phase_w` ({"L1": W, ...}) bind everything the engine decides. The DR term binds
    only the loads in `dr_loads` (None: every load): an excess above it alone is taken off
    those loads, and the others are restored and raised as if there were no DR term.
    """

    resident_w: float | None = None
    tariff_w: float | None = None
    contract_w: float | None = None
    dr_w: float | None = None
    hard_w: float | None = None
    phase_w: Mapping[str, float] = field(default_factory=dict)
    capacity: CapacityTarget | None = None
    dr_loads: frozenset[str] | None = None

    def effective(self) -> tuple[float | None, LimitReason]:
        """The lowest of the instantaneous terms (soft and hard) and its reason (earlier terms
        win ties); the capacity budget is added by the engine."""
        best: float | None = None
        reason = LimitReason.NONE
        for value, why in (
            (self.resident_w, LimitReason.RESIDENT),
            (self.tariff_w, LimitReason.TARIFF),
            (self.contract_w, LimitReason.CONTRACT),
            (self.dr_w, LimitReason.DR),
            (self.hard_w, LimitReason.HARD),
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
    setpoint_w: float | None = None  # modulating: the setpoint last commanded (or reported)
    energy_wh: float = 0.0  # energy delivered in the current job (since its plan was set)
    need_wh: float | None = None  # energy still needed by the plan's deadline
    expected_wh: float | None = None  # energy expected by the deadline (delivered + forecast)
    shortfall_wh: float | None = None  # energy expected to be missing at the deadline
    expected_soc_pct: float | None = None  # SoC expected at the deadline (SoC plans)
    deadline_s: float | None = None
    setpoint_changes: int = 0  # SET_POWER commands sent since the engine started


@dataclass(frozen=True, slots=True)
class CapacityState:
    """The capacity period figures (mean powers in W)."""

    target_w: float
    period_s: float
    period_start_s: float
    average_w: float  # mean power of the current period so far
    projected_w: float  # mean of the period if the current power holds to its end
    budget_w: float  # the power that keeps the period's mean at the target from now on
    month_peak_w: float  # highest completed-period mean since `reset_month()`
    month_peak_start_s: float | None


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
    hard_limit_w: float | None = None
    soft_limit_w: float | None = None  # lowest soft term incl. the capacity budget
    phase_w: Mapping[str, float] = field(default_factory=dict)  # last per-phase readings
    phase_headroom_w: Mapping[str, float] = field(default_factory=dict)
    capacity: CapacityState | None = None
    deadline_at_risk: bool = False  # some green load is expected to miss its deadline


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
    energy_wh: Mapping[str, float] = field(default_factory=dict)  # delivered in the current job
    capacity_period_start_s: float | None = None
    capacity_period_wh: float = 0.0
    month_peak_w: float = 0.0
    month_peak_start_s: float | None = None


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
