"""Tariff model: time of use with day calendars, progressive blocks, dynamic prices, capacity.

Unit price of a kWh = (energy price + per-kWh fees and levies) x (1 + VAT). The energy price
comes from exactly one of: a time-of-use schedule (``TimeOfUse``: two-part day/night is a
two-zone one), progressive blocks by consumption in the billing period (``Blocks``), or a
dynamic price series with the supplier formula (``PriceSeries`` + ``SpotFormula``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from .errors import TariffError, TariffErrorCode
from .prices import PriceSeries, SpotFormula

DAY_MINUTES = 1440


class DayKind(StrEnum):
    """Which schedule a calendar day follows."""

    WORKDAY = "workday"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"


HolidayCheck = Callable[[date], bool]
_FALLBACK = {
    DayKind.WORKDAY: (),
    DayKind.WEEKEND: (DayKind.WORKDAY,),
    DayKind.HOLIDAY: (DayKind.WEEKEND, DayKind.WORKDAY),
}


def no_holidays(_day: date) -> bool:
    """Calendar without public holidays."""
    return False


def holiday_checker(country: str, subdivision: str | None = None) -> HolidayCheck:
    """Public holidays from the ``holidays`` package (pure Python; HA's own dependency).

    Raises TariffError HOLIDAYS_UNAVAILABLE when the package or the country is unknown.
    """
    try:
        module = importlib.import_module("holidays")
        calendar = module.country_holidays(country, subdiv=subdivision)
    except (ImportError, NotImplementedError, KeyError) as err:
        raise TariffError(
            TariffErrorCode.HOLIDAYS_UNAVAILABLE, country=country, subdivision=subdivision or ""
        ) from err

    def check(day: date) -> bool:
        return day in calendar

    return check


def day_kind(day: date, is_holiday: HolidayCheck) -> DayKind:
    """Holiday first, then Saturday/Sunday, else workday."""
    if is_holiday(day):
        return DayKind.HOLIDAY
    return DayKind.WEEKEND if day.weekday() >= 5 else DayKind.WORKDAY


@dataclass(frozen=True)
class ZoneSpan:
    """``zone`` from ``start`` to ``end`` (local clock); end <= start wraps past midnight."""

    zone: str
    start: time
    end: time


@dataclass(frozen=True)
class TimeOfUse:
    """Zones with their energy prices and a day schedule per day kind (validated)."""

    prices: Mapping[str, float]
    schedule: Mapping[DayKind, tuple[ZoneSpan, ...]]
    _minutes: dict[DayKind, list[tuple[int, int, str]]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        minutes: dict[DayKind, list[tuple[int, int, str]]] = {}
        for kind in DayKind:
            spans = self.schedule.get(kind)
            for alt in _FALLBACK[kind]:
                if spans is None:
                    spans = self.schedule.get(alt)
            if not spans:
                raise TariffError(TariffErrorCode.ZONES_GAP, day=kind.value, at="00:00")
            minutes[kind] = _cover(spans, self.prices, kind)
        object.__setattr__(self, "_minutes", minutes)

    def zone_at(self, local: datetime, is_holiday: HolidayCheck) -> str:
        """Zone in force at a local time."""
        m = local.hour * 60 + local.minute
        for a, b, zone in self._minutes[day_kind(local.date(), is_holiday)]:
            if a <= m < b:
                return zone
        raise AssertionError("schedule covers the day")  # pragma: no cover

    def boundaries(self, local_day: date, is_holiday: HolidayCheck) -> list[int]:
        """Minutes of the day where the zone may change."""
        return [a for a, _, _ in self._minutes[day_kind(local_day, is_holiday)]]


def _cover(
    spans: Sequence[ZoneSpan], prices: Mapping[str, float], kind: DayKind
) -> list[tuple[int, int, str]]:
    """Minute ranges of a day; ZONES_OVERLAP / ZONES_GAP / UNKNOWN_ZONE / BAD_TIME."""
    parts: list[tuple[int, int, str]] = []
    for span in spans:
        if span.zone not in prices:
            raise TariffError(TariffErrorCode.UNKNOWN_ZONE, zone=span.zone)
        a = span.start.hour * 60 + span.start.minute
        b = span.end.hour * 60 + span.end.minute
        if span.start.second or span.end.second:
            raise TariffError(TariffErrorCode.BAD_TIME, zone=span.zone)
        if b > a:
            parts.append((a, b, span.zone))
        else:
            parts.append((a, DAY_MINUTES, span.zone))
            if b:
                parts.append((0, b, span.zone))
    parts.sort()
    cursor = 0
    for a, b, zone in parts:
        if a < cursor:
            raise TariffError(TariffErrorCode.ZONES_OVERLAP, day=kind.value, zone=zone, at=_hm(a))
        if a > cursor:
            raise TariffError(TariffErrorCode.ZONES_GAP, day=kind.value, at=_hm(cursor))
        cursor = b
    if cursor != DAY_MINUTES:
        raise TariffError(TariffErrorCode.ZONES_GAP, day=kind.value, at=_hm(cursor))
    return parts


def _hm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def day_night(
    day_price: float,
    night_price: float,
    night_start: time = time(22, 0),
    night_end: time = time(7, 0),
    *,
    weekend_night: bool = False,
) -> TimeOfUse:
    """Two-part tariff; ``weekend_night``: weekends and holidays are night all day."""
    week = (ZoneSpan("day", night_end, night_start), ZoneSpan("night", night_start, night_end))
    schedule: dict[DayKind, tuple[ZoneSpan, ...]] = {DayKind.WORKDAY: week}
    if weekend_night:
        whole = (ZoneSpan("night", time(0, 0), time(0, 0)),)
        schedule[DayKind.WEEKEND] = whole
        schedule[DayKind.HOLIDAY] = whole
    return TimeOfUse({"day": day_price, "night": night_price}, schedule)


@dataclass(frozen=True)
class Blocks:
    """Progressive blocks: (upper kWh in the billing period, price); last upper is None.

    The first block is the "social norm".
    """

    steps: tuple[tuple[float | None, float], ...]

    def __post_init__(self) -> None:
        if not self.steps or self.steps[-1][0] is not None:
            raise TariffError(TariffErrorCode.BLOCKS_ORDER, detail="last block must be open")
        uppers = [u for u, _ in self.steps[:-1]]
        if any(u is None or u <= 0 for u in uppers) or uppers != sorted(set(uppers)):  # type: ignore[type-var]
            raise TariffError(TariffErrorCode.BLOCKS_ORDER, detail="uppers must rise")

    def split(self, used_kwh: float, kwh: float) -> list[tuple[float, float]]:
        """(kWh, price) parts of ``kwh`` consumed after ``used_kwh`` this period."""
        out: list[tuple[float, float]] = []
        lower = 0.0
        for upper, price in self.steps:
            top = float("inf") if upper is None else upper
            take = max(0.0, min(used_kwh + kwh, top) - max(used_kwh, lower))
            if take > 0:
                out.append((take, price))
            lower = top
        return out


@dataclass(frozen=True)
class Capacity:
    """Contracted capacity: energy of a clock hour above ``contract_kw`` x 1 h costs ``penalty``."""

    contract_kw: float
    penalty: float


@dataclass(frozen=True)
class Tariff:
    """A complete tariff."""

    tz: ZoneInfo
    tou: TimeOfUse | None = None
    blocks: Blocks | None = None
    dynamic: PriceSeries | None = None
    formula: SpotFormula = field(default_factory=SpotFormula)
    fees_per_kwh: float = 0.0
    standing_per_day: float = 0.0
    standing_per_month: float = 0.0
    vat_pct: float = 0.0
    capacity: Capacity | None = None
    billing_day: int = 1
    is_holiday: HolidayCheck = no_holidays

    def __post_init__(self) -> None:
        if sum(x is not None for x in (self.tou, self.blocks, self.dynamic)) != 1:
            raise TariffError(TariffErrorCode.BAD_VALUE, field="energy price source")
        if not 1 <= self.billing_day <= 31:
            raise TariffError(TariffErrorCode.BILLING_DAY, day=str(self.billing_day))
        values = (self.fees_per_kwh, self.standing_per_day, self.standing_per_month, self.vat_pct)
        if any(v < 0 for v in values):
            raise TariffError(TariffErrorCode.BAD_VALUE, field="fees, standing charges or VAT")

    def gross(self, net: float) -> float:
        """Add VAT to a net amount."""
        return net * (1.0 + self.vat_pct / 100.0)

    def unit_price(self, at: datetime, used_kwh: float = 0.0) -> float | None:
        """All-in price of the next kWh at ``at`` (blocks: after ``used_kwh`` this period)."""
        energy = self.energy_price(at, used_kwh)
        return None if energy is None else self.gross(energy + self.fees_per_kwh)

    def energy_price(self, at: datetime, used_kwh: float = 0.0) -> float | None:
        """Energy component at ``at`` (None where a dynamic series has no price)."""
        if self.tou is not None:
            return self.tou.prices[self.tou.zone_at(at.astimezone(self.tz), self.is_holiday)]
        if self.blocks is not None:
            return self.blocks.split(used_kwh, 1e-9)[0][1]
        assert self.dynamic is not None
        spot = self.dynamic.price_at(at)
        return None if spot is None else self.formula.apply(spot)

    def zone_at(self, at: datetime) -> str | None:
        """Time-of-use zone in force (None for other tariffs)."""
        if self.tou is None:
            return None
        return self.tou.zone_at(at.astimezone(self.tz), self.is_holiday)

    def slot_prices(self, start: datetime, step: timedelta, count: int) -> list[float]:
        """All-in price of each planner slot (blocks: the price of the current block)."""
        if self.dynamic is not None:
            spots = self.dynamic.slots(start, step, count)
            return [self.gross(self.formula.apply(s) + self.fees_per_kwh) for s in spots]
        out: list[float] = []
        for k in range(count):
            mid = start + step * k + step / 2
            price = self.unit_price(mid)
            assert price is not None
            out.append(price)
        return out


def billing_period(at: datetime, billing_day: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Local-midnight bounds of the billing period holding ``at`` (day clamped to month end)."""
    local = at.astimezone(tz)

    def start_in(year: int, month: int) -> datetime:
        last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
        return datetime(year, month, min(billing_day, last), tzinfo=tz)

    start = start_in(local.year, local.month)
    if local < start:
        year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
        start = start_in(year, month)
    year, month = (start.year, start.month + 1) if start.month < 12 else (start.year + 1, 1)
    return start, start_in(year, month)
