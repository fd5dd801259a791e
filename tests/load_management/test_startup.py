"""Start-up of a stored load-management entry: its entities come up once (issue 15)."""

from __future__ import annotations

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE
from homeassistant.core import CoreState, Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er

from .conftest import LOADS, lm_entry, make_house, setup_lm


@pytest.mark.parametrize("known", [False, True], ids=["first_start", "restart"])
async def test_entities_do_not_flap_unavailable_at_start_up(
    hass: HomeAssistant,
    freeze: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    known: bool,
) -> None:
    """From a stored entry with four managed loads, while HA starts: no entity of the entry goes
    unavailable again once it was available (also with its entities already registered and
    their states restored as unavailable, as after a restart)."""
    await make_house(hass)
    entry = lm_entry(capacity_target_w=2500, capacity_period_min="15", hard_limit_w=9000)
    assert len(entry.subentries) == len(LOADS) >= 3
    if known:
        await setup_lm(hass, entry)
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
    changes: list[tuple[str, str | None, str]] = []

    @callback
    def _record(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        old = event.data["old_state"]
        changes.append(
            (event.data["entity_id"], None if old is None else old.state,
             STATE_UNAVAILABLE if new is None else new.state)
        )  # fmt: skip

    hass.set_state(CoreState.not_running)
    unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, _record)
    if not known:
        entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_start()
    await hass.async_block_till_done()
    unsubscribe()

    ours = {e.entity_id for e in er.async_entries_for_config_entry(entity_registry, entry.entry_id)}
    assert len(ours) > 20
    seen_available: set[str] = set()
    flaps = []
    for entity_id, _old, new in changes:
        if entity_id not in ours:
            continue
        if new == STATE_UNAVAILABLE and entity_id in seen_available:
            flaps.append(entity_id)
        elif new != STATE_UNAVAILABLE:
            seen_available.add(entity_id)
    assert seen_available == ours
    assert not flaps, [c for c in changes if c[0] in flaps][:12]
    assert all(hass.states.get(e).state != STATE_UNAVAILABLE for e in ours)
