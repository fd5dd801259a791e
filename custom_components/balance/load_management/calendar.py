"""Calendar of planned runs: one event per planned stretch of each green load."""

from __future__ import annotations

from datetime import datetime

from homeassistant.components.calendar import (
    CalendarEntity,
    CalendarEntityDescription,
    CalendarEvent,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .entity import LoadManagementEntity
from .manager import LoadManagementConfigEntry

PLANNED_RUNS = CalendarEntityDescription(key="planned_runs", translation_key="planned_runs")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: LoadManagementConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the calendar of planned runs (forwarded only when the planner has a price source)."""
    async_add_entities([PlannedRunsCalendar(entry.runtime_data, PLANNED_RUNS)])


class PlannedRunsCalendar(LoadManagementEntity, CalendarEntity):
    """The runs the planner gave the green loads (load name, power, energy and cost)."""

    def _events(self) -> list[CalendarEvent]:
        manager = self.manager
        events = []
        for load_id, schedule in manager.planner.schedules.items():
            load = manager.loads.get(load_id)
            if load is None:
                continue
            for run in schedule.runs():
                hours = (run.end - run.start).total_seconds() / 3600.0
                events.append(
                    CalendarEvent(
                        start=dt_util.as_local(run.start),
                        end=dt_util.as_local(run.end),
                        summary=load.name,
                        description=f"{run.power_kw:g} kW, {run.power_kw * hours:.2f} kWh",
                        uid=f"{load_id}-{run.start.isoformat()}",
                    )
                )
        return sorted(events, key=lambda e: e.start_datetime_local)

    @property
    def event(self) -> CalendarEvent | None:
        """The current or next planned run."""
        now = dt_util.now()
        return next((e for e in self._events() if e.end_datetime_local > now), None)

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Planned runs overlapping [start_date, end_date)."""
        return [
            e
            for e in self._events()
            if e.start_datetime_local < end_date and e.end_datetime_local > start_date
        ]
