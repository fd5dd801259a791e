"""Config, options and subentry flows of meter insights, in the real HA flow manager."""

from __future__ import annotations

from typing import Any

from homeassistant import config_entries
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.balance.const import DOMAIN
from custom_components.balance.insights.const import SUBENTRY_GROUP, SUBENTRY_METER

from .conftest import set_meter, setup_insights

SETTINGS = {"billing_day": 15, "away_entity": "input_boolean.away"}


async def _entry_via_menu(hass: HomeAssistant) -> config_entries.ConfigEntry:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert "insights" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "insights"}
    )
    assert result["step_id"] == "insights"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], SETTINGS)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    return result["result"]


async def test_entry_once_with_options_and_reconfigure(hass: HomeAssistant) -> None:
    """The menu creates one insights entry; a second is refused; options and reconfigure."""
    entry = await _entry_via_menu(hass)
    assert entry.data == {"kind": "insights"}
    assert entry.options == {"billing_day": 15, "away_entity": "input_boolean.away"}

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "insights"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "insights"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"billing_day": 3}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.options == {"billing_day": 3}

    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": config_entries.SOURCE_RECONFIGURE, "entry_id": entry.entry_id},
    )
    assert result["step_id"] == "insights_reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"billing_day": 20, "temperature_entity": "sensor.outside"}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.options == {"billing_day": 20, "temperature_entity": "sensor.outside"}


async def _subentry(
    hass: HomeAssistant, entry: config_entries.ConfigEntry, kind: str, *steps: dict[str, Any]
) -> dict[str, Any]:
    result: Any = await hass.config_entries.subentries.async_init(
        (entry.entry_id, kind), context={"source": config_entries.SOURCE_USER}
    )
    for step in steps:
        result = await hass.config_entries.subentries.async_configure(result["flow_id"], step)
    return dict(result)


async def _reconfigure(
    hass: HomeAssistant, entry: config_entries.ConfigEntry, kind: str, subentry_id: str
) -> Any:
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, kind),
        context={"source": config_entries.SOURCE_RECONFIGURE, "subentry_id": subentry_id},
    )


async def test_meter_subentry_validation(hass: HomeAssistant) -> None:
    """Each wrong meter is refused with its translated error; a water meter asks for leaks."""
    entry = await setup_insights(hass, [])
    set_meter(hass, "sensor.water", 12.5, unit="m³")
    set_meter(hass, "sensor.flat", 100.0)
    hass.states.async_set("sensor.power", "5", {"unit_of_measurement": "W"})
    hass.states.async_set(
        "sensor.temp", "5", {"unit_of_measurement": "°C", "state_class": "total_increasing"}
    )
    cases = [
        ({"entity": "sensor.missing"}, {"entity": "entity_not_found"}),
        ({"entity": "sensor.power"}, {"entity": "no_statistics"}),
        ({"entity": "sensor.temp"}, {"entity": "not_a_meter"}),
        ({"entity": "sensor.flat", "medium": "water"}, {"medium": "unit_mismatch"}),
        ({"entity": "sensor.flat", "away_threshold": 1}, {"away_threshold": "away_not_supported"}),
    ]
    for user_input, errors in cases:
        result = await _subentry(hass, entry, SUBENTRY_METER, {"silent_check": False} | user_input)
        assert result["errors"] == errors, user_input

    result = await _subentry(
        hass,
        entry,
        SUBENTRY_METER,
        {"entity": "sensor.water", "silent_check": True, "limit": 10},
        {
            "dribble_h": 24,
            "continuous_min": 60,
            "continuous_lpm": 1,
            "night_start": "02:00:00",
            "night_end": "02:00:00",
            "night_active_min": 45,
            "refill_count": 8,
        },
    )
    assert result["errors"] == {"night_end": "empty_period"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            "dribble_h": 12,
            "continuous_min": 30,
            "continuous_lpm": 1,
            "night_start": "01:00:00",
            "night_end": "04:00:00",
            "night_active_min": 45,
            "refill_count": 8.0,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    (sub,) = entry.subentries.values()
    assert sub.title == "Water"
    assert sub.data["medium"] == "water"  # from the device class
    assert sub.data["dribble_h"] == 12
    assert sub.data["refill_count"] == 8
    assert hass.states.get("binary_sensor.water_leak_dribble") is not None

    result = await _subentry(hass, entry, SUBENTRY_METER, {"entity": "sensor.water"})
    assert result["errors"] == {"entity": "already_configured"}

    result = await _reconfigure(hass, entry, SUBENTRY_METER, sub.subentry_id)
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"medium": "water", "silent_check": False, "limit": 20}
    )
    assert result["step_id"] == "leak"  # the kept leak settings are the defaults shown
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            "dribble_h": 12,
            "continuous_min": 30,
            "continuous_lpm": 2,
            "night_start": "01:00:00",
            "night_end": "04:00:00",
            "night_active_min": 45,
            "refill_count": 8,
        },
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done(wait_background_tasks=True)
    sub = entry.subentries[sub.subentry_id]
    assert sub.data["limit"] == 20
    assert sub.data["continuous_lpm"] == 2
    assert sub.data["entity"] == "sensor.water"


async def test_group_subentry_validation_and_phases(hass: HomeAssistant) -> None:
    """Groups: one kind of unit, no parent among the children; three-phase asks each phase."""
    entry = await setup_insights(hass, [])
    for name in ("building", "flat_1", "flat_2"):
        set_meter(hass, f"sensor.{name}", 10.0)
    set_meter(hass, "sensor.water", 1.0, unit="m³")
    base = {"name": "Block A", "parent": "sensor.building", "expected_loss_pct": 0}
    cases = [
        ({"children": []}, {"children": "children_required"}),
        ({"children": ["sensor.building"]}, {"children": "parent_in_children"}),
        ({"children": ["sensor.flat_1", "sensor.water"]}, {"children": "mixed_units"}),
        ({"children": ["sensor.nope"]}, {"children": "entity_not_found"}),
    ]
    for user_input, errors in cases:
        result = await _subentry(
            hass, entry, SUBENTRY_GROUP, base | {"three_phase": False} | user_input
        )
        assert result["errors"] == errors, user_input

    result = await _subentry(
        hass,
        entry,
        SUBENTRY_GROUP,
        base | {"children": ["sensor.flat_1", "sensor.flat_2"], "three_phase": True},
        {"sensor.flat_1": "0", "sensor.flat_2": "2"},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    (sub,) = entry.subentries.values()
    assert sub.title == "Block A"
    assert sub.data["phases"] == {"sensor.flat_1": 0, "sensor.flat_2": 2}
    assert sub.data["unit_kind"] == "energy"
    assert hass.states.get("sensor.block_a_phase_balancing") is not None

    result = await _reconfigure(hass, entry, SUBENTRY_GROUP, sub.subentry_id)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            "parent": "sensor.building",
            "children": ["sensor.flat_1"],
            "expected_loss_pct": 2,
            "three_phase": False,
        },
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done(wait_background_tasks=True)
    sub = entry.subentries[sub.subentry_id]
    assert sub.data == {
        "parent": "sensor.building",
        "children": ["sensor.flat_1"],
        "expected_loss_pct": 2,
        "three_phase": False,
        "unit_kind": "energy",
    }
    assert hass.states.get("sensor.block_a_phase_balancing") is None
