"""Hourly long-term statistics of cloud meters, on the real recorder.

The server only gives each meter's current register, so the rows come from successive polls
(the clock is moved between them): the last reading of an hour is its row, a gap's
consumption lands in the first hour after it, and a restart or a repeated poll writes nothing
twice.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.statistics import get_metadata, statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (  # type: ignore[import-untyped]
    async_wait_recording_done,
)

from custom_components.balance.cloud.api import Resource
from custom_components.balance.cloud.resources import RESOURCES
from custom_components.balance.cloud.statistics import Row, account_hash, next_rows, statistic_id

from .fake_server import FakeBalanceServer

DAY = datetime(2026, 11, 20, tzinfo=UTC)
POWER = "00A1B2C3"


def _power_id(entry: MockConfigEntry) -> str:
    coordinator = entry.runtime_data
    meter = coordinator.data[f"1042_{POWER}"]
    return statistic_id(str(entry.unique_id), meter, RESOURCES[Resource.ELECTRICITY])


async def _rows(hass: HomeAssistant, stat_id: str) -> list[tuple[int, float, float]]:
    await async_wait_recording_done(hass)
    found = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        DAY - timedelta(days=1),
        None,
        {stat_id},
        "hour",
        None,
        {"state", "sum"},
    )
    return [
        (
            datetime.fromtimestamp(row["start"], UTC).hour,
            round(row["state"] or 0.0, 3),
            round(row["sum"] or 0.0, 3),
        )
        for row in found.get(stat_id, [])
    ]


async def _poll_at(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    server: FakeBalanceServer,
    freezer: FrozenDateTimeFactory,
    *,
    at: tuple[int, int],
    total: float,
) -> None:
    hour, minute = at
    freezer.move_to(DAY + timedelta(hours=hour, minutes=minute))
    server.set_total(POWER, total)
    await entry.runtime_data.async_refresh()
    await hass.async_block_till_done()


async def test_rows_from_successive_readings_survive_restarts(
    hass: HomeAssistant,
    server: FakeBalanceServer,
    cloud_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Baseline, hourly sums, a gap while HA was off, restarts and a replaced meter."""
    freezer.move_to(DAY + timedelta(hours=10, minutes=5))
    server.set_total(POWER, 100.0)
    cloud_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(cloud_entry.entry_id)
    await hass.async_block_till_done()
    stat_id = _power_id(cloud_entry)
    assert await _rows(hass, stat_id) == [(10, 100.0, 0.0)]  # the baseline

    # Still the baseline hour, then two readings of the next hour: the last one is its row.
    await _poll_at(hass, cloud_entry, server, freezer, at=(10, 40), total=100.4)
    await _poll_at(hass, cloud_entry, server, freezer, at=(11, 10), total=101.5)
    await _poll_at(hass, cloud_entry, server, freezer, at=(11, 50), total=102.0)
    assert await _rows(hass, stat_id) == [(10, 100.4, 0.0), (11, 102.0, 1.6)]

    # Home Assistant off from 12:00 to 15:00: the gap's consumption is in the 15:00 row.
    assert await hass.config_entries.async_unload(cloud_entry.entry_id)
    freezer.move_to(DAY + timedelta(hours=15, minutes=20))
    server.set_total(POWER, 106.0)
    assert await hass.config_entries.async_setup(cloud_entry.entry_id)
    await hass.async_block_till_done()
    assert (await _rows(hass, stat_id))[-1] == (15, 106.0, 5.6)

    # A restart in the same hour re-reads the same register: nothing is counted twice.
    assert await hass.config_entries.async_reload(cloud_entry.entry_id)
    await hass.async_block_till_done()
    await _poll_at(hass, cloud_entry, server, freezer, at=(15, 30), total=106.0)
    assert (await _rows(hass, stat_id))[-1] == (15, 106.0, 5.6)
    # ... and a later reading of that hour continues from the row before it (from the recorder).
    await _poll_at(hass, cloud_entry, server, freezer, at=(15, 45), total=106.5)
    assert (await _rows(hass, stat_id))[-1] == (15, 106.5, 6.1)

    # A replaced meter starts low: no negative consumption, counting goes on from there.
    await _poll_at(hass, cloud_entry, server, freezer, at=(16, 10), total=3.0)
    await _poll_at(hass, cloud_entry, server, freezer, at=(17, 5), total=4.25)
    assert await _rows(hass, stat_id) == [
        (10, 100.4, 0.0),
        (11, 102.0, 1.6),
        (15, 106.5, 6.1),
        (16, 3.0, 6.1),
        (17, 4.25, 7.35),
    ]


async def test_every_resource_has_its_statistic(
    hass: HomeAssistant,
    server: FakeBalanceServer,
    cloud_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """One external statistic per meter, in the meter's unit, with a sum for the dashboard."""
    freezer.move_to(DAY + timedelta(hours=8, minutes=1))
    cloud_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(cloud_entry.entry_id)
    await async_wait_recording_done(hass)
    metadata = await get_instance(hass).async_add_executor_job(
        lambda: get_metadata(hass, statistic_source="balance")
    )
    found: dict[str, Any] = {
        stat_id: (meta["unit_of_measurement"], meta["has_sum"], meta["name"])
        for stat_id, (_, meta) in metadata.items()
    }
    prefix = f"balance:cloud_{account_hash(str(cloud_entry.unique_id))}"
    assert found == {
        f"{prefix}_1042_00a1b2c3_energy": ("kWh", True, "Apartament 12 energie"),
        f"{prefix}_1042_w_778_water": ("m³", True, "1042_W-778"),
        f"{prefix}_1043_g_17_gas": ("m³", True, "1043_G-17"),
        f"{prefix}_1043_h_9_heat": ("Gcal", True, "1043_H-9"),
    }
    assert not any("ana" in stat_id for stat_id in found)  # no username in statistic ids


def test_next_rows() -> None:
    """The row arithmetic: baseline, same hour, next hour, a drop."""
    base, row = next_rows(None, None, 3600 * 5 + 10, 10.0)
    assert (base, row) == (Row(18000, 10.0, 0.0), None)
    same = next_rows(base, None, 3600 * 5 + 3000, 11.0)
    assert same == (Row(18000, 11.0, 0.0), None)
    later = next_rows(same[0], None, 3600 * 7, 13.0)
    assert later == (Row(25200, 13.0, 2.0), same[0])
    again = next_rows(*later, 3600 * 7 + 60, 14.0)
    assert again == (Row(25200, 14.0, 3.0), same[0])
    drop = next_rows(again[0], again[1], 3600 * 8, 1.0)
    assert drop == (Row(28800, 1.0, 3.0), again[0])
    # At most 43.5 kWh an hour: from the 08:00 row to a reading in the 10:00 hour is at most
    # 3 hours, 130.5 kWh.
    fast = next_rows(drop[0], None, 3600 * 10, 131.6, 43.5)
    assert fast == (Row(36000, 131.6, 3.0), drop[0])
    allowed = next_rows(drop[0], None, 3600 * 10, 131.5, 43.5)
    assert allowed[0].sum == 133.5


async def test_server_glitch_is_not_consumption(
    hass: HomeAssistant,
    server: FakeBalanceServer,
    cloud_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A register far above what the meter can do, then back: the sum never takes the jump."""
    freezer.move_to(DAY + timedelta(hours=10, minutes=5))
    server.set_total(POWER, 100.0)
    cloud_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(cloud_entry.entry_id)
    await hass.async_block_till_done()
    stat_id = _power_id(cloud_entry)
    await _poll_at(hass, cloud_entry, server, freezer, at=(11, 5), total=101.0)
    await _poll_at(hass, cloud_entry, server, freezer, at=(12, 5), total=1e9)
    await _poll_at(hass, cloud_entry, server, freezer, at=(13, 5), total=102.0)
    await _poll_at(hass, cloud_entry, server, freezer, at=(14, 5), total=103.5)
    assert [row[2] for row in await _rows(hass, stat_id)] == [0.0, 1.0, 1.0, 1.0, 2.5]
