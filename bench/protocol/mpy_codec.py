# MicroPython half of bench-protocol: encode and decode a COUNTERS frame (3 readings) in a loop.
import json
import sys
import time

from bhub import protocol

COUNT = int(sys.argv[1])
values = {
    "node_id": 0xA1B2C3, "hub_time": 1767225600, "report_seq": 1, "epoch": 1,
    "readings": [{"channel": c, "count": 100000 + c, "rate_mph": 5000, "flags": 0} for c in range(3)],
}  # fmt: skip
counters = protocol.TYPES["counters"]


def encode_all():
    for seq in range(COUNT):
        protocol.encode_frame(counters, seq, protocol.encode_payload(counters, values))


frame = protocol.encode_frame(counters, 1, protocol.encode_payload(counters, values))
stream = frame * 64


def decode_all():
    decoder = protocol.FrameDecoder()
    for _ in range(COUNT // 64):
        for msg_type, _, payload, _ in decoder.feed(stream):
            protocol.decode_payload(msg_type, payload)


def rate(fn, frames):
    start = time.ticks_us()
    fn()
    return frames * 1_000_000 / max(1, time.ticks_diff(time.ticks_us(), start))


print(
    json.dumps(
        {"encode_fps": rate(encode_all, COUNT), "decode_fps": rate(decode_all, COUNT // 64 * 64)}
    )
)
