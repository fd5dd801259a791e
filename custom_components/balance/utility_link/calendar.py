"""The calendar of DR events received from the utility, with the home's decision."""

from __future__ import annotations

from datetime import datetime

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from ..openadr import Event as DrEvent  # noqa: TID252
from .entity import UtilityLinkEntity
from .link import UtilityLink, UtilityLinkConfigEntry

CALENDAR = EntityDescription(key="dr_events", translation_key="dr_events")


def _summary(event: DrEvent) -> str:
    parts = []
    limits = [slot.limit_kw for slot in event.slots if slot.limit_kw is not None]
    if limits:
        parts.append(f"limit {min(limits):g} kW")
    levels = [int(slot.shed) for slot in event.slots if slot.shed]
    if levels:
        parts.append(f"shed level {max(levels)}")
    if any(slot.price is not None for slot in event.slots):
        parts.append("price")
    return f"{event.name or event.id}: {', '.join(parts) or 'information'}"


class DrEventCalendar(UtilityLinkEntity, CalendarEntity):
    """Every event the VTN sent; the description says what the home decided and why."""

    def _calendar_event(self, event: DrEvent) -> CalendarEvent:
        outcome = self.link.ven.outcomes.get(event.id)
        decision = "" if outcome is None else str(outcome.decision)
        if outcome is not None and outcome.reason is not None:
            decision += f" ({outcome.reason})"
        return CalendarEvent(
            start=event.start,
            end=min(event.end, datetime.max.replace(tzinfo=event.end.tzinfo)),
            summary=_summary(event),
            description=decision,
            uid=event.id,
        )

    def _events(self) -> list[DrEvent]:
        return sorted(
            (event for event in self.link.ven.events.values() if event.slots),
            key=lambda event: event.start,
        )

    @property
    def event(self) -> CalendarEvent | None:
        """The event in force, else the next one."""
        now = dt_util.utcnow()
        for event in self._events():
            if event.end > now:
                return self._calendar_event(event)
        return None

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """The events overlapping [start_date, end_date)."""
        return [
            self._calendar_event(event)
            for event in self._events()
            if event.start < end_date and event.end > start_date
        ]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: UtilityLinkConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """The DR event calendar of one utility link."""
    link: UtilityLink = entry.runtime_data
    async_add_entities([DrEventCalendar(link, CALENDAR)])
