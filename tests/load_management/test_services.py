"""The balance.shed, balance.restore and balance.set_limit actions."""

from __future__ import annotations

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError

from custom_components.balance.const import DOMAIN

from .conftest import advance, lm_entry, make_house, setup_lm


async def test_shed_and_restore(hass: HomeAssistant, freeze: FrozenDateTimeFactory) -> None:
    """A manual shed switches a load off for the duration; restore brings it back at once."""
    house = await make_house(hass)
    await setup_lm(hass, lm_entry(limit_w=10000))
    await hass.services.async_call(
        DOMAIN, "shed", {"entity_id": "switch.washer", "duration": {"minutes": 2}}, blocking=True
    )
    await advance(hass, freeze, 5)  # at the latest the next 5 s update sees the switch off
    assert not house.is_on("washer")
    assert hass.states.get("sensor.washer_state").state == "shed"
    await advance(hass, freeze, 125, step=5)
    assert house.is_on("washer")

    await hass.services.async_call(
        DOMAIN, "shed", {"entity_id": "sensor.boiler_state"}, blocking=True
    )
    await hass.async_block_till_done()
    assert not house.is_on("boiler")
    await hass.services.async_call(DOMAIN, "restore", {"entity_id": "switch.boiler"}, blocking=True)
    await hass.async_block_till_done()
    assert house.is_on("boiler")


async def test_yellow_manual_shed_is_bounded(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory
) -> None:
    """Without a duration a yellow load still comes back after its max-off."""
    house = await make_house(hass)
    await setup_lm(hass, lm_entry(limit_w=10000))
    await hass.services.async_call(DOMAIN, "shed", {"entity_id": "switch.aircon"}, blocking=True)
    await hass.async_block_till_done()
    assert not house.is_on("aircon")
    await advance(hass, freeze, 7 * 60, step=10)
    assert house.is_on("aircon")


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"entity_id": "switch.computer"}, "red_never_shed"),
        ({"entity_id": "switch.unknown"}, "not_managed"),
        ({"entity_id": "switch.boiler", "duration": {"minutes": 20}}, "longer_than_max_off"),
    ],
)
async def test_shed_validation(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory, data: dict[str, object], key: str
) -> None:
    """Red loads, unknown entities and too long yellow sheds are refused, translated."""
    await make_house(hass)
    await setup_lm(hass, lm_entry())
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "shed", data, blocking=True)
    assert err.value.translation_key == key


async def test_set_limit(hass: HomeAssistant, freeze: FrozenDateTimeFactory) -> None:
    """A permanent limit goes to the options; a DR limit applies for its duration only."""
    await make_house(hass)
    entry = await setup_lm(hass, lm_entry(limit_w=10000))
    await hass.services.async_call(DOMAIN, "set_limit", {"watts": 9000}, blocking=True)
    await hass.async_block_till_done()
    assert entry.options["limit_w"] == 9000
    assert float(hass.states.get("number.load_management_limit").state) == 9000

    await hass.services.async_call(
        DOMAIN,
        "set_limit",
        {"watts": 3000, "reason": "dr", "duration": {"minutes": 10}},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert hass.states.get("sensor.load_management_effective_limit").state == "3000"
    assert hass.states.get("sensor.load_management_limit_reason").state == "dr"
    assert hass.states.get("sensor.load_management_effective_limit").attributes["reason"] == "dr"
    await advance(hass, freeze, 605, step=5)
    assert hass.states.get("sensor.load_management_effective_limit").state == "9000"
    assert hass.states.get("sensor.load_management_limit_reason").state == "resident"

    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "set_limit", {"watts": 3000, "reason": "dr"}, blocking=True
        )
    assert err.value.translation_key == "dr_duration"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "set_limit", {"watts": 3000, "config_entry_id": "nope"}, blocking=True
        )
    assert err.value.translation_key == "no_load_management"


@pytest.mark.parametrize(
    ("service", "data", "key", "text"),
    [
        ("set_limit", {"watts": None}, "invalid_watts", "100 to 200000 W, not None"),
        ("set_limit", {"watts": 50}, "invalid_watts", "not 50"),
        ("set_limit", {"watts": 3000, "duration": "soon"}, "invalid_duration", "'soon'"),
        ("set_limit", {"watts": 3000, "reason": "grid"}, "invalid_reason", "'grid'"),
        ("set_limit", {"watts": 3000, "kw": 3}, "invalid_field", "kw is not valid"),
        ("shed", {"entity_id": "not an entity"}, "invalid_entity_id", "switch.boiler"),
    ],
)
async def test_invalid_values_are_translated(
    hass: HomeAssistant, service: str, data: dict[str, object], key: str, text: str
) -> None:
    """A bad value is a translated error, not voluptuous's text ending in "Got None"."""
    await make_house(hass)
    await setup_lm(hass, lm_entry())
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, service, data, blocking=True)
    assert err.value.translation_key == key
    assert text in str(err.value)
    assert "Got" not in str(err.value)
