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
    await hass.async_block_till_done()
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
