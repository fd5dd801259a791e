"""Dynamic prices: a validated price series, the spot formula, and parsers for HA integrations.

Formats accepted (each entry one price interval):
- HA core Nord Pool action ``nordpool.get_prices_for_date`` response:
  ``{"SE3": [{"start": iso, "end": iso, "price": per MWh}, ...]}``.
- Nord Pool custom integration attributes ``raw_today`` / ``raw_tomorrow`` (``tomorrow_valid``):
  ``[{"start": datetime|iso, "end": datetime|iso, "value": per kWh}]``.
- ENTSO-e custom integration attributes ``prices`` (or ``prices_today`` + ``prices_tomorrow``):
  ``[{"time": "2024-10-27 00:00:00+02:00", "price": per kWh}]``; each ends where the next starts.
- A ``forecast`` attribute ``[{"start": iso, "end": iso, "price": per kWh}]``: the utility
  link's price sensor (OpenADR PRICE events), intervals of any length from 5 minutes.
Times are converted to UTC, so DST days simply carry 23 or 25 hours (92 or 100 quarters).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .errors import TariffError, TariffErrorCode

RESOLUTIONS = (timedelta(minutes=15), timedelta(minutes=30), timedelta(minutes=60))
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class PricePoint:
    """One price interval [start, end), price per kWh."""

    start: datetime
    end: datetime
    price: float


@dataclass(frozen=True)
class SpotFormula:
    """Supplier price on top of spot: ``spot * multiplier + markup`` per kWh (before fees/VAT)."""

    multiplier: float = 1.0
    markup: float = 0.0

    def apply(self, spot: float) -> float:
        """Energy price for a spot price."""
        return spot * self.multiplier + self.markup


@dataclass(frozen=True)
class PriceSeries:
    """Sorted, non-overlapping, gap-free price intervals (15, 30 or 60 minutes, mixed allowed).

    ``PriceSeries(())`` (no prices yet) prices nothing: ``price_at`` is None everywhere.
    """

    points: tuple[PricePoint, ...]

    @classmethod
    def build(cls, points: Sequence[PricePoint]) -> PriceSeries:
        """Validate and sort: FORECAST_EMPTY, FORECAST_OVERLAP, FORECAST_GAP, FORECAST_FORMAT."""
        if not points:
            raise TariffError(TariffErrorCode.FORECAST_EMPTY)
        ordered = sorted(points, key=lambda p: p.start)
        for p in ordered:
            if p.start.tzinfo is None or p.end.tzinfo is None:
                raise TariffError(TariffErrorCode.FORECAST_FORMAT, detail="naive time")
            if p.end - p.start not in RESOLUTIONS:
                raise TariffError(TariffErrorCode.FORECAST_FORMAT, at=p.start.isoformat())
        for a, b in itertools.pairwise(ordered):
            if b.start < a.end:
                raise TariffError(TariffErrorCode.FORECAST_OVERLAP, at=b.start.isoformat())
            if b.start > a.end:
                raise TariffError(TariffErrorCode.FORECAST_GAP, at=a.end.isoformat())
        return cls(tuple(ordered))

    @property
    def start(self) -> datetime:
        """Start of the first interval."""
        return self.points[0].start

    @property
    def end(self) -> datetime:
        """End of the last interval: prices are known up to here (tomorrow's arrive ~13:00 CET)."""
        return self.points[-1].end

    def merged(self, other: PriceSeries) -> PriceSeries:
        """Union of two series (e.g. today + tomorrow); newer values win on equal starts."""
        by_start = {p.start: p for p in self.points}
        by_start.update({p.start: p for p in other.points})
        return PriceSeries.build(list(by_start.values()))

    def with_formula(self, formula: SpotFormula) -> PriceSeries:
        """Series with the supplier formula applied to every price."""
        return PriceSeries(
            tuple(PricePoint(p.start, p.end, formula.apply(p.price)) for p in self.points)
        )

    def price_at(self, at: datetime) -> float | None:
        """Price of the interval holding ``at`` (None outside the series)."""
        for p in self.points:
            if p.start <= at < p.end:
                return p.price
        return None

    def slots(self, start: datetime, step: timedelta, count: int) -> list[float]:
        """Time-weighted average price of each planner slot; FORECAST_SHORT if not covered."""
        if not self.points:  # a dynamic tariff before its first prices
            raise TariffError(TariffErrorCode.FORECAST_EMPTY)
        end = start + step * count
        if start < self.start or end > self.end:
            raise TariffError(
                TariffErrorCode.FORECAST_SHORT, until=self.end.isoformat(), needed=end.isoformat()
            )
        out: list[float] = []
        i = 0
        for k in range(count):
            a, b = start + step * k, start + step * (k + 1)
            while self.points[i].end <= a:
                i += 1
            total, j = 0.0, i
            while j < len(self.points) and self.points[j].start < b:
                p = self.points[j]
                overlap = (min(b, p.end) - max(a, p.start)).total_seconds()
                total += p.price * overlap
                j += 1
            out.append(total / step.total_seconds())
        return out


def _time(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError as err:
            raise TariffError(TariffErrorCode.FORECAST_FORMAT, value=value) from err
    else:
        raise TariffError(TariffErrorCode.FORECAST_FORMAT, value=repr(value))
    if moment.tzinfo is None:
        raise TariffError(TariffErrorCode.FORECAST_FORMAT, value=str(value))
    return moment.astimezone(UTC)


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TariffError(TariffErrorCode.FORECAST_FORMAT, value=repr(value))
    return float(value)


def parse_nordpool_action(
    response: Mapping[str, Any], area: str | None = None, per_kwh: float = 0.001
) -> PriceSeries:
    """HA core ``nordpool.get_prices_for_date`` response; prices per MWh scaled by ``per_kwh``."""
    if not response:
        raise TariffError(TariffErrorCode.FORECAST_EMPTY)
    key = area if area is not None else next(iter(response))
    rows = response.get(key)
    if not isinstance(rows, list):
        raise TariffError(TariffErrorCode.FORECAST_FORMAT, area=str(key))
    return PriceSeries.build(
        [
            PricePoint(_time(r["start"]), _time(r["end"]), _number(r["price"]) * per_kwh)
            for r in _rows(rows, ("start", "end", "price"))
        ]
    )


def parse_nordpool_custom(attributes: Mapping[str, Any], per_kwh: float = 1.0) -> PriceSeries:
    """Nord Pool custom integration: ``raw_today`` plus ``raw_tomorrow`` when valid."""
    rows = list(attributes.get("raw_today") or [])
    if attributes.get("tomorrow_valid", True):
        rows += list(attributes.get("raw_tomorrow") or [])
    return PriceSeries.build(
        [
            PricePoint(_time(r["start"]), _time(r["end"]), _number(r["value"]) * per_kwh)
            for r in _rows(rows, ("start", "end", "value"))
            if r["value"] is not None
        ]
    )


def parse_entsoe(attributes: Mapping[str, Any], per_kwh: float = 1.0) -> PriceSeries:
    """ENTSO-e custom integration: ``prices`` (or ``prices_today`` + ``prices_tomorrow``)."""
    rows = attributes.get("prices")
    if not rows:
        rows = list(attributes.get("prices_today") or []) + list(
            attributes.get("prices_tomorrow") or []
        )
    entries = sorted(
        ((_time(r["time"]), _number(r["price"]) * per_kwh) for r in _rows(rows, ("time", "price"))),
        key=lambda e: e[0],
    )
    if not entries:
        raise TariffError(TariffErrorCode.FORECAST_EMPTY)
    points: list[PricePoint] = []
    for k, (start, price) in enumerate(entries):
        if k + 1 < len(entries):
            end = entries[k + 1][0]
            if end - start not in RESOLUTIONS:  # a hole: close at the usual step
                end = start + (points[-1].end - points[-1].start if points else RESOLUTIONS[-1])
        else:
            end = start + (points[-1].end - points[-1].start if points else RESOLUTIONS[-1])
        points.append(PricePoint(start, end, price))
    return PriceSeries.build(points)


def parse_forecast(attributes: Mapping[str, Any], per_kwh: float = 1.0) -> PriceSeries:
    """A ``forecast`` attribute of ``{"start", "end", "price"}`` rows (the utility link's price
    sensor: OpenADR PRICE intervals). Intervals of whole hours or quarters are cut into hours
    or quarters; shorter ones (OpenADR allows 5 minutes) are averaged over their quarter,
    which they must cover."""
    rows = _rows(attributes.get("forecast"), ("start", "end", "price"))
    points: list[PricePoint] = []
    short: dict[datetime, list[tuple[datetime, datetime, float]]] = {}
    for r in rows:
        start, end, price = _time(r["start"]), _time(r["end"]), _number(r["price"]) * per_kwh
        if end <= start:
            raise TariffError(TariffErrorCode.FORECAST_FORMAT, at=start.isoformat())
        step = next((s for s in reversed(RESOLUTIONS) if (end - start) % s == timedelta()), None)
        if step is not None and (start - _EPOCH) % step == timedelta():
            points.extend(
                PricePoint(start + step * k, start + step * (k + 1), price)
                for k in range((end - start) // step)
            )
            continue
        quarter = RESOLUTIONS[0]
        bucket = _EPOCH + (start - _EPOCH) // quarter * quarter
        if end > bucket + quarter:
            raise TariffError(TariffErrorCode.FORECAST_FORMAT, at=start.isoformat())
        short.setdefault(bucket, []).append((start, end, price))
    for bucket, parts in short.items():
        covered = sum(((b - a).total_seconds() for a, b, _ in parts), 0.0)
        if abs(covered - RESOLUTIONS[0].total_seconds()) > 1e-6:
            raise TariffError(TariffErrorCode.FORECAST_GAP, at=bucket.isoformat())
        mean = sum(p * (b - a).total_seconds() for a, b, p in parts) / covered
        points.append(PricePoint(bucket, bucket + RESOLUTIONS[0], mean))
    return PriceSeries.build(points)


def _rows(rows: Any, keys: tuple[str, ...]) -> list[Mapping[str, Any]]:
    if not isinstance(rows, list):
        raise TariffError(TariffErrorCode.FORECAST_FORMAT, value=type(rows).__name__)
    for r in rows:
        if not isinstance(r, Mapping) or any(k not in r for k in keys):
            raise TariffError(TariffErrorCode.FORECAST_FORMAT, value=repr(r)[:80])
    return rows
