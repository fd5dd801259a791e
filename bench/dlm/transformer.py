"""50 homes on one transformer: participating homes run our engine with a night-shift rule."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .home import DAY_S, LIMIT_W, BenchHome, NightShift
from .strategies import NoControl, Ours, Strategy

STEP_S = 60
PARTICIPATION_PCT = (0, 20, 40, 60, 100)
RATING_KW_PER_HOME = 3.2  # 160 kVA (pf ~1) for 50 homes: the 0 % evening peak overloads it
BLOCK_H = 16.0  # participants' green loads wait from 16:00 ...
OPENS_H = 22.0  # ... until 22:00 plus a per-home offset of up to 4 h (no synchronised rebound)
OPENS_SPREAD_MIN = 240
WARM_UP_DAYS = 1  # dropped: every simulated home starts with a hungry EV at 00:00
SEED_BASE = 1000

Mapper = Callable[
    [Callable[[tuple[int, int, bool]], list[float]], Iterable[tuple[int, int, bool]]],
    Iterable[list[float]],
]


def home_series(args: tuple[int, int, bool]) -> list[float]:
    """Minute powers (W) of home `index`, uncontrolled or with our engine."""
    index, days, participates = args
    opens_h = OPENS_H + (index * 37 % OPENS_SPREAD_MIN) / 60.0
    shift = NightShift(BLOCK_H, opens_h) if participates else None
    home = BenchHome(SEED_BASE + index, shift)
    strategy: Strategy = Ours(home, LIMIT_W) if participates else NoControl()
    series = []
    now = home.start_s
    for _ in range((days + WARM_UP_DAYS) * DAY_S // STEP_S):
        strategy.control(now, home)
        home.advance(now, STEP_S)
        series.append(home.total_w)
        now += STEP_S
    return series[WARM_UP_DAYS * DAY_S // STEP_S :]


@dataclass
class TransformerResult:
    """Transformer load per participation level."""

    homes: int
    days: int
    rating_kw: float
    totals_kw: dict[int, list[float]]

    def peak_kw(self, pct: int) -> float:
        return max(self.totals_kw[pct])

    def overload_min(self, pct: int) -> int:
        return sum(1 for p in self.totals_kw[pct] if p > self.rating_kw) * STEP_S // 60

    def as_dict(self) -> dict[str, list[float] | list[int]]:
        """The JSON block."""
        return {
            "participation_pct": list(PARTICIPATION_PCT),
            "peak_kw": [round(self.peak_kw(p), 1) for p in PARTICIPATION_PCT],
            "overload_min": [self.overload_min(p) for p in PARTICIPATION_PCT],
        }

    def table(self) -> str:
        """Human-readable table."""
        lines = [
            f"transformer: {self.homes} homes, {self.days} days, rating {self.rating_kw:.0f} kW",
            "participation_pct  peak_kw  overload_min",
        ]
        lines += [
            f"{p:17d} {self.peak_kw(p):8.1f} {self.overload_min(p):13d}" for p in PARTICIPATION_PCT
        ]
        return "\n".join(lines)

    def plot(self, path: Path) -> None:
        """Daily envelope (max over days per minute of day) and overload minutes."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        per_day = DAY_S // STEP_S
        hours = [m * STEP_S / 3600 for m in range(per_day)]
        fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5), width_ratios=(2.2, 1))
        for pct in PARTICIPATION_PCT:
            series = self.totals_kw[pct]
            envelope = [
                max(series[d * per_day + m] for d in range(self.days)) for m in range(per_day)
            ]
            left.plot(hours, envelope, label=f"{pct} %", linewidth=1.2)
        left.axhline(self.rating_kw, color="black", linestyle="--", label="rating")
        left.set_xlabel("local time (h)")
        left.set_ylabel("transformer load, max over days (kW)")
        left.set_xticks(range(0, 25, 3))
        left.legend(title="participation")
        left.set_title(f"{self.homes} homes, {self.days} winter days")
        right.bar(
            [str(p) for p in PARTICIPATION_PCT],
            [self.overload_min(p) for p in PARTICIPATION_PCT],
            color="tab:red",
        )
        right.set_xlabel("participation (%)")
        right.set_ylabel(f"minutes above {self.rating_kw:.0f} kW")
        right.set_title("overload time")
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
        plt.close(fig)


def run_transformer(homes: int, days: int, mapper: Mapper) -> TransformerResult:
    """Simulate every home both ways once, then add them up per participation level."""
    none = list(mapper(home_series, [(i, days, False) for i in range(homes)]))
    ours = list(mapper(home_series, [(i, days, True) for i in range(homes)]))
    order = list(range(homes))
    random.Random(7).shuffle(order)
    totals: dict[int, list[float]] = {}
    for pct in PARTICIPATION_PCT:
        chosen = set(order[: round(homes * pct / 100)])
        columns: Sequence[list[float]] = [ours[i] if i in chosen else none[i] for i in range(homes)]
        totals[pct] = [sum(values) / 1000.0 for values in zip(*columns, strict=True)]
    return TransformerResult(homes, days, RATING_KW_PER_HOME * homes, totals)
