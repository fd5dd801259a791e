# MicroPython half of bench-protocol: encode and decode a COUNTERS frame (3 readings) in a loop,
# plain and sealed (the hub's send key; the decoder gets the same direction's key).
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
send_key = protocol.link_keys(bytes(range(32)), protocol.ROLE_HUB)[0]


def encode_all(key=None):
    for seq in range(COUNT):
        protocol.encode_frame(counters, seq, protocol.encode_payload(counters, values), key)


def decode_all(key=None):
    payload = protocol.encode_payload(counters, values)
    stream = b"".join(protocol.encode_frame(counters, seq, payload, key) for seq in range(64))
    for _ in range(COUNT // 64):
        decoder = protocol.FrameDecoder(key)  # a new session per batch: the same seq again
        for msg_type, _, payload, _ in decoder.feed(stream):
            protocol.decode_payload(msg_type, payload)


def rate(fn, frames):
    start = time.ticks_us()
    fn()
    return frames * 1_000_000 / max(1, time.ticks_diff(time.ticks_us(), start))


decoded = COUNT // 64 * 64
print(
    json.dumps(
        {
            "encode_fps": rate(encode_all, COUNT),
            "decode_fps": rate(decode_all, decoded),
            "encode_fps_encrypted": rate(lambda: encode_all(send_key), COUNT),
            "decode_fps_encrypted": rate(lambda: decode_all(send_key), decoded),
        }
    )
)
