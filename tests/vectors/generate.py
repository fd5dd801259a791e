"""Write the shared protocol test vectors (tests/vectors/*.json) from the message catalogue below.

Run: .venv/bin/python tests/vectors/generate.py. The vectors are data for both implementations;
tests/protocol/test_vectors_spec.py checks two of them byte by byte against docs/protocol.md.
"""

from __future__ import annotations

import json
import re
import sys
import zlib
from dataclasses import fields
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[2]))

from custom_components.balance.hub import messages as m
from custom_components.balance.hub.frame import FrameDecoder, encode_frame

OUT = Path(__file__).parent
KEY = bytes(range(32))
NONCE_A = bytes(range(16))
NONCE_B = bytes(range(16, 32))

VALID: list[tuple[str, str, m.Message]] = [
    ("hello_host", "host HELLO", m.Hello(1, 1, 0, 0, NONCE_A, "home-assistant")),
    ("hello_hub", "hub HELLO with AUTH_REQUIRED", m.Hello(1, 1, 1, 0xFF, NONCE_B, "bh-0001a2")),
    ("auth", "host proof", m.Auth(bytes(16))),
    ("auth_result_ok", "auth accepted", m.AuthResult(0, NONCE_B)),
    ("ping", "keepalive", m.Ping(0xDEADBEEF)),
    ("pong", "keepalive answer", m.Pong(0xDEADBEEF)),
    ("disconnect", "orderly close, incompatible", m.Disconnect(1)),
    ("error", "unknown type answered", m.Error(0x7F, 12, 1)),
    ("hub_info_request", "empty payload", m.HubInfoRequest()),
    (
        "hub_info",
        "hub identity, UTF-8 model",
        m.HubInfo("bh-0001a2", "1.0.0", "BALANCE hub ESP32 — sim", 3600, 1767225600, 3, 4, 9, 4, 0),
    ),
    ("node_list_request", "empty payload", m.NodeListRequest()),
    (
        "node_info_hub",
        "node 0 with two wired channels and four outputs",
        m.NodeInfo(0, 0, "1.0.0", (m.ChannelInfo(0, 1, 0), m.ChannelInfo(1, 2, 0)), 4),
    ),
    (
        "node_info_d100fc",
        "radio node with three channels",
        m.NodeInfo(
            0x00A1B2C3,
            1,
            "2.3",
            (m.ChannelInfo(0, 2, 0), m.ChannelInfo(1, 3, 0), m.ChannelInfo(2, 4, 0)),
            0,
        ),
    ),
    ("node_list_end", "inventory end", m.NodeListEnd(240)),
    ("state_request", "empty payload", m.StateRequest()),
    (
        "counters",
        "cumulative counters near u32 wrap",
        m.Counters(
            0,
            1767225600,
            42,
            3,
            (m.ChannelReading(0, 0xFFFFFFF0, 2_500_000, 0), m.ChannelReading(1, 17, 0, 5)),
        ),
    ),
    ("counters_empty", "node with no readings", m.Counters(5, 1767225600, 1, 0, ())),
    ("node_status", "negative RSSI, 4 hops", m.NodeStatus(0xA1B2C3, 3550, 87, -97, 4, 1767225000, 1)),
    ("alarm_phase_loss", "hub safety alarm", m.Alarm(0, 0xFF, 4, 1, 1767225600, 2)),
    ("alarm_magnetic", "node tamper on channel 1", m.Alarm(0xA1B2C3, 1, 3, 1, 1767225600, -1)),
    ("output_state", "guard shed", m.OutputState(0, 2, 0, 2, 1767225600)),
    ("output_set", "open output 2", m.OutputSet(513, 0, 2, 0)),
    ("output_ack", "refused", m.OutputAck(513, 2, 1)),
    ("archive_request", "all channels of all nodes", m.ArchiveRequest(7, 0xFFFFFFFF, 0xFF, 1767222000, 1767225600)),
    (
        "archive_records",
        "three hours, one missing",
        m.ArchiveRecords(7, 0, 1, 1767222000, 3, (m.ArchiveValue(100), m.ArchiveValue(0xFFFFFFFF), m.ArchiveValue(130))),
    ),
    ("archive_end", "complete", m.ArchiveEnd(7, 3, 0)),
    (
        "guard_policy",
        "limit 6 kW, yellow boiler and green EV",
        m.GuardPolicy(
            9,
            6000,
            0,
            0,
            1000,
            60,
            (m.GuardOutput(0, 0, 1, 900, 60, 2000), m.GuardOutput(0, 1, 2, 0, 300, 7400)),
        ),
    ),
    ("guard_ack", "accepted", m.GuardAck(9, 0)),
    ("heartbeat", "host alive", m.Heartbeat(9, 1767225600)),
    ("guard_status", "hub guard in control", m.GuardStatus(9, 1, 7200, 2, 1767225660)),
    ("time_sync", "set clock", m.TimeSync(1767225600, 250)),
    ("time_ack", "clock moved", m.TimeAck(946684800, 1767225600)),
]  # fmt: skip


def _json_value(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, tuple):
        return [_json_value(item) for item in value]
    if isinstance(value, m.Record):
        return {f.name: _json_value(getattr(value, f.name)) for f in fields(value)}
    return value


def message_to_json(message: m.Message) -> dict[str, Any]:
    """Return the vector form of a message: snake-case name and fields, bytes as hex."""
    name = re.sub(r"(?<!^)(?=[A-Z])", "_", type(message).__name__).lower()
    return {"name": name, "fields": _json_value(message)}


def _frame_json(frame_type: int, seq: int, auth: bool, message: m.Message) -> dict[str, Any]:
    return {"type": frame_type, "seq": seq, "authenticated": auth, **message_to_json(message)}


def _write(name: str, vector: dict[str, Any]) -> None:
    (OUT / f"{name}.json").write_text(json.dumps({"name": name, **vector}, indent=1) + "\n")


def _check(vector: dict[str, Any]) -> None:
    """Refuse to write a vector the reference decoder does not reproduce."""
    key = bytes.fromhex(vector["key"]) if "key" in vector else None
    decoder = FrameDecoder(key=key)
    frames = decoder.feed(bytes.fromhex(vector["hex"]))
    expect = vector["expect"]
    assert [(f.type, f.seq, f.authenticated) for f in frames] == [
        (e["type"], e["seq"], e["authenticated"]) for e in expect["frames"]
    ], vector["description"]
    for counter, value in expect.get("stats", {}).items():
        assert getattr(decoder.stats, counter) == value, (vector["description"], counter)


def main() -> None:
    """Write every vector."""
    for old in OUT.glob("*.json"):
        old.unlink()
    for seq, (name, description, message) in enumerate(VALID):
        raw = encode_frame(message.TYPE, seq, m.encode_payload(message))
        vector = {
            "description": description,
            "hex": raw.hex(),
            "expect": {"frames": [_frame_json(message.TYPE, seq, False, message)]},
        }
        _check(vector)
        _write(name, vector)
    ping = m.Ping(7)
    plain = encode_frame(ping.TYPE, 3, m.encode_payload(ping))
    signed = encode_frame(ping.TYPE, 3, m.encode_payload(ping), key=KEY)
    signed_next = encode_frame(ping.TYPE, 4, m.encode_payload(ping), key=KEY)
    mac_frame = bytearray(signed)  # flip a payload bit, then fix the CRC: only the MAC is wrong
    mac_frame[11 + 4] ^= 0x80
    mac_frame[-4:] = zlib.crc32(mac_frame[2:-4]).to_bytes(4, "big")
    bad_crc = bytearray(plain)
    bad_crc[-1] ^= 0xFF
    one = _frame_json(ping.TYPE, 3, False, ping)
    cases: list[tuple[str, str, bytes, bytes | None, list[dict[str, Any]], dict[str, int]]] = [
        ("authenticated_ping", "MAC verified", signed, KEY, [{**one, "authenticated": True}], {}),
        ("garbage_before", "resync after noise", b"\x00\xff\xb5\x13noise" + plain, None, [one], {"bytes_skipped": 9}),
        ("bad_crc", "CRC mismatch dropped", bytes(bad_crc), None, [], {"crc_errors": 1}),
        ("bad_crc_then_valid", "a valid frame right after a corrupt one", bytes(bad_crc) + plain, None, [one], {"crc_errors": 1}),
        ("truncated", "incomplete frame delivers nothing", plain[:-3], None, [], {"crc_errors": 0}),
        ("bad_format", "unknown frame format skipped", plain[:2] + b"\x02" + plain[3:], None, [], {"crc_errors": 0}),
        ("reserved_flag", "reserved flag bit set", plain[:3] + b"\x02" + plain[4:], None, [], {"crc_errors": 0}),
        ("length_too_large", "length over 2048 skipped", plain[:9] + b"\x08\x01" + plain[11:], None, [], {"crc_errors": 0}),
        ("mac_without_key", "authenticated frame before a session key", signed, None, [], {"auth_failures": 1}),
        ("plain_with_key", "unauthenticated frame in an authenticated session", plain, KEY, [], {"auth_failures": 1}),
        ("forged_mac", "payload changed, CRC recomputed, MAC wrong", bytes(mac_frame), KEY, [], {"auth_failures": 1}),
        ("replay", "the same authenticated frame twice", signed + signed, KEY, [{**one, "authenticated": True}], {"replays": 1}),
        ("replay_older", "an older sequence number after a newer one", signed_next + signed, KEY,
         [{**one, "seq": 4, "authenticated": True}], {"replays": 1}),
        ("two_frames", "two frames in one read", plain + plain, None, [one, one], {}),
        ("frame_in_frame", "a frame hidden in a corrupt frame's payload is found",
         plain[:11] + plain + b"\x00" * 4, None, [one], {"crc_errors": 1}),
    ]  # fmt: skip
    for name, description, raw, key, frames, stats in cases:
        vector = {
            "description": description,
            "hex": raw.hex(),
            "expect": {"frames": frames, "stats": stats},
        }
        if key is not None:
            vector["key"] = key.hex()
        _check(vector)
        _write(name, vector)
    malformed = encode_frame(m.Counters.TYPE, 1, b"\x00\x00\x00\x07\x01")
    unknown = encode_frame(0x7F, 2, b"\x01\x02")
    for name, description, raw, msg_type, seq in (
        ("malformed_payload", "valid frame, payload too short for COUNTERS", malformed, m.Counters.TYPE, 1),
        ("unknown_type", "valid frame of an unknown type", unknown, 0x7F, 2),
    ):  # fmt: skip
        vector = {
            "description": description,
            "hex": raw.hex(),
            "expect": {
                "frames": [{"type": msg_type, "seq": seq, "authenticated": False, "error": True}]
            },
        }
        _check(vector)
        _write(name, vector)


if __name__ == "__main__":
    main()
