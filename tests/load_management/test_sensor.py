"""Presentation of the load-management sensors."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from .conftest import lm_entry, make_house, setup_lm


async def test_power_sensors_show_whole_watts(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory, entity_registry: er.EntityRegistry
) -> None:
    """The limit is shown as "9000 W", not "9000.0 W": the power sensors suggest precision 0."""
    await make_house(hass)
    entry = await setup_lm(
        hass, lm_entry(capacity_target_w=2500, capacity_period_min="15", hard_limit_w=9000)
    )
    power = [
        e
        for e in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
        if e.domain == "sensor" and e.original_device_class == "power"
    ]
    limit = entity_registry.async_get("sensor.load_management_effective_limit")
    assert limit is not None and limit in power
    assert len(power) >= 5  # limit, headroom, capacity sensors, the loads' setpoints
    for entity in power:
        assert entity.options["sensor"]["suggested_display_precision"] == 0, entity.entity_id
