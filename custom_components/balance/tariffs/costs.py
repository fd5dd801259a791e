"""Costs: a consumption series priced by a tariff, the bill to date and the forecast bill."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .errors import TariffError, TariffErrorCode
from .model import Tariff, billing_period


@dataclass(frozen=True)
class Usage:
    """Energy used in [start, end), kWh (spread evenly over the interval)."""

    start: datetime
    end: datetime
    kwh: float


@dataclass(frozen=True)
class Bill:
    """Money for one period (gross amounts include VAT; ``net`` is before VAT)."""

    kwh: float
    energy: float
    fees: float
    capacity_penalty: float
    standing: float
    net: float
    vat: float
    total: float
    by_zone_kwh: dict[str, float]


def _pieces(tariff: Tariff, use: Usage) -> list[tuple[datetime, float]]:
    """Split a usage interval where the price may change: (piece start, kWh)."""
    cuts = {use.start, use.end}
    step = timedelta(minutes=15)
    t = use.start
    while t < use.end:
        cuts.add(t)
        t = (
            t
            + step
            - timedelta(minutes=t.minute % 15, seconds=t.second, microseconds=t.microsecond)
        )
    if tariff.tou is not None:
        local = use.start.astimezone(tariff.tz)
        day = local.date()
        while True:
            for minute in tariff.tou.boundaries(day, tariff.is_holiday):
                cut = datetime.combine(day, datetime.min.time(), tariff.tz) + timedelta(
                    minutes=minute
                )
                if use.start < cut < use.end:
                    cuts.add(cut)
            day += timedelta(days=1)
            if datetime.combine(day, datetime.min.time(), tariff.tz) >= use.end:
                break
    ordered = sorted(c for c in cuts if use.start <= c <= use.end)
    span = (use.end - use.start).total_seconds()
    return [
        (a, use.kwh * (b - a).total_seconds() / span)
        for a, b in itertools.pairwise(ordered)
        if b > a
    ]


def cost(tariff: Tariff, usage: Sequence[Usage], used_before_kwh: float = 0.0) -> Bill:
    """Price ``usage`` (one billing period or part of it), without standing charges.

    Blocks count from ``used_before_kwh`` (energy already used this period). A dynamic tariff
    with no price for some usage raises FORECAST_GAP.
    """
    energy = fees = 0.0
    used = used_before_kwh
    zones: dict[str, float] = defaultdict(float)
    hours: dict[datetime, float] = defaultdict(float)
    total_kwh = 0.0
    for use in sorted(usage, key=lambda u: u.start):
        if use.end <= use.start or use.kwh < 0:
            raise TariffError(TariffErrorCode.BAD_VALUE, at=use.start.isoformat())
        for start, kwh in _pieces(tariff, use):
            if tariff.blocks is not None:
                energy += sum(k * p for k, p in tariff.blocks.split(used, kwh))
            else:
                price = tariff.energy_price(start)
                if price is None:
                    raise TariffError(TariffErrorCode.FORECAST_GAP, at=start.isoformat())
                energy += kwh * price
            zone = tariff.zone_at(start)
            if zone is not None:
                zones[zone] += kwh
            hours[start.replace(minute=0, second=0, microsecond=0)] += kwh
            used += kwh
            fees += kwh * tariff.fees_per_kwh
            total_kwh += kwh
    penalty = 0.0
    if tariff.capacity is not None:
        limit = tariff.capacity.contract_kw
        penalty = sum(max(0.0, e - limit) for e in hours.values()) * tariff.capacity.penalty
    net = energy + fees + penalty
    gross = tariff.gross(net)
    return Bill(total_kwh, energy, fees, penalty, 0.0, net, gross - net, gross, dict(zones))


def standing(tariff: Tariff, start: datetime, until: datetime, period_end: datetime) -> float:
    """Net standing charges from ``start`` to ``until``: per started day, month pro rata."""
    days = max(
        0, (until.astimezone(tariff.tz).date() - start.astimezone(tariff.tz).date()).days + 1
    )
    if until <= start:
        days = 0
    share = (until - start).total_seconds() / (period_end - start).total_seconds()
    return days * tariff.standing_per_day + tariff.standing_per_month * min(1.0, max(0.0, share))


def bill_to_date(tariff: Tariff, usage: Sequence[Usage], now: datetime) -> Bill:
    """This billing period's bill so far (usage before the period start is ignored)."""
    start, end = billing_period(now, tariff.billing_day, tariff.tz)
    inside = [u for u in usage if u.start >= start and u.end <= now]
    base = cost(tariff, inside)
    fixed = standing(tariff, start, now, end)
    net = base.net + fixed
    gross = tariff.gross(net)
    return Bill(
        base.kwh,
        base.energy,
        base.fees,
        base.capacity_penalty,
        fixed,
        net,
        gross - net,
        gross,
        base.by_zone_kwh,
    )


def forecast_bill(tariff: Tariff, usage: Sequence[Usage], now: datetime) -> Bill:
    """Bill at the period end: usage so far extrapolated at its average rate and unit cost."""
    start, end = billing_period(now, tariff.billing_day, tariff.tz)
    sofar = bill_to_date(tariff, usage, now)
    elapsed = (now - start).total_seconds()
    factor = (end - start).total_seconds() / elapsed if elapsed > 0 else 1.0
    kwh = sofar.kwh * factor
    energy = sofar.energy * factor
    fees = sofar.fees * factor
    penalty = sofar.capacity_penalty * factor
    fixed = standing(tariff, start, end - timedelta(microseconds=1), end)
    net = energy + fees + penalty + fixed
    gross = tariff.gross(net)
    zones = {k: v * factor for k, v in sofar.by_zone_kwh.items()}
    return Bill(kwh, energy, fees, penalty, fixed, net, gross - net, gross, zones)
