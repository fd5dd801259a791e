# BALANCE hub link codec for MicroPython (docs/protocol.md). Messages are dicts of field values.
import hashlib
import struct
from binascii import crc32

import cryptolib

SYNC = b"\xb5\x4c"
FRAME_FORMAT = 1
FLAG_AUTH = 1
FLAG_SEALED = 2  # only with FLAG_AUTH: the body is AES-256-CTR(type || payload)
SEALED_TYPE = 0
HOST_TO_HUB, HUB_TO_HOST = 0, 1
ROLE_HOST, ROLE_HUB = 0, 1
CAP_ENCRYPTION = 1 << 8
_AES_ECB = 1
HEADER_SIZE = 11
MAX_PAYLOAD = 2048
MAC_SIZE = 16
PROTOCOL_VERSION = 1
MIN_PROTOCOL_VERSION = 1

# Field kinds: struct code, "s" (u8-length UTF-8), "16s" (16 raw bytes), or
# ("B" | "H", sub-record fields) for a list with a u8 / u16 count.
_CHANNEL_INFO = (("channel", "B"), ("medium", "B"), ("flags", "B"))
_READING = (("channel", "B"), ("count", "I"), ("rate_mph", "I"), ("flags", "B"))
_BOOT_COUNT = (("channel", "B"), ("count", "I"))
_GUARD_OUTPUT = (
    ("node_id", "I"), ("output", "B"), ("priority", "B"),
    ("max_off_s", "H"), ("min_on_s", "H"), ("rated_w", "I"),
)  # fmt: skip
SCHEMA = {
    0x01: ("hello", (("version", "B"), ("min_version", "B"), ("role", "B"),
                     ("capabilities", "I"), ("nonce", "16s"), ("name", "s"))),
    0x02: ("auth", (("proof", "16s"),)),
    0x03: ("auth_result", (("status", "B"), ("proof", "16s"))),
    0x04: ("ping", (("token", "I"),)),
    0x05: ("pong", (("token", "I"),)),
    0x06: ("disconnect", (("reason", "B"),)),
    0x07: ("error", (("ref_type", "B"), ("ref_seq", "I"), ("code", "B"))),
    0x10: ("hub_info_request", ()),
    0x11: ("hub_info", (("hub_id", "s"), ("firmware", "s"), ("model", "s"), ("uptime_s", "I"),
                        ("hub_time", "I"), ("counter_epoch", "H"), ("nodes", "H"),
                        ("channels", "H"), ("outputs", "B"), ("flags", "B"))),
    0x12: ("node_list_request", ()),
    0x13: ("node_info", (("node_id", "I"), ("kind", "B"), ("firmware", "s"),
                         ("channels", ("B", _CHANNEL_INFO)), ("outputs", "B"),
                         ("level_outputs", "B"))),
    0x14: ("node_list_end", (("count", "H"),)),
    0x15: ("state_request", ()),
    0x20: ("counters", (("node_id", "I"), ("hub_time", "I"), ("report_seq", "I"),
                        ("epoch", "H"), ("readings", ("B", _READING)), ("boot", "I"),
                        ("boot_counts", ("B", _BOOT_COUNT)))),
    0x21: ("node_status", (("node_id", "I"), ("battery_mv", "H"), ("battery_pct", "B"),
                           ("rssi", "b"), ("hops", "B"), ("last_seen", "I"), ("flags", "B"))),
    0x22: ("alarm", (("node_id", "I"), ("channel", "B"), ("kind", "B"), ("active", "B"),
                     ("hub_time", "I"), ("value", "i"))),
    0x30: ("output_state", (("node_id", "I"), ("output", "B"), ("state", "B"), ("cause", "B"),
                            ("hub_time", "I"))),
    0x31: ("output_set", (("cmd_id", "H"), ("node_id", "I"), ("output", "B"), ("state", "B"))),
    0x32: ("output_ack", (("cmd_id", "H"), ("result", "B"), ("state", "B"))),
    0x33: ("output_level_set", (("cmd_id", "H"), ("node_id", "I"), ("output", "B"),
                                ("milliamps", "H"))),
    0x34: ("output_level_ack", (("cmd_id", "H"), ("result", "B"), ("milliamps", "H"))),
    0x35: ("output_level", (("node_id", "I"), ("output", "B"), ("milliamps", "H"),
                            ("hub_time", "I"))),
    0x40: ("archive_request", (("req_id", "H"), ("node_id", "I"), ("channel", "B"),
                               ("start", "I"), ("end", "I"))),
    0x41: ("archive_records", (("req_id", "H"), ("node_id", "I"), ("channel", "B"),
                               ("start", "I"), ("epoch", "H"), ("values", ("H", (("count", "I"),))))),
    0x42: ("archive_end", (("req_id", "H"), ("records", "I"), ("status", "B"))),
    0x50: ("guard_policy", (("policy_id", "H"), ("limit_w", "I"), ("meter_node", "I"),
                            ("meter_channel", "B"), ("meter_imp_per_kwh", "I"),
                            ("heartbeat_timeout_s", "H"), ("outputs", ("B", _GUARD_OUTPUT)))),
    0x51: ("guard_ack", (("policy_id", "H"), ("status", "B"))),
    0x52: ("heartbeat", (("policy_id", "H"), ("host_time", "I"))),
    0x53: ("guard_status", (("policy_id", "H"), ("mode", "B"), ("power_w", "I"), ("shed", "B"),
                            ("hub_time", "I"))),
    0x60: ("time_sync", (("unix_time", "I"), ("ms", "H"))),
    0x61: ("time_ack", (("previous_time", "I"), ("unix_time", "I"))),
}  # fmt: skip
TYPES = {name: code for code, (name, _) in SCHEMA.items()}
# Trailing fields appended by a minor revision: absent in older peers' payloads (decoded as 0 or
# an empty list) and not sent while they and every field after them are 0 or empty.
OPTIONAL = {0x13: ("level_outputs",), 0x20: ("boot", "boot_counts")}


class MessageError(ValueError):
    pass


def hmac_sha256(key, data):
    """HMAC-SHA256 (RFC 2104); MicroPython has no hmac module."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key + bytes(64 - len(key))
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    inner.update(data)
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    outer.update(inner.digest())
    return outer.digest()


def digest_equal(a, b):
    """Constant-time comparison of two byte strings."""
    if len(a) != len(b):
        return False
    diff = 0
    for x, y in zip(a, b):
        diff |= x ^ y
    return diff == 0


def utf8_valid(data):
    """Strict UTF-8 as CPython decodes it: no overlong forms, surrogates or code points > U+10FFFF."""
    pos, end = 0, len(data)
    while pos < end:
        lead = data[pos]
        if lead < 0x80:
            pos += 1
            continue
        if 0xC2 <= lead <= 0xDF:
            extra, low, high = 1, 0x80, 0xBF
        elif lead == 0xE0:
            extra, low, high = 2, 0xA0, 0xBF
        elif lead == 0xED:
            extra, low, high = 2, 0x80, 0x9F
        elif 0xE1 <= lead <= 0xEF:
            extra, low, high = 2, 0x80, 0xBF
        elif lead == 0xF0:
            extra, low, high = 3, 0x90, 0xBF
        elif 0xF1 <= lead <= 0xF3:
            extra, low, high = 3, 0x80, 0xBF
        elif lead == 0xF4:
            extra, low, high = 3, 0x80, 0x8F
        else:
            return False
        if pos + extra >= end or not low <= data[pos + 1] <= high:
            return False
        for i in range(pos + 2, pos + 1 + extra):
            if not 0x80 <= data[i] <= 0xBF:
                return False
        pos += 1 + extra
    return True


def _pack(fields, values, out):
    for name, kind in fields:
        value = values[name]
        if kind == "s":
            raw = value.encode()
            if len(raw) > 255:
                raise MessageError(name)
            out.append(len(raw))
            out.extend(raw)
        elif isinstance(kind, tuple):
            out.extend(struct.pack(">" + kind[0], len(value)))
            for item in value:
                _pack(kind[1], item, out)
        else:
            if kind == "16s" and len(value) != 16:
                raise MessageError(name)
            out.extend(struct.pack(">" + kind, value))


def encode_payload(msg_type, values):
    fields = SCHEMA[msg_type][1]
    optional = OPTIONAL.get(msg_type, ())
    end = len(fields)
    while end and fields[end - 1][0] in optional and not values.get(fields[end - 1][0]):
        end -= 1
    out = bytearray()
    _pack(fields[:end], values, out)
    return bytes(out)


def _unpack(fields, data, pos, optional=()):
    values = {}
    end = len(data)
    for name, kind in fields:
        if pos == end and name in optional:
            values[name] = [] if isinstance(kind, tuple) else 0
            continue
        if kind == "s":
            if pos >= end:
                raise MessageError(name)
            length = data[pos]
            if pos + 1 + length > end:
                raise MessageError(name)
            raw = data[pos + 1 : pos + 1 + length]
            if not utf8_valid(raw):
                raise MessageError(name)
            values[name] = str(raw, "utf-8")
            pos += 1 + length
        elif isinstance(kind, tuple):
            size = struct.calcsize(kind[0])
            if pos + size > end:
                raise MessageError(name)
            count = struct.unpack_from(">" + kind[0], data, pos)[0]
            pos += size
            items = []
            for _ in range(count):
                item, pos = _unpack(kind[1], data, pos)
                items.append(item)
            values[name] = items
        else:
            size = struct.calcsize(kind)
            if pos + size > end:
                raise MessageError(name)
            value = struct.unpack_from(">" + kind, data, pos)[0]
            values[name] = bytes(value) if kind == "16s" else value
            pos += size
    return values, pos


def decode_payload(msg_type, payload):
    """Return the dict of a payload; raise MessageError if unknown or malformed."""
    entry = SCHEMA.get(msg_type)
    if entry is None:
        raise MessageError("unknown type")
    return _unpack(entry[1], payload, 0, OPTIONAL.get(msg_type, ()))[0]


def frame_mac(key, signed):
    return hmac_sha256(key, signed)[:MAC_SIZE]


class LinkKey:
    """Keys of one direction of an encrypted session: AES-256 (CTR built on ECB) and HMAC."""

    def __init__(self, direction, enc_key, mac_key):
        self.direction = direction
        self.enc_key = enc_key
        self.mac_key = mac_key
        self._aes = cryptolib.aes(enc_key, _AES_ECB)  # ECB is stateless: one object per key
        padded = mac_key + bytes(64 - len(mac_key))
        self._ipad = bytes(b ^ 0x36 for b in padded)
        self._opad = bytes(b ^ 0x5C for b in padded)
        self._head = bytes([direction]) + bytes(7)

    def mac(self, signed):
        inner = hashlib.sha256(self._ipad)
        inner.update(signed)
        outer = hashlib.sha256(self._opad)
        outer.update(inner.digest())
        return outer.digest()[:MAC_SIZE]

    def crypt(self, seq, data):
        """AES-CTR with counter blocks direction || 0^7 || seq || block index (its own inverse)."""
        size = len(data)
        blocks = (size + 15) // 16
        counters = bytearray(16 * blocks)
        for i in range(blocks):
            counters[16 * i : 16 * i + 8] = self._head
            struct.pack_into(">II", counters, 16 * i + 8, seq, i)
        stream = self._aes.encrypt(counters)
        mixed = int.from_bytes(data, "big") ^ int.from_bytes(stream[:size], "big")
        return mixed.to_bytes(size, "big")


def direction_key(key, direction):
    label = b"host" if direction == HOST_TO_HUB else b"hub"
    return LinkKey(direction, hmac_sha256(key, b"balance-v1 enc " + label),
                   hmac_sha256(key, b"balance-v1 mac " + label))  # fmt: skip


def link_keys(key, role):
    """(send, receive) LinkKeys of an encrypted session for the local role."""
    host_to_hub = direction_key(key, HOST_TO_HUB)
    hub_to_host = direction_key(key, HUB_TO_HOST)
    if role == ROLE_HOST:
        return host_to_hub, hub_to_host
    return hub_to_host, host_to_hub


def encode_frame(msg_type, seq, payload, key=None):
    """Plain frame, MAC'd with a session key (bytes), or sealed with a direction's LinkKey."""
    flags = 0
    if isinstance(key, LinkKey):
        flags = FLAG_AUTH | FLAG_SEALED
        payload = key.crypt(seq, bytes([msg_type]) + payload)
        msg_type = SEALED_TYPE
    elif key is not None:
        flags = FLAG_AUTH
    if len(payload) > MAX_PAYLOAD:
        raise MessageError("payload too long")
    body = bytearray(SYNC)
    body.extend(struct.pack(">BBBIH", FRAME_FORMAT, flags, msg_type, seq, len(payload)))
    body.extend(payload)
    if isinstance(key, LinkKey):
        body.extend(key.mac(memoryview(body)[2:]))
    elif key is not None:
        body.extend(frame_mac(key, memoryview(body)[2:]))
    body.extend(struct.pack(">I", crc32(memoryview(body)[2:])))
    return bytes(body)


def _valid_header(flags, msg_type, length):
    if flags & ~(FLAG_AUTH | FLAG_SEALED) or length > MAX_PAYLOAD:
        return False
    return not flags & FLAG_SEALED or (flags == FLAG_AUTH | FLAG_SEALED and msg_type == SEALED_TYPE)


class FrameDecoder:
    """Incremental frame decoder with resynchronisation; feed() never raises on input.

    `key`: None (plain), a session key (MAC'd frames only) or a receive LinkKey (sealed
    frames only). Counters are monotonic: frames, skipped, crc_errors, auth_failures, replays.
    """

    def __init__(self, key=None):
        self.key = key
        self.last_seq = -1
        self.frames = 0
        self.bytes_skipped = 0
        self.crc_errors = 0
        self.auth_failures = 0
        self.replays = 0
        self._buf = bytearray()

    def set_key(self, key):
        self.key = key

    def _skip(self, count):
        if count:
            self._buf = self._buf[count:]
            self.bytes_skipped += count

    def feed(self, data):
        """Return a list of (type, seq, payload, authenticated) for each valid frame."""
        buf = self._buf
        buf.extend(data)
        frames = []
        while True:
            start = buf.find(SYNC)
            if start < 0:
                keep = 1 if buf and buf[-1] == SYNC[0] else 0
                self._skip(len(buf) - keep)
                return frames
            if start:
                self._skip(start)
                buf = self._buf
            if len(buf) < HEADER_SIZE:
                return frames
            fmt, flags, msg_type, seq, length = struct.unpack_from(">BBBIH", buf, 2)
            if fmt != FRAME_FORMAT or not _valid_header(flags, msg_type, length):
                self._skip(1)
                buf = self._buf
                continue
            mac_len = MAC_SIZE if flags & FLAG_AUTH else 0
            payload_end = HEADER_SIZE + length
            total = payload_end + mac_len + 4
            if len(buf) < total:
                return frames
            view = memoryview(buf)
            crc = struct.unpack_from(">I", buf, total - 4)[0]
            if crc32(view[2 : total - 4]) != crc:
                self.crc_errors += 1
                self._skip(1)
                buf = self._buf
                continue
            frame = self._accept(view, flags, msg_type, seq, payload_end)
            if frame is None:
                self._skip(1)
                buf = self._buf
                continue
            frames.append(frame)
            self.frames += 1
            self._buf = buf[total:]
            buf = self._buf

    def _accept(self, view, flags, msg_type, seq, payload_end):
        """(type, seq, payload, authenticated) if the frame passes the authentication rule."""
        key = self.key
        if key is None:
            if flags:
                self.auth_failures += 1
                return None
            return msg_type, seq, bytes(view[HEADER_SIZE:payload_end]), False
        sealed = isinstance(key, LinkKey)
        if flags != (FLAG_AUTH | FLAG_SEALED if sealed else FLAG_AUTH):
            self.auth_failures += 1
            return None
        signed = view[2:payload_end]
        expected = key.mac(signed) if sealed else frame_mac(key, signed)
        if not digest_equal(expected, view[payload_end : payload_end + MAC_SIZE]):
            self.auth_failures += 1
            return None
        if seq <= self.last_seq:
            self.replays += 1
            return None
        payload = bytes(view[HEADER_SIZE:payload_end])
        if sealed:
            if not payload:  # a sealed body holds at least the message type
                self.auth_failures += 1
                return None
            payload = key.crypt(seq, payload)
            msg_type, payload = payload[0], payload[1:]
        self.last_seq = seq
        return msg_type, seq, payload, True


def session_key(psk, hub_nonce, host_nonce):
    return hmac_sha256(psk, b"balance-v1 session" + hub_nonce + host_nonce)


def proof(key, label):
    return hmac_sha256(key, label)[:16]
