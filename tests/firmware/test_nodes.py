"""NodeTable under the real MicroPython, and its invariants checked with hypothesis in CPython."""

import json
import sys

from hypothesis import given
from hypothesis import strategies as st
from mpy_run import MPY_SCRIPTS, ROOT, run_mpy

sys.path[:0] = [str(ROOT / "hub_firmware"), str(MPY_SCRIPTS)]

import nodes_table  # noqa: E402
from bhub.nodes import FLAG_BATTERY_LOW, FLAG_OUT_OF_RANGE, NodeTable, TableFullError  # noqa: E402


def test_scenario_under_micropython():
    result = run_mpy("nodes_table.py")
    assert result["missing"] and result["new"] and not result["known"]
    assert result["view"] == {
        "node_id": 0xFFFFFFFE, "channel_count": 3, "counts": [4, 5, 6], "channel_flags": [0, 0, 0],
        "epoch": 1, "battery_mv": 3250, "battery_pct": 41, "rssi": -128, "hops": 3,
        "last_seen": 110, "flags": FLAG_BATTERY_LOW, "report_seq": 2,
    }  # fmt: skip
    assert result["node_says_low"] == FLAG_BATTERY_LOW
    assert result["wrap"] == [0x10]
    assert result["older_kept"] == [0x10]
    assert result["new_epoch"] == [[2], 1]
    assert result["old_epoch_ignored"] == [[2], 1, 5]
    assert result["channels_capped"] == [1, 7]
    assert result["full"] is True
    assert result["len_ids"] == [4, [0xFFFFFFFE, 2, 4, 3], True, False]
    assert result["stale"] == [[0xFFFFFFFE, 2, 3], []]
    assert result["stale_flags"] is True
    assert result["back_in_range"] == 0
    assert result == json.loads(json.dumps(nodes_table.scenario()))


updates = st.lists(
    st.tuples(
        st.integers(0, 30),  # node id
        st.lists(st.integers(0, 2**32 - 1), max_size=3),
        st.integers(2800, 3700),  # battery
        st.integers(0, 600),  # time step
    ),
    max_size=80,
)


@given(updates)
def test_limits_and_sequence_invariants(steps):
    table = NodeTable(max_nodes=8, max_channels=12)
    now = 0
    accepted = {}
    for node_id, counts, battery_mv, step in steps:
        now += step
        try:
            table.update(node_id, counts, battery_mv, -70, 1, 0, now)
        except TableFullError:
            assert len(table) == 8 and node_id not in table
            continue
        accepted[node_id] = accepted.get(node_id, 0) + 1
        view = table.get(node_id)
        assert view.report_seq == accepted[node_id]
        assert view.last_seen == now
        assert bool(view.flags & FLAG_BATTERY_LOW) == (battery_mv < table.battery_low_mv)
    assert len(table) <= 8
    assert table.channel_total() <= 12
    assert table.channel_total() == sum(table.get(i).channel_count for i in table.ids())
    stale = table.mark_stale(now + 1000, 1000)
    assert sorted(stale) == sorted(table.ids())
    assert all(table.get(i).flags & FLAG_OUT_OF_RANGE for i in table.ids())
