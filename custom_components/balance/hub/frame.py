"""Frame layer of the BALANCE hub link: framing, CRC, MAC, encryption and resynchronisation.

See docs/protocol.md, sections "Frames" and "Encryption". This module has no Home Assistant import.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
import zlib
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

SYNC = b"\xb5\x4c"
FRAME_FORMAT = 1
FLAG_AUTH = 0x01
FLAG_SEALED = 0x02  # only with FLAG_AUTH: the body is AES-256-CTR(type || payload)
SEALED_TYPE = 0x00  # header type of a sealed frame; the real type is the first plaintext byte
HEADER = struct.Struct(">2sBBBIH")  # sync, format, flags, type, seq, payload length
MAX_PAYLOAD = 2048
MAC_SIZE = 16
CRC_SIZE = 4
MAX_SEQ = 0xFFFFFFFF
HOST_TO_HUB = 0
HUB_TO_HOST = 1


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame as received: message type, sequence number and raw payload."""

    type: int
    seq: int
    payload: bytes
    authenticated: bool = False
    encrypted: bool = False


@dataclass(frozen=True, slots=True)
class LinkKey:
    """Keys of one direction of an encrypted session (derived by ``auth.link_keys``)."""

    direction: int  # HOST_TO_HUB or HUB_TO_HOST, the first byte of every counter block
    enc_key: bytes  # AES-256
    mac_key: bytes  # HMAC-SHA256

    def keystream_cipher(self, seq: int) -> Cipher[modes.CTR]:
        """AES-CTR for frame ``seq``: counter block direction || 0^7 || seq || block index."""
        counter = bytes([self.direction]) + bytes(7) + seq.to_bytes(4, "big") + bytes(4)
        return Cipher(algorithms.AES(self.enc_key), modes.CTR(counter))


type FrameKey = bytes | LinkKey
"""A session key (MAC only) or one direction's keys (encrypt-then-MAC)."""


def frame_mac(key: bytes, signed: bytes) -> bytes:
    """Return the truncated HMAC-SHA256 that authenticates a frame."""
    return hmac.new(key, signed, hashlib.sha256).digest()[:MAC_SIZE]


def encode_frame(msg_type: int, seq: int, payload: bytes, key: FrameKey | None = None) -> bytes:
    """Encode one frame: plain, with a MAC (session key) or sealed (a direction's LinkKey)."""
    if not 0 <= seq <= MAX_SEQ:
        raise ValueError(f"sequence number {seq} out of range")
    flags, mac_key = 0, None
    if isinstance(key, LinkKey):
        flags, mac_key = FLAG_AUTH | FLAG_SEALED, key.mac_key
        encryptor = key.keystream_cipher(seq).encryptor()
        payload = encryptor.update(bytes([msg_type]) + payload) + encryptor.finalize()
        msg_type = SEALED_TYPE
    elif key is not None:
        flags, mac_key = FLAG_AUTH, key
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"frame body of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    body = HEADER.pack(SYNC, FRAME_FORMAT, flags, msg_type, seq, len(payload)) + payload
    if mac_key is not None:
        body += frame_mac(mac_key, body[2:])
    return body + struct.pack(">I", zlib.crc32(body[2:]))


def _valid_header(flags: int, msg_type: int, length: int) -> bool:
    """Header rule: known flag bits, SEALED only with AUTH and type 0, length in range."""
    if flags & ~(FLAG_AUTH | FLAG_SEALED) or length > MAX_PAYLOAD:
        return False
    return not flags & FLAG_SEALED or (flags == FLAG_AUTH | FLAG_SEALED and msg_type == SEALED_TYPE)


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

    Without a key it accepts unauthenticated frames only. With a session key it accepts
    only MAC'd frames, with a LinkKey only sealed ones; either way the MAC must verify
    and the sequence number be greater than the last accepted one.
    """

    key: FrameKey | None = None
    last_seq: int = -1
    stats: DecoderStats = field(default_factory=DecoderStats)
    _buffer: bytearray = field(default_factory=bytearray)

    def set_key(self, key: FrameKey | None) -> None:
        """Switch to plain, authenticated or encrypted mode for the rest of the session."""
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
            if fmt != FRAME_FORMAT or not _valid_header(flags, msg_type, length):
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
            frame = self._accept(buf, flags, msg_type, seq, length)
            if frame is None:
                self._skip(1)
                continue
            del buf[:total]
            self.stats.frames += 1
            frames.append(frame)

    def _accept(
        self, buf: bytearray, flags: int, msg_type: int, seq: int, length: int
    ) -> Frame | None:
        """Apply the authentication rule to a frame whose CRC is correct."""
        payload_end = HEADER.size + length
        payload = bytes(buf[HEADER.size : payload_end])
        key = self.key
        if key is None:
            if flags:
                self.stats.auth_failures += 1
                return None
            return Frame(msg_type, seq, payload)
        if isinstance(key, LinkKey):
            wanted_flags, mac_key = FLAG_AUTH | FLAG_SEALED, key.mac_key
        else:
            wanted_flags, mac_key = FLAG_AUTH, key
        if flags != wanted_flags:
            self.stats.auth_failures += 1
            return None
        expected = frame_mac(mac_key, bytes(buf[2:payload_end]))
        if not hmac.compare_digest(expected, bytes(buf[payload_end : payload_end + MAC_SIZE])):
            self.stats.auth_failures += 1
            return None
        if seq <= self.last_seq:
            self.stats.replays += 1
            return None
        if isinstance(key, LinkKey):
            if not payload:  # a sealed body holds at least the message type
                self.stats.auth_failures += 1
                return None
            decryptor = key.keystream_cipher(seq).decryptor()
            plain = decryptor.update(payload) + decryptor.finalize()
            self.last_seq = seq
            return Frame(plain[0], seq, plain[1:], authenticated=True, encrypted=True)
        self.last_seq = seq
        return Frame(msg_type, seq, payload, authenticated=True)

    def _skip(self, count: int) -> None:
        if count:
            del self._buffer[:count]
            self.stats.bytes_skipped += count
