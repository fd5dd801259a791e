"""Compact text forms of tariffs, as typed in the config flow.

- Schedule: ``"mon-fri 07:00-23:00 day; * 23:00-07:00 night"``: parts separated by ``;`` or new
  lines, each ``<days> <HH:MM>-<HH:MM> <zone>``. Days: ``mon-fri``/``workday``,
  ``sat-sun``/``weekend``, ``holiday``, or ``*`` (every day kind). A day kind without a part of
  its own follows the model's fallback (weekend as workday, holiday as weekend).
- Zone prices: ``"day=0.85; night=0.45"``.
- Blocks: ``"100:0.50; 300:0.80; *:1.20"`` (upper kWh in the billing period: price).
"""

from __future__ import annotations

import math
import re
from datetime import time

from .errors import TariffError, TariffErrorCode
from .model import Blocks, DayKind, ZoneSpan

_DAYS: dict[str, DayKind | None] = {
    "*": None,
    "mon-fri": DayKind.WORKDAY,
    "workday": DayKind.WORKDAY,
    "sat-sun": DayKind.WEEKEND,
    "weekend": DayKind.WEEKEND,
    "holiday": DayKind.HOLIDAY,
}
_PART = re.compile(r"^(\S+)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s+([a-z][a-z0-9_]*)$")
_ZONE = re.compile(r"^([a-z][a-z0-9_]*)\s*=\s*(\S+)$")


def _parts(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[;\n]", text) if p.strip()]


def _clock(hour: str, minute: str, part: str) -> time:
    h, m = int(hour), int(minute)
    if h == 24 and m == 0:
        return time(0, 0)
    if h > 23 or m > 59:
        raise TariffError(TariffErrorCode.BAD_SCHEDULE, part=part)
    return time(h, m)


def parse_schedule(text: str) -> dict[DayKind, tuple[ZoneSpan, ...]]:
    """A ``TimeOfUse`` schedule from its text form; BAD_SCHEDULE names the part it cannot read."""
    own: dict[DayKind, list[ZoneSpan]] = {}
    every: list[ZoneSpan] = []
    for part in _parts(text):
        match = _PART.match(part.lower())
        if match is None or match.group(1) not in _DAYS:
            raise TariffError(TariffErrorCode.BAD_SCHEDULE, part=part)
        days, h1, m1, h2, m2, zone = match.groups()
        span = ZoneSpan(zone, _clock(h1, m1, part), _clock(h2, m2, part))
        kind = _DAYS[days]
        if kind is None:
            every.append(span)
        else:
            own.setdefault(kind, []).append(span)
    if not own and not every:
        raise TariffError(TariffErrorCode.BAD_SCHEDULE, part=text.strip())
    schedule = {DayKind.WORKDAY: tuple(own.get(DayKind.WORKDAY, [])) + tuple(every)}
    for kind in (DayKind.WEEKEND, DayKind.HOLIDAY):
        if kind in own:
            schedule[kind] = tuple(own[kind]) + tuple(every)
    return schedule


def _number(value: str, code: TariffErrorCode, part: str) -> float:
    try:
        number = float(value.replace(",", "."))
    except ValueError as err:
        raise TariffError(code, part=part) from err
    if not math.isfinite(number):
        raise TariffError(code, part=part)
    return number


def parse_zone_prices(text: str) -> dict[str, float]:
    """Zone energy prices from ``"day=0.85; night=0.45"``; BAD_ZONE_PRICES on a bad part."""
    prices: dict[str, float] = {}
    for part in _parts(text):
        match = _ZONE.match(part.lower())
        if match is None or match.group(1) in prices:
            raise TariffError(TariffErrorCode.BAD_ZONE_PRICES, part=part)
        prices[match.group(1)] = _number(match.group(2), TariffErrorCode.BAD_ZONE_PRICES, part)
    if not prices:
        raise TariffError(TariffErrorCode.BAD_ZONE_PRICES, part=text.strip())
    return prices


def parse_blocks(text: str) -> Blocks:
    """Progressive blocks from ``"100:0.5; 300:0.8; *:1.2"``; BAD_BLOCKS or BLOCKS_ORDER."""
    steps: list[tuple[float | None, float]] = []
    for part in _parts(text):
        upper, sep, price = part.partition(":")
        if not sep:
            raise TariffError(TariffErrorCode.BAD_BLOCKS, part=part)
        top = None if upper.strip() == "*" else _number(upper, TariffErrorCode.BAD_BLOCKS, part)
        steps.append((top, _number(price, TariffErrorCode.BAD_BLOCKS, part)))
    if not steps:
        raise TariffError(TariffErrorCode.BAD_BLOCKS, part=text.strip())
    return Blocks(tuple(steps))
