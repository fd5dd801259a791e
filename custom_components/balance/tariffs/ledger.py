"""The billing period so far, kept up to date as energy is used (for live entities).

``Ledger.add`` prices each piece of usage when it happens (split at clock hours, local
midnight and the billing-period start), so a bill never has to re-price the whole period.
Contracted capacity is billed from the period's hourly energy; standing charges as in
:func:`.costs.bill_to_date`.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from .costs import Bill, Usage, cost, standing
from .errors import TariffError, TariffErrorCode
from .model import Tariff, billing_period

HOUR = timedelta(hours=1)


@dataclass
class Ledger:
    """Energy and money of the current billing period and of today (local)."""

    period_start: datetime | None = None
    kwh: float = 0.0
    energy: float = 0.0
    fees: float = 0.0
    unpriced_kwh: float = 0.0
    by_zone_kwh: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    hour_kwh: dict[datetime, float] = field(default_factory=lambda: defaultdict(float))
    day: str | None = None
    day_kwh: float = 0.0
    day_net: float = 0.0

    def add(self, tariff: Tariff, use: Usage) -> None:
        """Price ``use``; a dynamic tariff without a price counts it as unpriced energy."""
        if use.end <= use.start or use.kwh <= 0:
            return
        plain = dataclasses.replace(tariff, capacity=None)  # capacity is billed per period
        span = (use.end - use.start).total_seconds()
        for a, b in _cuts(tariff, use.start, use.end):
            kwh = use.kwh * (b - a).total_seconds() / span
            self._roll(tariff, a)
            try:
                part = cost(plain, [Usage(a, b, kwh)], used_before_kwh=self.kwh)
            except TariffError as err:
                if err.code is not TariffErrorCode.FORECAST_GAP:
                    raise
                self.unpriced_kwh += kwh
            else:
                self.energy += part.energy
                self.fees += part.fees
                self.day_net += part.net
                for zone, zone_kwh in part.by_zone_kwh.items():
                    self.by_zone_kwh[zone] += zone_kwh
            self.kwh += kwh
            self.day_kwh += kwh
            self.hour_kwh[_hour(a)] += kwh

    def _roll(self, tariff: Tariff, at: datetime) -> None:
        """Start a new period or a new day when ``at`` is past the current one."""
        start, _ = billing_period(at, tariff.billing_day, tariff.tz)
        if self.period_start != start:
            fresh = Ledger(period_start=start)
            if self.day is not None:
                fresh.day, fresh.day_kwh, fresh.day_net = self.day, self.day_kwh, self.day_net
            self.__dict__.update(fresh.__dict__)
        day = at.astimezone(tariff.tz).date().isoformat()
        if self.day != day:
            self.day, self.day_kwh, self.day_net = day, 0.0, 0.0

    def penalty(self, tariff: Tariff) -> float:
        """Net capacity penalty of the period so far."""
        if tariff.capacity is None:
            return 0.0
        limit = tariff.capacity.contract_kw
        over = sum(max(0.0, e - limit) for e in self.hour_kwh.values())
        return over * tariff.capacity.penalty

    def hours_over_contract(self, tariff: Tariff) -> int:
        """Clock hours of the period whose energy exceeded the contract."""
        if tariff.capacity is None:
            return 0
        return sum(e > tariff.capacity.contract_kw for e in self.hour_kwh.values())

    def this_hour_kwh(self, now: datetime) -> float:
        """Energy of the clock hour holding ``now``."""
        return self.hour_kwh.get(_hour(now), 0.0)

    def today_cost(self, tariff: Tariff, now: datetime) -> float:
        """Gross energy cost of today (fees and VAT, no standing charges or penalty)."""
        if self.day != now.astimezone(tariff.tz).date().isoformat():
            return 0.0
        return tariff.gross(self.day_net)

    def bill(self, tariff: Tariff, now: datetime) -> Bill:
        """The period's bill so far, with the penalty and the standing charges to ``now``."""
        self._roll(tariff, now)
        start, end = billing_period(now, tariff.billing_day, tariff.tz)
        penalty = self.penalty(tariff)
        fixed = standing(tariff, start, now, end)
        return self._bill(tariff, 1.0, penalty, fixed)

    def forecast(self, tariff: Tariff, now: datetime) -> Bill:
        """The bill at the period end: the rate so far extrapolated, full standing charges."""
        self._roll(tariff, now)
        start, end = billing_period(now, tariff.billing_day, tariff.tz)
        elapsed = (now - start).total_seconds()
        factor = (end - start).total_seconds() / elapsed if elapsed > 0 else 1.0
        fixed = standing(tariff, start, end - timedelta(microseconds=1), end)
        return self._bill(tariff, factor, self.penalty(tariff) * factor, fixed)

    def _bill(self, tariff: Tariff, factor: float, penalty: float, fixed: float) -> Bill:
        energy, fees = self.energy * factor, self.fees * factor
        net = energy + fees + penalty + fixed
        gross = tariff.gross(net)
        zones = {zone: kwh * factor for zone, kwh in self.by_zone_kwh.items()}
        return Bill(self.kwh * factor, energy, fees, penalty, fixed, net, gross - net, gross, zones)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form for storage."""
        return {
            "period_start": self.period_start.isoformat() if self.period_start else None,
            "kwh": self.kwh,
            "energy": self.energy,
            "fees": self.fees,
            "unpriced_kwh": self.unpriced_kwh,
            "by_zone_kwh": dict(self.by_zone_kwh),
            "hour_kwh": {h.isoformat(): e for h, e in self.hour_kwh.items()},
            "day": self.day,
            "day_kwh": self.day_kwh,
            "day_net": self.day_net,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Ledger:
        """Inverse of :meth:`to_dict`."""
        start = data.get("period_start")
        return cls(
            period_start=datetime.fromisoformat(start) if start else None,
            kwh=float(data.get("kwh", 0.0)),
            energy=float(data.get("energy", 0.0)),
            fees=float(data.get("fees", 0.0)),
            unpriced_kwh=float(data.get("unpriced_kwh", 0.0)),
            by_zone_kwh=defaultdict(float, data.get("by_zone_kwh", {})),
            hour_kwh=defaultdict(
                float,
                {datetime.fromisoformat(h): float(e) for h, e in data.get("hour_kwh", {}).items()},
            ),
            day=data.get("day"),
            day_kwh=float(data.get("day_kwh", 0.0)),
            day_net=float(data.get("day_net", 0.0)),
        )


def _hour(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _cuts(tariff: Tariff, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """``[start, end)`` split at clock hours, local midnights and billing-period starts."""
    cuts = {start, end}
    t = _hour(start) + HOUR
    while t < end:
        cuts.add(t)
        t += HOUR
    day = start.astimezone(tariff.tz).date() + timedelta(days=1)
    while (midnight := datetime.combine(day, time(0), tariff.tz)) < end:
        cuts.add(midnight)  # a billing period starts at a local midnight too
        day += timedelta(days=1)
    ordered = sorted(cuts)
    return list(itertools.pairwise(ordered))
