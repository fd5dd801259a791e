"""The event entity of a utility link: each event received and what the home decided."""

from __future__ import annotations

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..openadr import EventOutcome  # noqa: TID252
from .entity import UtilityLinkEntity
from .link import UtilityLinkConfigEntry
from .stats import outcome_kind

EVENT_TYPES = ["accepted", "declined", "opted_out", "rejected"]
DESCRIPTION = EventEntityDescription(
    key="dr_event", translation_key="dr_event", event_types=EVENT_TYPES
)


class DrEventEntity(UtilityLinkEntity, EventEntity):
    """Fires once per decision on an event: accepted, declined, opted out or rejected."""

    async def async_added_to_hass(self) -> None:
        """Follow the link's decisions (not its other updates)."""
        await EventEntity.async_added_to_hass(self)
        self.async_on_remove(self.link.async_add_outcome_listener(self._async_received))

    @callback
    def _async_received(self, outcome: EventOutcome) -> None:
        kind = outcome_kind(outcome)
        if kind is None:
            return
        event = self.link.ven.events.get(outcome.event_id)
        self._trigger_event(
            kind,
            {
                "event_id": outcome.event_id,
                "program_id": outcome.program_id,
                "event_name": None if event is None else event.name,
                "reason": None if outcome.reason is None else str(outcome.reason),
                "start": None if event is None or not event.slots else event.start.isoformat(),
                "end": None if event is None or not event.slots else event.end.isoformat(),
            },
        )
        self.async_write_ha_state()


async def async_setup_entry(
    hass: HomeAssistant,
    entry: UtilityLinkConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """The event entity of one utility link."""
    async_add_entities([DrEventEntity(entry.runtime_data, DESCRIPTION)])
