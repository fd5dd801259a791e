"""Diagnostics of a pricing entry: options, tariff in force, ledger, prices and issues."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from ..tariffs import horizon_end, price_intervals  # noqa: TID252
from .runtime import PricingConfigEntry


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: PricingConfigEntry
) -> dict[str, Any]:
    """What the entry runs on (no secrets: a tariff has none)."""
    runtime = entry.runtime_data
    tariff = runtime.tariff
    now = dt_util.utcnow()
    series = tariff.dynamic
    return {
        "options": dict(entry.options),
        "options_in_force": runtime.good_options,
        "tariff": {
            "type": "time_of_use" if tariff.tou else "blocks" if tariff.blocks else "dynamic",
            "zones": dict(tariff.tou.prices) if tariff.tou else None,
            "fees_per_kwh": tariff.fees_per_kwh,
            "vat_pct": tariff.vat_pct,
            "billing_day": tariff.billing_day,
            "capacity": None
            if tariff.capacity is None
            else {"contract_kw": tariff.capacity.contract_kw, "penalty": tariff.capacity.penalty},
        },
        "prices": {
            "source": None if runtime.source is None else runtime.source.name,
            "known_from": series.points[0].start.isoformat() if series and series.points else None,
            "known_until": series.points[-1].end.isoformat() if series and series.points else None,
            "last_fetch": runtime.last_fetch.isoformat() if runtime.last_fetch else None,
            "last_fetch_error": runtime.last_fetch_error,
            "missing_since": runtime.price_missing_since.isoformat()
            if runtime.price_missing_since
            else None,
            "history_points": len(runtime.history),
            "next": [
                (a.isoformat(), b.isoformat(), round(p, 5))
                for a, b, p in price_intervals(tariff, now, horizon_end(now, tariff))[:8]
            ],
        },
        "ledger": runtime.ledger.to_dict() | {"hour_kwh": len(runtime.ledger.hour_kwh)},
        "reading": None
        if runtime.reading is None
        else {"kwh": runtime.reading[0], "at": runtime.reading[1].isoformat()},
    }
