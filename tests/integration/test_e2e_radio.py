"""End to end over the radio: Home Assistant switches a load behind a radio node's AD220.

The sim board (hub_firmware/boards/sim.py) runs the radio scenario under MicroPython: the EV
wallbox hangs on the AD220 output of radio node 1005, three relays away from the hub, each node
running the node firmware (hub_firmware/node) on a fake CC1101 in the simulated air. The switch
HA creates from NODE_INFO sends OUTPUT_SET; the hub sends an authenticated air command through
the relays, the node opens its contactor and acknowledges, the household loses the 7.4 kW load.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Generator
from pathlib import Path

import pytest
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import (
    ATTR_ENTITY_ID,
    CONF_HOST,
    CONF_PORT,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.balance.const import DOMAIN
from custom_components.balance.hub.messages import OutputResult

from .conftest import eventually
from .hub_peer import HubPeer

ROOT = Path(__file__).resolve().parents[2]
FIRMWARE = ROOT / "hub_firmware"
MICROPYTHON = shutil.which("micropython") or str(ROOT / ".venv" / "bin" / "micropython")
SCENARIO_START = 1_768_168_800  # 2026-01-12 00:00 +02:00, the EV is charging until 00:45
HUB_ID = "J100UC-SIM-0001"
AD220_NODE = 1005
POWER = "sensor.balance_hub_j100uc_sim_0001_power_1"

pytestmark = pytest.mark.skipif(
    not (FIRMWARE / "boards" / "sim.py").exists() or not Path(MICROPYTHON).exists(),
    reason="MicroPython sim board not available",
)


@pytest.fixture
def radio_sim_port(unused_tcp_port: int, tmp_path: Path) -> Generator[int]:
    """The sim board with the radio scenario, listening on 127.0.0.1."""
    log = tmp_path / "sim.log"
    command = [
        MICROPYTHON,
        *("-m", "boards.sim", "--tcp", f"127.0.0.1:{unused_tcp_port}"),
        *("--scenario", str(FIRMWARE / "sim" / "scenarios" / "radio.json")),
        *("--start-time", str(SCENARIO_START), "--speed", "10", "--push-interval", "0.5"),
        *("--state-dir", str(tmp_path / "state")),
    ]
    with log.open("w") as err:
        proc = subprocess.Popen(command, cwd=FIRMWARE, stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + 20
        while "ready" not in log.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"sim board did not start: {log.read_text()}")
            time.sleep(0.05)
        yield unused_tcp_port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _value(hass: HomeAssistant, entity_id: str) -> float | None:
    state = hass.states.get(entity_id)
    if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return None
    return float(state.state)


def _ad220_switch(hass: HomeAssistant) -> str | None:
    unique_id = f"{HUB_ID}-{AD220_NODE}-output-0"
    return er.async_get(hass).async_get_entity_id(SWITCH_DOMAIN, DOMAIN, unique_id)


async def _switch(hass: HomeAssistant, service: str, entity_id: str) -> None:
    await hass.services.async_call(
        SWITCH_DOMAIN, service, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


async def test_radio_node_output_cuts_the_appliance(
    hass: HomeAssistant, radio_sim_port: int
) -> None:
    """The AD220 switch appears through NODE_INFO, and opening it cuts the 7.4 kW wallbox."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "network"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_HOST: "127.0.0.1", CONF_PORT: radio_sim_port}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()

    await eventually(lambda: _ad220_switch(hass) is not None, hass)
    switch = _ad220_switch(hass)
    assert switch is not None
    await eventually(lambda: hass.states.get(switch).state == STATE_ON, hass)  # safe state
    await eventually(lambda: (_value(hass, POWER) or 0) > 5000, hass)  # the EV is charging

    await _switch(hass, SERVICE_TURN_OFF, switch)  # acknowledged by the node, 3 relays away
    assert hass.states.get(switch).state == STATE_OFF
    await eventually(lambda: (_value(hass, POWER) or 1e9) < 4000, hass)

    await _switch(hass, SERVICE_TURN_ON, switch)
    assert hass.states.get(switch).state == STATE_ON
    await eventually(lambda: (_value(hass, POWER) or 0) > 5000, hass)
    assert await hass.config_entries.async_unload(result["result"].entry_id)


async def test_unacknowledged_air_command_is_a_translated_error(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """OUTPUT_ACK result 4 (the node never confirmed): an error naming it, state unchanged."""
    node_output = "switch.d100fc_00001001_output_1"
    before = hass.states.get(node_output).state
    peer.state.output_result = OutputResult.NOT_ACKNOWLEDGED
    with pytest.raises(HomeAssistantError) as err:
        await _switch(hass, SERVICE_TURN_OFF, node_output)
    assert err.value.translation_key == "output_refused"
    assert err.value.translation_placeholders == {"result": "not_acknowledged"}
    assert hass.states.get(node_output).state == before
