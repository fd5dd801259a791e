"""Suspected theft or faulty meters: which child's profile the imbalance follows.

Method (docs/analytics.md): the hourly imbalance ``e = parent - sum(children)`` is technical
losses (a smooth function of the load) plus untracked consumption. If a flat's meter misses a
fraction of its consumption (a bypass, an under-registering meter), ``e`` carries a copy of that
flat's profile. Both ``e`` and each child's profile are first cleared of what the load and the
time of day explain (least squares on ``1, P, P^2`` and hour-of-day dummies, ``P`` the parent);
the child's partial correlation ``r`` with the cleared imbalance ranks it. The confidence is
``1 - n * p`` (Bonferroni over the ``n`` children) with ``p`` the one-sided Fisher-z p-value of
``r``; the slope gives the missing fraction. A suspicion is a pointer for an inspection, never
proof: common-area loads that follow one flat's habits look the same.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

MIN_HOURS = 7 * 24
Vector = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Suspicion:
    """One child's rank entry."""

    meter: str
    correlation: float
    missing_fraction: float
    confidence: float
    suspected: bool


def rank_suspects(
    parent: Sequence[float] | Vector,
    children: Mapping[str, Sequence[float] | Vector],
    hour_of_day: Sequence[int] | None = None,
    min_confidence: float = 0.99,
    min_fraction: float = 0.03,
) -> list[Suspicion]:
    """Rank ``children`` (hourly series aligned with ``parent``), most suspect first.

    ``suspected`` needs ``confidence >= min_confidence`` and an estimated missing fraction of at
    least ``min_fraction`` of the child's true consumption. Needs a week of hours.
    """
    p = np.asarray(parent, dtype=np.float64)
    names = list(children)
    if not names or len(p) < MIN_HOURS:
        return []
    y = np.array([np.asarray(children[n], dtype=np.float64) for n in names])
    imbalance = p - y.sum(axis=0)
    scale = float(np.max(np.abs(p))) or 1.0
    columns = [np.ones_like(p), p / scale, (p / scale) ** 2]
    if hour_of_day is not None:
        hod = np.asarray(hour_of_day) % 24
        columns += [(hod == h).astype(np.float64) for h in range(1, 24)]
    basis = np.column_stack(columns)
    gram = basis.T @ basis + 1e-9 * np.eye(basis.shape[1])

    def clear(v: Vector) -> Vector:
        cleared: Vector = v - basis @ np.linalg.solve(gram, basis.T @ v)
        return cleared

    e = clear(imbalance)
    resid = clear(y.T).T
    dof = len(p) - basis.shape[1] - 2
    e_norm = float(np.linalg.norm(e))
    out: list[Suspicion] = []
    for name, r_vec in zip(names, resid, strict=True):
        norm = float(np.linalg.norm(r_vec))
        if norm == 0 or e_norm == 0:
            out.append(Suspicion(name, 0.0, 0.0, 0.0, False))
            continue
        r = float(r_vec @ e) / (norm * e_norm)
        slope = max(0.0, float(r_vec @ e) / norm**2)
        z = math.atanh(max(-0.999999, min(0.999999, r))) * math.sqrt(max(1, dof))
        p_value = 0.5 * math.erfc(z / math.sqrt(2))
        confidence = max(0.0, 1.0 - len(names) * p_value)
        fraction = slope / (1.0 + slope)
        suspected = confidence >= min_confidence and fraction >= min_fraction
        out.append(Suspicion(name, r, fraction, confidence, suspected))
    out.sort(key=lambda s: (s.confidence, s.correlation), reverse=True)
    return out
