"""The utility link at run time: the VEN on HA's session, its directive applied to the house.

The VEN polls the VTN on HA's clock; each directive change sets the DR term of load
management's limit and the loads a shed level holds off; outcomes feed the entities, the
statistics and the logbook; the report buffer lives in HA's storage.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HomeAssistant,
    callback,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import (
    async_track_point_in_utc_time,
    async_track_state_change_event,
    async_track_time_change,
    async_track_time_interval,
)
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..const import LOGGER  # noqa: TID252
from ..load_management.manager import LoadManager  # noqa: TID252
from ..openadr import (  # noqa: TID252
    Bounds,
    Decision,
    Directive,
    EnrolmentError,
    EventOutcome,
    OpenAdrError,
    ShedLevel,
    Term,
    Ven,
    VtnAuthError,
    meter_report,
)
from ..openadr import Event as DrEvent  # noqa: TID252
from ..openadr.mqtt import MqttNotifier  # noqa: TID252
from .const import (
    ATTR_ACTION,
    ATTR_EVENT_ID,
    ATTR_LIMIT_KW,
    ATTR_REASON,
    ATTR_SHED_LEVEL,
    CONF_POLL_INTERVAL_S,
    CONF_RELAY_ENTITIES,
    CONF_USAGE_ENTITY,
    DEFAULT_POLL_INTERVAL_S,
    EVENT_UTILITY_LINK,
    STATS_KEY,
    STORAGE_KEY,
    STORAGE_VERSION,
)
from .meters import UsageHistory, energy_kwh
from .settings import bounds, load_manager, ven_config
from .shed import Participant, shed_plan
from .stats import KEPT_DECISIONS, Participation, StoredStats
from .storage import HaReportStore

type UtilityLinkConfigEntry = ConfigEntry[UtilityLink]

STATS_SAVE_DELAY_S = 5.0


def _asks_usage(event: DrEvent) -> bool:
    return any(request.payload_type == "USAGE" for request in event.report_requests)


class UtilityLink:
    """Runs one utility link's VEN and applies what the utility asks within the bounds."""

    def __init__(self, hass: HomeAssistant, entry: UtilityLinkConfigEntry) -> None:
        """Build the VEN; nothing runs before :meth:`async_start`."""
        self.hass = hass
        self.entry = entry
        self.ven = Ven(
            async_get_clientsession(hass),
            ven_config(entry.data, entry.options),
            bounds=self._bounds(),
            store=HaReportStore(hass, STORAGE_KEY.format(entry_id=entry.entry_id)),
            usage=self._usage if entry.options.get(CONF_USAGE_ENTITY) else None,
            on_directive=self._on_directive,
            on_outcome=self._on_outcome,
            clock=dt_util.utcnow,
        )
        self.stats = Participation()
        self._stats_store: Store[StoredStats] = Store(
            hass, STORAGE_VERSION, STATS_KEY.format(entry_id=entry.entry_id)
        )
        self.meters: dict[str, UsageHistory] = {}
        self.connected = False
        self.last_error: str | None = None
        self._reauth_started = False
        self._polling = False
        self._applied: tuple[float | None, ShedLevel] = (None, ShedLevel.NORMAL)
        self._adopted: LoadManager | None = None  # the load management acted through
        self._loads_unsub: CALLBACK_TYPE | None = None
        self._level_since: datetime | None = None
        self._listeners: list[CALLBACK_TYPE] = []
        self._outcome_listeners: list[Callable[[EventOutcome], None]] = []
        self._unsubs: list[CALLBACK_TYPE] = []
        self._poll_unsub: CALLBACK_TYPE | None = None
        self._meter_unsub: CALLBACK_TYPE | None = None
        self._boundary_unsub: CALLBACK_TYPE | None = None
        self.push_url: str | None = None  # the webhook's HTTPS URL while push is on
        self.subscribed = False
        self.on_connected: Callable[[], Awaitable[None]] | None = None  # push subscription
        self.mqtt: MqttNotifier | None = None  # the 3.1 MQTT notifier, once the VTN answered

    # ------------------------------------------------------------------ lifecycle

    def _bounds(self) -> Bounds:
        manager = load_manager(self.hass)
        zone = dt_util.get_time_zone(self.hass.config.time_zone) or dt_util.UTC
        return bounds(self.entry.options, manager.loads if manager else {}, zone)

    async def async_start(self) -> None:
        """Restore the statistics and opt-outs, reach the VTN once.

        A VTN that cannot be reached does not stop the start (polling retries, reports are
        kept); refused credentials raise `VtnAuthError`, an unknown program `EnrolmentError`.
        """
        self.stats = Participation.from_json(await self._stats_store.async_load())
        self.ven.opted_out.update(self.stats.opted_out_ids)
        self._track_meters()
        try:
            await self.ven.start()
            self.connected = True
        except (VtnAuthError, EnrolmentError):
            raise
        except OpenAdrError as err:
            self.last_error = str(err)
            LOGGER.warning("Utility link %s: VTN not reachable yet: %s", self.entry.title, err)

    @callback
    def async_start_polling(self) -> None:
        """Poll once HA has started (load management is set up by then: no event is declined
        for want of loads), then at the configured interval; relay meters every hour."""
        self._schedule_polls()
        self._unsubs.append(async_track_time_change(self.hass, self._hourly, minute=0, second=0))

        @callback
        def first_poll(_hass: HomeAssistant) -> None:
            self.entry.async_create_background_task(
                self.hass, self.async_poll(), f"balance utility link first poll {self.entry.title}"
            )

        self._unsubs.append(async_at_started(self.hass, first_poll))

    async def async_stop(self) -> None:
        """Stop polling; release what the link holds in load management; save statistics.

        (HA does not unload entries when it stops: holds survive a restart in the statistics'
        store, flushed at HA's final write, and are taken over by `_adopt`.)"""
        self.ven.stop()
        if self.mqtt is not None:
            self.mqtt.stop()
        for unsub in (
            *self._unsubs,
            self._poll_unsub,
            self._meter_unsub,
            self._boundary_unsub,
            self._loads_unsub,
        ):
            if unsub is not None:
                unsub()
        self._unsubs.clear()
        self._poll_unsub = self._meter_unsub = self._boundary_unsub = self._loads_unsub = None
        if (manager := load_manager(self.hass)) is not None:
            manager.set_dr_limit(None)
            manager.set_dr_holds(())
            self.stats.held = []
        await self._stats_store.async_save(self.stats.to_json())

    @callback
    def async_reconfigure(self, entry: UtilityLinkConfigEntry) -> None:
        """Options changed: new bounds decide every event again; polling and meters follow."""
        self.entry = entry
        self.ven.config = ven_config(entry.data, entry.options)
        self.ven.usage = self._usage if entry.options.get(CONF_USAGE_ENTITY) else None
        self._schedule_polls()
        self._track_meters()
        self.ven.set_bounds(self._bounds())
        self._apply()
        self._notify()

    def _schedule_polls(self) -> None:
        if self._poll_unsub is not None:
            self._poll_unsub()
        seconds = float(self.entry.options.get(CONF_POLL_INTERVAL_S, DEFAULT_POLL_INTERVAL_S))
        self._poll_unsub = async_track_time_interval(
            self.hass, self._poll_tick, timedelta(seconds=seconds)
        )

    def _track_meters(self) -> None:
        if self._meter_unsub is not None:
            self._meter_unsub()
        wanted = set(self.entry.options.get(CONF_RELAY_ENTITIES, []))
        if usage := self.entry.options.get(CONF_USAGE_ENTITY):
            wanted.add(usage)
        self.meters = {entity: self.meters.get(entity, UsageHistory()) for entity in wanted}
        now = dt_util.utcnow()
        for entity, history in self.meters.items():
            if (kwh := energy_kwh(self.hass.states.get(entity))) is not None:
                history.add(now, kwh)
        self._meter_unsub = async_track_state_change_event(
            self.hass, sorted(wanted), self._on_meter
        )

    @callback
    def _on_meter(self, event: Event[EventStateChangedData]) -> None:
        history = self.meters.get(event.data["entity_id"])
        kwh = energy_kwh(event.data["new_state"])
        if history is not None and kwh is not None:
            history.add(dt_util.utcnow(), kwh)

    def _usage(self, start: datetime, end: datetime) -> float | None:
        usage = self.entry.options.get(CONF_USAGE_ENTITY)
        history = self.meters.get(usage) if usage else None
        return history.energy(start, end) if history else None

    # -------------------------------------------------------------------- polling

    @callback
    def _poll_tick(self, _now: datetime) -> None:
        self.entry.async_create_background_task(
            self.hass, self.async_poll(), f"balance utility link poll {self.entry.title}"
        )

    async def async_poll(self) -> None:
        """One poll of the VTN (skipped while one runs); failures are logged, never raised."""
        if self._polling:
            return
        self._polling = True
        try:
            await self.ven.poll()
            self.connected, self.last_error = True, None
            self._reauth_started = False
            if self.on_connected is not None and not self.subscribed:
                await self.on_connected()
            self._start_mqtt()
        except VtnAuthError as err:
            self.connected, self.last_error = False, str(err)
            if not self._reauth_started:
                self._reauth_started = True
                self.entry.async_start_reauth(self.hass)
        except OpenAdrError as err:
            self.connected, self.last_error = False, str(err)
            LOGGER.warning("Utility link %s: poll failed: %s", self.entry.title, err)
        finally:
            self._polling = False
        self._settle_energy_shed()
        self._apply()
        self._notify()

    def _start_mqtt(self) -> None:
        """Subscribe through the VTN's MQTT notifier if it offers one (ends at once if not)."""
        if self.mqtt is not None:
            return
        self.mqtt = MqttNotifier(self.ven, self.apply_notification)
        self.entry.async_create_background_task(
            self.hass, self.mqtt.run(), f"balance utility link MQTT {self.entry.title}"
        )

    def apply_notification(self, body: Any) -> bool:
        """A pushed notification (webhook, MQTT): applied at once; True if about our events."""
        handled = self.ven.apply_notification(body)
        self._apply()
        self._notify()
        return handled

    # ------------------------------------------------------------ resident control

    def opt_out(self, event_id: str | None) -> str:
        """Opt out of one event (None: the one in force, else the next accepted control event).

        Raises `LookupError` when there is no such event. The decline reaches the VTN with
        the next poll, which is started at once.
        """
        if event_id is None:
            event_id = self._current_event_id()
        if event_id is None or event_id not in self.ven.events:
            raise LookupError(event_id)
        if event_id not in self.stats.opted_out_ids:
            self.stats.opted_out_ids.append(event_id)
            del self.stats.opted_out_ids[:-KEPT_DECISIONS]
        self.ven.opt_out(event_id)
        self._save_stats()
        self.entry.async_create_background_task(
            self.hass, self.async_poll(), f"balance utility link opt-out {event_id}"
        )
        return event_id

    def _current_event_id(self) -> str | None:
        now = dt_util.utcnow()
        term = self.ven.directive.first_shed(after=now)
        if term is not None and term.event_ids:
            return term.event_ids[0]
        return None

    # ----------------------------------------------------------- directive -> house

    def _on_directive(self, directive: Directive) -> None:
        self._apply()
        self._notify()

    def _on_outcome(self, outcome: EventOutcome) -> None:
        kind = self.stats.count(outcome)
        if kind is None:
            return
        self._log(kind, outcome.event_id, reason=None if outcome.reason is None else outcome.reason)
        self._save_stats()
        for listener in list(self._outcome_listeners):
            listener(outcome)

    @property
    def term(self) -> Term | None:
        """The DR term in force now."""
        return self.ven.directive.at(dt_util.utcnow())

    @property
    def directive(self) -> Directive:
        """The current directive (timeline of DR limit, shed level and price)."""
        return self.ven.directive

    def price_at(self, moment: datetime) -> tuple[float, str | None] | None:
        """The utility's price (and currency) at `moment`, for the pricing entry."""
        term = self.ven.directive.at(moment)
        if term is None or term.price is None:
            return None
        return term.price, term.currency

    def _participants(self) -> list[Participant]:
        manager = load_manager(self.hass)
        if manager is None:
            return []
        chosen = self.ven.bounds.participating_loads
        return [
            Participant(load_id, load.priority, timedelta(minutes=load.max_off_min))
            for load_id, load in manager.loads.items()
            if load_id in chosen
        ]

    @callback
    def _apply(self) -> None:
        """Set the DR limit term and the held loads for now; wake up at the next change."""
        manager = load_manager(self.hass)
        if manager is not None and manager is not self._adopted:
            self._adopt(manager)  # new bounds may publish (and apply) a new directive first
        now = dt_util.utcnow()
        term = self.ven.directive.at(now)
        limit_w = term.limit_w if term is not None else None
        level = term.shed if term is not None else ShedLevel.NORMAL
        event_ids = term.event_ids if term is not None else ()
        if level is ShedLevel.NORMAL:
            self._level_since = None
        elif self._level_since is None or self._applied[1] is not level:
            self._level_since = now
        plan = shed_plan(level, self._level_since or now, now, self._participants())
        if manager is not None:
            until = term.end.timestamp() if term is not None and limit_w is not None else None
            manager.set_dr_limit(limit_w, until, self.ven.bounds.participating_loads)
            manager.set_dr_holds(plan.held)
            if sorted(manager.dr_held) != self.stats.held:
                self.stats.held = sorted(manager.dr_held)
                self._save_stats()
        if (limit_w, level) != self._applied:
            previous_limit, previous_level = self._applied
            self._applied = (limit_w, level)
            ids = ",".join(event_ids) or None
            if limit_w != previous_limit:
                self._log(
                    "limit_set" if limit_w is not None else "limit_cleared",
                    ids,
                    limit_kw=None if limit_w is None else round(limit_w / 1000.0, 3),
                )
            if level is not previous_level:
                self._log(
                    "shed_set" if level is not ShedLevel.NORMAL else "shed_cleared",
                    ids,
                    shed_level=int(level),
                )
        self._wake_at(self._next_change(now, plan.next_change))

    def _adopt(self, manager: LoadManager) -> None:
        """Act through this load management: take over the holds from before a restart (they
        come back if due), and follow its loads in the bounds (participants, red loads)."""
        self._adopted = manager
        manager.set_dr_holds(self.stats.held, adopt=True)
        if self._loads_unsub is not None:
            self._loads_unsub()
        self._loads_unsub = manager.async_add_loads_listener(self._loads_changed)
        self.ven.set_bounds(self._bounds())

    @callback
    def _loads_changed(self) -> None:
        self.ven.set_bounds(self._bounds())
        self._apply()
        self._notify()

    def _next_change(self, now: datetime, rotation: datetime | None) -> datetime | None:
        moments = [rotation] if rotation is not None else []
        for term in self.ven.directive.terms:
            moments.extend(moment for moment in (term.start, term.end) if moment > now)
        return min(moments, default=None)

    def _wake_at(self, moment: datetime | None) -> None:
        if self._boundary_unsub is not None:
            self._boundary_unsub()
            self._boundary_unsub = None
        if moment is not None and moment < datetime.max.replace(tzinfo=moment.tzinfo):
            self._boundary_unsub = async_track_point_in_utc_time(
                self.hass, self._at_boundary, moment
            )

    @callback
    def _at_boundary(self, _now: datetime) -> None:
        self._boundary_unsub = None
        self._apply()
        self._notify()

    # ------------------------------------------------------------ reports and stats

    def _settle_energy_shed(self) -> None:
        """Energy shed by each ended accepted control event: the same span before it as the
        baseline, minus what was used during it."""
        now = dt_util.utcnow()
        for event in list(self.ven.events.values()):
            outcome = self.ven.outcomes.get(event.id)
            if (
                event.id in self.stats.shed_kwh
                or not event.controls
                or event.end > now
                or outcome is None
                or outcome.decision is not Decision.ACCEPTED
            ):
                continue
            span = event.end - event.start
            baseline = self._usage(event.start - span, event.start)
            used = self._usage(event.start, event.end)
            if baseline is None or used is None:
                continue
            self.stats.shed_kwh[event.id] = round(max(0.0, baseline - used), 3)
            while len(self.stats.shed_kwh) > KEPT_DECISIONS:
                del self.stats.shed_kwh[next(iter(self.stats.shed_kwh))]
            self._save_stats()

    @callback
    def _hourly(self, now: datetime) -> None:
        """Relay the last hour of the chosen meters to the utility's reporting event."""
        relayed = self.entry.options.get(CONF_RELAY_ENTITIES, [])
        target = self._reporting_event(now)
        if not relayed or target is None:
            return
        event_id, program_id = target
        end = now.replace(minute=0, second=0, microsecond=0)
        start = end - timedelta(hours=1)
        readings = {
            entity: energy
            for entity in relayed
            if (history := self.meters.get(entity)) is not None
            and (energy := history.energy(start, end)) is not None
        }
        if not readings:
            return
        body = meter_report(
            event_id,
            client_name=self.ven.ven_name,
            seq=self.ven.buffer.reserve_seq(),
            start=start,
            end=end,
            readings=readings,
        )
        self.entry.async_create_background_task(
            self.hass,
            self.ven.queue_report(program_id, event_id, body),
            "balance utility link hourly relay",
        )

    def _reporting_event(self, now: datetime) -> tuple[str, str] | None:
        """(event id, program id) of the utility's event that asks for USAGE reports now.

        Remembered across restarts, so that the relay goes on while the VTN is unreachable.
        """
        for event in self.ven.events.values():
            if _asks_usage(event) and event.start <= now < event.end:
                target = [event.id, event.program_id, event.end.isoformat()]
                if self.stats.relay_to != target:
                    self.stats.relay_to = target
                    self._save_stats()
                return event.id, event.program_id
        known = self.stats.relay_to
        if self.ven.ven_id is None and known is not None:
            end = dt_util.parse_datetime(known[2])
            if end is not None and now < end:
                return known[0], known[1]
        return None

    def _save_stats(self) -> None:
        data = self.stats.to_json()
        self._stats_store.async_delay_save(lambda: data, STATS_SAVE_DELAY_S)

    def _log(self, action: str, event_id: str | None, **extra: Any) -> None:
        """A logbook line (an HA event) for every DR action, with the event id."""
        self.hass.bus.async_fire(
            EVENT_UTILITY_LINK,
            {
                "entry_id": self.entry.entry_id,
                "name": self.entry.title,
                ATTR_ACTION: action,
                ATTR_EVENT_ID: event_id,
                ATTR_REASON: extra.pop("reason", None),
                ATTR_LIMIT_KW: extra.pop("limit_kw", None),
                ATTR_SHED_LEVEL: extra.pop("shed_level", None),
            },
        )

    # ------------------------------------------------------------------ listeners

    @callback
    def async_add_listener(self, update: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `update` after every poll and directive change; return the remover."""
        self._listeners.append(update)
        return lambda: self._listeners.remove(update)

    @callback
    def async_add_outcome_listener(self, received: Callable[[EventOutcome], None]) -> CALLBACK_TYPE:
        """Call `received` with each new decision on an event; return the remover."""
        self._outcome_listeners.append(received)
        return lambda: self._outcome_listeners.remove(received)

    def _notify(self) -> None:
        for update in list(self._listeners):
            update()

    def diagnostics(self) -> dict[str, Any]:
        """State for diagnostics (no secret, token or identifier)."""
        return {
            "config": self.ven.config.redacted(),
            "connected": self.connected,
            "last_error": self.last_error,
            "ven_id_known": self.ven.ven_id is not None,
            "programs": [program.name for program in self.ven.programs.values()],
            "events": {
                event_id: {
                    "decision": str(outcome.decision),
                    "reason": None if outcome.reason is None else str(outcome.reason),
                }
                for event_id, outcome in self.ven.outcomes.items()
            },
            "link_lost": self.ven.link_lost,
            "push": self.subscribed,
            "mqtt_connected": self.mqtt is not None and self.mqtt.connected,
            "reports_pending": len(self.ven.buffer.pending),
            "reports_delivered": self.ven.buffer.delivered,
            "reports_dropped": self.ven.buffer.dropped,
            "statistics": {
                "accepted": self.stats.accepted,
                "declined": self.stats.declined,
                "opted_out": self.stats.opted_out,
                "rejected": self.stats.rejected,
            },
        }
