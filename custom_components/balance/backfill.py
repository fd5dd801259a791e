"""Import the hub's hourly archive into Home Assistant long-term statistics.

Every channel gets an external statistic ``balance:<hub>_<node>_<channel>_<medium>`` (source
``balance``) with hourly ``state`` (meter total) and ``sum`` (consumption) rows, computed with
:class:`~.metering.ChannelTotal` from the hub's cumulative hourly counts. A run starts at the
last imported hour (``get_last_statistics``) and re-reads that hour's count as its baseline, so
running it again imports nothing twice and needs no state of its own. See docs/statistics.md.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, cast

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_last_statistics,
)
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import UnitOfEnergy, UnitOfVolume
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_change
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
from homeassistant.util import slugify
from homeassistant.util.unit_conversion import EnergyConverter, VolumeConverter

from .const import DOMAIN, LOGGER
from .hub import HubError
from .hub.messages import MISSING, ArchiveRecords, Medium
from .metering import ChannelTotal

_LOGGER = logging.getLogger(__name__)

HOUR: Final = 3600
DEFAULT_LOOKBACK: Final = timedelta(days=31)
BACKFILL_MINUTE: Final = 2  # the hub archives at the full hour; import a little after it

# medium -> (statistic_id suffix, unit, unit class)
_MEDIA: Final[dict[Medium, tuple[str, str, str]]] = {
    Medium.ELECTRICITY: ("energy", UnitOfEnergy.KILO_WATT_HOUR, EnergyConverter.UNIT_CLASS),
    Medium.HEAT: ("heat", UnitOfEnergy.KILO_WATT_HOUR, EnergyConverter.UNIT_CLASS),
    Medium.WATER: ("water", UnitOfVolume.CUBIC_METERS, VolumeConverter.UNIT_CLASS),
    Medium.GAS: ("gas", UnitOfVolume.CUBIC_METERS, VolumeConverter.UNIT_CLASS),
}
_METADATA_KEYS: Final = StatisticMetaData.__required_keys__ | StatisticMetaData.__optional_keys__

type FetchArchive = Callable[[int, int, int, int], Awaitable[list[ArchiveRecords]]]
"""``(node_id, channel, start, end) -> ARCHIVE_RECORDS``, e.g. ``HubClient.request_archive``."""


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    """A metered channel to backfill.

    ``live`` is the channel's live total, if any: when it has seen the archive's epoch, the
    imported ``state`` follows its calibration (the meter display).
    """

    node_id: int
    channel: int
    medium: Medium
    pulses_per_unit: float
    name: str | None = None
    live: ChannelTotal | None = field(default=None, compare=False)


@dataclass(slots=True)
class BackfillResult:
    """What one backfill run did."""

    channels: int = 0
    rows: int = 0
    missing: int = 0


def statistic_id(hub_id: str, spec: ChannelSpec) -> str:
    """Return the external statistic id of a channel."""
    suffix = _MEDIA[spec.medium][0]
    return f"{DOMAIN}:{slugify(hub_id)}_{spec.node_id}_{spec.channel}_{suffix}"


def _metadata(hub_id: str, spec: ChannelSpec) -> StatisticMetaData:
    """Build metadata valid on HA 2025.4 (mean_type) and newer (unit_class)."""
    _, unit, unit_class = _MEDIA[spec.medium]
    meta: dict[str, Any] = {
        "has_sum": True,
        "name": spec.name,
        "source": DOMAIN,
        "statistic_id": statistic_id(hub_id, spec),
        "unit_of_measurement": unit,
        "mean_type": StatisticMeanType.NONE,
    }
    if "unit_class" in _METADATA_KEYS:
        meta["unit_class"] = unit_class
    return cast(StatisticMetaData, meta)


def _points(
    records: Iterable[ArchiveRecords], first: int, last: int
) -> tuple[list[tuple[int, int, int]], int]:
    """Return the known hour-aligned ``(time, count, epoch)`` in [first, last], and the missing."""
    points: dict[int, tuple[int, int, int]] = {}
    missing = 0
    for record in records:
        for index, value in enumerate(record.values):
            at = record.start + index * HOUR
            if at % HOUR or not first <= at <= last:
                continue
            if value.count == MISSING:
                missing += 1
            else:
                points[at] = (at, value.count, record.epoch)
    return sorted(points.values()), missing


def _rows(
    points: list[tuple[int, int, int]],
    spec: ChannelSpec,
    previous: tuple[int, float, float] | None,
) -> list[StatisticData]:
    """Turn hourly counts into statistic rows after the baseline ``points[0]``.

    ``previous`` is the last imported row as ``(hour end, state, sum)``: its count is the
    baseline. Without it the baseline itself becomes the first row, with sum 0.
    """
    at, count, epoch = points[0]
    state = spec.live.total_at(count, epoch) if spec.live is not None else None
    if state is None:
        state = previous[1] if previous is not None else count / spec.pulses_per_unit
    # The live total's maximum rate holds back implausible hours here too (docs/statistics.md).
    walker = ChannelTotal(spec.pulses_per_unit, max_rate=spec.live.max_rate if spec.live else None)
    walker.update(count, epoch, at=at)
    walker.set_register(state, count, epoch)
    base_pulses, base_sum = walker.pulses, 0.0
    rows: list[StatisticData] = []
    if previous is None:
        rows.append(_row(at, walker.total, 0.0))
    else:
        base_sum = previous[2]
        if at != previous[0]:
            _LOGGER.warning(
                "Archive of %s lacks the hour %s: consumption until %s is not imported",
                spec.name or (spec.node_id, spec.channel),
                datetime.fromtimestamp(previous[0], UTC),
                datetime.fromtimestamp(at, UTC),
            )
    for at, count, epoch in points[1:]:
        walker.update(count, epoch, at=at)
        consumed = (walker.pulses - base_pulses) / spec.pulses_per_unit
        rows.append(_row(at, walker.total, base_sum + consumed))
    return rows


def _row(hour_end: int, state: float, total: float) -> StatisticData:
    """Row of the hour that ends at ``hour_end`` (the archive value's time)."""
    return StatisticData(start=datetime.fromtimestamp(hour_end - HOUR, UTC), state=state, sum=total)


async def _last_row(hass: HomeAssistant, stat_id: str) -> tuple[int, float, float] | None:
    """Return ``(hour end, state, sum)`` of the last imported row, if any."""
    last = await get_instance(hass).async_add_executor_job(
        get_last_statistics, hass, 1, stat_id, False, {"state", "sum"}
    )
    if not (rows := last.get(stat_id)):
        return None
    row = rows[0]
    return int(row["start"]) + HOUR, row.get("state") or 0.0, row.get("sum") or 0.0


async def async_backfill(
    hass: HomeAssistant,
    hub_id: str,
    channels: Iterable[ChannelSpec],
    fetch_archive: FetchArchive,
    now: datetime,
    *,
    lookback: timedelta = DEFAULT_LOOKBACK,
) -> BackfillResult:
    """Import every complete hour up to ``now`` missing from the channels' statistics.

    A first run reaches back ``lookback``. Errors of ``fetch_archive`` propagate; hours already
    imported stay, and running again continues where it stopped.
    """
    result = BackfillResult()
    newest = int(now.timestamp()) // HOUR * HOUR
    for spec in channels:
        result.channels += 1
        stat_id = statistic_id(hub_id, spec)
        previous = await _last_row(hass, stat_id)
        first = previous[0] if previous else newest - int(lookback.total_seconds()) // HOUR * HOUR
        if first >= newest:
            continue
        records = await fetch_archive(spec.node_id, spec.channel, first, newest + HOUR)
        points, missing = _points(records, first, newest)
        result.missing += missing
        if points and (rows := _rows(points, spec, previous)):
            async_add_external_statistics(hass, _metadata(hub_id, spec), rows)
            result.rows += len(rows)
    return result


class BackfillScheduler:
    """Runs the backfill of one hub after each (re)connect and a little after every hour."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        hub_id: str,
        channels: Callable[[], Iterable[ChannelSpec]],
        fetch_archive: FetchArchive,
    ) -> None:
        """Bind to a hub; nothing runs before :meth:`start`."""
        self.hass = hass
        self.entry = entry
        self.hub_id = hub_id
        self._channels = channels
        self._fetch_archive = fetch_archive
        self._task: asyncio.Task[None] | None = None

    @callback
    def track_hours(self, is_connected: Callable[[], bool]) -> CALLBACK_TYPE:
        """Start a run every hour while ``is_connected()``; returns the unsubscribe."""

        @callback
        def _on_new_hour(_now: datetime) -> None:
            if is_connected():
                self.start()

        return async_track_time_change(self.hass, _on_new_hour, minute=BACKFILL_MINUTE, second=0)

    @callback
    def start(self) -> None:
        """Start a run unless one is going on."""
        if self._task is not None and not self._task.done():
            return
        self._task = self.entry.async_create_background_task(
            self.hass, self._async_run(), "balance archive backfill"
        )

    @callback
    def cancel(self) -> None:
        """Stop a run that is going on."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def _async_run(self) -> None:
        try:
            result = await async_backfill(
                self.hass, self.hub_id, self._channels(), self._fetch_archive, dt_util.utcnow()
            )
        except HubError as err:
            LOGGER.debug("Archive backfill interrupted: %s", err)
        except Exception:
            LOGGER.exception("Archive backfill of %s failed", self.hub_id)
        else:
            LOGGER.debug("Archive backfill of %s: %s", self.hub_id, result)
