"""Restarts during a shed: held loads are re-adopted from storage, none stays off by mistake."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .conftest import advance, lm_entry, load_ids, make_house, setup_lm


async def test_reload_during_shed_keeps_holding(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory, hass_storage: dict[str, Any]
) -> None:
    """A reload while shedding persists the holds; the shed load is adopted, not forgotten."""
    house = await make_house(hass)
    entry = await setup_lm(hass, lm_entry())
    await advance(hass, freeze, 10)
    assert not house.is_on("washer")

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    stored = hass_storage[f"balance.load_management.{entry.entry_id}"]["data"]
    assert list(stored["held"]) == [load_ids(entry)["washer"]]
    today = str(int(dt_util.utcnow().timestamp() // 86400))
    profiles = stored["profiles"]  # learned demand, per green load
    assert any(v is not None for v in profiles[load_ids(entry)["washer"]][today])
    assert hass.states.get("sensor.washer_state").state == "shed"
    assert not house.is_on("washer")  # nothing toggled by the restart

    await hass.services.async_call(  # headroom again: the adopted load comes back
        "number",
        "set_value",
        {"entity_id": "number.load_management_limit", "value": 8000},
        blocking=True,
    )
    await advance(hass, freeze, 60, step=5)
    assert house.is_on("washer")
    assert hass.states.get("sensor.washer_state").state == "on"


async def test_restart_adopts_and_max_off_keeps_counting(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory, hass_storage: dict[str, Any]
) -> None:
    """After a restart a yellow load shed 5 min ago is back within its 7 min max-off."""
    entry = lm_entry()
    ids = load_ids(entry)
    now = dt_util.utcnow().timestamp()
    hass_storage[f"balance.load_management.{entry.entry_id}"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"balance.load_management.{entry.entry_id}",
        "data": {
            "enabled": True,
            "day": dt_util.now().date().isoformat(),
            "held": {
                ids["boiler"]: {"status": "shed", "since": now - 300},
                ids["aircon"]: {"status": "shed", "since": now - 30},  # found on: not held
            },
            "off_today": {ids["boiler"]: 300.0},
            "manual": {},
            "green": {},
            "profiles": {  # malformed: ignored
                ids["washer"]: {"yesterday": [1.0], "20000": 5, "20001": ["junk"] * 96},
                ids["boiler"]: [1, 2],
            },
        },
    }
    house = await make_house(
        hass, initial={"washer": True, "boiler": False, "aircon": True, "computer": True}
    )
    await house.set_base(2300)  # 2300 + 2000 + 1000 + 200 = 5500: no room for the boiler
    await setup_lm(hass, entry)
    assert hass.states.get("sensor.boiler_state").state == "shed"
    assert hass.states.get("sensor.aircon_state").state == "on"
    assert float(hass.states.get("sensor.boiler_off_today").state) == 5.0

    await advance(hass, freeze, 120, step=5)
    assert house.is_on("boiler")  # back before its max-off; the washer made room
    assert not house.is_on("washer")
    assert float(hass.states.get("sensor.boiler_off_today").state) <= 7.0


async def test_remove_entry_forgets_state(
    hass: HomeAssistant, freeze: FrozenDateTimeFactory, hass_storage: dict[str, Any]
) -> None:
    """Removing the entry deletes its persisted state."""
    await make_house(hass)
    entry = await setup_lm(hass, lm_entry())
    await advance(hass, freeze, 10)
    assert await hass.config_entries.async_unload(entry.entry_id)
    key = f"balance.load_management.{entry.entry_id}"
    assert key in hass_storage
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage
