"""Number platform of BALANCE: load management's limits (a hub has no numbers)."""

from .kinds import by_entry_kind, no_entities
from .load_management import number as lm_number

PARALLEL_UPDATES = 0

async_setup_entry = by_entry_kind(hub=no_entities, load_management=lm_number.async_setup_entry)
