"""Number platform of BALANCE (load management: resident limit, max-off per load)."""

from .load_management.number import async_setup_entry

PARALLEL_UPDATES = 0

__all__ = ["async_setup_entry"]
