"""Calendar platform of BALANCE: planned runs and utility events, per entry kind."""

from .kinds import by_entry_kind, no_entities

PARALLEL_UPDATES = 0

async_setup_entry = by_entry_kind(hub=no_entities, load_management=no_entities)
