"""Constants of the pricing entry kind (tariffs, prices and costs)."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

CONF_TARIFF_TYPE: Final = "tariff_type"
TYPE_DAY_NIGHT: Final = "day_night"
TYPE_TIME_OF_USE: Final = "time_of_use"
TYPE_BLOCKS: Final = "blocks"
TYPE_DYNAMIC: Final = "dynamic"
TARIFF_TYPES: Final = (TYPE_DAY_NIGHT, TYPE_TIME_OF_USE, TYPE_BLOCKS, TYPE_DYNAMIC)

CONF_ENERGY_ENTITY: Final = "energy_entity"
# day/night
CONF_DAY_PRICE: Final = "day_price"
CONF_NIGHT_PRICE: Final = "night_price"
CONF_NIGHT_START: Final = "night_start"
CONF_NIGHT_END: Final = "night_end"
CONF_WEEKEND_NIGHT: Final = "weekend_night"
# time of use
CONF_ZONE_PRICES: Final = "zone_prices"
CONF_SCHEDULE: Final = "schedule"
CONF_HOLIDAYS: Final = "holidays"
CONF_SUBDIVISION: Final = "subdivision"
# blocks
CONF_BLOCKS: Final = "blocks"
# dynamic
CONF_PRICE_ENTITY: Final = "price_entity"
CONF_PRICE_SCALE: Final = "price_scale"
CONF_SPOT_MULTIPLIER: Final = "spot_multiplier"
CONF_SPOT_MARKUP: Final = "spot_markup"
# common terms
CONF_FEES: Final = "fees_per_kwh"
CONF_STANDING_DAY: Final = "standing_per_day"
CONF_STANDING_MONTH: Final = "standing_per_month"
CONF_VAT: Final = "vat_pct"
CONF_CONTRACT_KW: Final = "contract_kw"
CONF_PENALTY: Final = "capacity_penalty"
CONF_BILLING_DAY: Final = "billing_day"

STORAGE_VERSION: Final = 1
STORAGE_KEY: Final = "balance.{entry_id}.pricing"
SAVE_DELAY: Final = 30.0

SIGNAL_PRICES_UPDATED: Final = "balance_pricing_prices_updated"
"""Dispatcher signal (argument: the pricing entry id) when the tariff or its prices change."""

PRICE_STALE_AFTER: Final = timedelta(minutes=30)
"""No price for now (entity silent or forecast ended) this long raises a repair issue."""
REFRESH_EVERY: Final = timedelta(minutes=15)
ACTION_REFRESH_AFTER: Final = timedelta(minutes=55)
PRICE_HISTORY: Final = timedelta(days=40)
"""Dynamic prices kept for the cost statistics of backfilled hours."""
COST_RECOMPUTE: Final = timedelta(hours=48)
"""Cost statistics are recomputed this far back on every run (late or backfilled hours)."""
COST_STAT_MINUTE: Final = 7
"""Minute of the hour the cost statistics are written (after the hub's backfill at :02)."""
