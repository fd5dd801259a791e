"""Dynamic prices from real-shaped payloads of HA price integrations, in real HA.

HA core Nord Pool (its action, per MWh, tomorrow published late), Nord Pool custom
(``raw_today``/``raw_tomorrow``, a 25-hour DST day in quarters) and ENTSO-e (``prices``,
hourly); forecasts with gaps and silent price entities become repair issues while the last
good prices keep running; the runtime API the planner uses.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall, SupportsResponse, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.balance.const import DOMAIN
from custom_components.balance.pricing import (
    SIGNAL_PRICES_UPDATED,
    PricingNotFoundError,
    async_get_cheap_windows,
    async_get_price_forecast,
    get_tariff,
)

from .conftest import ENERGY_ATTRS, METER, advance, setup_pricing

pytestmark = pytest.mark.usefixtures("romania")

BUC = ZoneInfo("Europe/Bucharest")
CET = ZoneInfo("Europe/Stockholm")
QUARTER = timedelta(minutes=15)
NORDPOOL_SENSOR = "sensor.nord_pool_se3_current_price"


def _dynamic(price_entity: str, **extra: Any) -> dict[str, Any]:
    return {
        "tariff_type": "dynamic",
        "energy_entity": METER,
        "price_entity": price_entity,
        "price_scale": 1.0,
        "spot_multiplier": 1.1,
        "spot_markup": 0.02,
        "fees_per_kwh": 0.03,
        "vat_pct": 20.0,
        "billing_day": 1,
    } | extra


def _all_in(spot: float) -> float:
    return (spot * 1.1 + 0.02 + 0.03) * 1.2


def _quarter_price(start: datetime) -> float:
    """A price per MWh with a night dip (Nord Pool's unit)."""
    return 20.0 if start.astimezone(CET).hour < 6 else 100.0 + start.astimezone(CET).hour


def _nordpool_day(day: date) -> list[dict[str, Any]]:
    """A CET delivery day in quarters, as the action returns it (UTC ISO strings)."""
    start = datetime(day.year, day.month, day.day, tzinfo=CET).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), CET).astimezone(UTC)
    rows, t = [], start
    while t < end:
        rows.append(
            {"start": t.isoformat(), "end": (t + QUARTER).isoformat(), "price": _quarter_price(t)}
        )
        t += QUARTER
    return rows


class FakeNordPool:
    """The action ``nordpool.get_prices_for_date`` with the core integration's behaviour."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.published_until = date(2026, 12, 1)
        self.calls: list[dict[str, Any]] = []
        self.entry = MockConfigEntry(domain="nordpool", data={"areas": ["SE3"], "currency": "EUR"})
        self.entry.add_to_hass(hass)
        hass.services.async_register(
            "nordpool",
            "get_prices_for_date",
            self.handle,
            supports_response=SupportsResponse.ONLY,
        )
        er.async_get(hass).async_get_or_create(
            "sensor",
            "nordpool",
            "SE3-current_price",
            config_entry=self.entry,
            suggested_object_id="nord_pool_se3_current_price",
        )
        hass.states.async_set(NORDPOOL_SENSOR, "0.12", {"unit_of_measurement": "EUR/kWh"})

    async def handle(self, call: ServiceCall) -> dict[str, Any]:
        self.calls.append(dict(call.data))
        asked = date.fromisoformat(str(call.data["date"]))
        if asked > self.published_until:
            raise ServiceValidationError("empty_response")  # as pynordpool's empty response
        return {area: _nordpool_day(asked) for area in call.data["areas"]}


async def test_nordpool_action_today_then_tomorrow_after_publication(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to("2026-12-01 09:00:00+00:00")  # 11:00 in Bucharest, 10:00 CET
    nordpool = FakeNordPool(hass)
    hass.states.async_set(METER, "10", ENERGY_ATTRS)
    updates: list[str] = []
    seen: list[int] = []

    async def _ask(entry_id: str) -> None:
        seen.append(len(await async_get_price_forecast(hass, entry_id)))

    @callback
    def _updated(entry_id: str) -> None:
        updates.append(entry_id)
        hass.async_create_task(_ask(entry_id))  # as the planner does: the entry answers

    async_dispatcher_connect(hass, SIGNAL_PRICES_UPDATED, _updated)
    entry = await setup_pricing(hass, _dynamic(NORDPOOL_SENSOR))
    assert nordpool.calls[0] == {
        "config_entry": nordpool.entry.entry_id,
        "date": "2026-12-01",
        "areas": ["SE3"],
    }
    price = hass.states.get("sensor.home_tariff_current_price")
    assert price is not None
    assert float(price.state) == pytest.approx(_all_in(0.110), abs=1e-5)  # 110 EUR/MWh
    forecast = await async_get_price_forecast(hass)
    assert forecast[0][0] == datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert forecast[-1][1] == datetime(2026, 12, 1, 23, tzinfo=UTC)  # CET midnight: today only
    assert all(b - a == QUARTER for a, b, _ in forecast)
    assert updates == [entry.entry_id]
    assert len(price.attributes["forecast"]) == len(forecast)

    nordpool.published_until = date(2026, 12, 2)  # day-ahead published ~13:00 CET
    await advance(hass, freezer, 3 * 3600, step=300)  # the 15-minute poll after noon sees it
    forecast = await async_get_price_forecast(hass)
    assert forecast[-1][1] == datetime(2026, 12, 2, 22, tzinfo=UTC)  # horizon: local midnight
    assert updates == [entry.entry_id, entry.entry_id]
    assert seen == [56, 144]  # from 09:00 to 23:00 UTC; at local noon (10:00 UTC) to 22:00 tomorrow
    windows = await async_get_cheap_windows(hass, entry.entry_id)
    assert windows[0][0] == datetime(2026, 12, 1, 23, tzinfo=UTC)  # tomorrow's night dip
    cheap = [p for a, _, p in forecast if any(w[0] <= a < w[1] for w in windows)]
    dear = [p for a, _, p in forecast if not any(w[0] <= a < w[1] for w in windows)]
    assert len(cheap) >= len(forecast) // 4  # the lower quartile of the prices ahead
    assert max(cheap) <= min(dear)
    start = hass.states.get("sensor.home_tariff_next_cheap_window_start")
    assert start is not None and start.state == "2026-12-01T23:00:00+00:00"
    slots = get_tariff(hass).slot_prices(
        datetime(2026, 12, 2, 0, tzinfo=UTC), timedelta(hours=1), 4
    )
    assert slots == pytest.approx([_all_in(0.020)] * 4)
    assert not ir.async_get(hass).issues


def _custom_day(day: date, tz: ZoneInfo, price: float) -> list[dict[str, Any]]:
    """Nord Pool custom: local-time datetimes, per kWh."""
    t = datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tz).astimezone(UTC)
    rows = []
    while t < end:
        rows.append(
            {"start": t.astimezone(tz), "end": (t + QUARTER).astimezone(tz), "value": price}
        )
        t += QUARTER
    return rows


async def test_nordpool_custom_on_the_25_hour_day(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to("2026-10-25 06:00:00+00:00")  # Bucharest: clocks went back at 04:00
    today = _custom_day(date(2026, 10, 25), BUC, 0.5)
    assert len(today) == 100
    sensor = "sensor.nordpool_kwh_ro_ron"
    hass.states.async_set(
        sensor, "0.5", {"raw_today": today, "raw_tomorrow": [], "tomorrow_valid": False}
    )
    hass.states.async_set(METER, "10", ENERGY_ATTRS)
    entry = await setup_pricing(hass, _dynamic(sensor))
    forecast = await async_get_price_forecast(hass)
    assert forecast[-1][1] == datetime(2026, 10, 25, 22, tzinfo=UTC)  # local midnight, +02:00
    tariff = get_tariff(hass, entry.entry_id)
    assert tariff.dynamic is not None and len(tariff.dynamic.points) == 100
    tomorrow = _custom_day(date(2026, 10, 26), BUC, 0.25)
    hass.states.async_set(
        sensor, "0.5", {"raw_today": today, "raw_tomorrow": tomorrow, "tomorrow_valid": True}
    )
    await hass.async_block_till_done()
    forecast = await async_get_price_forecast(hass)
    assert forecast[-1] == (
        datetime(2026, 10, 26, 22, tzinfo=UTC) - QUARTER,
        datetime(2026, 10, 26, 22, tzinfo=UTC),
        pytest.approx(_all_in(0.25)),
    )
    # energy used on the DST day is priced at that day's price
    await advance(hass, freezer, 3600, step=600)
    hass.states.async_set(METER, "12", ENERGY_ATTRS)
    await hass.async_block_till_done()
    today_cost = hass.states.get("sensor.home_tariff_cost_today")
    assert today_cost is not None and float(today_cost.state) == pytest.approx(
        2 * _all_in(0.5), abs=0.01
    )


def _entsoe(start: datetime, prices: list[float], skip: int | None = None) -> list[dict[str, Any]]:
    rows = []
    for k, price in enumerate(prices):
        if k == skip:
            continue
        at = (start + timedelta(hours=k)).astimezone(BUC)
        rows.append({"time": at.strftime("%Y-%m-%d %H:%M:%S%z")[:-2] + ":00", "price": price})
    return rows


async def test_entsoe_gap_raises_an_issue_and_keeps_the_last_good_prices(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to("2026-12-01 08:10:00+00:00")
    sensor = "sensor.entsoe_average_electricity_price"
    midnight = datetime(2026, 12, 1, tzinfo=BUC)
    prices = [0.1 + 0.01 * k for k in range(24)]
    hass.states.async_set(sensor, "0.18", {"prices": _entsoe(midnight, prices)})
    hass.states.async_set(METER, "10", ENERGY_ATTRS)
    entry = await setup_pricing(hass, _dynamic(sensor))
    price = hass.states.get("sensor.home_tariff_current_price")
    assert price is not None and float(price.state) == pytest.approx(_all_in(0.20), abs=1e-5)

    # tomorrow arrives with an hour missing: not a forecast BALANCE can plan on
    two_days = prices + [0.3] * 24
    hass.states.async_set(sensor, "0.18", {"prices": _entsoe(midnight, two_days, skip=30)})
    await hass.async_block_till_done()
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"forecast_invalid_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["error"] == "forecast_gap"
    forecast = await async_get_price_forecast(hass)
    assert forecast[-1][1] == datetime(2026, 12, 1, 22, tzinfo=UTC)  # the last good: today

    hass.states.async_set(sensor, "0.18", {"prices": _entsoe(midnight, two_days)})
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"forecast_invalid_{entry.entry_id}") is None
    forecast = await async_get_price_forecast(hass)
    assert forecast[-1][1] == datetime(2026, 12, 2, 22, tzinfo=UTC)


async def test_price_entity_that_stops_updating(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to("2026-12-01 20:00:00+00:00")  # 22:00 local: today's prices end in 2 h
    sensor = "sensor.entsoe_average_electricity_price"
    midnight = datetime(2026, 12, 1, tzinfo=BUC)
    hass.states.async_set(sensor, "0.18", {"prices": _entsoe(midnight, [0.2] * 24)})
    hass.states.async_set(METER, "10", ENERGY_ATTRS)
    entry = await setup_pricing(hass, _dynamic(sensor))
    issue_id = f"price_stale_{entry.entry_id}"
    hass.states.async_set(sensor, "unavailable", {})
    await hass.async_block_till_done()
    await advance(hass, freezer, 29 * 60)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    await advance(hass, freezer, 2 * 60)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None and issue.translation_placeholders is not None
    assert issue.translation_placeholders["entity_id"] == sensor
    # the last good prices still run while the entity is silent
    price = hass.states.get("sensor.home_tariff_current_price")
    assert price is not None and float(price.state) == pytest.approx(_all_in(0.2), abs=1e-5)
    # back, but only with today's prices: past midnight there is no price for "now"
    hass.states.async_set(sensor, "0.2", {"prices": _entsoe(midnight, [0.2] * 24)})
    await hass.async_block_till_done()
    await advance(hass, freezer, 60)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    await advance(hass, freezer, 2 * 3600, step=300)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    price = hass.states.get("sensor.home_tariff_current_price")
    assert price is not None and price.state == "unknown"


async def test_api_without_a_pricing_entry(hass: HomeAssistant) -> None:
    with pytest.raises(PricingNotFoundError):
        await async_get_price_forecast(hass)
    with pytest.raises(PricingNotFoundError):
        get_tariff(hass, "nope")


async def test_prices_survive_a_restart_while_the_price_entity_is_down(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    freezer.move_to("2026-12-01 08:10:00+00:00")
    sensor = "sensor.entsoe_average_electricity_price"
    midnight = datetime(2026, 12, 1, tzinfo=BUC)
    hass.states.async_set(sensor, "0.2", {"prices": _entsoe(midnight, [0.2] * 24)})
    wh = {**ENERGY_ATTRS, "unit_of_measurement": "Wh"}
    hass.states.async_set(METER, "10000", wh)
    entry = await setup_pricing(hass, _dynamic(sensor))
    assert await hass.config_entries.async_unload(entry.entry_id)
    hass.states.async_set(sensor, "unavailable", {})
    freezer.tick(600)
    hass.states.async_set(METER, "12000", wh)  # 2 kWh in Wh while the entry was down
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    price = hass.states.get("sensor.home_tariff_current_price")
    assert price is not None and float(price.state) == pytest.approx(_all_in(0.2), abs=1e-5)
    cost = hass.states.get("sensor.home_tariff_cost_today")
    assert cost is not None and float(cost.state) == pytest.approx(2 * _all_in(0.2), abs=0.01)
    assert len(await async_get_price_forecast(hass)) == 14  # 08:00 .. 22:00 UTC


async def test_nordpool_loaded_after_balance_is_fetched_without_waiting_an_hour(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """At HA start the Nord Pool action may not exist yet: the next poll or update retries."""
    freezer.move_to("2026-12-01 06:00:00+00:00")  # 08:00 local, before noon
    nordpool = FakeNordPool(hass)
    hass.services.async_remove("nordpool", "get_prices_for_date")
    hass.states.async_set(METER, "10", ENERGY_ATTRS)
    await setup_pricing(hass, _dynamic(NORDPOOL_SENSOR))
    assert await async_get_price_forecast(hass) == []
    hass.services.async_register(
        "nordpool",
        "get_prices_for_date",
        nordpool.handle,
        supports_response=SupportsResponse.ONLY,
    )
    hass.states.async_set(NORDPOOL_SENSOR, "0.13", {"unit_of_measurement": "EUR/kWh"})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(await async_get_price_forecast(hass)) == 68  # 06:00 .. 23:00 UTC in quarters
