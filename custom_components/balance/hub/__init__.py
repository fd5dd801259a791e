"""BALANCE hub link: frame codec, messages, authentication and the asyncio client.

A plain-Python library (no Home Assistant import) shipped inside the integration; it has its
own version, bumped when its API changes, so it can be published on its own.
"""

__version__ = "1.0.0"

from .auth import InvalidKeyError, new_psk, parse_psk
from .client import (
    DEFAULT_PORT,
    Backoff,
    HubAuthError,
    HubClient,
    HubConnectionError,
    HubDowngradeError,
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
    "HubDowngradeError",
    "HubError",
    "HubIncompatibleError",
    "HubRequestError",
    "InvalidKeyError",
    "__version__",
    "new_psk",
    "parse_psk",
]
