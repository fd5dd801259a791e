"""The VEN: enrol, register, poll events, apply bounds, publish the directive, report."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from .errors import (
    EnrolmentError,
    InvalidEventError,
    OpenAdrError,
    VtnUnavailableError,
)
from .events import parse_event
from .model import Bounds, Decision, Directive, Event, EventOutcome, ShedLevel, Slot
from .notify import parse_notification
from .parse import add_capped, finite_number, normalise
from .plan import build_directive, evaluate
from .reports import (
    MemoryStore,
    PendingReport,
    ReportBuffer,
    ReportStore,
    UsageSource,
    decline_report,
    usage_report,
)
from .transport import TokenSource, VtnHttp, tls_context
from .version import VERSIONS, ApiVersion

_LOGGER = logging.getLogger(__name__)
PAGE = 50
VEN_NAME_SOURCE = "VEN_NAME_SOURCE"  # program attribute: which identifier is the VEN name
SAFE_MODE_LIMIT = "SAFE_MODE_IMPORT_CAPACITY_LIMIT"  # program attribute, kW
SAFE_MODE_SIMPLE = "SAFE_MODE_SIMPLE"  # program attribute, SIMPLE level
REDACTED = "**REDACTED**"
SECRET_KEYS = frozenset({"client_secret", "access_token", "refresh_token", "bearerToken"})


@dataclass(frozen=True, slots=True)
class VenConfig:
    """How to reach the VTN and who this VEN is."""

    base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    program_names: tuple[str, ...]
    version: str = "3.1.0"
    ven_name: str | None = None
    identifiers: Mapping[str, str] = field(default_factory=dict)  # e.g. METER_POINT_ID
    resource_name: str = "balance-site"
    token_url: str | None = None  # else discovered (3.1.0 /auth/server) or <base>/auth/token
    scope: str | None = None
    ca_pem: str | None = None
    poll_interval: timedelta = timedelta(seconds=60)
    link_loss_after: timedelta | None = None  # safe mode after this long offline (3 polls)

    def redacted(self) -> dict[str, Any]:
        """The configuration for diagnostics, secrets replaced."""
        return {
            "base_url": self.base_url,
            "client_id": self.client_id,
            "client_secret": REDACTED,
            "program_names": list(self.program_names),
            "version": self.version,
            "ven_name": self.ven_name,
            "identifiers": dict.fromkeys(self.identifiers, REDACTED),
            "token_url": self.token_url,
            "custom_ca": self.ca_pem is not None,
            "poll_interval_s": self.poll_interval.total_seconds(),
        }


def redact(data: Any) -> Any:
    """A copy of VTN data with tokens and secrets replaced (for logs and diagnostics)."""
    if isinstance(data, dict):
        return {k: REDACTED if k in SECRET_KEYS else redact(v) for k, v in data.items()}
    if isinstance(data, list):
        return [redact(item) for item in data]
    return data


@dataclass(slots=True)
class _Program:
    id: str
    name: str
    fallback: Slot | None  # template: limit / shed of the program's safe mode


@dataclass(slots=True)
class VenStats:
    """Counters for the entities and the benchmark."""

    polls: int = 0
    poll_failures: int = 0
    accepted: int = 0
    declined: int = 0
    rejected: int = 0


class Ven:
    """A polling OpenADR 3 VEN on a caller-supplied aiohttp session."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        config: VenConfig,
        *,
        bounds: Bounds | None = None,
        store: ReportStore | None = None,
        usage: UsageSource | None = None,
        on_directive: Callable[[Directive], None] | None = None,
        on_outcome: Callable[[EventOutcome], None] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.config = config
        self.api: ApiVersion = VERSIONS[config.version]
        self.bounds = bounds or Bounds()
        self._clock = clock or (lambda: datetime.now(UTC))
        ssl_context = tls_context(config.ca_pem)
        base = config.base_url.rstrip("/") + "/"
        self.tokens = TokenSource(
            session,
            client_id=config.client_id,
            client_secret=config.client_secret,
            token_url=config.token_url
            or (None if self.api.discovers_token_url else base + "auth/token"),
            discover_url=base + "auth/server",
            scope=config.scope,
            ssl_context=ssl_context,
        )
        self.http = VtnHttp(session, base, self.tokens, ssl_context)
        self.buffer = ReportBuffer(store or MemoryStore(), self._clock)
        self.usage = usage  # None: no USAGE reports (may be set later)
        self._on_directive = on_directive
        self._on_outcome = on_outcome
        self.programs: dict[str, _Program] = {}
        self.ven_name = config.ven_name or config.client_id
        self.ven_id: str | None = None
        self.events: dict[str, Event] = {}
        self.outcomes: dict[str, EventOutcome] = {}
        self._seen: dict[str, str] = {}  # event id -> modificationDateTime last parsed
        self._reported: set[str] = set()
        self._declines_reported: set[tuple[str, str]] = set()
        self.opted_out: set[str] = set()
        self.directive = Directive()
        self.last_contact: datetime | None = None
        self.link_lost = False
        self.stats = VenStats()
        self._stop = asyncio.Event()
        self._loaded = False

    # -- set-up ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the report buffer (once), fetch a token, enrol in the programs, register."""
        if not self._loaded:
            await self.buffer.load()
            self._loaded = True
        await self.tokens.token()
        await self._enrol()
        await self._register()
        self.last_contact = self._clock()

    async def _enrol(self) -> None:
        found = await self._all("programs", {})
        by_name = {item.get("programName"): item for item in (normalise(raw) for raw in found)}
        for name in self.config.program_names:
            program = by_name.get(name)
            if not isinstance(program, dict) or not isinstance(program.get("id"), str):
                raise EnrolmentError(f"program {name!r} is not offered by the VTN")
            attributes = _attributes(program)
            source = attributes.get(VEN_NAME_SOURCE)
            if source:
                key = str(source[0])
                if key not in self.config.identifiers:
                    raise EnrolmentError(f"program {name!r} needs the VEN name from {key}")
                self.ven_name = self.config.identifiers[key]
            self.programs[program["id"]] = _Program(program["id"], name, _safe_mode(attributes))

    async def _register(self) -> None:
        existing = await self.http.request("GET", "vens", params={"venName": self.ven_name})
        match = [
            item
            for item in (normalise(raw) for raw in existing or [])
            if isinstance(item, dict) and item.get("venName") == self.ven_name
        ]
        if match:
            self.ven_id = str(match[0]["id"])
        else:
            attributes = [{"type": "PROGRAM_NAME", "values": list(self.config.program_names)}]
            created = normalise(
                await self.http.request(
                    "POST", "vens", body=self.api.ven_request(self.ven_name, attributes)
                )
            )
            self.ven_id = str(created["id"])
        path = self.api.resources_path(self.ven_id)
        params: dict[str, str | int] = {} if self.api.is_301 else {"venID": self.ven_id}
        resources = await self.http.request("GET", path, params=params)
        names = {normalise(item).get("resourceName") for item in resources or []}
        if self.config.resource_name not in names:
            await self.http.request(
                "POST",
                path,
                body=self.api.resource_request(self.ven_id, self.config.resource_name),
            )

    async def _all(self, path: str, params: dict[str, str | int]) -> list[Any]:
        """Every object of a paginated search."""
        found: list[Any] = []
        while True:
            page = await self.http.request(
                "GET", path, params={**params, "skip": len(found), "limit": PAGE}
            )
            if not isinstance(page, list):
                raise VtnUnavailableError(f"GET {path}: not a list")
            found.extend(page)
            if len(page) < PAGE:
                return found

    async def subscribe(self, callback_url: str, bearer_token: str) -> list[str]:
        """Push: subscribe to event changes of each program at `callback_url` (HTTPS).

        A subscription of this VEN with the same callback is updated (new token) instead of
        duplicated. Returns the subscription ids.
        """
        ids: list[str] = []
        for program_id in self.programs:
            body = self.api.subscription_request(
                self.ven_name, program_id, callback_url, bearer_token
            )
            found = await self._all(
                "subscriptions", {"programID": program_id, "clientName": self.ven_name}
            )
            same = [
                item
                for item in (normalise(raw) for raw in found)
                if isinstance(item, dict)
                and any(
                    isinstance(op, dict) and op.get("callbackUrl") == callback_url
                    for op in item.get("objectOperations") or []
                )
            ]
            if same:
                ids.append(str(same[0]["id"]))
                await self.http.request("PUT", f"subscriptions/{ids[-1]}", body=body)
            else:
                created = normalise(await self.http.request("POST", "subscriptions", body=body))
                ids.append(str(created["id"]))
        return ids

    # -- resident controls ----------------------------------------------------------------

    def set_bounds(self, bounds: Bounds) -> None:
        """New bounds: every known event is decided again."""
        self.bounds = bounds
        self._decide_all()

    def opt_out(self, event_id: str) -> None:
        """The resident opts out of one event (declined and reported at the next poll)."""
        self.opted_out.add(event_id)
        self._decide_all()

    # -- polling --------------------------------------------------------------------------

    async def run(self) -> None:
        """Poll until `stop()`; failures are logged and polling goes on."""
        while not self._stop.is_set():
            try:
                await self.poll()
            except OpenAdrError as err:
                _LOGGER.warning("OpenADR poll failed: %s", err)
            except Exception:  # a bug must not end the utility link
                _LOGGER.exception("OpenADR poll failed unexpectedly")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.config.poll_interval.total_seconds())

    def stop(self) -> None:
        """End `run()`."""
        self._stop.set()

    async def poll(self) -> None:
        """One poll: events, decisions, directive, due reports, buffer flush."""
        self.stats.polls += 1
        try:
            if self.ven_id is None:
                await self.start()
            listed: list[Any] = []
            for program_id in self.programs:
                listed.extend(await self._all("events", {"programID": program_id}))
        except VtnUnavailableError:
            self.stats.poll_failures += 1
            self._check_link()
            raise
        self.last_contact = self._clock()
        changed = self._absorb(listed)
        if self.link_lost:
            self.link_lost = False
            changed = True
        if changed:
            self._decide_all()
        await self._queue_due_reports()
        await self.flush_reports()

    def _absorb(self, listed: list[Any]) -> bool:
        """Parse new and modified events; forget deleted ones. True if anything changed."""
        now = self._clock()
        present: set[str] = set()
        changed = False
        for raw in listed:
            try:
                obj = normalise(raw)
            except RecursionError:
                continue
            event_id = obj.get("id") if isinstance(obj, dict) else None
            if isinstance(event_id, str) and obj.get("programID") in self.programs:
                present.add(event_id)
                changed = self._absorb_one(event_id, obj, now) or changed
        for gone in set(self._seen) - present:
            self._forget(gone)
            changed = True
        return changed

    def _absorb_one(self, event_id: str, obj: dict[str, Any], now: datetime) -> bool:
        """Parse one event unless its modificationDateTime is known. True if it changed."""
        modified = str(obj.get("modificationDateTime") or obj.get("createdDateTime") or "")
        if self._seen.get(event_id) == modified and modified:
            return False
        self._seen[event_id] = modified
        rng = random.Random(f"{self.ven_name}|{event_id}|{modified}")
        try:
            parsed = parse_event(obj, now=now, rng=rng)
        except InvalidEventError as err:
            self.events.pop(event_id, None)
            self.stats.rejected += 1
            _LOGGER.warning("OpenADR event %s rejected: %s", event_id, err)
            outcome = EventOutcome(
                event_id, obj.get("programID"), modified, Decision.REJECTED, err.reason, err.detail
            )
            self.outcomes[event_id] = outcome
            self._emit(outcome)
            return True
        if parsed.slots and parsed.end <= now and event_id not in self.events:
            _LOGGER.debug("OpenADR event %s is over already: ignored", event_id)
            return True
        self.events[event_id] = parsed
        return True

    def _forget(self, event_id: str) -> None:
        self._seen.pop(event_id, None)
        self.events.pop(event_id, None)
        self.outcomes.pop(event_id, None)
        _LOGGER.info("OpenADR event %s cancelled (deleted on the VTN)", event_id)

    def apply_notification(self, body: Any) -> bool:
        """Apply a pushed notification (webhook or MQTT body, any encoding quirk) at once.

        Returns True if it concerned one of this VEN's events. Polling stays the fallback.
        """
        note = parse_notification(body, self.api)
        event_id = note.object.get("id")
        if (
            note.object_type != "EVENT"
            or not isinstance(event_id, str)
            or note.object.get("programID") not in self.programs
        ):
            return False
        if note.operation == "DELETE":
            self._forget(event_id)
        elif not self._absorb_one(event_id, note.object, self._clock()):
            return True
        self._decide_all()
        return True

    def _decide_all(self) -> None:
        for event in self.events.values():
            outcome = evaluate(event, self.bounds, self.opted_out)
            previous = self.outcomes.get(event.id)
            self.outcomes[event.id] = outcome
            if previous != outcome:
                if previous is None or previous.decision is not outcome.decision:
                    if outcome.decision is Decision.ACCEPTED:
                        self.stats.accepted += 1
                    elif outcome.decision is Decision.DECLINED:
                        self.stats.declined += 1
                self._emit(outcome)
        self._publish()

    def _emit(self, outcome: EventOutcome) -> None:
        if outcome.decision is not Decision.ACCEPTED:
            _LOGGER.info(
                "OpenADR event %s %s: %s", outcome.event_id, outcome.decision, outcome.reason
            )
        if self._on_outcome is not None:
            self._on_outcome(outcome)

    def _publish(self) -> None:
        events = list(self.events.values())
        outcomes = dict(self.outcomes)
        if self.link_lost:
            for fallback in self._fallback_events():
                outcome = evaluate(fallback, self.bounds, self.opted_out)
                outcomes[fallback.id] = outcome
                events.append(fallback)
        directive = build_directive(events, outcomes, self.bounds, fallback=self.link_lost)
        if directive != self.directive:
            self.directive = directive
            if self._on_directive is not None:
                self._on_directive(directive)

    # -- link loss ------------------------------------------------------------------------

    def _check_link(self) -> None:
        limit = self.config.link_loss_after or self.config.poll_interval * 3
        if self.last_contact is None or self.link_lost:
            return
        if self._clock() - self.last_contact >= limit:
            self.link_lost = True
            _LOGGER.warning(
                "OpenADR link lost since %s: program safe mode, if defined", self.last_contact
            )
            self._publish()

    def _fallback_events(self) -> list[Event]:
        start = self.last_contact or self._clock()
        end = add_capped(start, self.bounds.longest_event)
        return [
            Event(
                id=f"safe-mode-{program.id}",
                program_id=program.id,
                name="safe mode",
                priority=None,
                modified="",
                slots=(replace(program.fallback, start=start, end=end),),
            )
            for program in self.programs.values()
            if program.fallback is not None
        ]

    # -- reports --------------------------------------------------------------------------

    async def queue_report(self, program_id: str, event_id: str, body: dict[str, Any]) -> None:
        """Queue any report (e.g. an hourly meter relay); sent in order, kept while offline."""
        await self.buffer.add(program_id, event_id, body)

    async def _queue_due_reports(self) -> None:
        now = self._clock()
        for event in list(self.events.values()):
            outcome = self.outcomes.get(event.id)
            if outcome is None:
                continue
            if outcome.decision is Decision.DECLINED:
                key = (event.id, event.modified)
                if key not in self._declines_reported:
                    self._declines_reported.add(key)
                    body = decline_report(
                        outcome,
                        event,
                        client_name=self.ven_name,
                        resource_name=self.config.resource_name,
                        seq=self.buffer.reserve_seq(),
                    )
                    await self.buffer.add(event.program_id, event.id, body)
            elif (
                outcome.decision is Decision.ACCEPTED
                and self.usage is not None
                and (event.controls or event.report_requests)
                and event.end <= now
                and event.id not in self._reported
            ):
                self._reported.add(event.id)
                body = usage_report(
                    event,
                    client_name=self.ven_name,
                    resource_name=self.config.resource_name,
                    usage=self.usage,
                    seq=self.buffer.reserve_seq(),
                )
                await self.buffer.add(event.program_id, event.id, body)

    async def flush_reports(self) -> int:
        """Send buffered reports in order; returns how many reached the VTN."""
        return await self.buffer.flush(self._send_report, self._already_delivered)

    async def _send_report(self, item: PendingReport) -> None:
        await self.http.request(
            "POST", "reports", body=self.api.report_body(item.body, item.program_id)
        )

    async def _already_delivered(self, item: PendingReport) -> bool:
        found = await self.http.request(
            "GET",
            "reports",
            params={"eventID": item.event_id, "clientName": str(item.body["clientName"])},
        )
        name = item.body.get("reportName")
        return any(normalise(report).get("reportName") == name for report in found or [])


def _attributes(program: dict[str, Any]) -> dict[str, list[Any]]:
    """A program's `attributes` valuesMaps by type (3.0.1 servers may send them too)."""
    found: dict[str, list[Any]] = {}
    for item in program.get("attributes") or []:
        if isinstance(item, dict) and isinstance(item.get("type"), str):
            values = item.get("values")
            found[item["type"]] = values if isinstance(values, list) else []
    return found


def _safe_mode(attributes: dict[str, list[Any]]) -> Slot | None:
    """The program's safe mode for a lost link, if it defines a valid one."""
    limit_values = attributes.get(SAFE_MODE_LIMIT) or []
    level_values = attributes.get(SAFE_MODE_SIMPLE) or []
    limit = finite_number(limit_values[0]) if len(limit_values) == 1 else None
    level = level_values[0] if len(level_values) == 1 else None
    shed = (
        ShedLevel(level)
        if isinstance(level, int) and not isinstance(level, bool) and 0 <= level <= 3
        else None
    )
    if (limit is None or limit < 0) and shed is None:
        return None
    epoch = datetime.min.replace(tzinfo=UTC)
    return Slot(
        epoch, epoch, limit_kw=limit if limit is not None and limit >= 0 else None, shed=shed
    )
