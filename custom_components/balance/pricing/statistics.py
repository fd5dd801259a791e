"""Cost statistics for the hub's ``balance:`` energy statistics (as HA's opower writes them).

For the ``balance:<hub>_<node>_<channel>_energy`` statistic of the entry's BALANCE meter (or,
when the entry costs another energy sensor, every ``balance:`` statistic the Energy dashboard
uses as grid consumption),
``balance:<...>_energy_cost`` gets an hourly row whose ``sum`` is the cost so far: each hour's
energy (the step of the energy statistic's ``sum``) priced by the tariff, with fees, the
capacity penalty of that hour and VAT. Every run recomputes the last 48 hours, so hours the
hub's backfill imported late get their cost too; older rows are left as they are.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, cast

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_last_statistics,
    get_metadata,
    statistics_during_period,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import slugify

from ..const import DOMAIN, LOGGER  # noqa: TID252
from ..tariffs import (  # noqa: TID252
    PricePoint,
    Tariff,
    TariffError,
    TariffErrorCode,
    Usage,
    billing_period,
    cost,
)
from .const import COST_RECOMPUTE
from .runtime import PricingRuntime, historic_series

HOUR = timedelta(hours=1)
FIRST_LOOKBACK = timedelta(days=62)
_METER_UNIQUE_ID = re.compile(r"^(?P<hub>.+)-(?P<node>\d+)-(?P<channel>\d+)-energy$")


@dataclass(slots=True)
class CostResult:
    """What one run wrote."""

    statistics: list[str] = dataclasses.field(default_factory=list)
    rows: int = 0
    unpriced_hours: int = 0


def cost_statistic_id(energy_statistic_id: str) -> str:
    """The cost statistic that goes with an energy statistic."""
    return f"{energy_statistic_id}_cost"


def meter_statistic_id(hass: HomeAssistant, entity_id: str) -> str | None:
    """The backfilled ``balance:`` statistic of a BALANCE energy sensor (None for others)."""
    entry = er.async_get(hass).async_get(entity_id)
    if entry is None or entry.platform != DOMAIN:
        return None
    if (match := _METER_UNIQUE_ID.match(entry.unique_id)) is None:
        return None
    return f"{DOMAIN}:{slugify(match['hub'])}_{match['node']}_{match['channel']}_energy"


async def dashboard_statistic_ids(hass: HomeAssistant) -> list[str]:
    """``balance:`` energy statistics the Energy dashboard uses as grid consumption."""
    from homeassistant.components.energy.data import async_get_manager  # noqa: PLC0415

    manager = await async_get_manager(hass)
    prefs = cast(dict[str, Any], manager.data or {})
    found: list[str] = []
    for source in prefs.get("energy_sources", []):
        if source.get("type") != "grid":
            continue
        for flow in source.get("flow_from", []):
            stat = str(flow.get("stat_energy_from", ""))
            if stat.startswith(f"{DOMAIN}:") and stat not in found:
                found.append(stat)
    return found


async def async_energy_statistic_ids(hass: HomeAssistant, runtime: PricingRuntime) -> list[str]:
    """The energy statistics this entry costs.

    The one of its own BALANCE meter; for another energy sensor, the ``balance:`` grid
    statistics of the Energy dashboard (so each entry over a BALANCE meter owns its cost).
    """
    own = meter_statistic_id(hass, runtime.energy_entity)
    return [own] if own is not None else await dashboard_statistic_ids(hass)


def _metadata(statistic_id: str, name: str) -> StatisticMetaData:
    meta: dict[str, Any] = {
        "has_sum": True,
        "mean_type": StatisticMeanType.NONE,
        "name": name,
        "source": DOMAIN,
        "statistic_id": statistic_id,
        "unit_of_measurement": None,  # money: the Energy dashboard shows HA's currency
    }
    if "unit_class" in (StatisticMetaData.__required_keys__ | StatisticMetaData.__optional_keys__):
        meta["unit_class"] = None
    return cast(StatisticMetaData, meta)


def hour_cost(
    tariff: Tariff, history: list[PricePoint], start: datetime, kwh: float, used_before: float
) -> float | None:
    """Gross cost of ``kwh`` in the clock hour from ``start`` (None: no price known)."""
    if tariff.dynamic is not None:
        series = historic_series(history, start, start + HOUR)
        if series is None:
            return None
        tariff = dataclasses.replace(tariff, dynamic=series)
    try:
        return cost(tariff, [Usage(start, start + HOUR, kwh)], used_before).total
    except TariffError as err:
        if err.code is TariffErrorCode.FORECAST_GAP:
            return None
        raise


async def async_update_cost_statistics(
    hass: HomeAssistant, runtime: PricingRuntime, now: datetime
) -> CostResult:
    """Write the cost statistics of every energy statistic (see the module docstring)."""
    result = CostResult()
    for energy_id in await async_energy_statistic_ids(hass, runtime):
        cost_id = cost_statistic_id(energy_id)
        rows, unpriced = await _async_cost_rows(hass, runtime, energy_id, cost_id, now)
        result.statistics.append(cost_id)
        result.unpriced_hours += unpriced
        if rows:
            meta = await get_instance(hass).async_add_executor_job(
                partial(get_metadata, hass, statistic_ids={energy_id})
            )
            energy_name = meta[energy_id][1]["name"] if energy_id in meta else None
            name = f"{energy_name or energy_id.split(':', 1)[1]} cost"
            async_add_external_statistics(hass, _metadata(cost_id, name), rows)
            result.rows += len(rows)
    LOGGER.debug("Cost statistics of %s: %s", runtime.entry.title, result)
    return result


async def _async_cost_rows(
    hass: HomeAssistant, runtime: PricingRuntime, energy_id: str, cost_id: str, now: datetime
) -> tuple[list[StatisticData], int]:
    recorder = get_instance(hass)
    last = await recorder.async_add_executor_job(
        get_last_statistics, hass, 1, cost_id, False, {"sum"}
    )
    tariff = runtime.tariff
    if last_rows := last.get(cost_id):
        window = datetime.fromtimestamp(last_rows[0]["start"], UTC) - COST_RECOMPUTE
        period_start, _ = billing_period(window, tariff.billing_day, tariff.tz)
        read_from = min(window, period_start.astimezone(UTC)) - HOUR
    else:
        window = None
        read_from = now - FIRST_LOOKBACK
    found = await recorder.async_add_executor_job(
        statistics_during_period, hass, read_from, None, {energy_id, cost_id}, "hour", None, {"sum"}
    )
    energy = [
        (datetime.fromtimestamp(r["start"], UTC), r.get("sum") or 0.0)
        for r in found.get(energy_id, [])
    ]
    costs = {
        datetime.fromtimestamp(r["start"], UTC): r.get("sum") or 0.0 for r in found.get(cost_id, [])
    }
    history = list(runtime.history.values())  # a snapshot: pricing runs in the executor
    return await hass.async_add_executor_job(_price_rows, tariff, history, energy, costs, window)


def _price_rows(
    tariff: Tariff,
    history: list[PricePoint],
    energy: Iterable[tuple[datetime, float]],
    costs: dict[datetime, float],
    window: datetime | None,
) -> tuple[list[StatisticData], int]:
    """Cost rows after the baseline: the first energy row of the window with a cost row."""
    rows: list[StatisticData] = []
    unpriced = 0
    cost_sum: float | None = None
    previous: float | None = None
    period: datetime | None = None
    period_kwh = 0.0
    for start, total in sorted(energy):
        step = 0.0 if previous is None else max(0.0, total - previous)
        previous = total
        this_period, _ = billing_period(start, tariff.billing_day, tariff.tz)
        if this_period != period:
            period, period_kwh = this_period, 0.0
        if cost_sum is None:  # looking for the baseline
            if window is None:
                cost_sum = 0.0
                rows.append(StatisticData(start=start, sum=0.0))
            elif start >= window and start in costs:
                cost_sum = costs[start]
            period_kwh += step
            continue
        money = hour_cost(tariff, history, start, step, period_kwh) if step > 0 else 0.0
        if money is None:
            unpriced += 1
            money = 0.0
        period_kwh += step
        cost_sum += money
        rows.append(StatisticData(start=start, sum=cost_sum))
    return rows, unpriced
