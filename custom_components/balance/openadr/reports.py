"""Reports to the VTN and their store-and-forward buffer (bounded, persisted, in order)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from .errors import DeclineReason, VtnRequestError, VtnUnavailableError
from .model import Event, EventOutcome
from .parse import format_datetime, format_duration, parse_datetime

_LOGGER = logging.getLogger(__name__)
MAX_REPORTS = 5000  # > 7 days of hourly reports for a dozen meters and events
RETENTION = timedelta(days=8)
STORE_VERSION = 1


class UsageSource(Protocol):
    """Metered energy imported by the house (kWh) in [start, end), None if unknown."""

    def __call__(self, start: datetime, end: datetime) -> float | None:
        """Energy in kWh."""


class ReportStore(Protocol):
    """Where the buffer persists itself (JSON-serialisable data)."""

    async def load(self) -> dict[str, Any] | None:
        """The saved data, or None."""

    async def save(self, data: dict[str, Any]) -> None:
        """Replace the saved data."""


class MemoryStore:
    """A store that keeps the data in memory (tests, or no persistence wanted)."""

    def __init__(self) -> None:
        self.data: dict[str, Any] | None = None

    async def load(self) -> dict[str, Any] | None:
        """The saved data."""
        return json.loads(json.dumps(self.data)) if self.data is not None else None

    async def save(self, data: dict[str, Any]) -> None:
        """Keep a JSON round-tripped copy (proves the data is serialisable)."""
        self.data = json.loads(json.dumps(data))


class JsonFileStore:
    """A JSON file written atomically off the event loop."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def load(self) -> dict[str, Any] | None:
        """The file's data, or None if missing or unreadable."""

        def read() -> dict[str, Any] | None:
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return None
            return data if isinstance(data, dict) else None

        return await asyncio.to_thread(read)

    async def save(self, data: dict[str, Any]) -> None:
        """Write to a temporary file and rename it over the old one."""

        def write() -> None:
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(json.dumps(data), encoding="utf-8")
            temporary.replace(self.path)

        await asyncio.to_thread(write)


@dataclass(slots=True)
class PendingReport:
    """A report waiting for the VTN."""

    seq: int
    created: str
    program_id: str
    event_id: str
    body: dict[str, Any]
    maybe_delivered: bool = False  # a send failed after the request may have arrived

    def to_json(self) -> dict[str, Any]:
        """Serialisable form."""
        return {
            "seq": self.seq,
            "created": self.created,
            "program_id": self.program_id,
            "event_id": self.event_id,
            "body": self.body,
            "maybe_delivered": self.maybe_delivered,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PendingReport:
        """Inverse of `to_json`."""
        return cls(
            int(data["seq"]),
            str(data["created"]),
            str(data["program_id"]),
            str(data["event_id"]),
            dict(data["body"]),
            bool(data.get("maybe_delivered", False)),
        )


class ReportBuffer:
    """FIFO of reports: the oldest is dropped (and counted) when full or past retention."""

    def __init__(
        self,
        store: ReportStore,
        clock: Callable[[], datetime],
        *,
        max_reports: int = MAX_REPORTS,
        retention: timedelta = RETENTION,
    ) -> None:
        self._store = store
        self._clock = clock
        self.max_reports = max_reports
        self.retention = retention
        self.pending: list[PendingReport] = []
        self.next_seq = 1
        self.dropped = 0  # lost to overflow or age
        self.rejected = 0  # refused by the VTN as invalid (4xx)
        self.delivered = 0

    async def load(self) -> None:
        """Restore the saved queue."""
        data = await self._store.load()
        if not data or data.get("version") != STORE_VERSION:
            return
        self.pending = [PendingReport.from_json(item) for item in data.get("pending", [])]
        self.next_seq = int(data.get("next_seq", 1))
        self.dropped = int(data.get("dropped", 0))

    async def _save(self) -> None:
        await self._store.save(
            {
                "version": STORE_VERSION,
                "next_seq": self.next_seq,
                "dropped": self.dropped,
                "pending": [item.to_json() for item in self.pending],
            }
        )

    def reserve_seq(self) -> int:
        """The sequence number of the next report (part of its unique reportName)."""
        return self.next_seq

    async def add(self, program_id: str, event_id: str, body: dict[str, Any]) -> PendingReport:
        """Queue a report (its reportName must be unique: it is the delivery key)."""
        item = PendingReport(
            self.next_seq, format_datetime(self._clock()), program_id, event_id, body
        )
        self.next_seq += 1
        self.pending.append(item)
        self._trim()
        await self._save()
        return item

    def _trim(self) -> None:
        oldest = self._clock() - self.retention
        while self.pending and (
            len(self.pending) > self.max_reports or parse_datetime(self.pending[0].created) < oldest
        ):
            lost = self.pending.pop(0)
            self.dropped += 1
            _LOGGER.warning("OpenADR report %s dropped (buffer full or too old)", lost.seq)

    async def flush(
        self,
        send: Callable[[PendingReport], Awaitable[None]],
        delivered: Callable[[PendingReport], Awaitable[bool]],
    ) -> int:
        """Send the queue oldest first; stop at the first failure (order is kept)."""
        sent = 0
        self._trim()
        while self.pending:
            item = self.pending[0]
            try:
                if not (item.maybe_delivered and await delivered(item)):
                    await send(item)
            except VtnUnavailableError as err:
                item.maybe_delivered = item.maybe_delivered or err.maybe_delivered
                await self._save()
                raise
            except VtnRequestError as err:
                if err.status != 409:  # 409: the VTN already has it
                    self.rejected += 1
                    _LOGGER.warning("OpenADR report %s refused by the VTN: %s", item.seq, err)
            self.pending.pop(0)
            self.delivered += 1
            sent += 1
            await self._save()
        return sent


def report_name(client_name: str, kind: str, seq: int) -> str:
    """Unique name of a report: how a replay recognises one the VTN already has."""
    return f"{client_name}:{kind}:{seq}"


def _descriptor(payload_type: str, units: str | None, reading: str | None) -> dict[str, Any]:
    descriptor: dict[str, Any] = {
        "objectType": "REPORT_PAYLOAD_DESCRIPTOR",
        "payloadType": payload_type,
    }
    if reading:
        descriptor["readingType"] = reading
    if units:
        descriptor["units"] = units
    return descriptor


def usage_report(
    event: Event,
    *,
    client_name: str,
    resource_name: str,
    usage: UsageSource,
    seq: int,
) -> dict[str, Any]:
    """USAGE (kWh) per slot of the event, plus DEMAND (kW) if a reportDescriptor asks."""
    wanted = {request.payload_type for request in event.report_requests} | {"USAGE"}
    descriptors = [_descriptor("USAGE", "KWH", "DIRECT_READ")]
    if "DEMAND" in wanted:
        descriptors.append(_descriptor("DEMAND", "KW", "AVERAGE"))
    intervals = []
    for index, slot in enumerate(sorted(event.slots, key=lambda item: item.start)):
        energy = usage(slot.start, slot.end)
        if energy is None:
            continue
        payloads: list[dict[str, Any]] = [{"type": "USAGE", "values": [round(energy, 4)]}]
        hours = (slot.end - slot.start).total_seconds() / 3600
        if "DEMAND" in wanted and hours > 0:
            payloads.append({"type": "DEMAND", "values": [round(energy / hours, 4)]})
        intervals.append(
            {
                "id": index,
                "intervalPeriod": {
                    "start": format_datetime(slot.start),
                    "duration": format_duration(slot.end - slot.start),
                },
                "payloads": payloads,
            }
        )
    return {
        "eventID": event.id,
        "clientName": client_name,
        "reportName": report_name(client_name, "usage", seq),
        "payloadDescriptors": descriptors,
        "resources": [{"resourceName": resource_name, "intervals": intervals}],
    }


def meter_report(
    event_id: str,
    *,
    client_name: str,
    seq: int,
    start: datetime,
    end: datetime,
    readings: dict[str, float],
) -> dict[str, Any]:
    """USAGE (kWh) of chosen meters over [start, end), one resource per meter (hourly relay)."""
    return {
        "eventID": event_id,
        "clientName": client_name,
        "reportName": report_name(client_name, "relay", seq),
        "payloadDescriptors": [_descriptor("USAGE", "KWH", "DIRECT_READ")],
        "resources": [
            {
                "resourceName": meter,
                "intervals": [
                    {
                        "id": 0,
                        "intervalPeriod": {
                            "start": format_datetime(start),
                            "duration": format_duration(end - start),
                        },
                        "payloads": [{"type": "USAGE", "values": [round(energy, 4)]}],
                    }
                ],
            }
            for meter, energy in sorted(readings.items())
        ],
    }


DECLINE_PAYLOAD = "BALANCE_DECLINE_REASON"  # private payload type: the `DeclineReason` code


def decline_report(
    outcome: EventOutcome, event: Event, *, client_name: str, resource_name: str, seq: int
) -> dict[str, Any]:
    """The VEN opted out of an event: OPERATING_STATE RUNNING_OPTED_OUT and the reason."""
    reason = outcome.reason if isinstance(outcome.reason, DeclineReason) else None
    return {
        "eventID": event.id,
        "clientName": client_name,
        "reportName": report_name(client_name, "declined", seq),
        "payloadDescriptors": [_descriptor("OPERATING_STATE", None, None)],
        "resources": [
            {
                "resourceName": resource_name,
                "intervals": [
                    {
                        "id": 0,
                        "intervalPeriod": {
                            "start": format_datetime(event.start),
                            "duration": format_duration(
                                min(event.end - event.start, timedelta(days=3650))
                            ),
                        },
                        "payloads": [
                            {"type": "OPERATING_STATE", "values": ["RUNNING_OPTED_OUT"]},
                            {"type": DECLINE_PAYLOAD, "values": [str(reason or "declined")]},
                        ],
                    }
                ],
            }
        ],
    }
