"""Load management drives the sim hub's wallbox through the hub's own current number.

The real MicroPython sim board runs the household on 127.0.0.1; the hub integration exposes
output 1 (the EV wallbox) as "Output 1 current" (A). That number is a charger load's setpoint
and the hub's main-meter power is the house power: under a tight limit load management lowers
the current over the hub link, and raises it again when the limit is lifted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Generator
from datetime import timedelta
from pathlib import Path

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigSubentryDataWithId
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.balance.const import DOMAIN
from custom_components.balance.load_management.const import KIND_LOAD_MANAGEMENT
from tests.integration.test_e2e_sim import (
    EV_CURRENT,
    FIRMWARE,
    MICROPYTHON,
    POWER,
    _running_sim,
    _value,
)

pytestmark = pytest.mark.skipif(
    not (FIRMWARE / "boards" / "sim.py").exists() or not Path(MICROPYTHON).exists(),
    reason="MicroPython sim board not available",
)

VOLTS = 230.0


@pytest.fixture
def sim_port(unused_tcp_port: int, tmp_path: Path) -> Generator[int]:
    """The sim board listening on 127.0.0.1."""
    command = [MICROPYTHON, "-m", "boards.sim", "--tcp", f"127.0.0.1:{unused_tcp_port}"]
    with _running_sim(command, tmp_path):
        yield unused_tcp_port


async def run_until(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    check: Callable[[], bool],
    step_s: float = 0.5,
    real_s: float = 30.0,
) -> None:
    """Let real frames cross the socket while HA's frozen clock moves `step_s` per 20 ms
    (timers fire on the way), until `check` holds."""
    for _ in range(int(real_s / 0.02)):  # the frozen clock also freezes time.monotonic
        if check():
            return
        await asyncio.get_running_loop().run_in_executor(None, time.sleep, 0.02)
        freezer.tick(timedelta(seconds=step_s))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    pytest.fail("condition not reached")


def hub_charger() -> ConfigSubentryDataWithId:
    """The hub's output 1 as a 6-32 A single-phase charger, no switch of its own (0 A pauses
    it), 10 kWh by 07:00."""
    return ConfigSubentryDataWithId(
        data={
            "setpoint_entity": EV_CURRENT,
            "setpoint_unit": "A",
            "switch_entity": None,
            "phases": "1",
            "voltage": VOLTS,
            "min_current_a": 6,
            "max_current_a": 32,
            "priority": "green",
            "exceed_soft": False,
            "min_on_min": 1,
            "energy_kwh": 10,
            "departure_time": "07:00:00",
        },
        subentry_id="load_hub_wallbox",
        subentry_type="charger",
        title="Hub wallbox",
        unique_id=None,
    )


async def test_load_management_lowers_and_raises_the_hub_current(
    hass: HomeAssistant, sim_port: int, freeze: FrozenDateTimeFactory
) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "network"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: sim_port}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    await run_until(hass, freeze, lambda: _value(hass, EV_CURRENT) == 32)
    await run_until(hass, freeze, lambda: (_value(hass, POWER) or 0) > 5000)  # at 7.4 kW

    entry = MockConfigEntry(
        domain=DOMAIN,
        entry_id="load_management",
        title="Load management",
        data={"kind": KIND_LOAD_MANAGEMENT},
        options={
            "power_entity": POWER,
            "limit_w": 4000,
            "hard_limit_w": 9000,
            "reaction_s": 10,
            "sensor_timeout_s": 60,
        },
        subentries_data=[hub_charger()],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await run_until(hass, freeze, lambda: (_value(hass, EV_CURRENT) or 32) < 32)
    lowered = _value(hass, EV_CURRENT)
    assert lowered is not None and 6 <= lowered <= (4000 - 500) // VOLTS  # reduced, not cut
    await run_until(hass, freeze, lambda: (_value(hass, POWER) or 1e9) < 4000 + 300)
    assert hass.states.get("sensor.hub_wallbox_state").state == "reduced"

    await hass.services.async_call(
        DOMAIN, "set_limit", {"config_entry_id": entry.entry_id, "watts": 9000}, blocking=True
    )
    await hass.async_block_till_done()
    # raised in rate-limited steps (one per 30 s at most) once the recent peaks allow it
    await run_until(hass, freeze, lambda: (_value(hass, EV_CURRENT) or 0) >= lowered + 6)
    await run_until(hass, freeze, lambda: (_value(hass, POWER) or 0) > 4000 + 500)
    assert await hass.config_entries.async_unload(entry.entry_id)
