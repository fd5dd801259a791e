"""Tariffs and prices: plain Python, no Home Assistant import.

Time-of-use (day/night, multi-zone with workday/weekend/holiday calendars), progressive blocks,
dynamic prices with the supplier formula and parsers for HA price integrations, contracted
capacity, standing charges, fees, VAT and billing periods; costs, bill to date, forecast bill.
"""

from .costs import Bill, Usage, bill_to_date, cost, forecast_bill
from .errors import TariffError, TariffErrorCode
from .forecast import Interval, cheap_windows, horizon_end, price_intervals, zone_intervals
from .ledger import Ledger
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
    parse_forecast,
    parse_nordpool_action,
    parse_nordpool_custom,
)
from .text import parse_blocks, parse_schedule, parse_zone_prices

__all__ = [
    "Bill",
    "Blocks",
    "Capacity",
    "DayKind",
    "Interval",
    "Ledger",
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
    "cheap_windows",
    "cost",
    "day_kind",
    "day_night",
    "forecast_bill",
    "holiday_checker",
    "horizon_end",
    "no_holidays",
    "parse_blocks",
    "parse_entsoe",
    "parse_forecast",
    "parse_nordpool_action",
    "parse_nordpool_custom",
    "parse_schedule",
    "parse_zone_prices",
    "price_intervals",
    "zone_intervals",
]
