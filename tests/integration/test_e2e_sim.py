"""End to end: Home Assistant against the real hub firmware (sim board) under MicroPython.

The sim board runs hub_firmware/boards/sim.py on the MicroPython unix port with the default
household, started at the scenario's first minute, when the 7.4 kW EV wallbox is charging.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from homeassistant.components.number import ATTR_VALUE, SERVICE_SET_VALUE
from homeassistant.components.number import DOMAIN as NUMBER_DOMAIN
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState, ConfigFlowResult
from homeassistant.const import (
    ATTR_ENTITY_ID,
    CONF_DEVICE,
    CONF_HOST,
    CONF_PORT,
    SERVICE_TURN_OFF,
    STATE_OFF,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError

from custom_components.balance.const import DOMAIN

from .conftest import eventually

ROOT = Path(__file__).resolve().parents[2]
FIRMWARE = ROOT / "hub_firmware"
MICROPYTHON = shutil.which("micropython") or str(ROOT / ".venv" / "bin" / "micropython")
SCENARIO_START = 1_768_168_800  # 2026-01-12 00:00 +02:00, the EV is charging until 00:45
ENERGY = "sensor.balance_hub_j100uc_sim_0001_energy_1"
POWER = "sensor.balance_hub_j100uc_sim_0001_power_1"
EV_OUTPUT = "switch.balance_hub_j100uc_sim_0001_output_1"  # output 0 supplies the EV wallbox
EV_CURRENT = "number.balance_hub_j100uc_sim_0001_output_1_current"

pytestmark = pytest.mark.skipif(
    not (FIRMWARE / "boards" / "sim.py").exists() or not Path(MICROPYTHON).exists(),
    reason="MicroPython sim board not available",
)


SIM_OPTIONS = (
    *("--scenario", str(FIRMWARE / "sim" / "scenarios" / "default.json")),
    *("--start-time", str(SCENARIO_START), "--speed", "10", "--push-interval", "0.5"),
)


@contextmanager
def _running_sim(command: list[str], tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Start a sim board command, wait for its ready line, and stop it afterwards."""
    log = tmp_path / "sim.log"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [*command, *SIM_OPTIONS, "--state-dir", str(tmp_path / "state")],
            cwd=FIRMWARE,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
    try:
        deadline = time.monotonic() + 20
        while "ready" not in log.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"sim board did not start: {log.read_text()}")
            time.sleep(0.05)
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def sim_port(unused_tcp_port: int, tmp_path: Path) -> Generator[int]:
    """The sim board listening on 127.0.0.1."""
    command = [MICROPYTHON, "-m", "boards.sim", "--tcp", f"127.0.0.1:{unused_tcp_port}"]
    with _running_sim(command, tmp_path):
        yield unused_tcp_port


@pytest.fixture
def sim_serial(tmp_path: Path) -> Generator[str]:
    """The sim board behind scripts/sim_hub.py: its serial link on a real pty."""
    with _running_sim([sys.executable, str(ROOT / "scripts" / "sim_hub.py")], tmp_path) as proc:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()


def _value(hass: HomeAssistant, entity_id: str) -> float | None:
    state = hass.states.get(entity_id)
    if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return None
    return float(state.state)


async def test_sim_household_end_to_end(hass: HomeAssistant, sim_port: int) -> None:
    """Over TCP: set up through the flow; pulses move the total; the contactor cuts the EV."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "network"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: sim_port}
    )
    await _exercise_household(hass, result)


async def test_sim_ev_current_setpoint(hass: HomeAssistant, sim_port: int) -> None:
    """A 10 A setpoint from HA's number brings the wallbox down to about 2.3 kW; 0 pauses it."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "network"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: sim_port}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    await eventually(lambda: _value(hass, EV_CURRENT) == 32, hass)  # no limit set yet
    await eventually(lambda: (_value(hass, POWER) or 0) > 5000, hass)

    async def settle_at(amps: int, below_w: float) -> float:
        await hass.services.async_call(
            NUMBER_DOMAIN,
            SERVICE_SET_VALUE,
            {ATTR_ENTITY_ID: EV_CURRENT, ATTR_VALUE: amps},
            blocking=True,
        )
        assert _value(hass, EV_CURRENT) == amps  # the acknowledged setpoint
        await eventually(lambda: (_value(hass, POWER) or 1e9) < below_w, hass)
        for _ in range(3):  # let the meter's rate settle at the new load
            energy = (_value(hass, ENERGY) or 0) + 0.005
            await eventually(lambda e=energy: (_value(hass, ENERGY) or 0) > e, hass)
        return _value(hass, POWER) or 0

    at_10a = await settle_at(10, 5000)
    paused = await settle_at(0, at_10a - 1500)
    # 10 A x 230 V = 2.3 kW; the rest of the household (fridge, boiler...) moves the house's
    # reading by up to about 700 W between the two readings; 6 A (1.4 kW) or 16 A (3.7 kW) fail.
    assert 1550 < at_10a - paused < 3050
    with pytest.raises(ServiceValidationError) as err:  # a charger cannot run below 6 A
        await hass.services.async_call(
            NUMBER_DOMAIN,
            SERVICE_SET_VALUE,
            {ATTR_ENTITY_ID: EV_CURRENT, ATTR_VALUE: 3},
            blocking=True,
        )
    assert err.value.translation_key == "current_below_minimum"
    assert _value(hass, EV_CURRENT) == 0
    assert await hass.config_entries.async_unload(result["result"].entry_id)


async def test_sim_household_over_serial(hass: HomeAssistant, sim_serial: str) -> None:
    """The same over the hub's serial link, on a real pseudo-terminal."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "serial"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DEVICE: sim_serial}
    )
    await _exercise_household(hass, result)


async def _exercise_household(hass: HomeAssistant, result: ConfigFlowResult) -> None:
    """Pulses of the sim household reach HA; opening the EV's contactor removes its load."""
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.unique_id == "J100UC-SIM-0001"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED

    # Pulses of the household's main meter reach the energy total.
    await eventually(lambda: _value(hass, ENERGY) is not None, hass)
    first = _value(hass, ENERGY)
    await eventually(lambda: (_value(hass, ENERGY) or 0) > (first or 0), hass)
    # The EV wallbox is charging: the main meter shows well over 5 kW.
    await eventually(lambda: (_value(hass, POWER) or 0) > 5000, hass)

    # Opening the EV's contactor from Home Assistant cuts the appliance in the household.
    await hass.services.async_call(
        SWITCH_DOMAIN, SERVICE_TURN_OFF, {ATTR_ENTITY_ID: EV_OUTPUT}, blocking=True
    )
    assert hass.states.get(EV_OUTPUT).state == STATE_OFF
    await eventually(lambda: (_value(hass, POWER) or 1e9) < 4000, hass)
    before = _value(hass, ENERGY)
    await eventually(lambda: (_value(hass, ENERGY) or 0) > (before or 0), hass)
    assert hass.states.get(EV_OUTPUT).state == STATE_OFF

    assert await hass.config_entries.async_unload(entry.entry_id)
