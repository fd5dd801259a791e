"""Pre-shared key handling and the challenge-response of the hub link (docs/protocol.md)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

from .frame import HOST_TO_HUB, HUB_TO_HOST, LinkKey
from .messages import NONCE_SIZE, Role

KEY_SIZE = 32
_SESSION_LABEL = b"balance-v1 session"


class InvalidKeyError(ValueError):
    """The text given as a pre-shared key is not 32 bytes of base64."""


def parse_psk(text: str) -> bytes:
    """Decode a pre-shared key written as base64 of 32 bytes."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as err:
        raise InvalidKeyError("key is not base64") from err
    if len(key) != KEY_SIZE:
        raise InvalidKeyError(f"key must be {KEY_SIZE} bytes, got {len(key)}")
    return key


def new_psk() -> str:
    """Return a fresh random pre-shared key as base64 text."""
    return base64.b64encode(os.urandom(KEY_SIZE)).decode()


def new_nonce() -> bytes:
    """Return a fresh random handshake nonce."""
    return os.urandom(NONCE_SIZE)


def session_key(psk: bytes, hub_nonce: bytes, host_nonce: bytes) -> bytes:
    """Derive the per-session key from the pre-shared key and both nonces."""
    return hmac.new(psk, _SESSION_LABEL + hub_nonce + host_nonce, hashlib.sha256).digest()


def proof(key: bytes, role_label: bytes) -> bytes:
    """Return the 16-byte proof of a role (b"host" or b"hub") for a session key."""
    return hmac.new(key, role_label, hashlib.sha256).digest()[:NONCE_SIZE]


HOST_LABEL = b"host"
HUB_LABEL = b"hub"
_DIRECTION_LABELS = {HOST_TO_HUB: HOST_LABEL, HUB_TO_HOST: HUB_LABEL}


def direction_key(key: bytes, direction: int) -> LinkKey:
    """Derive the AES and HMAC keys of one direction from the session key."""
    label = _DIRECTION_LABELS[direction]
    return LinkKey(
        direction,
        hmac.new(key, b"balance-v1 enc " + label, hashlib.sha256).digest(),
        hmac.new(key, b"balance-v1 mac " + label, hashlib.sha256).digest(),
    )


def link_keys(key: bytes, role: Role) -> tuple[LinkKey, LinkKey]:
    """Return (send, receive) keys of an encrypted session for the local ``role``."""
    host_to_hub = direction_key(key, HOST_TO_HUB)
    hub_to_host = direction_key(key, HUB_TO_HOST)
    return (host_to_hub, hub_to_host) if role == Role.HOST else (hub_to_host, host_to_hub)
