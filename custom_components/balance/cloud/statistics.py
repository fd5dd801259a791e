"""Hourly long-term statistics of cloud meters, built from successive readings.

The server's mobile-app API has no history endpoint: each poll gives a meter's current
register. Every reading becomes the row of the hour it was taken in (``state``: the register,
``sum``: consumption since the first row), so the last reading of an hour wins and a gap's
consumption lands in the first hour after it. A register that goes down, or up by more than
the meter can measure in the time since the last row, adds nothing and becomes the new
baseline. The recorder's last two rows are the only state: a restart or a repeated poll
recomputes the same rows. See docs/cloud.md.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
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
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance

from ..const import DOMAIN  # noqa: TID252
from .api import CloudMeter
from .const import STATISTIC_PREFIX
from .resources import ResourceKind, max_per_hour, meter_unit, resource_kind

_LOGGER = logging.getLogger(__name__)

HOUR: Final = 3600
_METADATA_KEYS: Final = StatisticMetaData.__required_keys__ | StatisticMetaData.__optional_keys__


def account_hash(account_id: str) -> str:
    """A short stable id of an account (statistic ids carry no username)."""
    return hashlib.sha256(account_id.encode()).hexdigest()[:12]


def statistic_id(account_id: str, meter: CloudMeter, kind: ResourceKind) -> str:
    """``balance:cloud_<account>_<meter>_<resource>``."""
    meter_part = "".join(ch if ch.isalnum() else "_" for ch in meter.key.lower())
    meter_part = "_".join(part for part in meter_part.split("_") if part)
    return f"{DOMAIN}:{STATISTIC_PREFIX}_{account_hash(account_id)}_{meter_part}_{kind.key}"


@dataclass(frozen=True, slots=True)
class Row:
    """One hourly row: the hour's start (s), the register and the consumption so far."""

    start: int
    state: float
    sum: float


def next_rows(
    last: Row | None,
    before: Row | None,
    at: int,
    total: float,
    max_per_hour: float | None = None,
) -> tuple[Row, Row | None]:
    """The row of the reading ``total`` taken at ``at``, and the row before it.

    ``last`` is the newest row, ``before`` the one before it. A step below zero (a replaced
    meter) or above ``max_per_hour`` for every hour since the previous row began (a glitch of
    the server) is not consumption.
    """
    hour = at // HOUR * HOUR
    if last is None:
        return Row(hour, total, 0.0), None
    if hour == last.start:
        if before is None:  # still the baseline hour
            return Row(hour, total, last.sum), None
        last = before
    step = total - last.state
    hours = (hour - last.start) // HOUR + 1
    if step < 0 or (max_per_hour is not None and step > max_per_hour * hours):
        step = 0.0
    return Row(hour, total, last.sum + step), last


def _metadata(stat_id: str, name: str, unit: str, kind: ResourceKind) -> StatisticMetaData:
    """Metadata valid on HA 2025.4 (mean_type) and newer (unit_class)."""
    meta: dict[str, Any] = {
        "has_sum": True,
        "name": name,
        "source": DOMAIN,
        "statistic_id": stat_id,
        "unit_of_measurement": unit,
        "mean_type": StatisticMeanType.NONE,
    }
    if "unit_class" in _METADATA_KEYS:
        meta["unit_class"] = kind.unit_class
    return cast(StatisticMetaData, meta)


class HourlyImporter:
    """Writes each cloud reading into its meter's external statistic."""

    def __init__(self, hass: HomeAssistant, account_id: str) -> None:
        """Nothing read from the recorder before the first reading of a meter."""
        self.hass = hass
        self.account_id = account_id
        self._rows: dict[str, tuple[Row, Row | None] | None] = {}

    async def _async_last_rows(self, stat_id: str) -> tuple[Row, Row | None] | None:
        if stat_id in self._rows:
            return self._rows[stat_id]
        found = await get_instance(self.hass).async_add_executor_job(
            get_last_statistics, self.hass, 2, stat_id, False, {"state", "sum"}
        )
        rows = [
            Row(int(row["start"]), row.get("state") or 0.0, row.get("sum") or 0.0)
            for row in found.get(stat_id, [])
        ]
        self._rows[stat_id] = (rows[0], rows[1] if len(rows) > 1 else None) if rows else None
        return self._rows[stat_id]

    async def async_add(self, meters: Iterable[CloudMeter], at: datetime) -> int:
        """Import the readings taken at ``at``; returns the rows written."""
        written = 0
        for meter in meters:
            kind = resource_kind(meter)
            if kind is None or meter.total is None:
                continue
            stat_id = statistic_id(self.account_id, meter, kind)
            last_rows = await self._async_last_rows(stat_id)
            last, before = last_rows if last_rows else (None, None)
            if last is not None and int(at.timestamp()) // HOUR * HOUR < last.start:
                continue  # the clock went back: that hour is already written
            unit = meter_unit(meter, kind)
            row, previous = next_rows(
                last, before, int(at.timestamp()), meter.total, max_per_hour(kind, unit)
            )
            if row == last:
                continue
            if previous is not None and row.sum == previous.sum and row.state > previous.state:
                _LOGGER.warning(
                    "BALANCE cloud meter %s jumped from %s to %s %s: not counted as consumption",
                    meter.key,
                    previous.state,
                    row.state,
                    unit,
                )
            self._rows[stat_id] = (row, previous)
            async_add_external_statistics(
                self.hass,
                _metadata(stat_id, meter.name or meter.key, unit, kind),
                [
                    StatisticData(
                        start=datetime.fromtimestamp(row.start, UTC), state=row.state, sum=row.sum
                    )
                ],
            )
            written += 1
        return written
