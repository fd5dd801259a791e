"""Calendar platform of BALANCE: planned runs and utility events, per entry kind."""

from .kinds import by_entry_kind, no_entities
from .load_management import calendar as load_management
from .utility_link import calendar as utility_link

PARALLEL_UPDATES = 0

async_setup_entry = by_entry_kind(
    hub=no_entities,
    load_management=load_management.async_setup_entry,
    utility_link=utility_link.async_setup_entry,
)
