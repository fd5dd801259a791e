"""Logbook: what load management did to a load and why, and every DR action of a utility link.

See load_management/logbook.py and utility_link/logbook.py.
"""

from collections.abc import Callable

from homeassistant.core import Event, HomeAssistant, callback

from .load_management import logbook as load_management
from .utility_link import logbook as utility_link


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, str]]], None],
) -> None:
    """Describe the events of every entry kind that writes to the logbook."""
    load_management.async_describe_events(hass, async_describe_event)
    utility_link.async_describe_events(hass, async_describe_event)


__all__ = ["async_describe_events"]
