"""Fixtures of the pricing tests: a pricing entry over an energy sensor, in real HA."""

from __future__ import annotations

from collections.abc import Generator
from datetime import timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.balance.const import CONF_KIND, DOMAIN, KIND_PRICING

METER = "sensor.house_energy"
ENERGY_ATTRS = {
    "unit_of_measurement": "kWh",
    "device_class": "energy",
    "state_class": "total_increasing",
}

DAY_NIGHT: dict[str, Any] = {
    "tariff_type": "day_night",
    "energy_entity": METER,
    "day_price": 0.80,
    "night_price": 0.40,
    "night_start": "22:00:00",
    "night_end": "07:00:00",
    "weekend_night": False,
    "holidays": False,
    "fees_per_kwh": 0.05,
    "standing_per_day": 0.20,
    "standing_per_month": 3.0,
    "vat_pct": 19.0,
    "contract_kw": 2.0,
    "capacity_penalty": 1.5,
    "billing_day": 1,
}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    socket_enabled: None, recorder_mock: object, enable_custom_integrations: None
) -> None:
    """Load custom_components/balance (and the recorder it depends on) in every test."""


@pytest.fixture
async def romania(hass: HomeAssistant) -> None:
    """HA configured in Bucharest, currency RON."""
    await hass.config.async_update(time_zone="Europe/Bucharest", currency="RON", country="RO")


@pytest.fixture
def freeze(freezer: FrozenDateTimeFactory) -> Generator[FrozenDateTimeFactory]:
    """Tuesday 1 December 2026, 10:00 in Bucharest (08:00 UTC)."""
    freezer.move_to("2026-12-01 08:00:00+00:00")
    yield freezer


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float, step: float = 60.0
) -> None:
    """Move the clock in steps, firing the timers due on the way."""
    moved = 0.0
    while moved < seconds:
        freezer.tick(timedelta(seconds=step))
        moved += step
        async_fire_time_changed(hass)
        await hass.async_block_till_done()


def pricing_entry(options: dict[str, Any], title: str = "Home tariff") -> MockConfigEntry:
    """A pricing entry with ``options``."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=title,
        data={CONF_KIND: KIND_PRICING},
        options=options,
        unique_id=f"{KIND_PRICING}:{options['energy_entity']}",
    )


async def setup_pricing(
    hass: HomeAssistant, options: dict[str, Any], title: str = "Home tariff"
) -> MockConfigEntry:
    """Add and set up a pricing entry."""
    entry = pricing_entry(options, title)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry
