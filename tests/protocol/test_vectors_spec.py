"""Two vectors rebuilt byte by byte from the formulas of docs/protocol.md, without either codec.

A plain PING and a sealed COUNTERS: header layout, CRC, the key derivation, the AES-CTR counter
blocks (built from single ECB blocks here) and the MAC over header and ciphertext.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import struct
import zlib

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .conftest import VECTOR_DIR

KEY = bytes(range(32))  # the session key K of every keyed vector


def _vector(name: str) -> dict[str, object]:
    vector: dict[str, object] = json.loads((VECTOR_DIR / f"{name}.json").read_text())
    return vector


def _frame(flags: int, msg_type: int, seq: int, body: bytes, mac_key: bytes | None) -> bytes:
    signed = struct.pack(">BBBIH", 1, flags, msg_type, seq, len(body)) + body
    if mac_key is not None:
        signed += hmac.new(mac_key, signed, hashlib.sha256).digest()[:16]
    return b"\xb5\x4c" + signed + struct.pack(">I", zlib.crc32(signed))


def test_plain_ping_matches_the_frame_layout() -> None:
    """PING(0xDEADBEEF) with seq 4: header, u32 token, CRC-32 over everything after sync."""
    raw = _frame(0, 0x04, 4, struct.pack(">I", 0xDEADBEEF), None)
    assert raw.hex() == _vector("ping")["hex"]


def test_sealed_counters_matches_the_encryption_section() -> None:
    """Hub-to-host COUNTERS with seq 4 sealed from K exactly as section "Encryption" says."""
    enc = hmac.new(KEY, b"balance-v1 enc hub", hashlib.sha256).digest()
    mac = hmac.new(KEY, b"balance-v1 mac hub", hashlib.sha256).digest()
    vector = _vector("sealed_counters")
    assert vector["link_key"] == {"enc": enc.hex(), "mac": mac.hex()}
    fields = struct.pack(">IIIHB", 0xA1B2C3, 1767225600, 42, 3, 1)
    fields += struct.pack(">BIIB", 0, 123456, 2_500_000, 0)
    plain = bytes([0x20]) + fields
    blocks = b"".join(
        bytes([1]) + bytes(7) + struct.pack(">II", 4, i) for i in range((len(plain) + 15) // 16)
    )
    ecb = Cipher(algorithms.AES(enc), modes.ECB()).encryptor()  # CTR built by hand, as on the hub
    stream = ecb.update(blocks) + ecb.finalize()
    sealed = bytes(p ^ k for p, k in zip(plain, stream, strict=False))
    assert _frame(0x03, 0x00, 4, sealed, mac).hex() == vector["hex"]
