"""Event platform of BALANCE: events received from the utility, per entry kind."""

from .kinds import by_entry_kind, no_entities
from .utility_link import event as utility_link

PARALLEL_UPDATES = 0

async_setup_entry = by_entry_kind(
    hub=no_entities, load_management=no_entities, utility_link=utility_link.async_setup_entry
)
