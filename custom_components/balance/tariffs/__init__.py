"""Tariffs and prices: plain Python, no Home Assistant import.

Time-of-use (day/night, multi-zone with workday/weekend/holiday calendars), progressive blocks,
dynamic prices with the supplier formula and parsers for HA price integrations, contracted
capacity, standing charges, fees, VAT and billing periods; costs, bill to date, forecast bill.
"""

from .costs import Bill, Usage, bill_to_date, cost, forecast_bill
from .errors import TariffError, TariffErrorCode
from .model import (
    Blocks,
    Capacity,
    DayKind,
    Tariff,
    TimeOfUse,
    ZoneSpan,
    billing_period,
    day_kind,
    day_night,
    holiday_checker,
    no_holidays,
)
from .prices import (
    PricePoint,
    PriceSeries,
    SpotFormula,
    parse_entsoe,
    parse_nordpool_action,
    parse_nordpool_custom,
)

__all__ = [
    "Bill",
    "Blocks",
    "Capacity",
    "DayKind",
    "PricePoint",
    "PriceSeries",
    "SpotFormula",
    "Tariff",
    "TariffError",
    "TariffErrorCode",
    "TimeOfUse",
    "Usage",
    "ZoneSpan",
    "bill_to_date",
    "billing_period",
    "cost",
    "day_kind",
    "day_night",
    "forecast_bill",
    "holiday_checker",
    "no_holidays",
    "parse_entsoe",
    "parse_nordpool_action",
    "parse_nordpool_custom",
]
