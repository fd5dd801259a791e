"""The running tariff of a pricing entry: prices, the meter's usage, the billing period.

The tariff in force is the last good one: options that do not build a tariff raise a repair
issue and the tariff stored at the last good start keeps running; a dynamic forecast that is
not a valid series raises one and the last good prices stay.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import (
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    UnitOfEnergy,
)
from homeassistant.core import (
    CALLBACK_TYPE,
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.exceptions import ConfigEntryError, HomeAssistantError
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import (
    async_track_state_change_event,
    async_track_time_change,
    async_track_time_interval,
)
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import EnergyConverter

from ..const import DOMAIN, LOGGER  # noqa: TID252
from ..tariffs import (  # noqa: TID252
    Ledger,
    PricePoint,
    PriceSeries,
    Tariff,
    TariffError,
    TariffErrorCode,
    Usage,
    horizon_end,
)
from .config import build_tariff
from .const import (
    ACTION_REFRESH_AFTER,
    CONF_ENERGY_ENTITY,
    CONF_PRICE_ENTITY,
    CONF_PRICE_SCALE,
    CONF_TARIFF_TYPE,
    COST_STAT_MINUTE,
    PRICE_HISTORY,
    PRICE_STALE_AFTER,
    REFRESH_EVERY,
    SAVE_DELAY,
    SIGNAL_PRICES_UPDATED,
    STORAGE_KEY,
    STORAGE_VERSION,
    TYPE_DYNAMIC,
)
from .issues import ISSUE_FORECAST_INVALID, ISSUE_PRICE_STALE, ISSUE_TARIFF_INVALID, PricingIssues
from .sources import PriceSource, PriceUnavailableError, detect_source

LIVE_PRICES = timedelta(days=2)
"""Dynamic prices older than this are kept in the history only, not in the live series."""

type PricingConfigEntry = ConfigEntry[PricingRuntime]


def tariff_error_placeholders(err: TariffError) -> dict[str, str]:
    """``error`` (the code) and ``detail`` (its placeholders) for an issue text."""
    detail = ", ".join(f"{k}={v}" for k, v in sorted(err.placeholders.items()))
    return {"error": err.code.value, "detail": detail or "-"}


def pricing_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Storage of a pricing entry: ledger, last meter reading, last good tariff, price history."""
    return Store(hass, STORAGE_VERSION, STORAGE_KEY.format(entry_id=entry_id))


class PricingRuntime:
    """One pricing entry at run time."""

    tariff: Tariff

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Nothing runs before :meth:`async_start`."""
        self.hass = hass
        self.entry = entry
        self.options: dict[str, Any] = dict(entry.options)
        self.issues = PricingIssues(hass, entry.entry_id)
        self.ledger = Ledger()
        self.reading: tuple[float, datetime] | None = None
        self.history: dict[datetime, PricePoint] = {}
        self.good_options: dict[str, Any] | None = None
        self.source: PriceSource | None = None
        self.last_fetch: datetime | None = None
        self.last_fetch_error: str | None = None
        self.price_missing_since: datetime | None = None
        self._store = pricing_store(hass, entry.entry_id)
        self._listeners: list[CALLBACK_TYPE] = []
        self._unsubs: list[CALLBACK_TYPE] = []
        self._cost_runner: Callable[[], None] | None = None
        self._clock: tuple[float | None, str | None, datetime] | None = None

    # ------------------------------------------------------------------ properties

    @property
    def tz(self) -> ZoneInfo:
        """HA's time zone."""
        return dt_util.get_time_zone(self.hass.config.time_zone) or ZoneInfo("UTC")

    @property
    def dynamic(self) -> bool:
        """True for a tariff priced from a price entity."""
        return bool(self.options[CONF_TARIFF_TYPE] == TYPE_DYNAMIC)

    @property
    def energy_entity(self) -> str:
        """The energy sensor whose usage is costed."""
        return str(self.options[CONF_ENERGY_ENTITY])

    @property
    def price_entity(self) -> str | None:
        """The price entity of a dynamic tariff."""
        return self.options.get(CONF_PRICE_ENTITY) if self.dynamic else None

    # ------------------------------------------------------------------ lifecycle

    async def async_start(self, cost_runner: Callable[[], None]) -> None:
        """Restore the stored state, build the tariff, follow the meter and the prices."""
        self._cost_runner = cost_runner
        stored = await self._store.async_load() or {}
        self.ledger = Ledger.from_dict(stored.get("ledger", {}))
        if (reading := stored.get("reading")) is not None:
            self.reading = (float(reading[0]), datetime.fromisoformat(reading[1]))
        self.history = {
            point.start: point
            for point in (
                PricePoint(datetime.fromisoformat(a), datetime.fromisoformat(b), float(p))
                for a, b, p in stored.get("history", [])
            )
        }
        self.tariff = await self._async_initial_tariff(stored.get("good_options"))
        now = dt_util.utcnow()
        if self.price_entity is not None:
            await self.async_refresh_prices(now)
        self._unsubs += [
            async_track_state_change_event(self.hass, self.energy_entity, self._on_energy),
            async_track_time_interval(self.hass, self._on_minute, timedelta(minutes=1)),
            async_track_time_interval(self.hass, self._on_refresh_timer, REFRESH_EVERY),
            async_track_time_change(
                self.hass, self._on_cost_hour, minute=COST_STAT_MINUTE, second=0
            ),
        ]
        if self.price_entity is not None:
            self._unsubs.append(
                async_track_state_change_event(self.hass, self.price_entity, self._on_price_entity)
            )
        if (state := self.hass.states.get(self.energy_entity)) is not None:
            self._count(state, now)  # what the meter counted while HA was off
        self._check_prices(now)
        self._store.async_delay_save(self._data, SAVE_DELAY)  # the good options of this start

    async def async_stop(self) -> None:
        """Stop following and save now."""
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        await self._store.async_save(self._data())

    async def _async_initial_tariff(self, stored_good: dict[str, Any] | None) -> Tariff:
        """The tariff of the options, or the last good one with a repair issue.

        Built in the executor: a holiday calendar imports its country's module.
        """
        build = self.hass.async_add_import_executor_job
        try:
            tariff = await build(self._build, self.options)
        except TariffError as err:
            placeholders = {"name": self.entry.title, **tariff_error_placeholders(err)}
            self.issues.set(ISSUE_TARIFF_INVALID, placeholders)
            if stored_good is None:
                raise ConfigEntryError(
                    translation_domain=DOMAIN,
                    translation_key=ISSUE_TARIFF_INVALID,
                    translation_placeholders=placeholders,
                ) from err
            LOGGER.warning(
                "Tariff %s is invalid (%s); the last good one runs", self.entry.title, err
            )
            self.good_options = stored_good
            self.options = {**stored_good}
            return await build(self._build, stored_good)
        self.issues.set(ISSUE_TARIFF_INVALID, None)
        self.good_options = dict(self.options)
        return tariff

    def _build(self, options: dict[str, Any]) -> Tariff:
        series = self._live_series() if options[CONF_TARIFF_TYPE] == TYPE_DYNAMIC else None
        return build_tariff(options, self.tz, self.hass.config.country, series)

    # ------------------------------------------------------------------ listeners

    @callback
    def async_add_listener(self, update: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``update`` when prices, usage or the time of day changed what entities show."""
        self._listeners.append(update)
        return lambda: self._listeners.remove(update)

    @callback
    def _notify(self) -> None:
        for update in list(self._listeners):
            update()

    # ------------------------------------------------------------------ usage

    @callback
    def _on_energy(self, event: Event[EventStateChangedData]) -> None:
        if (state := event.data["new_state"]) is not None:
            self._count(state, dt_util.utcnow())

    @callback
    def _count(self, state: State, now: datetime) -> None:
        """Add the meter's step since the last reading (a drop is a meter reset: rebase)."""
        kwh = _kwh(state)
        if kwh is None:
            return
        if self.reading is not None:
            before, since = self.reading
            if kwh == before or (kwh > before and now <= since):
                return  # nothing new, or counted with the next reading (no time has passed)
            if kwh > before:
                self.ledger.add(self.tariff, Usage(since, now, kwh - before))
        self.reading = (kwh, now)
        self._store.async_delay_save(self._data, SAVE_DELAY)
        self._notify()

    # ------------------------------------------------------------------ prices

    @callback
    def _on_price_entity(self, event: Event[EventStateChangedData]) -> None:
        """Read attributes at each change; an action only after a failed fetch (e.g. at start)."""
        if self.source is None or not self.source.polled or self.last_fetch_error is not None:
            self.entry.async_create_background_task(
                self.hass, self.async_refresh_prices(dt_util.utcnow()), "balance price update"
            )

    @callback
    def _on_refresh_timer(self, now: datetime) -> None:
        if self._refresh_due(now):
            self.entry.async_create_background_task(
                self.hass, self.async_refresh_prices(now), "balance price refresh"
            )

    def _refresh_due(self, now: datetime) -> bool:
        """Poll an action hourly, and every 15 min from noon while tomorrow is missing."""
        if self.price_entity is None:
            return False
        if self.source is None or self.last_fetch is None or self.last_fetch_error is not None:
            return True
        if not self.source.polled:
            return False
        assert self.tariff.dynamic is not None
        known = self.tariff.dynamic.points[-1].end if self.tariff.dynamic.points else None
        tomorrow_missing = known is None or known < horizon_end(now, self.tariff)
        noon = now.astimezone(self.tz).hour >= 12
        return now - self.last_fetch >= ACTION_REFRESH_AFTER or (tomorrow_missing and noon)

    async def async_refresh_prices(self, now: datetime) -> None:
        """Fetch the prices; a bad payload raises an issue and keeps the last good prices."""
        assert self.price_entity is not None
        if self.source is None:
            self.source = detect_source(self.hass, self.price_entity)
        if self.source is None:
            self.last_fetch_error = "no_forecast"
            return
        scale = float(self.options.get(CONF_PRICE_SCALE) or 1.0)
        self.last_fetch = now
        try:
            series = await self.source.async_fetch(self.hass, now.astimezone(self.tz).date(), scale)
        except (PriceUnavailableError, HomeAssistantError) as err:
            self.last_fetch_error = str(err) or type(err).__name__
            return
        except TariffError as err:
            self.last_fetch_error = str(err)
            if err.code is TariffErrorCode.FORECAST_EMPTY:
                return  # no prices yet: the stale check reports it if it lasts
            self.issues.set(
                ISSUE_FORECAST_INVALID,
                {"name": self.entry.title, "entity_id": self.price_entity}
                | tariff_error_placeholders(err),
            )
            return
        self.last_fetch_error = None
        self.issues.set(ISSUE_FORECAST_INVALID, None)
        before = self.tariff.dynamic.points if self.tariff.dynamic else ()
        self.history.update({p.start: p for p in series.points})
        oldest = now - PRICE_HISTORY
        self.history = {s: p for s, p in self.history.items() if p.end > oldest}
        self.tariff = dataclasses.replace(self.tariff, dynamic=self._live_series(now))
        self._check_prices(now)
        if self.tariff.dynamic is not None and self.tariff.dynamic.points != before:
            self._store.async_delay_save(self._data, SAVE_DELAY)
            if self._unsubs:  # running (the setup announces the first prices once loaded)
                async_dispatcher_send(self.hass, SIGNAL_PRICES_UPDATED, self.entry.entry_id)
            self._notify()

    def _live_series(self, now: datetime | None = None) -> PriceSeries:
        """The newest gap-free run of the price history (from two days back)."""
        oldest = (now or dt_util.utcnow()) - LIVE_PRICES
        run: list[PricePoint] = []
        for point in sorted(self.history.values(), key=lambda p: p.start):
            if point.end <= oldest or (run and point.start < run[-1].end):
                continue
            if run and point.start > run[-1].end:
                run = []
            run.append(point)
        return PriceSeries(tuple(run))

    @callback
    def _check_prices(self, now: datetime) -> None:
        """A price entity without a price for now for 30 min raises ``price_stale``."""
        if self.price_entity is None:
            return
        state = self.hass.states.get(self.price_entity)
        silent = state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN)
        if not silent and self.tariff.energy_price(now) is not None:
            if self.price_missing_since is not None:
                LOGGER.info("%s has a current price again", self.price_entity)
            self.price_missing_since = None
            self.issues.set(ISSUE_PRICE_STALE, None)
            return
        if self.price_missing_since is None:
            LOGGER.info("%s has no price for now (%s)", self.price_entity, self.last_fetch_error)
            self.price_missing_since = now
        if now - self.price_missing_since >= PRICE_STALE_AFTER:
            minutes = int((now - self.price_missing_since).total_seconds() // 60)
            self.issues.set(
                ISSUE_PRICE_STALE,
                {"name": self.entry.title, "entity_id": self.price_entity, "minutes": str(minutes)},
            )

    # ------------------------------------------------------------------ time

    @callback
    def _on_minute(self, now: datetime) -> None:
        """Entities follow the clock when the price, the zone or the hour changes.

        (Standing charges to date then move hourly; usage and new prices notify at once.)
        """
        self._check_prices(now)
        clock = (
            self.tariff.unit_price(now, self.ledger.kwh),
            self.tariff.zone_at(now),
            now.replace(minute=0, second=0, microsecond=0),
        )
        if clock != self._clock:
            self._clock = clock
            self._notify()

    @callback
    def _on_cost_hour(self, _now: datetime) -> None:
        if self._cost_runner is not None:
            self._cost_runner()

    # ------------------------------------------------------------------ storage

    def _data(self) -> dict[str, Any]:
        return {
            "ledger": self.ledger.to_dict(),
            "reading": None
            if self.reading is None
            else [self.reading[0], self.reading[1].isoformat()],
            "good_options": self.good_options,
            "history": [
                [p.start.isoformat(), p.end.isoformat(), p.price]
                for p in sorted(self.history.values(), key=lambda p: p.start)
            ],
        }


def historic_series(
    history: Iterable[PricePoint], start: datetime, end: datetime
) -> PriceSeries | None:
    """Spot prices covering [start, end) exactly, from a price history (None: a gap)."""
    points = sorted((p for p in history if p.end > start and p.start < end), key=lambda p: p.start)
    if not points or points[0].start > start or points[-1].end < end:
        return None
    try:
        return PriceSeries.build(points)
    except TariffError:
        return None


def _kwh(state: State) -> float | None:
    """An energy sensor's state in kWh (None when unknown or not energy)."""
    if state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return None
    try:
        value = float(state.state)
    except ValueError:
        return None
    unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
    if unit not in EnergyConverter.VALID_UNITS:
        return None
    return EnergyConverter.convert(value, unit, UnitOfEnergy.KILO_WATT_HOUR)
