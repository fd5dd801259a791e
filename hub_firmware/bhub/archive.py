"""Hourly archive: a ring buffer in flash of every channel's cumulative count at each full hour.

`archive.dat` holds `capacity_hours` fixed-size records; the record of hour H (unix // 3600)
lives in slot H % capacity_hours, so wrapping overwrites the oldest hour with no head pointer and
a range query reads exactly the slots it needs. A record is an hour stamp (u32) and, per column,
count u32 + epoch u16. The stamp is written last: a record cut short by a power loss reads as
missing, never as wrong values. `archive.idx` maps columns to (node_id, channel).

Size: 4 + 6 * columns bytes per hour. 48 channels: 292 B/h, 31 days (744 h) = 217 kB; the default
62 days = 434 kB, 21 % of the 2 MB filesystem of a 4 MB ESP32. See docs/hub.md.
"""

import struct

from .store import atomic_write, read_checked

HOUR_S = 3600
MISSING = 0xFFFFFFFF
MAX_VALUES_PER_FRAME = 480
_EMPTY_STAMP = b"\xff\xff\xff\xff"
_STAMP = 4
_VALUE = 6  # count u32 + epoch u16


class Archive:
    def __init__(self, directory, capacity_hours=1488, max_columns=48):
        self.capacity_hours = capacity_hours
        self.max_columns = max_columns
        self.record_size = _STAMP + _VALUE * max_columns
        self.bytes_written = 0
        self.last_hour = None  # newest hour stamped since boot
        self._data_path = directory + "/archive.dat"
        self._index_path = directory + "/archive.idx"
        self.columns = self._load_index()
        self._lookup = {key: i for i, key in enumerate(self.columns)}

    def _load_index(self):
        data = read_checked(self._index_path)
        if data:
            capacity, width, n = struct.unpack_from(">HHH", data)
            if (capacity, width) == (self.capacity_hours, self.max_columns):
                return [struct.unpack_from(">IB", data, 6 + 5 * i) for i in range(n)]
        self._create_data_file()
        return []

    def _create_data_file(self):
        blank = b"\xff" * self.record_size  # empty stamp, every value MISSING
        with open(self._data_path, "wb") as f:
            for _ in range(self.capacity_hours):
                f.write(blank)

    def _save_index(self):
        data = bytearray(struct.pack(">HHH", self.capacity_hours, self.max_columns,
                                     len(self.columns)))
        for node_id, channel in self.columns:
            data.extend(struct.pack(">IB", node_id, channel))
        self.bytes_written += atomic_write(self._index_path, data)

    def column(self, node_id, channel):
        """Column index of a channel, adding it if there is room; None when the archive is full."""
        key = (node_id, channel)
        index = self._lookup.get(key)
        if index is None and len(self.columns) < self.max_columns:
            index = len(self.columns)
            self.columns.append(key)
            self._lookup[key] = index
            self._save_index()
        return index

    def _offset(self, hour):
        return (hour % self.capacity_hours) * self.record_size

    def record(self, hour_start, values):
        """Store the counts at `hour_start`; `values` maps column -> (count, epoch)."""
        hour = hour_start // HOUR_S
        body = bytearray(_VALUE * len(self.columns))
        for i in range(len(self.columns)):
            count, epoch = values.get(i, (MISSING, 0))
            struct.pack_into(">IH", body, _VALUE * i, count & 0xFFFFFFFF, epoch)
        offset = self._offset(hour)
        with open(self._data_path, "r+b") as f:
            f.seek(offset)
            f.write(_EMPTY_STAMP)
            f.write(body)
            f.seek(offset)
            f.write(struct.pack(">I", hour))
        self.bytes_written += len(body) + 2 * _STAMP
        self.last_hour = hour

    def oldest_start(self, now):
        """Start of the oldest hour the ring can still hold at unix time `now`."""
        return (int(now) // HOUR_S - self.capacity_hours + 1) * HOUR_S

    def chunks(self, column, start, end):
        """Yield (start, epoch, [count, ...]) runs of <= 480 hourly values over [start, end).

        A run breaks where the epoch changes; missing hours are MISSING and keep the run's epoch.
        """
        first, stop = start // HOUR_S, end // HOUR_S
        with open(self._data_path, "rb") as f:
            run_start, epoch, values = first, None, []
            for hour in range(first, stop):
                count, hour_epoch = self._read(f, hour, column)
                if count != MISSING and epoch is not None and hour_epoch != epoch and values:
                    yield run_start * HOUR_S, epoch, values
                    run_start, values = hour, []
                if count != MISSING:
                    epoch = hour_epoch
                values.append(count)
                if len(values) == MAX_VALUES_PER_FRAME:
                    yield run_start * HOUR_S, epoch or 0, values
                    run_start, values = hour + 1, []
            if values:
                yield run_start * HOUR_S, epoch or 0, values

    def _read(self, f, hour, column):
        offset = self._offset(hour)
        f.seek(offset)
        if f.read(_STAMP) != struct.pack(">I", hour):
            return MISSING, 0
        f.seek(offset + _STAMP + _VALUE * column)
        return struct.unpack(">IH", f.read(_VALUE))
