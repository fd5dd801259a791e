"""The DLM engine, imported on its own so the bench needs no Home Assistant package."""

from __future__ import annotations

import sys
from pathlib import Path

_INTEGRATION = str(Path(__file__).resolve().parents[2] / "custom_components" / "balance")
if _INTEGRATION not in sys.path:
    sys.path.append(_INTEGRATION)

from dlm import (  # noqa: E402
    ActionKind,
    CapacityTarget,
    DlmEngine,
    EngineConfig,
    GreenPlan,
    Limits,
    LoadConfig,
    LoadKind,
    LoadReading,
    Observed,
    Priority,
)

__all__ = [
    "ActionKind",
    "CapacityTarget",
    "DlmEngine",
    "EngineConfig",
    "GreenPlan",
    "Limits",
    "LoadConfig",
    "LoadKind",
    "LoadReading",
    "Observed",
    "Priority",
]
