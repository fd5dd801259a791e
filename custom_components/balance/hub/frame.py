"""Frame layer of the BALANCE hub link: framing, CRC, MAC and resynchronisation.

See docs/protocol.md, section "Frames". This module has no Home Assistant import.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
import zlib
from dataclasses import dataclass, field

SYNC = b"\xb5\x4c"
FRAME_FORMAT = 1
FLAG_AUTH = 0x01
HEADER = struct.Struct(">2sBBBIH")  # sync, format, flags, type, seq, payload length
MAX_PAYLOAD = 2048
MAC_SIZE = 16
CRC_SIZE = 4
MAX_SEQ = 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame as received: message type, sequence number and raw payload."""

    type: int
    seq: int
    payload: bytes
    authenticated: bool = False


def frame_mac(key: bytes, signed: bytes) -> bytes:
    """Return the truncated HMAC-SHA256 that authenticates a frame."""
    return hmac.new(key, signed, hashlib.sha256).digest()[:MAC_SIZE]


def encode_frame(msg_type: int, seq: int, payload: bytes, key: bytes | None = None) -> bytes:
    """Encode one frame; with a session key the frame carries a MAC."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    if not 0 <= seq <= MAX_SEQ:
        raise ValueError(f"sequence number {seq} out of range")
    flags = FLAG_AUTH if key is not None else 0
    body = HEADER.pack(SYNC, FRAME_FORMAT, flags, msg_type, seq, len(payload)) + payload
    if key is not None:
        body += frame_mac(key, body[2:])
    return body + struct.pack(">I", zlib.crc32(body[2:]))


@dataclass(slots=True)
class DecoderStats:
    """Monotonic counters of what the decoder threw away."""

    frames: int = 0
    bytes_skipped: int = 0
    crc_errors: int = 0
    auth_failures: int = 0
    replays: int = 0


@dataclass(slots=True)
class FrameDecoder:
    """Incremental decoder: feed bytes, get whole valid frames; never raises on input.

    Without a key it accepts unauthenticated frames only. With a key (after the
    handshake) it accepts only frames whose MAC verifies and whose sequence number
    is greater than the last accepted one.
    """

    key: bytes | None = None
    last_seq: int = -1
    stats: DecoderStats = field(default_factory=DecoderStats)
    _buffer: bytearray = field(default_factory=bytearray)

    def set_key(self, key: bytes | None) -> None:
        """Switch to (or out of) authenticated mode for the rest of the session."""
        self.key = key

    def feed(self, data: bytes) -> list[Frame]:
        """Consume bytes and return every complete, valid frame they finish."""
        buf = self._buffer
        buf += data
        frames: list[Frame] = []
        while True:
            start = buf.find(SYNC)
            if start < 0:
                keep = 1 if buf.endswith(SYNC[:1]) else 0
                self._skip(len(buf) - keep)
                return frames
            if start:
                self._skip(start)
            if len(buf) < HEADER.size:
                return frames
            _, fmt, flags, msg_type, seq, length = HEADER.unpack_from(buf)
            if fmt != FRAME_FORMAT or flags & ~FLAG_AUTH or length > MAX_PAYLOAD:
                self._skip(1)
                continue
            mac_len = MAC_SIZE if flags & FLAG_AUTH else 0
            total = HEADER.size + length + mac_len + CRC_SIZE
            if len(buf) < total:
                return frames
            signed_end = total - CRC_SIZE
            (crc,) = struct.unpack_from(">I", buf, signed_end)
            if zlib.crc32(memoryview(buf)[2:signed_end]) != crc:
                self.stats.crc_errors += 1
                self._skip(1)
                continue
            frame = self._accept(buf, msg_type, seq, HEADER.size + length, signed_end)
            if frame is None:
                self._skip(1)
                continue
            del buf[:total]
            self.stats.frames += 1
            frames.append(frame)

    def _accept(
        self, buf: bytearray, msg_type: int, seq: int, payload_end: int, signed_end: int
    ) -> Frame | None:
        """Apply the authentication rule to a frame whose CRC is correct."""
        payload = bytes(buf[HEADER.size : payload_end])
        mac_len = signed_end - payload_end
        if self.key is None:
            if mac_len:
                self.stats.auth_failures += 1
                return None
            return Frame(msg_type, seq, payload)
        if not mac_len:
            self.stats.auth_failures += 1
            return None
        expected = frame_mac(self.key, bytes(buf[2:payload_end]))
        if not hmac.compare_digest(expected, bytes(buf[payload_end:signed_end])):
            self.stats.auth_failures += 1
            return None
        if seq <= self.last_seq:
            self.stats.replays += 1
            return None
        self.last_seq = seq
        return Frame(msg_type, seq, payload, authenticated=True)

    def _skip(self, count: int) -> None:
        if count:
            del self._buffer[:count]
            self.stats.bytes_skipped += count
