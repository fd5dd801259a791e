"""A pricing entry's options turned into a plain-Python :class:`~..tariffs.Tariff`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo

from ..tariffs import (  # noqa: TID252
    Capacity,
    PriceSeries,
    SpotFormula,
    Tariff,
    TariffError,
    TariffErrorCode,
    TimeOfUse,
    day_night,
    holiday_checker,
    no_holidays,
    parse_blocks,
    parse_schedule,
    parse_zone_prices,
)
from ..tariffs.model import HolidayCheck  # noqa: TID252
from .const import (
    CONF_BILLING_DAY,
    CONF_BLOCKS,
    CONF_CONTRACT_KW,
    CONF_DAY_PRICE,
    CONF_FEES,
    CONF_HOLIDAYS,
    CONF_NIGHT_END,
    CONF_NIGHT_PRICE,
    CONF_NIGHT_START,
    CONF_PENALTY,
    CONF_SCHEDULE,
    CONF_SPOT_MARKUP,
    CONF_SPOT_MULTIPLIER,
    CONF_STANDING_DAY,
    CONF_STANDING_MONTH,
    CONF_SUBDIVISION,
    CONF_TARIFF_TYPE,
    CONF_VAT,
    CONF_WEEKEND_NIGHT,
    CONF_ZONE_PRICES,
    TYPE_BLOCKS,
    TYPE_DAY_NIGHT,
    TYPE_DYNAMIC,
    TYPE_TIME_OF_USE,
)


def _clock(value: Any) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError as err:
        raise TariffError(TariffErrorCode.BAD_TIME, zone=str(value)) from err


def _float(options: Mapping[str, Any], key: str, default: float = 0.0) -> float:
    value = options.get(key)
    return default if value is None else float(value)


def calendar(options: Mapping[str, Any], country: str | None) -> HolidayCheck:
    """Public holidays of HA's country (and the subdivision option) when asked for."""
    if not options.get(CONF_HOLIDAYS):
        return no_holidays
    if not country:
        raise TariffError(TariffErrorCode.HOLIDAYS_UNAVAILABLE, country="", subdivision="")
    return holiday_checker(country, options.get(CONF_SUBDIVISION) or None)


def time_of_use(options: Mapping[str, Any]) -> TimeOfUse | None:
    """The zones of a day/night or multi-zone tariff (None for other types)."""
    kind = options[CONF_TARIFF_TYPE]
    if kind == TYPE_DAY_NIGHT:
        return day_night(
            _float(options, CONF_DAY_PRICE),
            _float(options, CONF_NIGHT_PRICE),
            _clock(options[CONF_NIGHT_START]),
            _clock(options[CONF_NIGHT_END]),
            weekend_night=bool(options.get(CONF_WEEKEND_NIGHT)),
        )
    if kind == TYPE_TIME_OF_USE:
        return TimeOfUse(
            parse_zone_prices(options[CONF_ZONE_PRICES]), parse_schedule(options[CONF_SCHEDULE])
        )
    return None


def build_tariff(
    options: Mapping[str, Any],
    tz: ZoneInfo,
    country: str | None,
    series: PriceSeries | None = None,
) -> Tariff:
    """The tariff of ``options``; a dynamic one needs its price ``series``. Raises TariffError."""
    kind = options[CONF_TARIFF_TYPE]
    contract = options.get(CONF_CONTRACT_KW)
    capacity = Capacity(float(contract), _float(options, CONF_PENALTY)) if contract else None
    common: dict[str, Any] = {
        "fees_per_kwh": _float(options, CONF_FEES),
        "standing_per_day": _float(options, CONF_STANDING_DAY),
        "standing_per_month": _float(options, CONF_STANDING_MONTH),
        "vat_pct": _float(options, CONF_VAT),
        "capacity": capacity,
        "billing_day": int(options.get(CONF_BILLING_DAY, 1)),
        "is_holiday": calendar(options, country),
    }
    if kind == TYPE_BLOCKS:
        return Tariff(tz, blocks=parse_blocks(options[CONF_BLOCKS]), **common)
    if kind == TYPE_DYNAMIC:
        if series is None:
            raise TariffError(TariffErrorCode.FORECAST_EMPTY)
        formula = SpotFormula(
            _float(options, CONF_SPOT_MULTIPLIER, 1.0), _float(options, CONF_SPOT_MARKUP)
        )
        return Tariff(tz, dynamic=series, formula=formula, **common)
    return Tariff(tz, tou=time_of_use(options), **common)


def validate(options: Mapping[str, Any], tz: ZoneInfo, country: str | None) -> None:
    """Raise TariffError when ``options`` do not make a tariff (dynamic: all but its prices)."""
    if options[CONF_TARIFF_TYPE] == TYPE_DYNAMIC:
        build_tariff({**options, CONF_TARIFF_TYPE: TYPE_BLOCKS, CONF_BLOCKS: "*:0"}, tz, country)
    else:
        build_tariff(options, tz, country)
