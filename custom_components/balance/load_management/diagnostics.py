"""Diagnostics of a load-management entry."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from .manager import LoadManagementConfigEntry


def config_entry_diagnostics(entry: LoadManagementConfigEntry) -> dict[str, Any]:
    """Options, managed loads, engine state and what is persisted."""
    manager = entry.runtime_data
    return {
        "options": dict(entry.options),
        "loads": {load_id: asdict(load) for load_id, load in manager.loads.items()},
        "engine": asdict(manager.state()),
        "guard_policy": asdict(manager.engine.guard_policy()),
        **manager.diagnostics(),
    }
