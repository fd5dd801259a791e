"""A tariff that becomes invalid at run time: a repair issue, and the last good tariff runs."""

from __future__ import annotations

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from custom_components.balance.const import DOMAIN

from .conftest import DAY_NIGHT, ENERGY_ATTRS, METER, setup_pricing

pytestmark = pytest.mark.usefixtures("romania", "freeze")

TOU = {
    **{k: v for k, v in DAY_NIGHT.items() if not k.startswith(("day_", "night_", "weekend"))},
    "tariff_type": "time_of_use",
    "zone_prices": "day=0.80; night=0.40",
    "schedule": "mon-fri 07:00-22:00 day; * 22:00-07:00 night",
}


async def test_invalid_tariff_without_a_last_good_one_does_not_start(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory
) -> None:
    hass.states.async_set(METER, "10", ENERGY_ATTRS)
    entry = await setup_pricing(
        hass, TOU | {"schedule": "mon-fri 07:00-21:00 day; * 22:00-07:00 night"}
    )
    assert entry.state is ConfigEntryState.SETUP_ERROR
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"tariff_invalid_{entry.entry_id}")
    assert issue is not None and issue.translation_placeholders is not None
    assert issue.translation_placeholders["error"] == "zones_gap"
    assert "at=21:00" in issue.translation_placeholders["detail"]


async def test_last_good_tariff_keeps_running(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory
) -> None:
    hass.states.async_set(METER, "10", ENERGY_ATTRS)
    entry = await setup_pricing(hass, TOU)
    issue_id = f"tariff_invalid_{entry.entry_id}"
    # the options become invalid (edited outside the flow, or HA's country was removed)
    await hass.config.async_update(country=None)
    hass.config_entries.async_update_entry(
        entry, options=TOU | {"holidays": True, "zone_prices": "day=0.9; night=0.4"}
    )
    await hass.async_block_till_done()  # the update listener reloads the entry
    assert entry.state is ConfigEntryState.LOADED
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None and issue.translation_placeholders is not None
    assert issue.translation_placeholders["error"] == "holidays_unavailable"
    price = hass.states.get("sensor.home_tariff_current_price")
    assert price is not None and float(price.state) == pytest.approx((0.80 + 0.05) * 1.19)
    # corrected: the new tariff runs and the issue goes
    await hass.config.async_update(country="RO")
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    price = hass.states.get("sensor.home_tariff_current_price")
    # 1 December is a public holiday in Romania: its schedule follows the weekend, i.e. the
    # workday one here, so the day zone at 10:00 with the new price
    assert price is not None and float(price.state) == pytest.approx((0.90 + 0.05) * 1.19)
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert not [i for (d, i) in ir.async_get(hass).issues if d == DOMAIN and entry.entry_id in i]
