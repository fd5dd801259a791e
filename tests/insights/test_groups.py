"""BALANCE groups on the real recorder: balances, losses, late children, DST, statistics."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.json import json_dumps
from homeassistant.helpers.recorder import get_instance
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (  # type: ignore[import-untyped]
    async_wait_recording_done,
)

from custom_components.balance.const import DOMAIN
from custom_components.balance.diagnostics import async_get_config_entry_diagnostics
from custom_components.balance.insights import async_remove_config_entry_device
from custom_components.balance.insights.group_compute import GroupAnalysis
from custom_components.balance.insights.runtime import losses_statistic_id

from .conftest import (
    group_subentry,
    import_hourly,
    meter_subentry,
    set_meter,
    set_time_zone,
    setup_insights,
)

# The day after the spring DST change: yesterday (29 March 2026) had 23 hours in Bucharest.
NOW = datetime(2026, 3, 30, 10, 30, tzinfo=UTC)
FIRST = datetime(2026, 3, 24, 22, tzinfo=UTC)  # local midnight starting 25 March
HOURS = int((NOW.replace(minute=0) - FIRST).total_seconds() // 3600)
LATE = 100  # flat 3 has not reported its last 100 hours (beyond the usual 72-hour re-read)
FLATS = {"sensor.flat_1": 1.0, "sensor.flat_2": 2.0, "sensor.flat_3": 3.0}
PARENT = 6.6  # 0.6 kWh of losses every hour


async def _losses_rows(hass: HomeAssistant, group_id: str) -> list[dict[str, Any]]:
    statistic_id = losses_statistic_id(group_id)
    await async_wait_recording_done(hass)
    found = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        FIRST - timedelta(days=1),
        None,
        {statistic_id},
        "hour",
        None,
        {"state", "sum"},
    )
    return list(found.get(statistic_id, []))


async def test_losses_late_child_and_dst(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Provisional losses until the late child reports; then exact for the 23-hour day."""
    await set_time_zone(hass)
    freezer.move_to(NOW)
    threads: set[int] = set()
    update = GroupAnalysis.update

    def in_thread(self: GroupAnalysis, *args: Any) -> Any:
        threads.add(threading.get_ident())
        return update(self, *args)

    monkeypatch.setattr(GroupAnalysis, "update", in_thread)
    await import_hourly(hass, "sensor.building", FIRST, [PARENT] * HOURS)
    for entity_id, value in FLATS.items():
        late = entity_id == "sensor.flat_3"
        await import_hourly(
            hass,
            entity_id,
            FIRST,
            [value] * (HOURS - LATE) + [None] * LATE * late if late else [value] * HOURS,
        )
        set_meter(hass, entity_id, 100.0)
    set_meter(hass, "sensor.building", 1000.0)
    entry = await setup_insights(
        hass,
        [
            group_subentry("block", "sensor.building", FLATS, expected_loss_pct=5),
            meter_subentry("flat_1", "sensor.flat_1", "electricity"),
        ],
    )
    assert threads and hass.loop_thread_id not in threads  # the analysis ran in the executor

    losses = hass.states.get("sensor.block_losses_yesterday")
    assert losses.attributes["day"] == "2026-03-29"
    assert losses.attributes["hours"] == 23
    assert losses.attributes["complete"] is False
    assert losses.attributes["missing"] == ["sensor.flat_3"]
    assert float(losses.state) == pytest.approx(23 * (PARENT - 3.0))  # flat 3 missed all of it
    assert hass.states.get("sensor.block_hourly_balance").attributes["complete"] is False

    # the hub's backfill brings flat 3's missing hours; the next refresh recomputes them
    await import_hourly(
        hass,
        "sensor.flat_3",
        FIRST + timedelta(hours=HOURS - LATE),
        [3.0] * LATE,
        base_sum=3.0 * (HOURS - LATE),
    )
    freezer.move_to(NOW.replace(hour=11, minute=5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    losses = hass.states.get("sensor.block_losses_yesterday")
    assert losses.attributes["complete"] is True
    assert losses.attributes["missing"] == []
    assert float(losses.state) == pytest.approx(23 * 0.6)
    assert float(hass.states.get("sensor.block_loss_rate_yesterday").state) == pytest.approx(
        0.6 / PARENT * 100, abs=0.01
    )
    assert float(hass.states.get("sensor.block_untracked_yesterday").state) == pytest.approx(
        23 * (0.6 - 0.05 * PARENT)
    )
    shares = losses.attributes["shares"]
    assert shares["sensor.flat_3"]["share_pct"] == pytest.approx(50.0)
    assert shares["sensor.flat_1"]["losses"] == pytest.approx(23 * 0.6 / 6, abs=1e-3)
    hourly = hass.states.get("sensor.block_hourly_balance")
    assert float(hourly.state) == pytest.approx(0.6)
    assert hourly.attributes["complete"] is True
    assert float(hass.states.get("sensor.flat_1_efficiency_ratio").state) == pytest.approx(50.0)

    rows = await _losses_rows(hass, "block")
    assert len(rows) == HOURS  # one row per UTC hour, none doubled or skipped by DST
    assert [row["state"] for row in rows] == pytest.approx([0.6] * HOURS)  # rewritten
    assert rows[-1]["sum"] == pytest.approx(0.6 * HOURS)
    day = [
        row
        for row in rows
        if datetime(2026, 3, 28, 22, tzinfo=UTC).timestamp()
        <= row["start"]
        < datetime(2026, 3, 29, 21, tzinfo=UTC).timestamp()
    ]
    assert len(day) == 23
    assert entry.runtime_data.group_reports["block"].daily.hours == 23


async def test_suspects_and_phase_balancing(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A flat missing 30 % of its consumption is ranked first; a phase plan is recommended."""
    await set_time_zone(hass)
    freezer.move_to(NOW)
    rng = np.random.default_rng(7)
    hours = 10 * 24
    start = NOW.replace(minute=0) - timedelta(hours=hours)
    flats = [f"sensor.flat_{i}" for i in range(8)]
    true = rng.gamma(2.0, 0.25, size=(len(flats), hours)) * (
        1 + 0.8 * np.sin(np.arange(hours) * 2 * np.pi / 24 + rng.uniform(0, 6, (len(flats), 1)))
    ).clip(0.1)
    metered = true.copy()
    metered[2] *= 0.7  # a bypass: 30 % of flat 2 is not metered
    parent = true.sum(axis=0) * 1.02 + 0.3  # copper losses and the stair lights
    await import_hourly(hass, "sensor.building", start, [round(v, 4) for v in parent])
    for index, entity_id in enumerate(flats):
        await import_hourly(hass, entity_id, start, [round(v, 4) for v in metered[index]])
        set_meter(hass, entity_id, 100.0)
    set_meter(hass, "sensor.building", 1000.0)
    phases = dict.fromkeys(flats, 0) | {flats[7]: 1}
    await setup_insights(
        hass,
        [group_subentry("block", "sensor.building", flats, three_phase=True, phases=phases)],
    )
    suspects = hass.states.get("sensor.block_suspected_meters")
    assert suspects.state == "1"
    ranking = suspects.attributes["ranking"]
    assert ranking[0]["meter"] == "sensor.flat_2"
    assert ranking[0]["suspected"] is True
    assert ranking[0]["confidence"] >= 0.99
    assert 20 <= ranking[0]["missing_fraction_pct"] <= 40
    assert "never proof" in suspects.attributes["note"]

    plan = hass.states.get("sensor.block_phase_balancing")
    assert float(plan.state) > 30  # 7 of 8 flats on L1: moving two helps a lot
    assert plan.attributes["current"]["sensor.flat_0"] == "L1"
    assert 1 <= len(plan.attributes["moves"]) <= 2  # at most 20 % of the flats
    assert plan.attributes["losses_after_kwh"] < plan.attributes["losses_before_kwh"]
    assert plan.attributes["analysed_hours"] == hours


async def test_diagnostics_unload_and_removed_group(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Diagnostics show the group; a removed group's device goes; unloading stops everything."""
    await set_time_zone(hass)
    freezer.move_to(NOW)
    await import_hourly(hass, "sensor.building", FIRST, [PARENT] * HOURS)
    for entity_id, value in FLATS.items():
        await import_hourly(hass, entity_id, FIRST, [value] * HOURS)
        set_meter(hass, entity_id, 100.0)
    set_meter(hass, "sensor.building", 1000.0)
    entry = await setup_insights(hass, [group_subentry("block", "sensor.building", FLATS)])
    diagnostics = json.loads(json_dumps(await async_get_config_entry_diagnostics(hass, entry)))
    group = diagnostics["groups"]["block"]
    assert group["report"]["daily_complete"] is True
    assert group["report"]["daily_losses"] == pytest.approx(23 * 0.6)
    assert group["settings"]["children"] == list(FLATS)

    devices = dr.async_get(hass)
    device = devices.async_get_device(identifiers={(DOMAIN, "insights-block")})
    assert device is not None
    assert not await async_remove_config_entry_device(hass, entry, device)  # still configured
    assert hass.config_entries.async_remove_subentry(entry, "block")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert devices.async_get_device(identifiers={(DOMAIN, "insights-block")}) is None
    assert hass.states.get("sensor.block_losses_yesterday") is None

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
