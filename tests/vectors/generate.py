"""Write the shared protocol test vectors (tests/vectors/*.json) from the message catalogue below.

Run: .venv/bin/python tests/vectors/generate.py. The vectors are data for both implementations;
tests/protocol/test_vectors_spec.py checks two of them byte by byte against docs/protocol.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import sys
import zlib
from dataclasses import fields
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[2]))

from custom_components.balance.hub import messages as m
from custom_components.balance.hub.auth import direction_key
from custom_components.balance.hub.frame import (
    HOST_TO_HUB,
    HUB_TO_HOST,
    FrameDecoder,
    FrameKey,
    encode_frame,
)

OUT = Path(__file__).parent
KEY = bytes(range(32))
NONCE_A = bytes(range(16))
NONCE_B = bytes(range(16, 32))
DIRECTIONS = {"host_to_hub": HOST_TO_HUB, "hub_to_host": HUB_TO_HOST}
# Every UTF-8 boundary that is valid: U+007F, U+0080, U+07FF, U+0800, U+D7FF, U+E000, U+FFFF,
# U+10000, U+10FFFF.
UTF8_EDGES = "\x7f\x80\u07ff\u0800\ud7ff\ue000\uffff\U00010000\U0010ffff"
# Byte strings CPython's strict decoder rejects; MicroPython's str() accepted the first four.
BAD_UTF8 = [
    ("utf8_overlong", "overlong 2-byte '/' (C0 AF)", b"\xc0\xaf"),
    ("utf8_overlong_3byte", "overlong 3-byte NUL (E0 80 80)", b"\xe0\x80\x80"),
    ("utf8_surrogate", "UTF-8 encoded surrogate U+D800 (ED A0 80)", b"ab\xed\xa0\x80"),
    ("utf8_above_max", "code point U+110000 (F4 90 80 80)", b"\xf4\x90\x80\x80"),
    ("utf8_f5_lead", "lead byte F5 (above U+10FFFF)", b"\xf5\x80\x80\x80"),
    ("utf8_truncated", "3-byte sequence cut short", b"\xe2\x82"),
    ("utf8_lone_continuation", "continuation byte without a lead", b"a\x80"),
]

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
    ("hello_utf8_edges", "every valid UTF-8 boundary in a name", m.Hello(1, 1, 0, 0x100, NONCE_A, UTF8_EDGES)),
    ("counters_boot", "hub counters after its 12th start: boot number and the counts it resumed from",
     m.Counters(0, 1767225600, 3, 3, (m.ChannelReading(1, 1_000_250, 1_500_000, 0), m.ChannelReading(2, 17, 0, 0)),
                12, (m.BootCount(1, 1_000_000), m.BootCount(2, 15)))),
    ("output_level_set", "10 A on output 0", m.OutputLevelSet(514, 0, 0, 10000)),
    ("output_level_ack", "accepted", m.OutputLevelAck(514, 0, 10000)),
    ("output_level", "setpoint in force", m.OutputLevel(0, 0, 10000, 1767225600)),
    (
        "node_info_hub_levels",
        "node 0 whose output 0 takes a current setpoint",
        m.NodeInfo(0, 0, "1.0.0", (m.ChannelInfo(0, 1, 0),), 2, 0b01),
    ),
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


def vector_key(vector: dict[str, Any]) -> FrameKey | None:
    """The decoder key of a vector: none, the session key, or one direction's sealing keys."""
    if "key" not in vector:
        return None
    key = bytes.fromhex(vector["key"])
    if "direction" in vector:
        return direction_key(key, DIRECTIONS[vector["direction"]])
    return key


def _check(vector: dict[str, Any]) -> None:
    """Refuse to write a vector the reference decoder does not reproduce."""
    decoder = FrameDecoder(key=vector_key(vector))
    frames = decoder.feed(bytes.fromhex(vector["hex"]))
    expect = vector["expect"]
    assert [(f.type, f.seq, f.authenticated, f.encrypted) for f in frames] == [
        (e["type"], e["seq"], e["authenticated"], e.get("encrypted", False))
        for e in expect["frames"]
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
        ("reserved_flag", "reserved flag bit set", plain[:3] + b"\x04" + plain[4:], None, [], {"crc_errors": 0}),
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
    _write_utf8_vectors()
    _write_sealed_vectors()


def _write_utf8_vectors() -> None:
    """HELLO frames whose name is not strict UTF-8: both decoders must call them malformed."""
    hello = m.Hello(1, 1, 0, 0, NONCE_A, "")
    prefix = m.encode_payload(hello)[:-1]
    for seq, (name, description, raw) in enumerate(BAD_UTF8):
        frame = encode_frame(hello.TYPE, seq, prefix + bytes([len(raw)]) + raw)
        vector = {
            "description": f"name is not UTF-8: {description}",
            "hex": frame.hex(),
            "expect": {"frames": [{"type": hello.TYPE, "seq": seq, "authenticated": False, "error": True}]},
        }  # fmt: skip
        _check(vector)
        _write(name, vector)


def _write_sealed_vectors() -> None:
    """Encrypted (sealed) frames: the session key is KEY, the decoder receives `direction`."""
    to_host = direction_key(KEY, HUB_TO_HOST)
    to_hub = direction_key(KEY, HOST_TO_HUB)
    auth_ok = m.AuthResult(0, NONCE_B)
    counters = m.Counters(0xA1B2C3, 1767225600, 42, 3, (m.ChannelReading(0, 123456, 2_500_000, 0),))
    output_set = m.OutputSet(513, 0, 2, 0)

    def seal(message: m.Message, seq: int, key: FrameKey) -> bytes:
        return encode_frame(message.TYPE, seq, m.encode_payload(message), key)

    def sealed(message: m.Message, seq: int) -> dict[str, Any]:
        return {**_frame_json(message.TYPE, seq, True, message), "encrypted": True}

    result = seal(auth_ok, 3, to_host)
    report = seal(counters, 4, to_host)
    report_next = seal(counters, 5, to_host)
    command = seal(output_set, 5, to_hub)
    tampered = bytearray(report)
    tampered[11 + 9] ^= 0x01  # one ciphertext bit (the low byte of a count), CRC fixed
    tampered[-4:] = zlib.crc32(tampered[2:-4]).to_bytes(4, "big")
    empty = bytearray(b"\xb5\x4c\x01\x03\x00\x00\x00\x00\x07\x00\x00")
    empty += hmac.new(to_host.mac_key, empty[2:], hashlib.sha256).digest()[:16]
    empty += zlib.crc32(empty[2:]).to_bytes(4, "big")
    typed = bytearray(report)
    typed[4] = m.Counters.TYPE  # a sealed header must carry type 0
    typed[-4:] = zlib.crc32(typed[2:-4]).to_bytes(4, "big")
    no_auth = bytearray(report[:-20] + report[-4:])
    no_auth[3] = 0x02  # SEALED without AUTH, no MAC
    no_auth[-4:] = zlib.crc32(no_auth[2:-4]).to_bytes(4, "big")
    mac_only = encode_frame(m.Ping.TYPE, 6, m.encode_payload(m.Ping(7)), KEY)
    cases: list[tuple[str, str, bytes, str | None, str | None, list[dict[str, Any]], dict[str, int]]] = [
        ("sealed_auth_result", "AUTH_RESULT(OK), the first sealed frame", result, "hub_to_host", "key",
         [sealed(auth_ok, 3)], {}),
        ("sealed_counters", "COUNTERS sealed hub to host", report, "hub_to_host", "key", [sealed(counters, 4)], {}),
        ("sealed_output_set", "OUTPUT_SET sealed host to hub", command, "host_to_hub", "key",
         [sealed(output_set, 5)], {}),
        ("sealed_two_frames", "two sealed frames in one read", report + report_next, "hub_to_host", "key",
         [sealed(counters, 4), sealed(counters, 5)], {}),
        ("sealed_tampered", "one ciphertext bit flipped, CRC fixed: MAC fails", bytes(tampered), "hub_to_host",
         "key", [], {"auth_failures": 1}),
        ("sealed_replay", "the same sealed frame twice", report + report, "hub_to_host", "key",
         [sealed(counters, 4)], {"replays": 1}),
        ("sealed_reflected", "a host-to-hub frame sent back to the host", command, "hub_to_host", "key",
         [], {"auth_failures": 1}),
        ("sealed_empty_body", "sealed frame with a valid MAC but no type byte", bytes(empty), "hub_to_host",
         "key", [], {"auth_failures": 1}),
        ("sealed_typed_header", "sealed frame whose header type is not 0", bytes(typed), "hub_to_host", "key",
         [], {"crc_errors": 0, "auth_failures": 0}),
        ("sealed_without_auth", "SEALED flag without AUTH", bytes(no_auth), "hub_to_host", "key", [],
         {"crc_errors": 0, "auth_failures": 0}),
        ("sealed_mac_only_frame", "a MAC-only frame in a sealed session (downgrade)", mac_only, "hub_to_host",
         "key", [], {"auth_failures": 1}),
        ("sealed_in_mac_session", "a sealed frame to a MAC-only decoder", report, None, "key", [],
         {"auth_failures": 1}),
        ("sealed_without_key", "a sealed frame before any key", report, None, None, [], {"auth_failures": 1}),
    ]  # fmt: skip
    for name, description, raw, direction, key, frames, stats in cases:
        vector: dict[str, Any] = {
            "description": description,
            "hex": raw.hex(),
            "expect": {"frames": frames, "stats": stats},
        }
        if key is not None:
            vector["key"] = KEY.hex()
        if direction is not None:
            link = to_host if direction == "hub_to_host" else to_hub
            vector["direction"] = direction
            vector["link_key"] = {"enc": link.enc_key.hex(), "mac": link.mac_key.hex()}
        _check(vector)
        _write(name, vector)


if __name__ == "__main__":
    main()
