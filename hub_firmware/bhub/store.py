"""Persistence of the hub's own pulse counters (and other small state) in flash.

Every write goes to `<path>.tmp` and is renamed over `<path>` (atomic on LittleFS and POSIX), so a
power cut leaves either the old or the new file, never a torn one; a CRC-32 rejects anything else.
Counters are written in one batch every `flush_interval_s` (default 60 s), before each hourly
archive record and on an orderly stop: a soft reboot loses nothing, a power cut at most the
pulses counted since the last flush. The file also keeps the hub's boot number, which the hub
raises and writes at every start, so reports tell receivers that the counts resumed from a flush.
"""

import os
import struct
from binascii import crc32

_COUNTERS_MAGIC = b"BCS2"  # epoch u16, boot u32, n u8, n x (channel u8, count u32)
_COUNTERS_MAGIC_V1 = b"BCS1"  # the same without boot


def atomic_write(path, data):
    """Write `data` plus its CRC-32 to `path` atomically; return the bytes written."""
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.write(struct.pack(">I", crc32(data)))
    os.rename(tmp, path)
    return len(data) + 4


def read_checked(path):
    """The data last written by atomic_write, or None if absent or corrupt."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError:
        return None
    if len(raw) < 4 or struct.unpack(">I", raw[-4:])[0] != crc32(raw[:-4]):
        return None
    return raw[:-4]


def new_epoch():
    """A random counter epoch: a restart without saved state must not reuse the old number."""
    return struct.unpack(">H", os.urandom(2))[0]


class CounterStore:
    """Counts of the hub's wired channels, their epoch and the boot number, flushed periodically."""

    def __init__(self, path, flush_interval_s=60):
        self.path = path
        self.flush_interval_s = flush_interval_s
        self.bytes_written = 0
        self.flushes = 0
        self.saved = {}  # the counts of the last flush
        self._next_flush = None

    def load(self):
        """Return (epoch, boot, {channel: count}); a fresh random epoch, boot 0 and no counts if
        nothing valid is stored."""
        data = read_checked(self.path)
        if data is None or data[:4] not in (_COUNTERS_MAGIC, _COUNTERS_MAGIC_V1):
            return new_epoch(), 0, {}
        epoch = struct.unpack_from(">H", data, 4)[0]
        boot, pos = 0, 6
        if data[:4] == _COUNTERS_MAGIC:
            boot, pos = struct.unpack_from(">I", data, 6)[0], 10
        counts = {}
        for i in range(data[pos]):
            channel, count = struct.unpack_from(">BI", data, pos + 1 + 5 * i)
            counts[channel] = count
        return epoch, boot, counts

    def due(self, now):
        """True when a periodic flush is due at monotonic time `now`."""
        if self._next_flush is None:
            self._next_flush = now + self.flush_interval_s
        return now >= self._next_flush

    def save(self, epoch, boot, counts, now=None):
        """Write every channel's count in one batch; `now` schedules the next periodic flush."""
        data = bytearray(_COUNTERS_MAGIC)
        data.extend(struct.pack(">HIB", epoch, boot, len(counts)))
        for channel in sorted(counts):
            data.extend(struct.pack(">BI", channel, counts[channel] & 0xFFFFFFFF))
        self.bytes_written += atomic_write(self.path, data)
        self.flushes += 1
        self.saved = dict(counts)
        if now is not None:
            self._next_flush = now + self.flush_interval_s
