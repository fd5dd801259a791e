"""Both codecs (CPython and MicroPython) against the shared vectors in tests/vectors/."""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.balance.hub import messages as m
from custom_components.balance.hub.frame import FrameDecoder, LinkKey, encode_frame
from tests.vectors.generate import message_to_json, vector_key

from .conftest import MPY_DIR, VECTOR_DIR, load_vectors, run_micropython

VECTORS = load_vectors()
IDS = [v["name"] for v in VECTORS]


def test_enough_vectors_cover_every_message_type() -> None:
    """At least 30 vectors, and every message type appears in one."""
    assert len(VECTORS) >= 30
    seen = {f["type"] for v in VECTORS for f in v["expect"]["frames"]}
    assert set(m.MESSAGE_TYPES) <= seen


def test_vectors_cover_sealing_and_strict_utf8() -> None:
    """Sealed frames in both directions, tampering, replay and reflection; bad UTF-8 kinds."""
    names = {v["name"] for v in VECTORS}
    sealed = {v.get("direction") for v in VECTORS if v["name"].startswith("sealed_")}
    assert {"host_to_hub", "hub_to_host"} <= sealed
    assert {
        "sealed_tampered",
        "sealed_replay",
        "sealed_reflected",
        "sealed_mac_only_frame",
    } <= names
    assert {"utf8_overlong", "utf8_surrogate", "utf8_above_max", "hello_utf8_edges"} <= names


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_cpython_decodes_vector(vector: dict[str, Any]) -> None:
    """The CPython decoder yields exactly the expected frames, fields and counters."""
    key = vector_key(vector)
    if isinstance(key, LinkKey):
        assert {"enc": key.enc_key.hex(), "mac": key.mac_key.hex()} == vector["link_key"]
    decoder = FrameDecoder(key=key)
    raw = bytes.fromhex(vector["hex"])
    frames = [f for i in range(0, len(raw), 5) for f in decoder.feed(raw[i : i + 5])]
    expected = vector["expect"]["frames"]
    assert len(frames) == len(expected)
    for frame, want in zip(frames, expected, strict=True):
        assert (frame.type, frame.seq, frame.authenticated, frame.encrypted) == (
            want["type"],
            want["seq"],
            want["authenticated"],
            want.get("encrypted", False),
        )
        if want.get("error"):
            with pytest.raises(m.MessageError):
                m.decode_payload(frame.type, frame.payload)
            continue
        message = m.decode_payload(frame.type, frame.payload)
        assert message_to_json(message) == {"name": want["name"], "fields": want["fields"]}
        assert m.encode_payload(message) == frame.payload
        if len(expected) == 1 and not vector["expect"].get("stats"):
            assert encode_frame(frame.type, frame.seq, frame.payload, key) == raw
    for counter, value in vector["expect"].get("stats", {}).items():
        assert getattr(decoder.stats, counter) == value


@pytest.fixture(scope="module")
def micropython_results() -> dict[str, Any]:
    """Decode all vectors in one real MicroPython process."""
    paths = [str(p) for p in sorted(VECTOR_DIR.glob("*.json"))]
    result: dict[str, Any] = run_micropython(MPY_DIR / "run_vectors.py", *paths)
    return result


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_micropython_decodes_vector(
    vector: dict[str, Any], micropython_results: dict[str, Any]
) -> None:
    """The MicroPython decoder yields the same frames, fields and counters."""
    got = micropython_results[vector["name"]]
    if "link_key" in vector:
        assert got["link_key"] == vector["link_key"]
    expected = vector["expect"]["frames"]
    assert len(got["frames"]) == len(expected)
    for frame, want in zip(got["frames"], expected, strict=True):
        assert (frame["type"], frame["seq"], frame["authenticated"], frame["encrypted"]) == (
            want["type"],
            want["seq"],
            want["authenticated"],
            want.get("encrypted", False),
        )
        if want.get("error"):
            assert frame.get("error") is True
            continue
        assert frame["name"] == want["name"]
        assert frame["fields"] == want["fields"]
        assert frame["reencoded"] is True
        if len(expected) == 1 and not vector["expect"].get("stats"):
            assert frame["frame_reencoded"] == vector["hex"]
    for counter, value in vector["expect"].get("stats", {}).items():
        assert got["stats"][counter] == value
