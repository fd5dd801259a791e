# NodeTable behaviour: new/known nodes, views, channel limits, epochs, wrap, staleness, full table.
import json

from bhub.nodes import FLAG_BATTERY_LOW, FLAG_OUT_OF_RANGE, NodeTable, TableFullError


def view_dict(view):
    names = ("node_id", "channel_count", "counts", "channel_flags", "epoch", "battery_mv",
             "battery_pct", "rssi", "hops", "last_seen", "flags", "report_seq")  # fmt: skip
    return {name: getattr(view, name) for name in names}


def scenario():
    table = NodeTable(max_nodes=4, max_channels=7, battery_low_mv=3300)
    result = {"missing": table.get(5) is None}
    result["new"] = table.update(0xFFFFFFFE, [1, 2, 3], 3550, -90, 2, 0, 100, [0, 1, 4], 1)
    result["known"] = table.update(0xFFFFFFFE, [4, 5, 6], 3250, -200, 3, 0, 110, [0, 0, 0], 1)
    result["view"] = view_dict(table.get(0xFFFFFFFE))
    table.update(2, [10, 20], 3600, -60, 0, FLAG_BATTERY_LOW, 120)  # node says its battery is low
    result["node_says_low"] = table.get(2).flags
    table.update(4, [0xFFFFFFF0], 3600, -60, 0, 0, 120)
    table.update(4, [0x10], 3600, -60, 0, 0, 130)  # u32 wrap: 0x10 is newer
    result["wrap"] = table.get(4).counts
    table.update(4, [0x8], 3600, -60, 0, 0, 131, (), 0)  # older within the epoch: kept
    result["older_kept"] = table.get(4).counts
    table.update(4, [0x2], 3600, -60, 0, 0, 132, (), 1)  # new epoch: fresh start
    result["new_epoch"] = [table.get(4).counts, table.get(4).epoch]
    table.update(4, [0x99], 3600, -60, 0, 0, 133, (), 0)  # report from the previous epoch
    result["old_epoch_ignored"] = [table.get(4).counts, table.get(4).epoch, table.get(4).report_seq]
    table.update(3, [7, 7, 7], 3600, -60, 0, 0, 120)  # only 1 of the 7 channels are left
    result["channels_capped"] = [table.get(3).channel_count, table.channel_total()]
    try:
        table.update(5, [1], 3600, -60, 0, 0, 140)
        result["full"] = False
    except TableFullError:
        result["full"] = True
    result["len_ids"] = [len(table), list(table.ids()), 2 in table, 5 in table]
    result["stale"] = [table.mark_stale(1000, 880), table.mark_stale(1000, 880)]
    result["stale_flags"] = table.get(2).flags == FLAG_BATTERY_LOW | FLAG_OUT_OF_RANGE
    table.update(2, [11, 21], 3600, -60, 0, 0, 1001)
    result["back_in_range"] = table.get(2).flags
    return result


if __name__ == "__main__":
    print(json.dumps(scenario()))
