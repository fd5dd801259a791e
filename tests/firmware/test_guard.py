"""Local DLM guard under MicroPython: takeover, shedding order, rotation, min_on, handback."""

from mpy_run import run_mpy

RED, YELLOWS, GREENS = 0, (1, 2), (3, 4)
MAX_OFF_S, MIN_ON_S, TIMEOUT_S = 600, 300, 30
OPEN, CLOSED = 0, 1
SHED, RESTORE = 2, 3


def test_guard_sheds_green_then_yellow_rotates_and_hands_back():
    result = run_mpy("guard_run.py")
    silent_from, silent_to = result["silent"]
    changes = result["changes"]
    assert result["status"] == 0
    takeover = silent_from - 10 + TIMEOUT_S  # last heartbeat at 50 s
    assert result["modes"] == [[takeover, "hub"], [silent_to, "host"]]
    assert all(takeover <= t < silent_to for t, *_ in changes), "switching outside mode HUB"
    assert all(output != RED for _, output, _, _ in changes)
    opened = [output for _, output, state, _ in changes if state == OPEN]
    assert set(opened[:2]) == set(GREENS)
    assert set(opened) >= set(YELLOWS), "yellow outputs must take turns"
    assert all(cause == (SHED if state == OPEN else RESTORE) for _, _, state, cause in changes)
    for yellow in YELLOWS:
        closed_since, opened_at = 0.0, None
        for t, output, state, _ in changes:
            if output != yellow:
                continue
            if state == OPEN:
                assert t - closed_since >= MIN_ON_S
                opened_at = t
            else:
                assert t - opened_at <= MAX_OFF_S
                closed_since, opened_at = t, None
        if opened_at is not None:
            assert silent_to - opened_at <= MAX_OFF_S
    # over the limit only while min_on kept the yellows on (2 kW base + 2 x 2 kW + red 3 kW)
    assert result["over_limit_s"] <= MIN_ON_S
