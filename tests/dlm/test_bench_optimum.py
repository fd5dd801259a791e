"""The benchmark's MILP optimum models what contactors can do: delay loads, never advance them."""

from __future__ import annotations

import pytest

from bench.dlm import optimum
from bench.dlm.capacity_bound import bound, household
from bench.dlm.home import MANAGED
from bench.dlm.metrics import OverLimitCounter
from bench.dlm.scenarios import simulate
from bench.dlm.trace import BoilerSpec, Trace

STEPS = 240
LIMIT = 5500.0
BOILER = BoilerSpec(rated_w=2000.0, volume_l=80.0, setpoint_c=60.0, cold_c=10.0)


def _trace(base: list[float]) -> Trace:
    """Four hours from 17:00, every managed load idle and the EV unplugged."""
    return Trace(
        dt_s=60.0,
        limit_w=LIMIT,
        yellow={n: p.value == "yellow" for n, p in MANAGED.items()},
        rated_w=dict.fromkeys(MANAGED, 1000.0) | {"ev_charger": 3700.0, "boiler": BOILER.rated_w},
        max_off=15,
        min_on=5,
        base=base,
        power={n: [0.0] * STEPS for n in MANAGED},
        local_s=[17 * 3600.0 + 60.0 * t for t in range(STEPS)],
        ev_plugged=[False] * STEPS,
        ev_tol_steps=0.8,
        boiler_h=[0.5 * BOILER.full_j] * (STEPS + 1),
        boiler=BOILER,
        starts={"washing_machine": [], "dishwasher": []},
        programmes={"washing_machine": [], "dishwasher": []},
    )


def _over_s(trace: Trace, power: list[float]) -> float:
    counter = OverLimitCounter(LIMIT, trace.dt_s)
    for t, watts in enumerate(power):
        counter.add(watts, trace.base[t], optimum.exogenous_rise(trace, t))
    return counter.over_s


def test_boiler_heating_is_delayed_not_brought_forward() -> None:
    # the thermostat heats 30 min from step 100, while 4 kW of red load runs for 20 min
    base = [300.0] * STEPS
    base[100:120] = [4000.0] * 20
    trace = _trace(base)
    trace.power["boiler"][100:130] = [BOILER.rated_w] * 30
    result = optimum.solve(trace, 1440)
    assert result.switch_ops == 2  # shed once, restore once: it cannot heat ahead for free
    assert result.switch_ops == result.ops_bound
    assert result.power_w[:100] == base[:100]  # no pre-heating
    assert _over_s(trace, result.power_w) == 0
    heated = sum(p - b for p, b in zip(result.power_w, base, strict=True))
    assert heated == pytest.approx(30 * BOILER.rated_w)  # all of it, later, at full power
    assert all(p - b in (0.0, BOILER.rated_w) for p, b in zip(result.power_w, base, strict=True))


def test_ev_is_held_through_a_lull_with_one_shed() -> None:
    # the EV charges 2 h from plug-in at 17:00; overloads at 17:10-17:40 and 18:00-18:30
    base = [300.0] * STEPS
    base[10:40] = [2500.0] * 30
    base[60:90] = [2500.0] * 30
    trace = _trace(base)
    trace.ev_plugged = [True] * STEPS
    trace.power["ev_charger"][:120] = [3700.0] * 120
    result = optimum.solve(trace, 1440)
    assert result.switch_ops == 2  # off through the lull, not twice
    assert _over_s(trace, result.power_w) == 0
    charged = sum(p - b for p, b in zip(result.power_w, base, strict=True))
    assert charged == pytest.approx(120 * 3700.0)


def test_capacity_lower_bound_is_below_what_no_control_reaches_and_the_target() -> None:
    """The perfect-foresight LP is a relaxation: the uncontrolled house meets every deadline
    with no room deficit, so its month peak can only be higher; red alone fills no period."""
    none, _ = simulate("capacity", 1, 2, "none")
    assert none.room_deficit_kh == 0 and none.green_misses == 0
    result = bound(household("capacity", 1, 2), 2, 2500.0)
    assert 0.5 < result.month_peak_kw <= none.month_peak_15min_kw
    assert result.month_peak_kw <= 2.5
    assert result.infeasible_periods == 0
