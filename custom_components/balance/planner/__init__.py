"""Deadline-aware load planner: plain Python, no Home Assistant import.

``plan(problem)`` returns the minimum-cost powers of chargers, programmes and water heaters
under per-slot caps, or, when a load cannot be served, the best alternative and the reason.
"""

from .model import (
    Charger,
    HeaterDay,
    InfeasibleReason,
    Load,
    LoadPlan,
    PlanResult,
    PlanStatus,
    Problem,
    Programme,
    Shortfall,
    Stability,
    WaterHeater,
    caps_from,
    profile_from_minutes,
)
from .solve import plan
from .validate import check

__all__ = [
    "Charger",
    "HeaterDay",
    "InfeasibleReason",
    "Load",
    "LoadPlan",
    "PlanResult",
    "PlanStatus",
    "Problem",
    "Programme",
    "Shortfall",
    "Stability",
    "WaterHeater",
    "caps_from",
    "check",
    "plan",
    "profile_from_minutes",
]
