"""Diagnostics of a pricing entry (through the integration's diagnostics module) and its device."""

from __future__ import annotations

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from custom_components.balance import async_remove_config_entry_device
from custom_components.balance.const import DOMAIN
from custom_components.balance.diagnostics import async_get_config_entry_diagnostics

from .conftest import DAY_NIGHT, ENERGY_ATTRS, METER, advance, setup_pricing

pytestmark = pytest.mark.usefixtures("romania")


async def test_diagnostics_and_device(hass: HomeAssistant, freeze: FrozenDateTimeFactory) -> None:
    hass.states.async_set(METER, "10", ENERGY_ATTRS)
    entry = await setup_pricing(hass, DAY_NIGHT)
    await advance(hass, freeze, 600)
    hass.states.async_set(METER, "11", ENERGY_ATTRS)
    await hass.async_block_till_done()
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)  # dispatched by kind
    assert diagnostics["tariff"]["type"] == "time_of_use"
    assert diagnostics["tariff"]["zones"] == {"day": 0.8, "night": 0.4}
    assert diagnostics["tariff"]["capacity"] == {"contract_kw": 2.0, "penalty": 1.5}
    assert diagnostics["ledger"]["kwh"] == pytest.approx(1.0)
    assert diagnostics["reading"]["kwh"] == 11.0
    assert diagnostics["prices"]["next"][0][2] == pytest.approx(0.85 * 1.19)
    device = dr.async_get(hass).async_get_device(identifiers={(DOMAIN, entry.entry_id)})
    assert device is not None and device.model == "Tariff"
    assert not await async_remove_config_entry_device(hass, entry, device)
