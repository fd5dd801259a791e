"""Config and options flow of the pricing entry: every tariff type, translated errors."""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData

from custom_components.balance.const import DOMAIN

from .conftest import DAY_NIGHT, ENERGY_ATTRS, METER, setup_pricing

pytestmark = pytest.mark.usefixtures("romania", "freeze")

COSTS = {
    "fees_per_kwh": 0.05,
    "standing_per_day": 0.2,
    "standing_per_month": 3.0,
    "vat_pct": 19,
    "capacity_penalty": 0,
    "billing_day": 15,
}


async def _start(hass: HomeAssistant, kind: str, name: str = "Home") -> dict[str, Any]:
    hass.states.async_set(METER, "10", ENERGY_ATTRS)
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert "pricing" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "pricing"}
    )
    assert result["step_id"] == "pricing"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"name": name, "tariff_type": kind}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == f"pricing_{kind}"
    return result


async def test_time_of_use_from_compact_text_with_translated_errors(hass: HomeAssistant) -> None:
    result = await _start(hass, "time_of_use")
    prices = {"energy_entity": METER, "zone_prices": "day=0.80; night=0.45", "holidays": True}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        prices | {"schedule": "mon-fri 07:00-23:00 day; * 22:00-07:00 night"},
    )
    assert result["errors"] == {"base": "zones_overlap"}
    assert result["description_placeholders"]["at"] == "22:00"
    assert result["description_placeholders"]["day"] == "workday"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], prices | {"schedule": "mon-fri 07:00-22:00 day; * 23:00-07:00 night"}
    )
    assert result["errors"] == {"base": "zones_gap"}
    assert result["description_placeholders"]["at"] == "22:00"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], prices | {"schedule": "mon-thu 07:00-23:00 day"}
    )
    assert result["errors"] == {"base": "bad_schedule"}
    assert result["description_placeholders"]["part"] == "mon-thu 07:00-23:00 day"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], prices | {"schedule": "mon-fri 07:00-23:00 day\n* 23:00-07:00 night"}
    )
    assert result["step_id"] == "pricing_costs"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], COSTS)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Home"
    assert result["data"] == {"kind": "pricing"}
    assert result["options"]["schedule"] == "mon-fri 07:00-23:00 day\n* 23:00-07:00 night"
    assert result["options"]["billing_day"] == 15
    await hass.async_block_till_done()
    # 1 December is Romania's national day: a holiday, priced like the weekend (= workday here)
    zone = hass.states.get("sensor.home_current_tariff_zone")
    assert zone is not None and zone.state == "day"


async def test_holidays_need_a_country(hass: HomeAssistant) -> None:
    await hass.config.async_update(country=None)
    result = await _start(hass, "day_night")
    fields = {
        k: DAY_NIGHT[k]
        for k in ("energy_entity", "day_price", "night_price", "night_start", "night_end")
    }
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], fields | {"weekend_night": True, "holidays": True}
    )
    assert result["errors"] == {"base": "holidays_unavailable"}
    await hass.config.async_update(country="RO")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], fields | {"weekend_night": True, "holidays": True, "subdivision": "XX"}
    )
    assert result["errors"] == {"base": "holidays_unavailable"}
    assert result["description_placeholders"]["subdivision"] == "XX"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], fields | {"weekend_night": True, "holidays": True}
    )
    assert result["step_id"] == "pricing_costs"


async def test_blocks_and_their_errors(hass: HomeAssistant) -> None:
    result = await _start(hass, "blocks")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"energy_entity": METER, "blocks": "300:0.5; 100:0.8; *:1.2"}
    )
    assert result["errors"] == {"base": "blocks_order"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"energy_entity": METER, "blocks": "100:0.5; 300:0.8; *:1.2"}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], COSTS)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    price = hass.states.get("sensor.home_current_price")
    assert price is not None and float(price.state) == pytest.approx((0.5 + 0.05) * 1.19)
    assert hass.states.get("sensor.home_current_tariff_zone") is None
    assert hass.states.get("sensor.home_next_cheap_window_start") is None


async def test_dynamic_needs_a_price_entity_with_a_forecast(hass: HomeAssistant) -> None:
    hass.states.async_set("sensor.plain_price", "0.3", {"unit_of_measurement": "RON/kWh"})
    hass.states.async_set("sensor.entsoe_price", "0.3", {"prices": []})
    result = await _start(hass, "dynamic")
    dynamic = {
        "energy_entity": METER,
        "price_scale": 1,
        "spot_multiplier": 1.1,
        "spot_markup": 0.02,
    }
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], dynamic | {"price_entity": "sensor.plain_price"}
    )
    assert result["errors"] == {"price_entity": "price_entity_unsupported"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], dynamic | {"price_entity": "sensor.entsoe_price"}
    )
    assert result["step_id"] == "pricing_costs"
    with pytest.raises(InvalidData):  # the selector refuses it
        await hass.config_entries.flow.async_configure(
            result["flow_id"], COSTS | {"billing_day": 40}
        )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], COSTS)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"]["price_entity"] == "sensor.entsoe_price"


async def test_options_change_the_prices_and_reload(hass: HomeAssistant) -> None:
    hass.states.async_set(METER, "10", ENERGY_ATTRS)
    entry = await setup_pricing(hass, DAY_NIGHT)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "pricing"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"tariff_type": "day_night"}
    )
    assert result["step_id"] == "pricing_day_night"
    fields = {
        k: DAY_NIGHT[k]
        for k in ("energy_entity", "night_price", "night_start", "night_end", "weekend_night")
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], fields | {"day_price": 1.0, "holidays": False}
    )
    assert result["step_id"] == "pricing_costs"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], COSTS | {"vat_pct": 0, "fees_per_kwh": 0}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options["day_price"] == 1.0
    assert "contract_kw" not in entry.options  # left empty: no contracted capacity
    price = hass.states.get("sensor.home_tariff_current_price")
    assert price is not None and float(price.state) == pytest.approx(1.0)
    assert hass.states.get("binary_sensor.home_tariff_contracted_capacity_exceeded") is None


async def test_one_tariff_per_energy_sensor(hass: HomeAssistant) -> None:
    await setup_pricing(hass, DAY_NIGHT)
    result = await _start(hass, "blocks", name="Second")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"energy_entity": METER, "blocks": "*:0.5"}
    )
    assert result["errors"] == {"energy_entity": "meter_has_tariff"}
    hass.states.async_set("sensor.garage_energy", "1", ENERGY_ATTRS)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"energy_entity": "sensor.garage_energy", "blocks": "*:0.5"}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], COSTS)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == "pricing:sensor.garage_energy"


async def test_options_switch_the_tariff_type(hass: HomeAssistant) -> None:
    hass.states.async_set(METER, "10", ENERGY_ATTRS)
    entry = await setup_pricing(hass, DAY_NIGHT)
    assert hass.states.get("sensor.home_tariff_energy_night") is not None
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"tariff_type": "blocks"}
    )
    assert result["step_id"] == "pricing_blocks"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"energy_entity": METER, "blocks": "100:0.5; *:1.0"}
    )
    result = await hass.config_entries.options.async_configure(result["flow_id"], COSTS)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    price = hass.states.get("sensor.home_tariff_current_price")
    assert price is not None and float(price.state) == pytest.approx((0.5 + 0.05) * 1.19)
    # the zone entities of the old tariff are gone, not left unavailable
    assert hass.states.get("sensor.home_tariff_energy_night") is None
    assert hass.states.get("sensor.home_tariff_current_tariff_zone") is None
