"""Property tests of both frame decoders: garbage, mutations, resynchronisation, authentication.

Each property runs 10,000 hypothesis examples against the CPython decoder, each in one of the
three modes (plain, MAC'd, sealed); the same examples are then replayed through the real
MicroPython decoder in one process and checked by the same rule. BALANCE_PROPERTY_EXAMPLES
changes the count (`make fuzz-protocol` runs 100,000).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custom_components.balance.hub.auth import direction_key
from custom_components.balance.hub.frame import (
    HUB_TO_HOST,
    MAX_PAYLOAD,
    FrameDecoder,
    FrameKey,
    LinkKey,
    encode_frame,
)

from .conftest import MICROPYTHON, MPY_DIR, ROOT

EXAMPLES = int(os.environ.get("BALANCE_PROPERTY_EXAMPLES", "10000"))
KEY = bytes(range(100, 132))
SEALING = direction_key(KEY, HUB_TO_HOST)
MODES: tuple[FrameKey | None, ...] = (None, KEY, SEALING)  # plain, MAC'd, sealed
modes_st = st.sampled_from(MODES)
PROPERTY_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

frames_st = st.lists(
    st.tuples(st.integers(0, 255), st.integers(0, 2**32 - 1), st.binary(max_size=64)),
    min_size=1,
    max_size=4,
)


@dataclass
class Case:
    """One decoder input and the frames that may legitimately come out of it."""

    data: bytes
    key: FrameKey | None
    chunk: int
    allowed: set[bytes] = field(default_factory=set)
    required: list[bytes] = field(default_factory=list)


def _encode_all(frames: list[tuple[int, int, bytes]], key: FrameKey | None) -> list[bytes]:
    return [encode_frame(t, i, p, key) for i, (t, _, p) in enumerate(frames)]


def _mutate(data: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    out = bytearray(data)
    for kind, position, value in edits:
        if not out:
            break
        pos = position % len(out)
        if kind == 0:
            out[pos] ^= 1 << (value % 8)
        elif kind == 1:
            out.insert(pos, value)
        else:
            del out[pos]
    return bytes(out)


def check(case: Case, delivered: list[bytes]) -> None:
    """The rule for every property: only genuine frames, each present in the input."""
    for frame in delivered:
        assert frame in case.data, "delivered a frame that is not in the input"
        assert frame in case.allowed or not case.allowed, "delivered a frame never sent"
    for frame in case.required:
        assert frame in delivered, "a valid frame was not found"
    assert len(delivered) == len(set(delivered)) or case.key is None, "replay delivered"


def cpython_decode(case: Case) -> list[bytes]:
    """Feed a case to the CPython decoder and re-encode what it delivers."""
    decoder = FrameDecoder(key=case.key)
    out = []
    for i in range(0, len(case.data), case.chunk):
        for frame in decoder.feed(case.data[i : i + case.chunk]):
            key = case.key if frame.authenticated else None
            out.append(encode_frame(frame.type, frame.seq, frame.payload, key))
    return out


def run_property(strategy: st.SearchStrategy[Case]) -> None:
    """Check every example in CPython, then replay all of them in MicroPython."""
    cases: list[Case] = []

    @PROPERTY_SETTINGS
    @given(strategy)
    def cpython_property(case: Case) -> None:
        check(case, cpython_decode(case))
        cases.append(case)

    cpython_property()
    lines = "".join(f"{_key_arg(c.key)} {c.data.hex() or '00'} {c.chunk}\n" for c in cases)
    env = {**os.environ, "MICROPYPATH": f"{ROOT / 'hub_firmware'}:.frozen"}
    proc = subprocess.run(
        [MICROPYTHON, "-X", "heapsize=16M", str(MPY_DIR / "feed_cases.py")],
        input=lines.encode(),
        capture_output=True,
        env=env,
        check=True,
        timeout=900,
    )
    results = proc.stdout.decode().splitlines()
    assert len(results) == len(cases) >= min(EXAMPLES, 1000)
    for case, line in zip(cases, results, strict=True):
        assert not line.startswith("RAISED"), line
        delivered = [] if line == "-" else [bytes.fromhex(h) for h in line.split(",")]
        check(case, delivered)


def _key_arg(key: FrameKey | None) -> str:
    """feed_cases.py's key column: '-', the session key, or session key/direction (sealed)."""
    if key is None:
        return "-"
    if isinstance(key, LinkKey):
        return f"{KEY.hex()}/{key.direction}"
    return key.hex()


def _garbage_case(data: bytes, chunk: int, key: FrameKey | None) -> Case:
    return Case(data, key, chunk)


def _mutated_case(
    frames: list[tuple[int, int, bytes]],
    edits: list[tuple[int, int, int]],
    chunk: int,
    key: FrameKey | None,
) -> Case:
    encoded = _encode_all(frames, key)
    return Case(_mutate(b"".join(encoded), edits), key, chunk, allowed=set(encoded))


def _resync_case(
    garbage: bytes, frames: list[tuple[int, int, bytes]], key: FrameKey | None
) -> Case:
    encoded = _encode_all(frames, key)
    flush = bytes(MAX_PAYLOAD + 64)  # lets any fake header in the garbage time out on its CRC
    data = garbage + flush + b"".join(encoded) + flush
    return Case(data, key, 97, allowed=set(encoded), required=encoded)


chunks = st.integers(1, 300)
edits_st = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 10_000), st.integers(0, 255)),
    min_size=1,
    max_size=6,
)


def test_random_bytes_never_raise_nor_deliver() -> None:
    """Random bytes (plain, MAC'd or sealed session) never raise and never yield a frame."""
    run_property(st.builds(_garbage_case, st.binary(max_size=600), chunks, modes_st))


def test_mutated_frames_deliver_only_genuine_frames() -> None:
    """Bit flips, insertions and deletions never produce a frame with a bad CRC or MAC."""
    run_property(st.builds(_mutated_case, frames_st, edits_st, chunks, modes_st))


def test_resynchronisation_finds_every_valid_frame() -> None:
    """After arbitrary garbage, every valid frame that follows is delivered."""
    run_property(st.builds(_resync_case, st.binary(max_size=300), frames_st, modes_st))


def _sealed_case(frames: list[tuple[int, bytes]], chunk: int) -> Case:
    encoded = [encode_frame(t, seq, p, SEALING) for seq, (t, p) in enumerate(frames)]
    return Case(b"".join(encoded), SEALING, chunk, allowed=set(encoded), required=encoded)


def test_sealed_frames_of_any_size_round_trip() -> None:
    """Any type and any body up to the limit (128 AES blocks) opens to exactly what was sealed."""
    bodies = st.lists(
        st.tuples(st.integers(0, 255), st.binary(max_size=MAX_PAYLOAD - 1)), min_size=1, max_size=3
    )
    run_property(st.builds(_sealed_case, bodies, chunks))
