"""Property tests: invariants of the engine over random houses and base-load traces."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.balance.dlm import (
    ActionKind,
    ActionReason,
    DlmEngine,
    EngineConfig,
    Limits,
    LoadConfig,
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
    settle_s=3,
)
STEPS = 1500

loads_strategy = st.lists(
    st.tuples(
        st.sampled_from(list(Priority)),
        st.integers(100, 4000),
        st.integers(0, 120),
        st.integers(420, 900),
    ),
    min_size=1,
    max_size=8,
)
trace_strategy = st.lists(
    st.tuples(st.integers(1, 300), st.integers(0, 9000)), min_size=1, max_size=12
)


def _build(spec: list[tuple[Priority, int, int, int]]) -> list[LoadConfig]:
    return [
        LoadConfig(f"l{i}", p, w, min_on_s=on, max_off_s=off)
        for i, (p, w, on, off) in enumerate(spec)
    ]


def _base(trace: list[tuple[int, int]]) -> list[float]:
    values: list[float] = []
    while len(values) < STEPS:
        for duration, watts in trace:
            values.extend([float(watts)] * duration)
    return values[:STEPS]


def _simulate(
    spec: list[tuple[Priority, int, int, int]], trace: list[tuple[int, int]], limit: int
) -> FakeHouse:
    loads = _build(spec)
    base = _base(trace)
    h = FakeHouse.build(
        DlmEngine(loads, CFG, Limits(resident_w=limit)), loads, lambda t: base[int(t)]
    )
    h.run(0, STEPS)
    return h


@settings(max_examples=60, deadline=None)
@given(loads_strategy, trace_strategy, st.integers(1000, 10000))
def test_invariants(
    spec: list[tuple[Priority, int, int, int]], trace: list[tuple[int, int]], limit: int
) -> None:
    h = _simulate(spec, trace, limit)
    loads = {c.load_id: c for c in _build(spec)}
    off_at: dict[str, float] = {}
    last_on = float("-inf")
    for t, action in h.log:
        cfg = loads[action.load_id]
        assert cfg.priority is not Priority.RED
        if action.kind is ActionKind.TURN_OFF:
            off_at.setdefault(action.load_id, t)
            continue
        if action.load_id in off_at and cfg.priority is Priority.YELLOW:
            assert t - off_at[action.load_id] <= cfg.max_off_s
        off_at.pop(action.load_id, None)
        if action.reason is not ActionReason.MAX_OFF:
            assert t - last_on >= CFG.restore_gap_s
        last_on = t
    for load_id, t in off_at.items():
        if loads[load_id].priority is Priority.YELLOW:
            assert STEPS - 1 - t <= loads[load_id].max_off_s
    assert _simulate(spec, trace, limit).log == h.log


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(100, 4000), min_size=1, max_size=8),
    trace_strategy,
    st.integers(1000, 10000),
)
def test_overload_cleared_within_reaction_when_sheddable(
    watts: list[int], trace: list[tuple[int, int]], limit: int
) -> None:
    spec = [(Priority.GREEN, w, 0, 900) for w in watts]
    capped = [(d, min(w, limit)) for d, w in trace]
    h = _simulate(spec, capped, limit)
    run = 0
    base = _base(capped)
    states = dict.fromkeys(h.switch_on, True)
    log = iter(h.log)
    pending = next(log, None)
    for now in range(STEPS):
        while pending is not None and pending[0] == now:
            states[pending[1].load_id] = pending[1].kind is ActionKind.TURN_ON
            pending = next(log, None)
        power = base[now] + sum(w for i, w in enumerate(watts) if states[f"l{i}"])
        run = run + 1 if power > limit else 0
        assert run <= CFG.reaction_s
