"""Constants of the BALANCE integration."""

from typing import Final

DOMAIN: Final = "balance"
