"""Backfill of the hub's hourly archive into long-term statistics, on the real recorder.

The integration's HubClient fetches the archive over real TCP on 127.0.0.1 from the CPython test
hub (tests/integration/hub_peer.py, scripted archives: wraps, restarts, gaps) and from the real
hub firmware on MicroPython (the sim board fast-forwarded through three days).
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from homeassistant.components.recorder.core import Recorder
from homeassistant.components.recorder.statistics import (
    get_metadata,
    statistics_during_period,
)
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.components.recorder.common import (  # type: ignore[import-untyped]
    async_wait_recording_done,
)

from custom_components.balance.backfill import (
    HOUR,
    BackfillResult,
    ChannelSpec,
    async_backfill,
    statistic_id,
)
from custom_components.balance.const import DEFAULT_PULSE_CONSTANT, pulses_per_unit
from custom_components.balance.hub import HubClient
from custom_components.balance.hub.messages import (
    MISSING,
    ArchiveEnd,
    ArchiveRecords,
    ArchiveRequest,
    ArchiveValue,
    Medium,
)
from custom_components.balance.metering import ChannelTotal
from tests.firmware.mpy_run import MICROPYTHON
from tests.firmware.simhub import SimHub, free_port

from .hub_peer import HUB_ID, NODE_ID, HubPeer, _Link

ELECTRICITY = ChannelSpec(0, 1, Medium.ELECTRICITY, 1000.0, "Mains")
WATER = ChannelSpec(0, 2, Medium.WATER, 100.0, "Water")
GAS = ChannelSpec(NODE_ID, 1, Medium.GAS, 100.0, "Gas")
# Fixed hours in the past: HA "stops" at STOP and comes back at RESTART, three days later.
RESTART = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
STOP = RESTART - timedelta(days=3)
ARCHIVE_START = int((STOP - timedelta(days=2)).timestamp())
HOURS = 5 * 24 + 1


class ArchivePeer(HubPeer):
    """The test peer, with an epoch per archived hour and at most 480 values a frame."""

    def __init__(self) -> None:
        super().__init__()
        self.epochs_at: dict[tuple[int, int], dict[int, int]] = {}
        self.requests: list[ArchiveRequest] = []

    def _archive(self, link: _Link, req: ArchiveRequest) -> None:
        self.requests.append(req)
        hours = self.state.archive.get((req.node_id, req.channel), {})
        epochs = self.epochs_at.get((req.node_id, req.channel), {})
        runs: list[tuple[int, int, list[ArchiveValue]]] = []
        for at in range(req.start, req.end, HOUR):
            epoch = epochs.get(at, 1)
            if not runs or runs[-1][1] != epoch or len(runs[-1][2]) == 480:
                runs.append((at, epoch, []))
            runs[-1][2].append(ArchiveValue(hours.get(at, MISSING)))
        for start, epoch, values in runs:
            link.send(
                ArchiveRecords(req.req_id, req.node_id, req.channel, start, epoch, tuple(values))
            )
        link.send(ArchiveEnd(req.req_id, (req.end - req.start) // HOUR, 0))

    def fill(
        self,
        spec: ChannelSpec,
        per_hour: int,
        *,
        restart_at: int | None = None,
        missing: frozenset[int] = frozenset(),
    ) -> None:
        """Archive ``HOURS`` hours of a channel; a restart sets a new epoch and a low count."""
        key = (spec.node_id, spec.channel)
        counts, epochs = {}, {}
        count, epoch = (1 << 32) - 100 * per_hour, 1  # wraps at 2**32 after ~100 hours
        for index in range(HOURS):
            at = ARCHIVE_START + index * HOUR
            if at == restart_at:
                count, epoch = per_hour // 3, epoch + 1  # pulses before the restart are lost
            else:
                count = (count + per_hour + index % 7) % (1 << 32)
            if index not in missing:
                counts[at], epochs[at] = count, epoch
        self.state.archive[key] = counts
        self.epochs_at[key] = epochs


@pytest.fixture
async def peer(socket_enabled: None) -> AsyncGenerator[ArchivePeer]:
    """A hub on 127.0.0.1 with three channels archived."""
    hub = ArchivePeer()
    hub.fill(ELECTRICITY, 750)
    hub.fill(WATER, 40, missing=frozenset({80, 81, 82}))
    hub.fill(GAS, 25, restart_at=int((STOP + timedelta(hours=30)).timestamp()))
    await hub.start_tcp()
    yield hub
    await hub.stop()


@pytest.fixture
async def client(peer: ArchivePeer) -> AsyncGenerator[HubClient]:
    """The integration's client, connected to the peer."""
    hub_client = HubClient(host="127.0.0.1", port=peer.port)
    await hub_client.connect()
    yield hub_client
    await hub_client.disconnect()


async def _rows(hass: HomeAssistant, spec: ChannelSpec) -> list[dict[str, Any]]:
    await async_wait_recording_done(hass)
    stat_id = statistic_id(HUB_ID, spec)
    since = datetime.fromtimestamp(ARCHIVE_START - 2 * HOUR, UTC)
    stats = await hass.async_add_executor_job(
        lambda: statistics_during_period(
            hass, since, None, {stat_id}, "hour", None, {"state", "sum"}
        )
    )
    return [dict(row) for row in stats.get(stat_id, [])]


async def _backfill(
    hass: HomeAssistant, client: HubClient, now: datetime, *specs: ChannelSpec
) -> BackfillResult:
    result = await async_backfill(
        hass,
        HUB_ID,
        specs or (ELECTRICITY, WATER, GAS),
        client.request_archive,
        now,
        lookback=timedelta(days=1),
    )
    await async_wait_recording_done(hass)
    return result


def _expected(peer: ArchivePeer, spec: ChannelSpec, first: int, last: int) -> dict[int, float]:
    """Consumption since ``first`` at every archived hour in [first, last]: adds, never wraps."""
    counts = peer.state.archive[(spec.node_id, spec.channel)]
    epochs = peer.epochs_at[(spec.node_id, spec.channel)]
    expected, total, previous = {}, 0, None
    for at in range(first, last + HOUR, HOUR):
        if at not in counts:
            continue
        if previous is not None:
            same = epochs[at] == epochs[previous]
            total += (counts[at] - counts[previous]) % (1 << 32) if same else counts[at]
        expected[at] = total / spec.pulses_per_unit
        previous = at
    return expected


async def test_three_days_offline_then_idempotent(
    recorder_mock: Recorder, hass: HomeAssistant, peer: ArchivePeer, client: HubClient
) -> None:
    """Stop HA for three days, restart: every missing hour is imported and equals the archive."""
    first = await _backfill(hass, client, STOP)
    assert first.rows == 3 * 25  # one day back plus the baseline hour, per channel
    restart = await _backfill(hass, client, RESTART + timedelta(minutes=17))
    assert restart.rows == 3 * 72 - 3  # three missing water hours
    assert restart.missing == 3

    start = int((STOP - timedelta(days=1)).timestamp())
    end = int(RESTART.timestamp())
    for spec in (ELECTRICITY, WATER, GAS):
        rows = await _rows(hass, spec)
        by_end = {int(row["start"]) + HOUR: row for row in rows}
        expected = _expected(peer, spec, start, end)
        assert sorted(by_end) == sorted(expected), spec
        for at, consumed in expected.items():
            assert by_end[at]["sum"] == pytest.approx(consumed, abs=1e-6), (spec, at)
        sums = [row["sum"] for row in rows]
        assert sums == sorted(sums)
        assert max(by_end) == end  # the hour that ended at the restart is complete

    # The electricity counter wrapped at 2**32 and the state is the counter's total.
    counts = peer.state.archive[(0, 1)]
    assert any(counts[t] < counts[t - HOUR] for t in counts if t - HOUR in counts)
    assert (await _rows(hass, ELECTRICITY))[-1]["state"] > 2**32 / 1000

    # Running again (now or later in the same hour) imports nothing and changes nothing.
    before = {spec: await _rows(hass, spec) for spec in (ELECTRICITY, WATER, GAS)}
    requests = len(peer.requests)
    again = await _backfill(hass, client, RESTART + timedelta(minutes=59))
    assert (again.rows, len(peer.requests)) == (0, requests)
    assert {spec: await _rows(hass, spec) for spec in (ELECTRICITY, WATER, GAS)} == before


async def test_counter_restart_adds(
    recorder_mock: Recorder, hass: HomeAssistant, peer: ArchivePeer, client: HubClient
) -> None:
    """A new epoch in the middle adds its whole count; the sum never goes down."""
    await _backfill(hass, client, STOP, GAS)
    await _backfill(hass, client, RESTART, GAS)
    rows = await _rows(hass, GAS)
    restart = int((STOP + timedelta(hours=30)).timestamp())
    by_end = {int(row["start"]) + HOUR: row for row in rows}
    step = by_end[restart]["sum"] - by_end[restart - HOUR]["sum"]
    assert step == pytest.approx((25 // 3) / 100)
    assert by_end[restart]["state"] - by_end[restart - HOUR]["state"] == pytest.approx(step)
    assert all(a["sum"] <= b["sum"] for a, b in itertools.pairwise(rows))


async def test_state_follows_calibrated_live_total(
    recorder_mock: Recorder, hass: HomeAssistant, peer: ArchivePeer, client: HubClient
) -> None:
    """With the live total's epoch, the imported state is the meter display."""
    counts = peer.state.archive[(0, 1)]
    last = int(STOP.timestamp())
    live = ChannelTotal(1000)
    live.set_register(12_345.0, counts[last], 1)
    spec = ChannelSpec(0, 1, Medium.ELECTRICITY, 1000.0, "Mains", live)
    await _backfill(hass, client, STOP, spec)
    rows = await _rows(hass, spec)
    assert rows[-1]["state"] == pytest.approx(12_345.0)
    assert rows[0]["sum"] == 0.0
    assert rows[-1]["sum"] == pytest.approx(rows[-1]["state"] - rows[0]["state"])


async def test_metadata(
    recorder_mock: Recorder, hass: HomeAssistant, peer: ArchivePeer, client: HubClient
) -> None:
    """External statistics of source balance, in the medium's unit, with a sum and no mean."""
    await _backfill(hass, client, STOP)
    metadata = await hass.async_add_executor_job(
        lambda: get_metadata(hass, statistic_source="balance")
    )
    assert set(metadata) == {
        "balance:bh_00a1b2_0_1_energy",
        "balance:bh_00a1b2_0_2_water",
        f"balance:bh_00a1b2_{NODE_ID}_1_gas",
    }
    meta = metadata["balance:bh_00a1b2_0_2_water"][1]
    assert (meta["unit_of_measurement"], meta["has_sum"], meta["name"]) == ("m³", True, "Water")
    assert meta["mean_type"] == 0


async def test_archive_gap_at_baseline(
    recorder_mock: Recorder, hass: HomeAssistant, peer: ArchivePeer, client: HubClient
) -> None:
    """If the last imported hour left the archive, later hours still import (sum continues)."""
    await _backfill(hass, client, STOP, ELECTRICITY)
    rows = await _rows(hass, ELECTRICITY)
    del peer.state.archive[(0, 1)][int(STOP.timestamp())]
    result = await _backfill(hass, client, STOP + timedelta(hours=5), ELECTRICITY)
    assert result.rows == 4  # the first hour after the gap is the new baseline
    after = await _rows(hass, ELECTRICITY)
    assert len(after) == len(rows) + 4
    counts = peer.state.archive[(0, 1)]
    one, two = (int((STOP + timedelta(hours=h)).timestamp()) for h in (1, 2))
    assert after[len(rows)]["sum"] == pytest.approx(
        rows[-1]["sum"] + (counts[two] - counts[one]) / 1000
    )


def test_metadata_on_newer_home_assistant(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where StatisticMetaData has unit_class (newer HA), the unit class is given."""
    from custom_components.balance import backfill

    assert "has_mean" not in backfill._metadata(HUB_ID, WATER)
    monkeypatch.setattr(backfill, "_METADATA_KEYS", backfill._METADATA_KEYS | {"unit_class"})
    assert backfill._metadata(HUB_ID, WATER)["unit_class"] == "volume"  # type: ignore[typeddict-item]
    assert backfill._metadata(HUB_ID, ELECTRICITY)["unit_class"] == "energy"  # type: ignore[typeddict-item]


@pytest.fixture
def sim_hub(tmp_path: Path, socket_enabled: None) -> Iterator[SimHub]:
    """The real hub firmware on MicroPython, fast-forwarded through three faulty days."""
    if not MICROPYTHON.exists():
        pytest.skip("MicroPython unix port not installed")
    firmware = Path(__file__).parents[2] / "hub_firmware"
    hub = SimHub(
        MICROPYTHON,
        firmware,
        firmware / "sim" / "scenarios" / "faults.json",
        state_dir=tmp_path / "state",
        port=free_port(),
        options=("--fast-forward-days", "3"),
    )
    yield hub
    hub.stop()


async def test_sim_hub_three_days(
    recorder_mock: Recorder, hass: HomeAssistant, sim_hub: SimHub
) -> None:
    """The MicroPython hub ran three days (with a power cut) while HA was off: all is imported."""
    client = HubClient(host="127.0.0.1", port=sim_hub.port)
    info = await client.connect()
    try:
        specs = [
            ChannelSpec(
                node.node_id,
                ch.channel,
                Medium(ch.medium),
                pulses_per_unit(Medium(ch.medium), DEFAULT_PULSE_CONSTANT[Medium(ch.medium)]),
            )
            for node in client.nodes.values()
            for ch in node.channels
        ]
        now = datetime.now(UTC)
        newest = int(now.timestamp()) // HOUR * HOUR
        archives = {
            spec: await client.request_archive(
                spec.node_id, spec.channel, newest - 4 * 86400, newest + HOUR
            )
            for spec in specs
        }
        first_hour = min(
            r.start + i * HOUR
            for records in archives.values()
            for r in records
            for i, v in enumerate(r.values)
            if v.count != MISSING
        )
        # HA last ran when the hub had archived two hours, and comes back three days later.
        stopped = datetime.fromtimestamp(first_hour + HOUR, UTC)
        before = await async_backfill(
            hass, info.hub_id, specs, client.request_archive, stopped, lookback=timedelta(hours=1)
        )
        assert before.rows == 2 * len(specs)
        after = await async_backfill(hass, info.hub_id, specs, client.request_archive, now)
        await async_wait_recording_done(hass)
        assert after.missing > 0  # the power cut left hours without a value
        again = await async_backfill(hass, info.hub_id, specs, client.request_archive, now)
        assert again.rows == 0

        for spec in specs:
            rows = await _rows_of(hass, info.hub_id, spec, first_hour)
            by_end = {int(row["start"]) + HOUR: row["sum"] for row in rows}
            expected = _reference(archives[spec], spec.pulses_per_unit, first_hour, newest)
            assert len(expected) > 60
            assert by_end.keys() == expected.keys(), spec
            for at, consumed in expected.items():
                assert by_end[at] == pytest.approx(consumed, abs=1e-9), (spec, at)
    finally:
        await client.disconnect()


def _reference(
    records: list[ArchiveRecords], pulses_per_unit: float, first: int, last: int
) -> dict[int, float]:
    """Consumption since ``first`` at each archived hour, straight from the protocol's rules."""
    present = sorted(
        (r.start + i * HOUR, v.count, r.epoch)
        for r in records
        for i, v in enumerate(r.values)
        if v.count != MISSING and first <= r.start + i * HOUR <= last
    )
    expected, pulses = {}, 0
    for (_, count_a, epoch_a), (at, count_b, epoch_b) in itertools.pairwise(present):
        pulses += (count_b - count_a) % (1 << 32) if epoch_a == epoch_b else count_b
        expected[at] = pulses / pulses_per_unit
    return {present[0][0]: 0.0, **expected}


async def _rows_of(
    hass: HomeAssistant, hub_id: str, spec: ChannelSpec, since: int
) -> list[dict[str, Any]]:
    stat_id = statistic_id(hub_id, spec)
    stats = await hass.async_add_executor_job(
        lambda: statistics_during_period(
            hass,
            datetime.fromtimestamp(since - HOUR, UTC),
            None,
            {stat_id},
            "hour",
            None,
            {"sum"},
        )
    )
    return [dict(row) for row in stats.get(stat_id, [])]
