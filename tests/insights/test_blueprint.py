"""The consumption-alerts blueprint, loaded into a real automation and fed real alerts."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import async_mock_service

from .conftest import import_hourly, meter_subentry, set_meter, set_time_zone, setup_insights
from .test_alerts import minute

BLUEPRINT = Path(__file__).parents[2] / "blueprints/automation/balance/consumption_alerts.yaml"
NOW = datetime(2026, 3, 20, 10, 30, tzinfo=UTC)
LEAK = "binary_sensor.water_leak_continuous_flow"
LIMIT = "binary_sensor.flat_above_limit"


async def _automation(hass: HomeAssistant, tmp_path: Path, valves: list[str]) -> None:
    hass.config.config_dir = str(tmp_path)
    target = tmp_path / "blueprints/automation/balance"
    target.mkdir(parents=True)
    shutil.copy(BLUEPRINT, target / BLUEPRINT.name)
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "id": "consumption_alerts",
                "alias": "Consumption alerts",
                "use_blueprint": {
                    "path": "balance/consumption_alerts.yaml",
                    "input": {
                        "alerts": [LEAK, LIMIT],
                        "notify_action": "notify.mobile_app_phone",
                        "valve": valves,
                    },
                },
            }
        },
    )
    await hass.async_block_till_done()
    assert hass.states.get("automation.consumption_alerts").state == "on"


async def test_leak_notifies_and_closes_the_valve(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, tmp_path: Path
) -> None:
    """A leak: the phone is told and the valve closed; a limit alert only notifies."""
    await set_time_zone(hass)
    freezer.move_to(NOW)
    await import_hourly(hass, "sensor.flat", NOW - timedelta(days=30, minutes=30), [0.5] * 720)
    set_meter(hass, "sensor.flat", 1000.0)
    set_meter(hass, "sensor.water", 100.0, unit="m³")
    await setup_insights(
        hass,
        [
            meter_subentry("water", "sensor.water", "water", continuous_min=5),
            meter_subentry("flat", "sensor.flat", "electricity", limit=235),
        ],
    )
    notes: list[ServiceCall] = async_mock_service(hass, "notify", "mobile_app_phone")
    closed = async_mock_service(hass, "valve", "close_valve")
    relays = async_mock_service(hass, "switch", "turn_off")
    await _automation(hass, tmp_path, ["valve.main_water", "switch.valve_relay"])

    value = 100.0
    for _ in range(6):
        value += 0.002
        await minute(hass, freezer, "sensor.water", value, "m³")
    assert hass.states.get(LEAK).state == "on"
    await hass.async_block_till_done()
    assert [call.data["entity_id"] for call in closed] == [["valve.main_water"]]
    assert [call.data["entity_id"] for call in relays] == [["switch.valve_relay"]]
    assert len(notes) == 1
    assert "The valve was closed" in notes[0].data["message"]
    assert notes[0].data["data"]["tag"] == LEAK

    await minute(hass, freezer, "sensor.water", value, "m³")  # the flow stops: cleared
    assert hass.states.get(LEAK).state == "off"
    await hass.async_block_till_done()
    assert notes[-1].data["title"] == "BALANCE alert cleared"

    await minute(hass, freezer, "sensor.flat", 1002.0, "kWh")  # above the limit
    await hass.async_block_till_done()
    assert hass.states.get(LIMIT).state == "on"
    assert notes[-1].data["title"] == "BALANCE alert"
    assert "(sensor.flat)" in notes[-1].data["message"]
    assert len(closed) == 1  # not a leak: the valve is left alone
