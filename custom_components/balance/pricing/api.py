"""What other parts of the integration (the load planner) ask a pricing entry.

Documented for their authors in docs/tariffs.md ("Runtime API").
"""

from __future__ import annotations

from datetime import datetime

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util

from ..const import CONF_KIND, DOMAIN, KIND_PRICING  # noqa: TID252
from ..tariffs import Interval, Tariff, cheap_windows, horizon_end, price_intervals  # noqa: TID252
from .runtime import PricingRuntime


class PricingNotFoundError(HomeAssistantError):
    """No loaded pricing entry (with that id)."""

    def __init__(self, entry_id: str | None) -> None:
        """Translated: ``pricing_not_found``."""
        super().__init__(
            translation_domain=DOMAIN,
            translation_key="pricing_not_found",
            translation_placeholders={"entry_id": entry_id or "-"},
        )


@callback
def pricing_entry_ids(hass: HomeAssistant) -> list[str]:
    """Loaded pricing entries."""
    return [
        entry.entry_id
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.data.get(CONF_KIND) == KIND_PRICING and entry.state is ConfigEntryState.LOADED
    ]


@callback
def _runtime(hass: HomeAssistant, entry_id: str | None) -> PricingRuntime:
    ids = pricing_entry_ids(hass)
    if entry_id is None and ids:
        entry_id = ids[0]
    if entry_id not in ids:
        raise PricingNotFoundError(entry_id)
    entry = hass.config_entries.async_get_entry(entry_id)
    assert entry is not None
    runtime: PricingRuntime = entry.runtime_data
    return runtime


@callback
def get_tariff(hass: HomeAssistant, entry_id: str | None = None) -> Tariff:
    """The tariff in force (the last good one), with the current dynamic prices."""
    return _runtime(hass, entry_id).tariff


async def async_get_price_forecast(
    hass: HomeAssistant, entry_id: str | None = None
) -> list[Interval]:
    """All-in ``(start_utc, end_utc, price_per_kwh)`` from now to the horizon (or prices' end)."""
    runtime = _runtime(hass, entry_id)
    now = dt_util.utcnow()
    return price_intervals(
        runtime.tariff, now, horizon_end(now, runtime.tariff), runtime.ledger.kwh
    )


async def async_get_cheap_windows(
    hass: HomeAssistant, entry_id: str | None = None
) -> list[tuple[datetime, datetime]]:
    """Cheap windows from now to the horizon: cheapest zone, or the lower quartile of prices."""
    runtime = _runtime(hass, entry_id)
    now = dt_util.utcnow()
    return cheap_windows(runtime.tariff, now, horizon_end(now, runtime.tariff))
