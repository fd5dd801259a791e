"""BALANCE hub link: frame codec, messages, authentication and the asyncio client."""

from .auth import InvalidKeyError, new_psk, parse_psk
from .client import (
    DEFAULT_PORT,
    Backoff,
    HubAuthError,
    HubClient,
    HubConnectionError,
    HubError,
    HubIncompatibleError,
    HubRequestError,
)

__all__ = [
    "DEFAULT_PORT",
    "Backoff",
    "HubAuthError",
    "HubClient",
    "HubConnectionError",
    "HubError",
    "HubIncompatibleError",
    "HubRequestError",
    "InvalidKeyError",
    "new_psk",
    "parse_psk",
]
