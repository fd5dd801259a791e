"""bench-protocol: frames per second for encode and decode, CPython and MicroPython.

The workload is a COUNTERS frame with three readings (what a D100FC node report becomes), encoded
from a message object, and decoded from a stream of back-to-back frames into message objects;
plain, and sealed (AES-256-CTR + HMAC-SHA256, docs/protocol.md "Encryption") with rising sequence
numbers so the replay check passes. A full hub pushes about 24 frames/s.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(ROOT))

from custom_components.balance.hub import messages as m  # noqa: E402
from custom_components.balance.hub.auth import link_keys  # noqa: E402
from custom_components.balance.hub.frame import FrameDecoder, FrameKey, encode_frame  # noqa: E402

COUNT = 64 * 1000
MESSAGE = m.Counters(
    0xA1B2C3, 1767225600, 1, 1, tuple(m.ChannelReading(c, 100000 + c, 5000, 0) for c in range(3))
)
SEND_KEY, _ = link_keys(bytes(range(32)), m.Role.HUB)
FULL_HUB_FPS = 24


def _rate(work: Callable[[], int]) -> float:
    best = 0.0
    for _ in range(3):
        start = time.perf_counter()
        frames = work()
        best = max(best, frames / (time.perf_counter() - start))
    return best


def _encode(key: FrameKey | None = None) -> int:
    for seq in range(COUNT):
        encode_frame(MESSAGE.TYPE, seq, m.encode_payload(MESSAGE), key)
    return COUNT


def _decode(key: FrameKey | None = None) -> int:
    payload = m.encode_payload(MESSAGE)
    stream = b"".join(encode_frame(MESSAGE.TYPE, seq, payload, key) for seq in range(64))
    for _ in range(COUNT // 64):
        decoder = FrameDecoder(key=key)  # a new session per batch: the same seq again
        for frame in decoder.feed(stream):
            m.decode_payload(frame.type, frame.payload)
    return COUNT


def _micropython() -> dict[str, float]:
    env = {**os.environ, "MICROPYPATH": f"{ROOT / 'hub_firmware'}:.frozen"}
    command = [
        str(Path(sys.executable).parent / "micropython"),
        str(Path(__file__).parent / "mpy_codec.py"),
        "6400",
    ]
    best = dict.fromkeys(
        ("encode_fps", "decode_fps", "encode_fps_encrypted", "decode_fps_encrypted"), 0.0
    )
    for _ in range(3):
        out = subprocess.run(command, capture_output=True, env=env, check=True, text=True)
        result = json.loads(out.stdout.splitlines()[-1])
        best = {key: max(best[key], result[key]) for key in best}
    return best


def main() -> None:
    """Print the figures, then one JSON line."""
    mpy = _micropython()
    result = {
        "cpython_decode_fps": round(_rate(_decode)),
        "cpython_encode_fps": round(_rate(_encode)),
        "micropython_decode_fps": round(mpy["decode_fps"]),
        "micropython_encode_fps": round(mpy["encode_fps"]),
        "cpython_decode_fps_encrypted": round(_rate(lambda: _decode(SEND_KEY))),
        "cpython_encode_fps_encrypted": round(_rate(lambda: _encode(SEND_KEY))),
        "micropython_decode_fps_encrypted": round(mpy["decode_fps_encrypted"]),
        "micropython_encode_fps_encrypted": round(mpy["encode_fps_encrypted"]),
    }
    for key, value in result.items():
        print(f"{key:34s} {value:>10,d} frames/s")
    headroom = result["micropython_decode_fps_encrypted"] / FULL_HUB_FPS
    print(f"MicroPython sealed decode vs a full hub ({FULL_HUB_FPS} frames/s): {headroom:,.0f}x")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
