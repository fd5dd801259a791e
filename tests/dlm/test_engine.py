"""Behaviour of the DLM engine in small closed loops with injected time."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from custom_components.balance.dlm import (
    Action,
    ActionKind,
    ActionReason,
    DlmEngine,
    EngineConfig,
    GreenPlan,
    HeldRecord,
    LimitReason,
    Limits,
    LoadConfig,
    LoadReading,
    LoadStatus,
    Observed,
    PersistedState,
    Priority,
)
from tests.dlm.dlm_house import FakeHouse

CFG = EngineConfig(
    reaction_s=5,
    debounce_s=2,
    restore_gap_s=10,
    restore_margin_w=100,
    restore_lookback_s=10,
    min_off_s=20,
    rotate_lead_s=30,
    green_slack_s=60,
    sensor_timeout_s=30,
    settle_s=3,
    max_retries=2,
)
LIMIT = Limits(resident_w=5000)


def red(name: str, watts: float) -> LoadConfig:
    return LoadConfig(name, Priority.RED, watts)


def yellow(name: str, watts: float, max_off: float = 420) -> LoadConfig:
    return LoadConfig(name, Priority.YELLOW, watts, min_on_s=30, max_off_s=max_off)


def green(name: str, watts: float) -> LoadConfig:
    return LoadConfig(name, Priority.GREEN, watts, min_on_s=30)


def house(loads: list[LoadConfig], base: float | None = None, limits: Limits = LIMIT) -> FakeHouse:
    """A house whose base load is constant (or a callable set later)."""
    engine = DlmEngine(loads, CFG, limits)
    return FakeHouse.build(engine, loads, lambda _t: base or 0.0)


def offs(actions: list[Action]) -> list[str]:
    return [a.load_id for a in actions if a.kind is ActionKind.TURN_OFF]


def ons(actions: list[Action]) -> list[str]:
    return [a.load_id for a in actions if a.kind is ActionKind.TURN_ON]


def test_effective_limit_is_minimum_with_reason() -> None:
    assert Limits().effective() == (None, LimitReason.NONE)
    assert Limits(resident_w=6000, tariff_w=4000, contract_w=9000).effective() == (
        4000,
        LimitReason.TARIFF,
    )
    assert Limits(resident_w=6000, dr_w=3000).effective() == (3000, LimitReason.DR)
    assert Limits(resident_w=3000, contract_w=3000).effective() == (3000, LimitReason.RESIDENT)


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="max_off_s"):
        yellow("y", 1000, max_off=1200)
    with pytest.raises(ValueError, match="debounce_s"):
        EngineConfig(reaction_s=5, debounce_s=10)
    with pytest.raises(ValueError, match="duplicate"):
        DlmEngine([green("a", 1), green("a", 2)])


def test_under_limit_does_nothing() -> None:
    h = house([green("ev", 3000), yellow("heat", 1500)], base=400)
    h.run(0, 100)
    assert h.log == []
    state = h.engine.state()
    assert state.headroom_w == 5000 - 4900
    assert not state.shedding_active
    assert state.limit_reason is LimitReason.RESIDENT


def test_sheds_green_before_yellow_and_never_red() -> None:
    loads = [red("pc", 2500), yellow("heat", 2000), green("ev", 1500)]
    h = house(loads, base=0)
    h.run(0, 40)
    assert h.engine.state().loads["ev"].status is LoadStatus.SHED
    assert offs([a for _, a in h.log]) == ["ev"]
    h.engine.set_limits(Limits(resident_w=2600))
    h.run(40, 80)
    assert offs([a for _, a in h.log]) == ["ev", "heat"]
    h.engine.set_limits(Limits(resident_w=1000))
    h.run(80, 200)
    assert "pc" not in offs([a for _, a in h.log])
    assert h.engine.state().limit_unreachable


def test_prefers_fewest_loads_then_best_cover() -> None:
    loads = [green("a", 1000), green("b", 1000), green("c", 1200), green("d", 3000)]
    h = house(loads, base=0, limits=Limits(resident_w=6200 - 1100))
    h.run(0, 40)
    assert offs([a for _, a in h.log]) == ["c"]
    loads = [green("a", 1000), green("b", 1000), green("c", 1200), green("d", 3000)]
    h = house(loads, base=0, limits=Limits(resident_w=6200 - 2500))
    h.run(0, 40)
    assert offs([a for _, a in h.log]) == ["d"]


def test_green_shed_made_useless_by_a_yellow_is_kept_on() -> None:
    loads = [green("pump", 300), yellow("heat", 2000), yellow("oven", 1000)]
    h = house(loads, base=3000, limits=Limits(resident_w=6300 - 900))
    h.run(0, 40)
    assert offs([a for _, a in h.log]) == ["oven"]


def test_debounce_ignores_short_spike_but_reacts_within_reaction_time() -> None:
    loads = [green("ev", 3000)]
    h = house(loads)
    h.base_w = lambda t: 2500 if 10 <= t < 11 else 0
    h.run(0, 40)
    assert h.log == []
    h.base_w = lambda t: 2500 if t >= 40 else 0
    h.run(40, 60)
    shed_at = [t for t, a in h.log if a.kind is ActionKind.TURN_OFF]
    assert shed_at and 40 + CFG.debounce_s <= shed_at[0] <= 40 + CFG.reaction_s


def test_staggered_restore_with_hysteresis() -> None:
    loads = [green("a", 1500), green("b", 1500)]
    h = house(loads)
    h.base_w = lambda t: 4500 if t < 50 else 0
    h.run(0, 50)
    assert sorted(offs([a for _, a in h.log])) == ["a", "b"]
    h.run(50, 120)
    restores = [t for t, a in h.log if a.kind is ActionKind.TURN_ON]
    assert len(restores) == 2
    assert restores[1] - restores[0] >= CFG.restore_gap_s


def test_no_restore_without_margin() -> None:
    h = house([green("ev", 1500)])
    h.base_w = lambda t: 4000 if t < 50 else 5000 - 1500 - 50
    h.run(0, 200)
    assert ons([a for _, a in h.log]) == []
    h.base_w = lambda t: 5000 - 1500 - 150
    h.run(200, 260)
    assert ons([a for _, a in h.log]) == ["ev"]


def test_yellow_rotation_keeps_max_off_and_limit() -> None:
    loads = [yellow("h1", 1500), yellow("h2", 1500)]
    h = house(loads, base=3000, limits=Limits(resident_w=4600))
    over_s = 0
    for now in range(3000):
        h.step(now)
        if h.power(now) > 4600:
            over_s += 1
    _assert_max_off(h, {"h1": 420, "h2": 420})
    assert over_s <= CFG.reaction_s
    reasons = {a.reason for _, a in h.log}
    assert ActionReason.ROTATION in reasons
    assert ActionReason.MAX_OFF not in reasons


def test_yellow_restored_at_max_off_when_only_red_remains() -> None:
    loads = [red("pc", 4000), yellow("heat", 1500)]
    h = house(loads, base=0)
    for now in range(1000):
        h.step(now)
    _assert_max_off(h, {"heat": 420})
    assert ActionReason.MAX_OFF in {a.reason for _, a in h.log}
    assert "pc" not in offs([a for _, a in h.log])


def test_green_deferred_until_window_then_runs() -> None:
    h = house([green("ev", 3000)], base=500)
    h.engine.set_plan("ev", GreenPlan(remaining_s=3600, deadline_s=20_000, allowed_from_s=1000))
    h.run(0, 999)
    assert offs([a for _, a in h.log]) == ["ev"]
    assert h.engine.state().loads["ev"].status is LoadStatus.DEFERRED
    h.run(999, 1100)
    assert [a.reason for _, a in h.log] == [ActionReason.DEFER, ActionReason.WINDOW]


def test_green_starts_by_latest_start_even_if_window_later() -> None:
    h = house([green("ev", 3000), yellow("heat", 1500)], base=1000)
    plan = GreenPlan(remaining_s=3600, deadline_s=5000, allowed_from_s=4000)
    h.engine.set_plan("ev", plan)
    h.run(0, 2000)
    latest = 5000 - 3600
    starts = [t for t, a in h.log if a.kind is ActionKind.TURN_ON and a.load_id == "ev"]
    assert starts and latest - CFG.green_slack_s - 1 <= starts[0] <= latest
    ev_start = next(a for t, a in h.log if t == starts[0] and a.load_id == "ev")
    assert ev_start.reason is ActionReason.DEADLINE
    assert ("heat", ActionKind.TURN_OFF) in {
        (a.load_id, a.kind) for t, a in h.log if t == starts[0]
    }


def test_committed_green_makes_room_by_shedding_a_flexible_green() -> None:
    h = house([green("boiler", 2000), green("ev", 3000)], base=1000)
    h.engine.set_plan("boiler", GreenPlan(remaining_s=3600, deadline_s=20_000, allowed_from_s=1000))
    h.run(0, 100)
    assert h.engine.state().loads["boiler"].status is LoadStatus.DEFERRED
    h.engine.set_plan("boiler", GreenPlan(remaining_s=3600, deadline_s=3600 + 30))
    h.step(100)
    actions = [a for t, a in h.log if t == 100]
    assert {(a.kind, a.load_id) for a in actions} == {
        (ActionKind.TURN_OFF, "ev"),
        (ActionKind.TURN_ON, "boiler"),
    }
    h.run(101, 200)
    assert max(h.power(t) for t in range(101, 200)) <= LIMIT.resident_w
    assert h.engine.state().loads["ev"].status is LoadStatus.SHED


def test_committed_green_is_not_shed() -> None:
    h = house([green("ev", 3000)], base=2500)
    h.engine.set_plan("ev", GreenPlan(remaining_s=3600, deadline_s=3600 + 30))
    h.run(0, 100)
    assert h.log == []
    assert h.engine.state().limit_unreachable


def test_sensor_timeout_restores_shed_loads_and_signals_fault() -> None:
    loads = [green("a", 1500), green("b", 1500)]
    h = house(loads, base=4000)
    h.run(0, 20)
    assert h.engine.state().shedding_active
    for now in range(20, 100):
        h.step(now, sensor_ok=False)
        if now < 20 + CFG.sensor_timeout_s:
            assert ons([a for _, a in h.log]) == []
    state = h.engine.state()
    assert state.sensor_fault
    assert not state.shedding_active
    reasons = [a.reason for _, a in h.log if a.kind is ActionKind.TURN_ON]
    assert reasons == [ActionReason.SENSOR_FAULT] * 2
    h.step(100)
    assert not h.engine.state().sensor_fault


def test_sensor_missing_still_honours_max_off() -> None:
    h = house([yellow("heat", 1500)], base=4000)
    h.run(0, 10)
    for now in range(10, 500):
        h.step(now, sensor_ok=False)
    _assert_max_off(h, {"heat": 420})


def test_unfollowed_command_is_retried_then_failed() -> None:
    h = house([green("ev", 1500), green("pump", 3000)], base=1000)
    h.stuck.add("ev")
    h.run(0, 60)
    ev_cmds = [a for _, a in h.log if a.load_id == "ev"]
    assert [a.reason for a in ev_cmds] == [ActionReason.OVER_LIMIT] + [ActionReason.RETRY] * 2
    assert h.engine.state().loads["ev"].status is LoadStatus.FAILED
    assert offs([a for _, a in h.log])[-1] == "pump"
    h.run(60, 600)
    assert len([a for _, a in h.log if a.load_id == "ev"]) == 3


def test_resident_override_of_shed_load_is_respected() -> None:
    h = house([green("ev", 3000)], base=2500)
    h.run(0, 10)
    assert h.engine.state().loads["ev"].status is LoadStatus.SHED
    h.switch_on["ev"] = True
    h.step(10)
    assert h.engine.state().loads["ev"].status is LoadStatus.ON


def test_adopt_resumes_held_loads_and_ignores_unknown() -> None:
    loads = [yellow("heat", 1500), green("ev", 3000), green("pump", 500)]
    engine = DlmEngine(loads, CFG, Limits(resident_w=4000))
    readings = {
        "heat": LoadReading(Observed.OFF),
        "ev": LoadReading(Observed.ON, 3000),
        "pump": LoadReading(Observed.OFF),
    }
    persisted = PersistedState(
        held={
            "heat": HeldRecord(LoadStatus.SHED, 1000.0),
            "ev": HeldRecord(LoadStatus.SHED, 1000.0),
        },
        off_today_s={"heat": 200.0},
    )
    engine.adopt(1300.0, readings, persisted)
    state = engine.state()
    assert state.loads["heat"].status is LoadStatus.SHED
    assert state.loads["heat"].shed_for_s == 300.0
    assert state.loads["heat"].off_today_s == 200.0
    assert state.loads["ev"].status is LoadStatus.ON
    assert state.loads["pump"].status is LoadStatus.OFF
    assert engine.update(1380.0, 3000.0, readings) == []
    actions = engine.update(1420.0, 3000.0, readings)
    assert [(a.load_id, a.kind) for a in actions] == [("heat", ActionKind.TURN_ON)]
    assert engine.export_state().held == {}


def test_export_state_roundtrip() -> None:
    h = house([green("ev", 3000)], base=2500)
    h.run(0, 10)
    exported = h.engine.export_state()
    assert exported.held["ev"].status is LoadStatus.SHED
    assert exported.held["ev"].since_s == h.log[0][0]


def test_daily_counter_and_seconds_since_shed() -> None:
    h = house([green("ev", 3000)], base=2500)
    h.run(0, 100)
    load = h.engine.state().loads["ev"]
    assert load.shed_for_s == pytest.approx(99 - h.log[0][0])
    assert load.off_today_s == pytest.approx(99 - h.log[0][0])
    h.engine.reset_daily_counters()
    assert h.engine.state().loads["ev"].off_today_s == 0


def test_guard_policy() -> None:
    engine = DlmEngine(
        [red("pc", 100), yellow("heat", 1500, 600), green("ev", 3000)],
        CFG,
        Limits(contract_w=7000, dr_w=4000),
    )
    policy = engine.guard_policy()
    assert policy.house_limit_w == 4000
    assert [(o.load_id, o.priority, o.max_off_s, o.min_on_s) for o in policy.outputs] == [
        ("pc", Priority.RED, None, 60.0),
        ("heat", Priority.YELLOW, 600, 30),
        ("ev", Priority.GREEN, None, 30),
    ]


def test_measured_power_without_rating() -> None:
    loads = [LoadConfig("ev", Priority.GREEN), LoadConfig("pump", Priority.GREEN, min_on_s=0)]
    engine = DlmEngine(loads, CFG, LIMIT)
    readings = {"ev": LoadReading(Observed.ON, 0.0), "pump": LoadReading(Observed.ON, 900.0)}
    assert engine.update(0, 5500, readings) == []
    actions = engine.update(3, 5500, readings)
    assert offs(actions) == ["pump"]


def test_update_with_20_loads_is_fast() -> None:
    loads = [
        LoadConfig(
            f"l{i}",
            (Priority.RED, Priority.YELLOW, Priority.GREEN)[i % 3],
            100 + 37 * i,
            min_on_s=0,
            max_off_s=600,
        )
        for i in range(20)
    ]
    engine = DlmEngine(loads, CFG, Limits(resident_w=3000))
    state = {c.load_id: True for c in loads}
    n = 2000
    start = time.perf_counter()
    for k in range(n):
        readings = {i: LoadReading(Observed.ON if on else Observed.OFF) for i, on in state.items()}
        house_w = 1500 + (k % 50) * 100 + sum(c.rated_w or 0 for c in loads if state[c.load_id])
        for action in engine.update(float(k), house_w, readings):
            state[action.load_id] = action.kind is ActionKind.TURN_ON
    per_update = (time.perf_counter() - start) / n
    assert per_update < 1e-3


def _assert_max_off(h: FakeHouse, max_off: dict[str, float]) -> None:
    """No yellow load was off (by the engine) longer than its max-off."""
    off_at: dict[str, float] = {}
    end = max(t for t, _ in h.log) + 1 if h.log else 0
    for t, action in h.log:
        if action.load_id not in max_off:
            continue
        if action.kind is ActionKind.TURN_OFF:
            off_at.setdefault(action.load_id, t)
        elif action.load_id in off_at:
            assert t - off_at.pop(action.load_id) <= max_off[action.load_id]
    for load_id, t in off_at.items():
        assert end - t <= max_off[load_id]


def test_cycling_load_does_not_make_a_shed_load_oscillate() -> None:
    loads = [green("ev", 3700)]
    engine = DlmEngine(loads, replace(CFG, restore_lookback_s=400), LIMIT)
    h = FakeHouse.build(engine, loads, lambda t: 2200 if t % 300 < 120 else 300)
    h.run(0, 1800)
    assert offs([a for _, a in h.log]) == ["ev"]
    assert ons([a for _, a in h.log]) == []
    h.base_w = lambda _t: 300
    h.run(1800, 2400)
    assert ons([a for _, a in h.log]) == ["ev"]


DAY = 86400
HOUR = 3600


def _evening_house(config: EngineConfig, deadline_s: float) -> FakeHouse:
    """Three learned evenings busy 18:00-21:00 (2.5 kW); on day 3 a lull 18:30-19:30 and an EV
    (3 kW, 3 h to charge) that overloads the 5 kW limit whenever the evening is busy."""
    ev = green("ev", 3000)
    engine = DlmEngine([ev], config, LIMIT)

    def base(t: float) -> float:
        local = t % DAY
        busy = 18 * HOUR <= local < 21 * HOUR
        lull = t >= 3 * DAY and 18.5 * HOUR <= local < 19.5 * HOUR
        return 2500.0 if busy and not lull else 300.0

    h = FakeHouse.build(engine, [ev], base, {"ev": 0.0})
    h.run(0, 3 * DAY, dt_s=60)  # learning: the EV draws nothing yet
    h.demand_w["ev"] = 3000.0
    engine.set_plan("ev", GreenPlan(remaining_s=3 * HOUR, deadline_s=deadline_s))
    h.log.clear()
    h.run(3 * DAY + 17 * HOUR, 3 * DAY + 24 * HOUR, dt_s=60)
    return h


def test_shed_green_waits_out_the_learned_busy_hours() -> None:
    h = _evening_house(CFG, deadline_s=4 * DAY + 7 * HOUR)
    assert offs([a for _, a in h.log]) == ["ev"]  # one shed for the whole evening
    restored = [t for t, a in h.log if a.kind is ActionKind.TURN_ON]
    assert len(restored) == 1
    assert restored[0] >= 3 * DAY + 21 * HOUR  # not in the lull


def test_without_foresight_the_lull_costs_a_second_shed() -> None:
    h = _evening_house(replace(CFG, busy_horizon_s=0), deadline_s=4 * DAY + 7 * HOUR)
    assert offs([a for _, a in h.log]) == ["ev", "ev"]


def test_foresight_never_waits_past_what_the_deadline_allows() -> None:
    # latest start 20:00: the quiet time (21:00) is too late, so the lull is used
    h = _evening_house(CFG, deadline_s=3 * DAY + 23 * HOUR)
    restored = [t for t, a in h.log if a.kind is ActionKind.TURN_ON]
    assert restored
    assert 3 * DAY + 18.5 * HOUR <= restored[0] < 3 * DAY + 19.5 * HOUR


def test_green_that_covers_alone_with_most_slack_is_shed() -> None:
    boiler, ev = green("boiler", 2000), green("ev", 3700)
    engine = DlmEngine([boiler, ev], CFG, LIMIT)
    h = FakeHouse.build(engine, [boiler, ev], lambda _t: 500.0)
    engine.set_plan("boiler", GreenPlan(remaining_s=1800, deadline_s=4 * HOUR))
    engine.set_plan("ev", GreenPlan(remaining_s=2 * HOUR, deadline_s=10 * HOUR))
    h.run(0, 30)
    # the boiler would overshoot least, but the EV can stay off longest
    assert offs([a for _, a in h.log]) == ["ev"]


def test_learned_profile_survives_a_restart() -> None:
    h = _evening_house(CFG, deadline_s=4 * DAY + 7 * HOUR)
    exported = h.engine.export_state()
    assert exported.profiles["ev"]
    fresh = DlmEngine([green("ev", 3000)], CFG, LIMIT)
    fresh.adopt(4 * DAY, {}, exported)
    assert fresh.profiles["ev"].export() == h.engine.profiles["ev"].export()
    fresh.adopt(4 * DAY, {}, PersistedState())  # no profiles given: the learned one stays
    assert fresh.profiles["ev"].export() == h.engine.profiles["ev"].export()
