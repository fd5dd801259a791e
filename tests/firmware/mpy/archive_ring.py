"""Archive ring buffer: wrap-around, range queries, epochs, 480-value runs. Prints JSON."""

import json
import sys

from bhub.archive import HOUR_S, MISSING, Archive

BASE = 1_768_168_800  # an hour boundary


def series(archive, column, start_h, end_h):
    runs = list(archive.chunks(column, BASE + start_h * HOUR_S, BASE + end_h * HOUR_S))
    return [((start - BASE) // HOUR_S, epoch, values) for start, epoch, values in runs]


def main(directory):
    ring = Archive(directory + "/ring", capacity_hours=24, max_columns=3)
    a, b = ring.column(0, 1), ring.column(1001, 2)
    for hour in range(60):
        if hour == 45:
            continue  # the hub was off at this boundary
        epoch = 7 if hour < 50 else 8  # channel b's node restarted its counters at hour 50
        ring.record(BASE + hour * HOUR_S, {a: (hour * 10, 1), b: (hour, epoch)})
    c = ring.column(0, 2)  # added after the fact: MISSING before it existed
    ring.record(BASE + 60 * HOUR_S, {a: (600, 1), b: (60, 8), c: (5, 1)})
    reopened = Archive(directory + "/ring", capacity_hours=24, max_columns=3)

    big = Archive(directory + "/big", capacity_hours=1200, max_columns=1)
    column = big.column(0, 1)
    for hour in range(1000):
        big.record(BASE + hour * HOUR_S, {column: (hour, 1)})
    print(
        json.dumps(
            {
                "missing": MISSING,
                "wrapped": series(ring, a, 30, 40),
                "recent_a": series(ring, a, 40, 61),
                "recent_b": series(ring, b, 46, 53),
                "late_column": series(ring, c, 58, 61),
                "reopened_columns": reopened.columns,
                "reopened_a": series(reopened, a, 59, 61),
                "big_runs": [
                    (start, len(values)) for start, _, values in series(big, column, 0, 1000)
                ],
                "record_size": Archive(directory + "/sizing", 744, 48).record_size,
            }
        )
    )


main(sys.argv[1])
