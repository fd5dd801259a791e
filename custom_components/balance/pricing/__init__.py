"""Tariffs, prices and costs (entry kind ``pricing``): the HA layer over :mod:`..tariffs`.

A pricing entry costs one energy sensor with one tariff: price, zone and cheap-window
entities, costs and bills, cost statistics for the hub's ``balance:`` energy statistics, and
the prices the load planner uses (:mod:`.api`).
"""

from __future__ import annotations

import asyncio

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util

from ..const import DOMAIN  # noqa: TID252
from .api import (
    PricingNotFoundError,
    async_get_cheap_windows,
    async_get_price_forecast,
    get_tariff,
    pricing_entry_ids,
)
from .const import SIGNAL_PRICES_UPDATED
from .issues import PricingIssues
from .runtime import PricingConfigEntry, PricingRuntime, pricing_store
from .statistics import async_update_cost_statistics

PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.SENSOR]


async def async_setup_entry(hass: HomeAssistant, entry: PricingConfigEntry) -> bool:
    """Build the tariff, follow the meter and the prices, add the entities."""
    runtime = PricingRuntime(hass, entry)
    running: list[asyncio.Task[object]] = []
    asked_again: list[bool] = []  # asked while a run was going: run once more after it

    @callback
    def run_cost_statistics() -> None:
        if running and not running[-1].done():
            asked_again[:] = [True]  # its data may have come after that run read its input
            return
        task = entry.async_create_background_task(
            hass,
            async_update_cost_statistics(hass, runtime, dt_util.utcnow()),
            "balance cost statistics",
        )
        running[:] = [task]
        task.add_done_callback(run_again_if_asked)

    @callback
    def run_again_if_asked(_task: asyncio.Task[object]) -> None:
        if asked_again:
            asked_again.clear()
            run_cost_statistics()

    await runtime.async_start(run_cost_statistics)
    entry.async_on_unload(asked_again.clear)  # no run after the entry is gone
    entry.runtime_data = runtime
    entry.async_on_unload(entry.add_update_listener(_async_update_listener))
    try:
        await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    except BaseException:
        await runtime.async_stop()
        raise
    run_cost_statistics()
    # once the entry is loaded (right after this returns), the planner may ask for its prices
    hass.loop.call_soon(async_dispatcher_send, hass, SIGNAL_PRICES_UPDATED, entry.entry_id)
    return True


async def _async_update_listener(hass: HomeAssistant, entry: PricingConfigEntry) -> None:
    """A new tariff: reload (entities depend on its type, zones and capacity)."""
    hass.config_entries.async_schedule_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: PricingConfigEntry) -> bool:
    """Unload the entities and save the ledger."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await entry.runtime_data.async_stop()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: PricingConfigEntry) -> None:
    """Forget the stored ledger, prices and the repair issues."""
    await pricing_store(hass, entry.entry_id).async_remove()
    PricingIssues(hass, entry.entry_id).clear()


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: PricingConfigEntry, device: dr.DeviceEntry
) -> bool:
    """The tariff's one device stays while the entry exists."""
    return (DOMAIN, entry.entry_id) not in device.identifiers


__all__ = [
    "PLATFORMS",
    "SIGNAL_PRICES_UPDATED",
    "PricingNotFoundError",
    "async_get_cheap_windows",
    "async_get_price_forecast",
    "async_remove_config_entry_device",
    "async_remove_entry",
    "async_setup_entry",
    "async_unload_entry",
    "get_tariff",
    "pricing_entry_ids",
]
