"""Meter totals of a BALANCE hub: COUNTERS applied to channel totals, and their storage."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store

from .const import DOMAIN, SAVE_DELAY, STORAGE_VERSION
from .hub.messages import Counters
from .metering import ChannelTotal, Flag

if TYPE_CHECKING:
    from .inventory import ChannelData, NodeData

type CountAt = Callable[[int, int, float], Awaitable[tuple[int, int]]]
"""``(node_id, channel, when) -> (count, epoch)`` from the hub's archive."""


def totals_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Storage of a hub entry's channel totals (ChannelTotal.to_dict per channel)."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.totals")


def channel_key(node_id: int, channel: int) -> str:
    """Key of a channel in options and storage."""
    return f"{node_id}:{channel}"


@dataclass(slots=True)
class AppliedCounters:
    """What one COUNTERS report changed besides the totals."""

    unknown_channel: bool = False
    flags: dict[int, int] = field(default_factory=dict)
    """Channel -> new plausibility flags, for channels whose flags changed."""
    implausible: dict[int, Flag | None] = field(default_factory=dict)
    """Channel -> its implausible-report flag, for channels whose flag changed (None: cleared)."""


class MeterTotals:
    """Channel totals of one hub entry, persisted across restarts.

    The data handed to the store is a dict that is never changed afterwards (each update
    builds a new one on the event loop), so a save may serialise it in a worker thread.
    """

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Nothing loaded before :meth:`async_load`."""
        self._store = totals_store(hass, entry_id)
        self._stored: dict[str, Any] = {}

    async def async_load(self) -> None:
        """Read what was stored before the restart."""
        self._stored = await self._store.async_load() or {}

    def restore(self, key: str, pulses_per_unit: float, max_rate: float) -> ChannelTotal:
        """The total of a channel as stored, or a fresh one; ``max_rate`` in unit per hour."""
        stored = self._stored.get(key)
        if stored:
            return ChannelTotal.from_dict(stored, pulses_per_unit, max_rate)
        return ChannelTotal(pulses_per_unit, max_rate=max_rate)

    @callback
    def apply(self, node: NodeData, message: Counters) -> AppliedCounters | None:
        """Apply a COUNTERS report to the node's channels; None for a duplicate report."""
        if node.report_seq == message.report_seq and node.epoch == message.epoch:
            return None
        node.report_seq = message.report_seq
        node.epoch = message.epoch
        applied = AppliedCounters()
        received = time.time()
        resumed = {boot_count.channel: boot_count.count for boot_count in message.boot_counts}
        for reading in message.readings:
            channel = node.channels.get(reading.channel)
            if channel is None:
                applied.unknown_channel = True
                continue
            flag = channel.total.flag
            channel.total.update(
                reading.count, message.epoch, message.boot, received, resumed.get(reading.channel)
            )
            if channel.total.flag != flag:
                applied.implausible[reading.channel] = channel.total.flag
            channel.count = reading.count
            channel.rate_mph = reading.rate_mph
            if channel.flags != reading.flags:
                channel.flags = reading.flags
                applied.flags[reading.channel] = reading.flags
        data = self._snapshot(node.channels.values())
        self._store.async_delay_save(lambda: data, SAVE_DELAY)
        return applied

    async def async_calibrate(
        self,
        channel: ChannelData,
        count_at: CountAt,
        *,
        pulses_per_unit_: float | None = None,
        register: float | None = None,
        register_time: float | None = None,
    ) -> None:
        """Apply a new pulse constant and/or a meter register reading to a channel total."""
        total = channel.total
        if pulses_per_unit_ is not None and pulses_per_unit_ != total.pulses_per_unit:
            total.set_pulses_per_unit(pulses_per_unit_)
        if register is not None:
            if register_time is not None and time.time() - register_time > 60:
                count, epoch = await count_at(channel.node_id, channel.channel, register_time)
                total.set_register(register, count, epoch)
            elif (latest := total.latest) is not None:  # confirms a held report, too
                total.set_register(register, *latest)
            else:
                total.offset = register
        await self._store.async_save(self._snapshot([channel]))

    async def async_save(self, channels: Iterable[ChannelData]) -> None:
        """Persist every channel's total now (at shutdown)."""
        await self._store.async_save(self._snapshot(channels))

    async def async_remove(self) -> None:
        """Forget the stored totals (the entry was removed)."""
        await self._store.async_remove()

    def _snapshot(self, channels: Iterable[ChannelData]) -> dict[str, Any]:
        """A new dict: the stored totals with these channels' current totals."""
        data = dict(self._stored)
        for channel in channels:
            data[channel_key(channel.node_id, channel.channel)] = channel.total.to_dict()
        self._stored = data
        return data
