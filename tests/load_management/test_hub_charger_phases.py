"""A 1p/3p switchable 11 kW charger: three phases only while 6 A x 3 fits, one phase
otherwise, and the phase switch follows the setpoint's rate limit."""

from __future__ import annotations

import itertools

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.balance.const import DOMAIN
from custom_components.balance.load_management.const import KIND_LOAD_MANAGEMENT

from .conftest import HOUSE, advance
from .test_charger import VOLTS, charger_subentry, make_ev_house

PHASE_SWITCH = "switch.wallbox_3p"


async def test_phase_switch_follows_the_headroom_at_most_every_30_s(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory
) -> None:
    house = await make_ev_house(hass, amps=16)
    house.three_phase = True
    house.publish()
    flips: list[tuple[float, str]] = []

    @callback
    def _flipped(event: Event[EventStateChangedData]) -> None:
        new, old = event.data["new_state"], event.data["old_state"]
        if new is not None and old is not None and new.state != old.state:
            flips.append((event.time_fired_timestamp, new.state))

    async_track_state_change_event(hass, [PHASE_SWITCH], _flipped)
    entry = MockConfigEntry(
        domain=DOMAIN,
        entry_id="load_management",
        title="Load management",
        data={"kind": KIND_LOAD_MANAGEMENT},
        options={"power_entity": HOUSE, "limit_w": 6000, "hard_limit_w": 6000, "reaction_s": 10},
        subentries_data=[
            charger_subentry(phases="3", phase_switch_entity=PHASE_SWITCH, max_current_a=16)
        ],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await house.set_base(2500)  # 3.5 kW left: 6 A x 3 (4.1 kW) does not fit, 6-15 A x 1 does
    await advance(hass, freeze, 60)
    assert hass.states.get(PHASE_SWITCH).state == "off"
    assert house.charging and 6 <= house.amps <= (6000 - 2500) // VOLTS
    assert house.power_w <= 6000

    await house.set_base(200)  # 5.8 kW left: back to three phases
    await advance(hass, freeze, 400, step=5)
    assert hass.states.get(PHASE_SWITCH).state == "on"
    assert 6 <= house.amps <= (6000 - 200) // (3 * VOLTS)

    for base in itertools.islice(itertools.cycle((2500, 200)), 18):  # headroom flips every 10 s
        await house.set_base(base)
        await advance(hass, freeze, 10, step=2)
    times = [t for t, _ in flips]
    assert len(times) >= 2
    assert all(b - a >= 30 for a, b in itertools.pairwise(times)), flips
    assert all(b - a >= 30 for a, b in itertools.pairwise(t for t, _ in house.setpoints))
