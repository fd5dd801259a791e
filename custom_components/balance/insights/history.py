"""Hourly consumption and daily temperatures from the recorder's long-term statistics.

Every read runs in the recorder's executor (``get_instance(hass).async_add_executor_job``), never
in the event loop. Series are keyed by UTC hour index (``analytics.timebase``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from homeassistant.components.recorder.statistics import get_metadata, statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
from homeassistant.util import slugify

from ..analytics.timebase import HOUR_S  # noqa: TID252
from ..const import DOMAIN  # noqa: TID252

type Hourly = dict[int, float]

SUM_LOOKBACK_DAYS = 62  # the longest a group keeps hours


def _hourly(
    hass: HomeAssistant,
    statistic_ids: set[str],
    start: datetime,
    end: datetime,
    units: dict[str, str] | None,
) -> dict[str, Hourly]:
    rows = statistics_during_period(hass, start, end, statistic_ids, "hour", units, {"change"})
    return {
        statistic_id: {
            int(row["start"]) // HOUR_S: change
            for row in found
            if (change := row.get("change")) is not None
        }
        for statistic_id, found in rows.items()
    }


async def async_hourly(
    hass: HomeAssistant,
    statistic_ids: Iterable[str],
    start: datetime,
    end: datetime,
    units: dict[str, str] | None = None,
) -> dict[str, Hourly]:
    """Hourly consumption (the statistics' ``change``) of each id in [start, end).

    ``units`` converts (e.g. ``{"energy": "kWh"}``); without it each id keeps its own unit.
    """
    ids = set(statistic_ids)
    if not ids:
        return {}
    found = await get_instance(hass).async_add_executor_job(_hourly, hass, ids, start, end, units)
    return {statistic_id: found.get(statistic_id, {}) for statistic_id in ids}


_CHANNEL_UNIQUE_ID = re.compile(
    r"^(?P<hub>.+)-(?P<node>\d+)-(?P<channel>\d+)-(?P<medium>energy|heat|water|gas)$"
)


def channel_statistic_id(hass: HomeAssistant, entity_id: str) -> str | None:
    """The backfilled ``balance:`` statistic of a BALANCE channel's meter sensor, if it is one.

    That statistic holds every hour the hub archived, filled in late after an outage; the
    sensor's own statistics have holes while Home Assistant was off (docs/statistics.md).
    """
    entry = er.async_get(hass).async_get(entity_id)
    if entry is None or entry.platform != DOMAIN or entry.domain != "sensor":
        return None
    found = _CHANNEL_UNIQUE_ID.match(entry.unique_id)
    if found is None:
        return None
    return f"{DOMAIN}:{slugify(found['hub'])}_{found['node']}_{found['channel']}_{found['medium']}"


def _known(hass: HomeAssistant, statistic_ids: set[str]) -> set[str]:
    return set(get_metadata(hass, statistic_ids=statistic_ids))


async def async_statistic_ids(hass: HomeAssistant, entity_ids: Iterable[str]) -> dict[str, str]:
    """The statistic to read for each meter: a channel's backfilled one when it exists."""
    candidates = {e: s for e in entity_ids if (s := channel_statistic_id(hass, e)) is not None}
    known = (
        await get_instance(hass).async_add_executor_job(_known, hass, set(candidates.values()))
        if candidates
        else set()
    )
    return {e: candidates[e] if candidates.get(e) in known else e for e in entity_ids}


def _daily_means(
    hass: HomeAssistant, statistic_id: str, start: datetime, end: datetime
) -> dict[date, float]:
    rows = statistics_during_period(hass, start, end, {statistic_id}, "day", None, {"mean"})
    return {
        dt_util.as_local(dt_util.utc_from_timestamp(row["start"])).date(): mean
        for row in rows.get(statistic_id, [])
        if (mean := row.get("mean")) is not None
    }


async def async_daily_means(
    hass: HomeAssistant, statistic_id: str, start: datetime, end: datetime
) -> dict[date, float]:
    """Daily mean of a measurement (outdoor temperature) by local day."""
    return await get_instance(hass).async_add_executor_job(
        _daily_means, hass, statistic_id, start, end
    )


def _sum_before(hass: HomeAssistant, statistic_id: str, before: datetime) -> float:
    start = before - timedelta(days=SUM_LOOKBACK_DAYS)
    rows = statistics_during_period(hass, start, before, {statistic_id}, "hour", None, {"sum"})
    sums = [total for row in rows.get(statistic_id, []) if (total := row.get("sum")) is not None]
    return sums[-1] if sums else 0.0


async def async_sum_before(hass: HomeAssistant, statistic_id: str, before: datetime) -> float:
    """The ``sum`` of the statistic's last row before ``before`` (0 without one)."""
    return await get_instance(hass).async_add_executor_job(_sum_before, hass, statistic_id, before)
