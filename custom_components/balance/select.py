"""Select platform of BALANCE (load management: priority per managed load)."""

from .load_management.select import async_setup_entry

PARALLEL_UPDATES = 0

__all__ = ["async_setup_entry"]
