"""Select platform of BALANCE: load management's priority per load (a hub has no selects)."""

from .kinds import by_entry_kind, no_entities
from .load_management import select as lm_select

PARALLEL_UPDATES = 0

async_setup_entry = by_entry_kind(hub=no_entities, load_management=lm_select.async_setup_entry)
