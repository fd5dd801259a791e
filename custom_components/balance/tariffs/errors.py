"""Tariff errors with stable codes (translated by the Home Assistant layer)."""

from __future__ import annotations

from enum import StrEnum


class TariffErrorCode(StrEnum):
    """Codes for bad tariff or price input."""

    ZONES_OVERLAP = "zones_overlap"
    ZONES_GAP = "zones_gap"
    UNKNOWN_ZONE = "unknown_zone"
    BAD_TIME = "bad_time"
    BLOCKS_ORDER = "blocks_order"
    BAD_VALUE = "bad_value"
    BILLING_DAY = "billing_day"
    FORECAST_EMPTY = "forecast_empty"
    FORECAST_GAP = "forecast_gap"
    FORECAST_OVERLAP = "forecast_overlap"
    FORECAST_FORMAT = "forecast_format"
    FORECAST_SHORT = "forecast_short"
    HOLIDAYS_UNAVAILABLE = "holidays_unavailable"
    BAD_SCHEDULE = "bad_schedule"
    BAD_ZONE_PRICES = "bad_zone_prices"
    BAD_BLOCKS = "bad_blocks"


class TariffError(ValueError):
    """Bad tariff or price input: ``code`` plus placeholders for the translated message."""

    def __init__(self, code: TariffErrorCode, **placeholders: str) -> None:
        self.code = code
        self.placeholders = placeholders
        detail = ", ".join(f"{k}={v}" for k, v in sorted(placeholders.items()))
        super().__init__(f"{code.value}: {detail}" if detail else code.value)
