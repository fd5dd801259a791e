"""Where a dynamic tariff's spot prices come from: HA price integrations, recognised by shape.

- HA core Nord Pool: its entities show today only, so the action
  ``nordpool.get_prices_for_date`` is called for today and tomorrow (tomorrow's day-ahead
  prices are published around 13:00 CET; until then only today is known).
- Nord Pool custom integration: attributes ``raw_today`` / ``raw_tomorrow``.
- ENTSO-e custom integration: attributes ``prices`` or ``prices_today`` / ``prices_tomorrow``.
- BALANCE utility link's price sensor (the utility's OpenADR PRICE events): attribute
  ``forecast``, every announced price interval.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er

from ..tariffs import (  # noqa: TID252
    PriceSeries,
    TariffError,
    TariffErrorCode,
    parse_entsoe,
    parse_forecast,
    parse_nordpool_action,
    parse_nordpool_custom,
)

NORDPOOL_DOMAIN = "nordpool"
NORDPOOL_ACTION = "get_prices_for_date"


class PriceUnavailableError(Exception):
    """The source has no prices for today right now (entity or integration down)."""


@dataclass(frozen=True, slots=True)
class NordpoolAction:
    """HA core Nord Pool, through its action (prices per MWh)."""

    config_entry_id: str
    area: str
    name: str = "nordpool"
    polled: bool = True

    async def async_fetch(self, hass: HomeAssistant, today: date, scale: float) -> PriceSeries:
        """Today's prices (required) merged with tomorrow's when they are published."""
        series: PriceSeries | None = None
        for day in (today, today + timedelta(days=1)):
            try:
                response = await hass.services.async_call(
                    NORDPOOL_DOMAIN,
                    NORDPOOL_ACTION,
                    {
                        "config_entry": self.config_entry_id,
                        "date": day.isoformat(),
                        "areas": [self.area],
                    },
                    blocking=True,
                    return_response=True,
                )
                part = parse_nordpool_action(response or {}, self.area, per_kwh=0.001 * scale)
            except (HomeAssistantError, TariffError) as err:
                if day != today:  # not published yet (or empty): today's prices still hold
                    break
                if isinstance(err, TariffError) and err.code is not TariffErrorCode.FORECAST_EMPTY:
                    raise
                raise PriceUnavailableError(str(err)) from err
            series = part if series is None else series.merged(part)
        assert series is not None
        return series


@dataclass(frozen=True, slots=True)
class AttributeSource:
    """A custom integration's price entity that carries its forecast in attributes."""

    entity_id: str
    name: str
    parse: Callable[[Mapping[str, Any], float], PriceSeries]
    polled: bool = False

    async def async_fetch(self, hass: HomeAssistant, today: date, scale: float) -> PriceSeries:
        """Parse the entity's attributes as they are now."""
        state = hass.states.get(self.entity_id)
        if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
            raise PriceUnavailableError(self.entity_id)
        return self.parse(state.attributes, scale)


type PriceSource = NordpoolAction | AttributeSource
"""Spot prices per kWh (scaled to the tariff's currency) for today and, once known, tomorrow.

``polled``: fetched on a timer (an action), else read when the entity's state changes.
``async_fetch`` raises PriceUnavailableError, or TariffError for a payload that is not a
forecast.
"""


def detect_source(hass: HomeAssistant, entity_id: str) -> PriceSource | None:
    """The source behind a price entity, or None when it carries no forecast we know."""
    entry = er.async_get(hass).async_get(entity_id)
    if entry is not None and entry.platform == NORDPOOL_DOMAIN and entry.config_entry_id:
        return NordpoolAction(entry.config_entry_id, entry.unique_id.split("-")[0].upper())
    state = hass.states.get(entity_id)
    if state is None:
        return None
    if "raw_today" in state.attributes:
        return AttributeSource(entity_id, "nordpool_custom", parse_nordpool_custom)
    if "prices" in state.attributes or "prices_today" in state.attributes:
        return AttributeSource(entity_id, "entsoe", parse_entsoe)
    if _is_price_forecast(state.attributes.get("forecast")):
        return AttributeSource(entity_id, "forecast", parse_forecast)
    return None


def _is_price_forecast(rows: Any) -> bool:
    """A list of ``{"start", "end", "price"}`` rows (empty: no price announced yet)."""
    return isinstance(rows, list) and all(
        isinstance(row, Mapping) and {"start", "end", "price"} <= row.keys() for row in rows[:1]
    )
