"""The user guide says what the entities really are (units, names, Energy dashboard places)."""

from __future__ import annotations

import re
from pathlib import Path

from custom_components.balance.sensor import CHANNEL_SENSORS

GUIDE = (Path(__file__).parents[2] / "docs" / "user-guide.md").read_text()


def _row(first_cell: str) -> list[str]:
    for line in GUIDE.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell!r} in docs/user-guide.md")


def test_flow_units_match_the_entities() -> None:
    """The guide's units of the flow sensors are the sensors' units (water L/min, gas m³/h)."""
    units = {d.key: d.native_unit_of_measurement for d in CHANNEL_SENSORS}
    assert _row("Water flow")[1] == units["water_flow"] == "L/min"
    assert _row("Gas flow")[1] == units["gas_flow"] == "m³/h"


def test_energy_dashboard_places_every_meter() -> None:
    """Electricity, water, gas and heat each have a place in the Energy dashboard section."""
    section = GUIDE.split("### Energy dashboard", 1)[1].split("\n## ", 1)[0]
    for meter in ("Electricity", "Water", "Gas", "Heat"):
        assert re.search(rf"^\| {meter}\b", section, flags=re.MULTILINE), meter
    assert "Gas consumption" in _row("Heat (district heating, heat pump output)")[1]
