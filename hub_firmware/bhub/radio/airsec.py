"""Authenticated air frames: pairing and output commands between the hub and its nodes.

Same 12-byte header as airframe (header, origin, frame_counter, hops, relay_id); version 1,
kinds 3-6 (docs/hub-radio.md, "Authenticated frames"). Every frame ends with an 8-byte tag:
HMAC-SHA256 truncated to 64 bits over the packet without hops and relay_id (bytes 7-11, the
only bytes relays change) and without the tag itself.

    kind 3 COMMAND  hub -> node, per-node key   target u32, seq u32, output u8, state u8,
                                                 hold_s u16                          32 bytes
    kind 4 ACK      node -> hub, per-node key   seq u32, output u8, state u8, result u8   27
    kind 5 JOIN     node -> hub, install key    join_counter u32, nonce 4, outputs u8     29
    kind 6 ACCEPT   hub -> node, install key    target u32, join_counter u32, nonce 4,
                                                 wrapped key 16                           48

The hub draws a fresh 16-byte node key at each JOIN and sends it XOR-wrapped with
HMAC(install key, "wrap" | node id | join_counter | nonce); only holders of the install key
(the hub's provisioning list and the node's flash) can unwrap it or forge either frame.
"""

import hashlib
import struct

from bhub.radio.airframe import FORMAT_VERSION, MAX_HOPS

KIND_COMMAND = 3
KIND_ACK = 4
KIND_JOIN = 5
KIND_ACCEPT = 6
TAG_SIZE = 8
KEY_SIZE = 16
HUB_AIR_ID = 0  # origin of the hub's frames
LISTEN_INTERVAL_S = 1.0  # battery nodes sniff once per interval; wake-up bursts last as long
_HEADER = ">BIHBI"
_HEADER_SIZE = 12
_BODY = {
    KIND_COMMAND: ">IIBBH",  # target, seq, output, state, hold_s
    KIND_ACK: ">IBBB",  # seq, output, state, result
    KIND_JOIN: ">I4sB",  # join_counter, nonce, outputs
    KIND_ACCEPT: ">II4s16s",  # target, join_counter, nonce, wrapped key
}
_BLOCK = 64


def hmac_sha256(key, message):
    """RFC 2104 HMAC with SHA-256 (MicroPython has hashlib.sha256 but no hmac module)."""
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key + bytes(_BLOCK - len(key))
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    inner.update(message)
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    outer.update(inner.digest())
    return outer.digest()


def _tag(key, packet):
    return hmac_sha256(key, packet[:7] + packet[_HEADER_SIZE:])[:TAG_SIZE]


def size(kind):
    return _HEADER_SIZE + struct.calcsize(_BODY[kind]) + TAG_SIZE


def kind_of(packet):
    """Kind of an authenticated frame (3..6), or 0 for anything else."""
    if len(packet) < _HEADER_SIZE or packet[0] >> 4 != FORMAT_VERSION:
        return 0
    kind = packet[0] & 0x0F
    return kind if kind in _BODY and len(packet) >= size(kind) else 0


def encode(kind, key, origin, frame_counter, *fields):
    """Packet of `kind` with `fields` in the order above, tagged with `key`."""
    body = struct.calcsize(_BODY[kind])
    out = bytearray(_HEADER_SIZE + body)
    struct.pack_into(_HEADER, out, 0, (FORMAT_VERSION << 4) | kind, origin,
                     frame_counter & 0xFFFF, 0, 0)  # fmt: skip
    struct.pack_into(_BODY[kind], out, _HEADER_SIZE, *fields)
    return bytes(out) + _tag(key, bytes(out))


def header(packet):
    """(origin, frame_counter, hops) of any packet of at least 12 bytes."""
    _, origin, counter, hops, _ = struct.unpack_from(_HEADER, packet, 0)
    return origin, counter, hops


def fields(kind, packet):
    """The body fields of a packet of `kind` (check kind_of first), tag not checked."""
    return struct.unpack_from(_BODY[kind], packet, _HEADER_SIZE)


def verify(key, packet):
    """True if the packet's tag is right for `key` (constant time over the tag)."""
    kind = kind_of(packet)
    if key is None or not kind or packet[7] > MAX_HOPS:
        return False
    end = size(kind)
    expected = _tag(key, packet[: end - TAG_SIZE])
    diff = 0
    for i in range(TAG_SIZE):
        diff |= expected[i] ^ packet[end - TAG_SIZE + i]
    return diff == 0


def wrap(install_key, node_id, join_counter, nonce, key):
    """The node key XOR-wrapped for ACCEPT (and unwrapped again: its own inverse)."""
    pad = hmac_sha256(install_key, b"wrap" + struct.pack(">II", node_id, join_counter) + nonce)
    return bytes(a ^ b for a, b in zip(key, pad))


def relayed(packet, relay_id):
    """Copy of `packet` one relay further (hops + 1, relay_id), or None at MAX_HOPS."""
    if packet[7] >= MAX_HOPS:
        return None
    out = bytearray(packet)
    struct.pack_into(">BI", out, 7, packet[7] + 1, relay_id)
    return bytes(out)
