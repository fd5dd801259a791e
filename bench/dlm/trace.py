"""What the MILP needs from the uncontrolled run: exogenous demand and the tank's state."""

from __future__ import annotations

from dataclasses import dataclass, field

from .home import BOILER_CHECKS_H, EV_SHORTFALL_WH, MANAGED, PROGRAMMES, BenchHome

WATER_J_PER_L_K = 4186.0


@dataclass
class BoilerSpec:
    """Thermal parameters of the tank."""

    rated_w: float
    volume_l: float
    setpoint_c: float
    cold_c: float

    @property
    def full_j(self) -> float:
        """Heat content of a full tank above cold water."""
        return WATER_J_PER_L_K * self.volume_l * (self.setpoint_c - self.cold_c)


@dataclass
class Trace:
    """What the uncontrolled run recorded, per step."""

    dt_s: float
    limit_w: float
    yellow: dict[str, bool]
    rated_w: dict[str, float]
    max_off: int
    min_on: int
    base: list[float] = field(default_factory=list)  # red + unmanaged power
    power: dict[str, list[float]] = field(default_factory=dict)  # managed loads' trace power
    local_s: list[float] = field(default_factory=list)
    ev_plugged: list[bool] = field(default_factory=list)
    ev_tol_steps: float = 0.0
    boiler_h: list[float] = field(default_factory=list)  # heat content at step start
    boiler: BoilerSpec | None = None
    checks: list[int] = field(default_factory=list)  # steps whose start is a boiler check
    starts: dict[str, list[int]] = field(default_factory=dict)  # programme start steps
    programmes: dict[str, list[tuple[float, int]]] = field(default_factory=dict)  # (W, steps)
    deadline_steps: int = 240


class TraceRecorder:
    """Records a `Trace` around each household step of an uncontrolled run."""

    def __init__(
        self, home: BenchHome, dt_s: float, limit_w: float, max_off: int, min_on: int
    ) -> None:
        """Record `home` stepped by `dt_s`."""
        self.home = home
        boiler = home.appliances["boiler"]
        ev = home.appliances["ev_charger"]
        self.trace = Trace(
            dt_s=dt_s,
            limit_w=limit_w,
            yellow={n: p.value == "yellow" for n, p in MANAGED.items()},
            rated_w=dict(home.rated_w),
            max_off=max_off,
            min_on=min_on,
            power={n: [] for n in MANAGED},
            ev_tol_steps=EV_SHORTFALL_WH
            / ev.efficiency
            / (home.rated_w["ev_charger"] * dt_s / 3600),
            boiler=BoilerSpec(
                rated_w=boiler.rated_w,
                volume_l=boiler.volume_l,
                setpoint_c=boiler.setpoint_c,
                cold_c=boiler.cold_c,
            ),
            starts={n: [] for n in PROGRAMMES},
            programmes={
                n: [(float(w), round(d / dt_s)) for _l, w, d, _v in home.appliances[n].programme]
                for n in PROGRAMMES
            },
            deadline_steps=round(4 * 3600 / dt_s),
        )
        self._starts = {n: home.appliances[n].starts for n in PROGRAMMES}

    def _heat_j(self) -> float:
        boiler = self.home.appliances["boiler"]
        return float(WATER_J_PER_L_K * boiler.volume_l * (boiler.tank_c - boiler.cold_c))

    def before(self, now_s: float) -> None:
        """Before the household steps from `now_s`."""
        tr = self.trace
        home = self.home
        step = len(tr.base)
        tr.local_s.append((now_s + home.offset_s) % 86400)
        tr.boiler_h.append(self._heat_j())
        if any(home._crosses(now_s, tr.dt_s, h) for h in BOILER_CHECKS_H):
            tr.checks.append(step)

    def after(self) -> None:
        """After the step."""
        tr = self.trace
        home = self.home
        step = len(tr.base)
        tr.base.append(home.red_w())
        for name in MANAGED:
            tr.power[name].append(home.load_w(name))
        tr.ev_plugged.append(bool(home.appliances["ev_charger"].plugged))
        for name in PROGRAMMES:
            starts = home.appliances[name].starts
            if starts != self._starts[name]:
                self._starts[name] = starts
                tr.starts[name].append(step)

    def done(self) -> Trace:
        """The finished trace (with the tank's final heat content)."""
        self.trace.boiler_h.append(self._heat_j())
        return self.trace
