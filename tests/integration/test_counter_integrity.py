"""Implausible counters and hub power cuts, through Home Assistant (issue 13, items 6 and 7)."""

from __future__ import annotations

import asyncio
import itertools
import random
from pathlib import Path

import pytest
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.balance.const import (
    CONF_CHANNEL,
    CONF_CHANNELS,
    CONF_CONNECTION,
    CONF_MAX_RATE,
    CONF_MEDIUM,
    CONF_PULSE_CONSTANT,
    CONF_REGISTER,
    CONNECTION_TCP,
    DOMAIN,
)
from custom_components.balance.hub.messages import BootCount, ChannelReading, Counters
from custom_components.balance.metering import ChannelTotal
from tests.firmware.simhub import free_port
from tests.integrity.powercut import ELECTRICITY, PowerCutHub, Run, counted, loss_bound

from .conftest import eventually, settle
from .hub_peer import HUB_ID, HubPeer

ENERGY = "sensor.balance_hub_bh_00a1b2_energy_1"
ISSUE = f"implausible_counter_{HUB_ID}_0_1"
HA_CUTS = 3


def _energy(hass: HomeAssistant) -> float:
    return float(hass.states.get(ENERGY).state)


def _total(entry: MockConfigEntry, channel: int = 1) -> ChannelTotal:
    total: ChannelTotal = entry.runtime_data.coordinator.nodes[0].channels[channel].total
    return total


async def _report(hass: HomeAssistant, peer: HubPeer, count: int, epoch: int = 1) -> None:
    peer.state.epoch = epoch
    peer.set_count(0, 1, count)
    await settle(hass)


async def test_a_jump_beyond_the_meter_is_held_back_and_flagged(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """One report adding 2,147,483 kWh: not counted, repair issue and attribute; the next
    report continuing from the old value discards it."""
    registry = ir.async_get(hass)
    await _report(hass, peer, 1000)
    await _report(hass, peer, 1000 + (1 << 31) - 1)
    assert _energy(hass) == 1.0
    issue = registry.async_get_issue(DOMAIN, ISSUE)
    assert issue is not None and issue.translation_key == "counter_implausible"
    assert issue.translation_placeholders["step"] == "2147483.647 kWh"
    held = hass.states.get(ENERGY).attributes["implausible_report"]
    assert (held["reason"], held["confirmed"]) == ("rate", False)
    await _report(hass, peer, 1100)
    assert _energy(hass) == 1.1
    assert registry.async_get_issue(DOMAIN, ISSUE) is None
    assert "implausible_report" not in hass.states.get(ENERGY).attributes


async def test_epoch_flapping_adds_nothing(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """Alternating epochs 1/2 (8.6 million kWh after 8 reports before): at most the physical
    maximum; returning to a left epoch raises the flapping issue."""
    await _report(hass, peer, 1000)
    for i in range(8):
        await _report(hass, peer, (1 << 30) + i, epoch=2 + i % 2)
    assert _energy(hass) < 2.5
    await _report(hass, peer, 1100, epoch=1)
    await _report(hass, peer, 100, epoch=4)  # a real restart from zero: counted
    await _report(hass, peer, 1150, epoch=1)  # back to the epoch it left
    issue = ir.async_get(hass).async_get_issue(DOMAIN, ISSUE)
    assert issue is not None and issue.translation_key == "counter_epoch_flapping"
    assert _energy(hass) == pytest.approx(1.2)  # 1.45 kWh in a moment is the most allowed


async def test_a_confirmed_jump_is_not_counted_until_the_resident_calibrates(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """Reports continuing from the jump confirm the position (only later pulses count); the
    meter reading entered in the options clears the issue."""
    registry = ir.async_get(hass)
    await _report(hass, peer, 1000)
    for count in (900_000_000, 900_000_050, 900_000_120):
        await _report(hass, peer, count)
    assert _energy(hass) == pytest.approx(1.12)
    assert hass.states.get(ENERGY).attributes["implausible_report"]["confirmed"] is True
    assert registry.async_get_issue(DOMAIN, ISSUE) is not None
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_CHANNEL: "0:1"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_MEDIUM: "electricity", CONF_PULSE_CONSTANT: 1000, CONF_REGISTER: 900_001},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await settle(hass)
    assert registry.async_get_issue(DOMAIN, ISSUE) is None
    assert _energy(hass) == pytest.approx(900_001)


async def test_power_cut_rollback_is_an_offset(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """A hub resuming below its last report (new boot): nothing seen is lost or re-counted."""
    seq = iter(range(100, 200))

    async def report(count: int, boot: int, resumed: int) -> None:
        readings = (ChannelReading(1, count, 0, 0),)
        peer.push(Counters(0, 1, next(seq), 1, readings, boot, (BootCount(1, resumed),)))
        await settle(hass)

    await report(100, 1, 0)
    await report(130, 1, 0)
    await report(125, 2, 120)  # flushed at 120, 5 pulses since the restart
    assert _energy(hass) == pytest.approx(0.135)
    await report(140, 2, 120)
    assert _energy(hass) == pytest.approx(0.15)
    await report(130, 1, 0)  # late report of the boot left
    assert _energy(hass) == pytest.approx(0.15)


async def test_the_maximum_is_configurable_per_channel(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, peer: HubPeer
) -> None:
    """A channel set to 1 kW holds back 0.1 kWh in a moment, which 43.5 kW would allow."""
    options = {CONF_MEDIUM: 1, CONF_PULSE_CONSTANT: 1000, CONF_MAX_RATE: 1.0}
    hass.config_entries.async_update_entry(loaded_entry, options={CONF_CHANNELS: {"0:1": options}})
    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await settle(hass)
    assert _total(loaded_entry).max_rate == 1.0
    await _report(hass, peer, 20)
    await _report(hass, peer, 120)
    assert _energy(hass) == pytest.approx(0.02)
    assert _total(loaded_entry).holding
    assert _total(loaded_entry, 2).max_rate == 10.0  # water keeps its default (m³/h)


def _rollbacks(runs: list[Run], reported: dict[int, dict[int, int]]) -> int:
    """Cuts after which the hub resumed below what Home Assistant had seen."""
    for run in runs:
        run.reported = reported.get(run.boot, {})
    return sum(
        1
        for run, after in itertools.pairwise(runs)
        if run.reported.get(ELECTRICITY, -1) > after.resumed[ELECTRICITY]
    )


async def test_random_power_cuts_of_the_real_firmware(hass: HomeAssistant, tmp_path: Path) -> None:
    """Issue 13.7 end to end: the sim hub (real MicroPython) killed at random moments while
    Home Assistant follows it over TCP; HA's total == what the hub counted, less at most the
    documented bound, and nothing is counted twice."""
    rng = random.Random(13_7)
    hub = PowerCutHub(tmp_path, free_port())
    await hass.async_add_executor_job(hub.power_on)
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="J100UC-SIM-0001",
        data={CONF_CONNECTION: CONNECTION_TCP, CONF_HOST: "127.0.0.1", CONF_PORT: hub.port},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await eventually(lambda: 0 in entry.runtime_data.coordinator.nodes, hass)
    await eventually(lambda: _total(entry, ELECTRICITY).count is not None, hass)
    reported: dict[int, dict[int, int]] = {}
    total = _total(entry, ELECTRICITY)
    cuts, rollbacks = 0, 0
    try:
        while True:
            await asyncio.sleep(rng.uniform(0.5, 2.0))
            await hass.async_add_executor_job(hub.power_cut)
            cuts += 1
            await settle(hass)  # what was on the way is applied
            assert total.boot is not None
            reported[total.boot] = {ELECTRICITY: total.count or 0}
            if cuts > HA_CUTS:  # enough cuts, and (a loaded machine boots slowly) a rollback
                runs = await hass.async_add_executor_job(hub.runs)
                rollbacks = _rollbacks(runs, reported)
                if rollbacks or cuts > 4 * HA_CUTS:
                    break
            await hass.async_add_executor_job(hub.power_on)
            await eventually(lambda b=cuts + 1: _total(entry, ELECTRICITY).boot == b, hass)
    finally:
        if hub.process is not None:
            await hass.async_add_executor_job(hub.power_cut)
        assert await hass.config_entries.async_unload(entry.entry_id)
    truth, bound = counted(runs, ELECTRICITY), loss_bound(runs, ELECTRICITY)
    print(f"HA: counted {truth}, booked {total.pulses}, bound {bound}, {rollbacks} rollbacks")
    assert rollbacks, "no cut rolled the count back below what Home Assistant had seen"
    assert total.flag is None
    assert total.pulses <= truth
    assert truth - total.pulses <= bound
    assert truth > 100
