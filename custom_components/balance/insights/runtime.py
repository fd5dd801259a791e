"""The runtime of an insights entry: hourly analyses from statistics, live alerts, groups."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, cast
from zoneinfo import ZoneInfo

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import async_add_external_statistics
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import (
    ATTR_UNIT_OF_MEASUREMENT,
    EVENT_RECORDER_HOURLY_STATISTICS_GENERATED,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    UnitOfEnergy,
    UnitOfVolume,
)
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
    split_entity_id,
)
from homeassistant.helpers.event import (
    async_track_state_change_event,
    async_track_time_change,
    async_track_time_interval,
)
from homeassistant.util import dt as dt_util
from homeassistant.util import slugify
from homeassistant.util.unit_conversion import EnergyConverter, VolumeConverter

from ..analytics.timebase import hour_start, utc_hour  # noqa: TID252
from ..const import DOMAIN, LOGGER  # noqa: TID252
from ..tariffs.model import billing_period  # noqa: TID252
from .const import (
    ALARM_AWAY_STATES,
    GROUP_DAYS,
    HISTORY_DAYS,
    LATE_DAYS_MAX,
    LATE_HOURS,
    METER_REREAD_DAYS,
    REFRESH_MINUTE,
    SAMPLE_INTERVAL,
)
from .group_compute import GroupAnalysis, GroupReport, StatisticRows
from .history import (
    Hourly,
    async_daily_means,
    async_hourly,
    async_statistic_ids,
    async_sum_before,
)
from .meter import MeterAlerts, MeterReport, compute_report
from .settings import GroupSettings, InsightsSettings, MeterSettings, groups_of, meters_of

type InsightsConfigEntry = ConfigEntry[InsightsRuntime]

GROUP_UNITS = {"energy": UnitOfEnergy.KILO_WATT_HOUR, "volume": UnitOfVolume.CUBIC_METERS}
_METADATA_KEYS = StatisticMetaData.__required_keys__ | StatisticMetaData.__optional_keys__


def number(state: State | None) -> float | None:
    """A state's numeric value, None when unknown or not a number."""
    if state is None:
        return None
    try:
        return float(state.state)
    except ValueError:
        return None


def is_away(state: State | None) -> bool:
    """Whether the presence/alarm entity says nobody is home.

    person, device_tracker, group: not "home"; zone: nobody in it; alarm panel: armed away or
    vacation; a binary sensor, switch or input boolean: on (an "away mode" toggle).
    """
    if state is None or state.state in (STATE_UNKNOWN, STATE_UNAVAILABLE):
        return False
    domain = split_entity_id(state.entity_id)[0]
    if domain == "alarm_control_panel":
        return state.state in ALARM_AWAY_STATES
    if domain == "zone":
        return state.state == "0"
    if domain in ("person", "device_tracker", "group"):
        return state.state != "home"
    return state.state == STATE_ON


def losses_statistic_id(group_id: str) -> str:
    """External statistic id of a group's hourly losses."""
    return f"{DOMAIN}:insights_{slugify(group_id)}_losses"


def group_unit(medium_energy: bool) -> str:
    """Unit of a group's figures: kWh for energy meters, m³ for volume meters."""
    return UnitOfEnergy.KILO_WATT_HOUR if medium_energy else UnitOfVolume.CUBIC_METERS


class InsightsRuntime:
    """Meters and groups of one insights entry."""

    def __init__(self, hass: HomeAssistant, entry: InsightsConfigEntry) -> None:
        """Read the entry; nothing runs before ``async_start``."""
        self.hass = hass
        self.entry = entry
        self.settings = InsightsSettings.from_options(entry.options)
        self.meters: dict[str, MeterSettings] = meters_of(entry)
        self.groups: dict[str, GroupSettings] = groups_of(entry)
        self.tz = ZoneInfo(hass.config.time_zone)
        self.alerts = {
            meter_id: MeterAlerts(meter, self.tz, self._unit(meter.entity_id))
            for meter_id, meter in self.meters.items()
        }
        self.reports: dict[str, MeterReport] = {}
        self.analyses = {
            group_id: GroupAnalysis(
                group.parent, group.children, self.tz, group.expected_loss_pct, group.phases
            )
            for group_id, group in self.groups.items()
        }
        self.group_reports: dict[str, GroupReport] = {}
        self.group_energy = {group_id: group.energy for group_id, group in self.groups.items()}
        self.last_refresh: datetime | None = None
        self._hourly: dict[str, Hourly] = {}
        self._temps: dict[date, float] = {}
        self._backtests: dict[str, tuple[date, float | None]] = {}
        self._group_loaded: set[str] = set()
        self._listeners: list[CALLBACK_TYPE] = []
        self._unsubs: list[CALLBACK_TYPE] = []
        self._lock = asyncio.Lock()
        self._last_sample: datetime | None = None

    # ------------------------------------------------------------------ lifecycle

    async def async_start(self) -> None:
        """Follow the meters' states, sample the alerts every minute, refresh every hour."""
        hass = self.hass
        now = dt_util.utcnow()
        self._last_sample = now
        for meter_id, meter in self.meters.items():
            self.alerts[meter_id].state_changed(now, number(hass.states.get(meter.entity_id)))
        if self.meters:
            entities = [meter.entity_id for meter in self.meters.values()]
            self._unsubs.append(
                async_track_state_change_event(hass, entities, self._async_meter_changed)
            )
        self._unsubs += [
            async_track_time_interval(hass, self._async_sample, SAMPLE_INTERVAL),
            async_track_time_change(hass, self._async_hourly, minute=REFRESH_MINUTE, second=0),
            hass.bus.async_listen(
                EVENT_RECORDER_HOURLY_STATISTICS_GENERATED, self._async_statistics_generated
            ),
        ]
        self.entry.async_create_background_task(
            hass, self.async_refresh(), f"{DOMAIN} insights first refresh"
        )

    @callback
    def async_stop(self) -> None:
        """Stop following states and timers."""
        while self._unsubs:
            self._unsubs.pop()()

    @callback
    def async_add_listener(self, update: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``update`` after every refresh or alert change."""
        self._listeners.append(update)
        return lambda: self._listeners.remove(update)

    @callback
    def _notify(self) -> None:
        for update in list(self._listeners):
            update()

    # ------------------------------------------------------------------ live alerts

    def _unit(self, entity_id: str) -> str | None:
        state = self.hass.states.get(entity_id)
        unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT) if state else None
        return str(unit) if unit else None

    @callback
    def _async_meter_changed(self, event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        for meter_id, meter in self.meters.items():
            if meter.entity_id == event.data["entity_id"]:
                alerts = self.alerts[meter_id]
                if new is not None and alerts.unit is None:
                    alerts.unit = self._unit(meter.entity_id)
                alerts.state_changed(dt_util.utcnow(), number(new))
                self._notify()  # the period to date follows the meter live

    @callback
    def _async_sample(self, now: datetime) -> None:
        last, self._last_sample = self._last_sample, now
        interval = now - last if last is not None and now > last else SAMPLE_INTERVAL
        away_entity = self.settings.away_entity
        away = is_away(self.hass.states.get(away_entity)) if away_entity else False
        changed = False
        for meter_id, alerts in self.alerts.items():
            changed |= alerts.sample(
                now,
                interval,
                away=away,
                to_date=self.period_to_date(meter_id, now),
                forecast=self.forecast(meter_id, now),
            )
            if meter_id in self.reports:
                changed |= alerts.feed_silent(
                    now, self._hourly.get(self.meters[meter_id].entity_id, {})
                )
        if changed or any(a.live_since(utc_hour(now)) for a in self.alerts.values()):
            self._notify()

    def period_to_date(self, meter_id: str, now: datetime | None = None) -> float | None:
        """Consumption in the billing period so far: statistics plus what was seen live since."""
        found = self.reports.get(meter_id)
        now = now or dt_util.utcnow()
        if found is None or now >= found.report.end:
            return None
        return found.report.to_date + self.alerts[meter_id].live_since(found.through_hour)

    def forecast(self, meter_id: str, now: datetime | None = None) -> float | None:
        """The period-end forecast, never below what was consumed already."""
        found = self.reports.get(meter_id)
        if found is None or found.report.forecast is None:
            return None
        to_date = self.period_to_date(meter_id, now)
        return max(found.report.forecast, to_date or 0.0)

    def efficiency_ratio(self, entity_id: str) -> float | None:
        """The meter's consumption over its group's mean this period (first group holding it)."""
        for report in self.group_reports.values():
            if entity_id in report.efficiency:
                return report.efficiency[entity_id]
        return None

    def in_group(self, entity_id: str) -> bool:
        """Whether a group holds the meter as a child."""
        return any(entity_id in group.children for group in self.groups.values())

    # ------------------------------------------------------------------ hourly refresh

    @callback
    def _async_hourly(self, now: datetime) -> None:
        self.entry.async_create_background_task(
            self.hass, self.async_refresh(), f"{DOMAIN} insights refresh"
        )

    @callback
    def _async_statistics_generated(self, event: Event[Any]) -> None:
        if not self._lock.locked():
            self._async_hourly(dt_util.utcnow())

    async def async_refresh(self) -> None:
        """Re-read the statistics and recompute every meter's and group's analyses."""
        async with self._lock:
            now = dt_util.utcnow()
            try:
                await self._async_refresh_meters(now)
                for group_id in self.groups:
                    await self._async_refresh_group(group_id, now)
            except Exception:  # a broken statistic must not stop the next hour
                LOGGER.exception("Meter insights refresh failed")
            self.last_refresh = now
            now = dt_util.utcnow()  # the analysis took a while: samples may have come since
            for meter_id, alerts in self.alerts.items():  # the limits see the new figures
                alerts.check_limits(
                    now, self.period_to_date(meter_id, now), self.forecast(meter_id, now)
                )
                if meter_id in self.reports:
                    alerts.feed_silent(now, self._hourly.get(self.meters[meter_id].entity_id, {}))
            self._notify()

    async def _async_read(
        self,
        entity_ids: Iterable[str],
        start: datetime,
        end: datetime,
        units: dict[str, str] | None,
    ) -> dict[str, Hourly]:
        """Hourly consumption by meter (a BALANCE channel's from its backfilled statistic)."""
        sources = await async_statistic_ids(self.hass, entity_ids)
        found = await async_hourly(self.hass, set(sources.values()), start, end, units)
        return {entity_id: found[statistic_id] for entity_id, statistic_id in sources.items()}

    async def _async_refresh_meters(self, now: datetime) -> None:
        if not self.meters:
            return
        cut = hour_start(utc_hour(now))
        first = not self._hourly
        start = cut - timedelta(days=HISTORY_DAYS if first else METER_REREAD_DAYS)
        entities = {meter.entity_id for meter in self.meters.values()}
        found = await self._async_read(entities, start, cut, None)
        horizon = utc_hour(cut - timedelta(days=HISTORY_DAYS))
        for entity_id, hourly in found.items():
            self._hourly[entity_id] = await self.hass.async_add_executor_job(
                _merge, self._hourly.get(entity_id, {}), hourly, horizon
            )
        if temperature := self.settings.temperature_entity:
            days = HISTORY_DAYS if not self._temps else 3
            self._temps.update(
                await async_daily_means(self.hass, temperature, cut - timedelta(days=days), now)
            )
        today = now.astimezone(self.tz).date()
        for meter_id, meter in self.meters.items():
            cached = self._backtests.get(meter_id)
            known = cached[1] if cached is not None and cached[0] == today else None
            report, backtest = await self.hass.async_add_executor_job(
                partial(
                    compute_report,
                    self._hourly.get(meter.entity_id, {}),  # replaced, never changed in place
                    now,
                    self.tz,
                    billing_day=self.settings.billing_day,
                    temps=dict(self._temps) if self._temps else None,
                    backtest=known,
                )
            )
            if known is None:
                self._backtests[meter_id] = (today, backtest)
            hourly = self._hourly.get(meter.entity_id, {})
            through = min(utc_hour(cut), max(hourly, default=utc_hour(cut) - 1) + 1)
            self.reports[meter_id] = MeterReport(report, backtest, through)

    async def _async_refresh_group(self, group_id: str, now: datetime) -> None:
        group = self.groups[group_id]
        cut = hour_start(utc_hour(now))
        loaded = group_id in self._group_loaded
        start = cut - timedelta(days=GROUP_DAYS)
        if loaded:  # the last 72 hours, and back to the oldest hour still waiting for a child
            start = cut - timedelta(hours=LATE_HOURS)
            last = self.group_reports.get(group_id)
            waiting = last.first_incomplete if last is not None else None
            if waiting is not None:
                start = max(min(start, hour_start(waiting)), cut - timedelta(days=LATE_DAYS_MAX))
        series = await self._async_read(
            (group.parent, *group.children), start, cut, dict(GROUP_UNITS)
        )
        self._group_loaded.add(group_id)
        analysis = self.analyses[group_id]
        period_start, _ = billing_period(now, self.settings.billing_day, self.tz)
        report, rows = await self.hass.async_add_executor_job(
            _analyse, analysis, series, now, period_start
        )
        self.group_reports[group_id] = report
        await self._async_write_losses(group_id, rows)

    async def _async_write_losses(self, group_id: str, rows: StatisticRows) -> None:
        if rows.first is None or not rows.rows:
            return
        statistic_id = losses_statistic_id(group_id)
        total = await async_sum_before(self.hass, statistic_id, hour_start(rows.first))
        data: list[StatisticData] = []
        for hour, losses in rows.rows:
            total += losses
            data.append(StatisticData(start=hour_start(hour), state=losses, sum=total))
        async_add_external_statistics(self.hass, self._losses_metadata(group_id), data)

    def _losses_metadata(self, group_id: str) -> StatisticMetaData:
        energy = self.group_energy[group_id]
        meta: dict[str, Any] = {
            "has_sum": True,
            "name": f"{self.groups[group_id].name} losses",
            "source": DOMAIN,
            "statistic_id": losses_statistic_id(group_id),
            "unit_of_measurement": group_unit(energy),
            "mean_type": StatisticMeanType.NONE,
        }
        if "unit_class" in _METADATA_KEYS:
            meta["unit_class"] = (
                EnergyConverter.UNIT_CLASS if energy else VolumeConverter.UNIT_CLASS
            )
        return cast(StatisticMetaData, meta)


def _merge(old: Hourly, new: Hourly, horizon: int) -> Hourly:
    """The hours of ``old`` from ``horizon`` on, updated with ``new`` (a new dict)."""
    merged = {hour: value for hour, value in old.items() if hour >= horizon}
    merged.update(new)
    return merged


def _analyse(
    analysis: GroupAnalysis,
    series: dict[str, Hourly],
    now: datetime,
    period_start: datetime,
) -> tuple[GroupReport, StatisticRows]:
    analysis.ingest(series)
    return analysis.update(now, period_start)
