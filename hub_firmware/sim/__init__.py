"""Simulated household for the hub's `sim` board (runs under MicroPython and CPython).

Modules: prng (seeded random streams), building (weather, indoor zone, district heating),
occupancy (occupants and activity plans), appliances (loads with contactor control),
household (aggregation, meters, pulses, voltages), scenario (JSON scenarios, fault timeline).
Model description and sources: docs/household-model.md.
"""

from .household import DEFAULT_START_TS, Household, simulate_trace
from .scenario import Timeline, builtin_scenario_path, load_scenario, parse_scenario

__all__ = [
    "DEFAULT_START_TS",
    "Household",
    "Timeline",
    "builtin_scenario_path",
    "load_scenario",
    "parse_scenario",
    "simulate_trace",
]
