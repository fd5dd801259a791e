"""Fixtures of the load-management tests: a simulated house of real HA switches."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.const import STATE_ON
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.balance.const import DOMAIN
from custom_components.balance.load_management.const import (
    CONF_KIND,
    CONF_LIMIT_W,
    CONF_MAX_OFF_MIN,
    CONF_MIN_ON_MIN,
    CONF_POWER_ENTITY,
    CONF_PRIORITY,
    CONF_RATED_W,
    CONF_REACTION_S,
    CONF_SENSOR_TIMEOUT_S,
    CONF_SWITCH_ENTITY,
    KIND_LOAD_MANAGEMENT,
    SUBENTRY_MANAGED_LOAD,
)

HOUSE = "sensor.house_power"
POWER_ATTRS = {"unit_of_measurement": "W", "device_class": "power"}

# name -> (priority, rated W); every load is a template switch over an input_boolean.
LOADS: dict[str, tuple[str, float]] = {
    "washer": ("green", 2000.0),
    "boiler": ("yellow", 1500.0),
    "aircon": ("yellow", 1000.0),
    "computer": ("red", 200.0),
}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    socket_enabled: None, recorder_mock: object, enable_custom_integrations: None
) -> None:
    """Load custom_components/balance (and the recorder it depends on) in every test."""


@pytest.fixture
def freeze(freezer: FrozenDateTimeFactory) -> Generator[FrozenDateTimeFactory]:
    """A frozen clock at a quiet time of day (no midnight reset during a test)."""
    freezer.move_to("2026-03-10 10:00:00+00:00")
    yield freezer


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float, step: float = 1.0
) -> None:
    """Move the clock in steps, firing the timers due on the way."""
    moved = 0.0
    while moved < seconds:
        freezer.tick(timedelta(seconds=step))
        moved += step
        async_fire_time_changed(hass)
        await hass.async_block_till_done()


def switch_config(name: str, refuse_off: bool = False) -> dict[str, Any]:
    """A template switch driving input_boolean.<name>; `refuse_off` keeps it on."""
    boolean = f"input_boolean.{name}"
    return {
        "name": name.capitalize(),
        "unique_id": f"switch-{name}",
        "state": f"{{{{ is_state('{boolean}', 'on') }}}}",
        "turn_on": {"action": "input_boolean.turn_on", "target": {"entity_id": boolean}},
        "turn_off": {
            "action": "input_boolean.turn_on" if refuse_off else "input_boolean.turn_off",
            "target": {"entity_id": boolean},
        },
    }


@dataclass
class House:
    """The house power follows the switches: base load plus every load that is on."""

    hass: HomeAssistant
    base_w: float = 1000.0
    rated: dict[str, float] = field(default_factory=dict)
    switched_on: list[tuple[str, float]] = field(default_factory=list)
    measuring: bool = True

    @property
    def power_w(self) -> float:
        """Current house power."""
        return self.base_w + sum(w for name, w in self.rated.items() if self.is_on(name))

    def is_on(self, name: str) -> bool:
        """True while the load's switch is on."""
        state = self.hass.states.get(f"switch.{name}")
        return state is not None and state.state == STATE_ON

    @callback
    def publish(self) -> None:
        """Write the house power sensor."""
        if self.measuring:
            self.hass.states.async_set(HOUSE, str(self.power_w), POWER_ATTRS)

    async def set_base(self, watts: float) -> None:
        """Change the unmanaged part of the load."""
        self.base_w = watts
        self.publish()
        await self.hass.async_block_till_done()


async def make_house(
    hass: HomeAssistant,
    initial: dict[str, bool] | None = None,
    refuse_off: frozenset[str] = frozenset(),
) -> House:
    """Create the input_booleans, the template switches and the house power sensor."""
    initial = initial or dict.fromkeys(LOADS, True)
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(
        hass,
        "input_boolean",
        {"input_boolean": {name: {"initial": initial[name]} for name in LOADS}},
    )
    assert await async_setup_component(
        hass,
        "template",
        {"template": [{"switch": [switch_config(n, n in refuse_off) for n in LOADS]}]},
    )
    await hass.async_block_till_done()
    house = House(hass, rated={name: w for name, (_, w) in LOADS.items()})

    @callback
    def _changed(event: Event[EventStateChangedData]) -> None:
        if event.data["new_state"] and event.data["new_state"].state == STATE_ON:
            house.switched_on.append((event.data["entity_id"], event.time_fired.timestamp()))
        house.publish()

    async_track_state_change_event(hass, [f"switch.{n}" for n in LOADS], _changed)
    house.publish()
    await hass.async_block_till_done()
    return house


def load_subentry(name: str, **extra: Any) -> ConfigSubentryDataWithId:
    """A managed-load subentry for one of LOADS."""
    priority, rated = LOADS[name]
    data: dict[str, Any] = {
        CONF_SWITCH_ENTITY: f"switch.{name}",
        CONF_PRIORITY: priority,
        CONF_RATED_W: rated,
        CONF_MAX_OFF_MIN: 7,
        CONF_MIN_ON_MIN: 1,
    }
    return ConfigSubentryDataWithId(
        data=data | extra,
        subentry_id=f"load_{name}",
        subentry_type=SUBENTRY_MANAGED_LOAD,
        title=name.capitalize(),
        unique_id=None,
    )


def lm_entry(
    schedules: dict[str, dict[str, Any]] | None = None,
    names: Sequence[str] | None = None,
    **options: Any,
) -> MockConfigEntry:
    """A load-management entry managing the loads `names` of LOADS (default: all; extra
    subentry data by name)."""
    schedules = schedules or {}
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id="load_management",
        title="Load management",
        data={CONF_KIND: KIND_LOAD_MANAGEMENT},
        options={
            CONF_POWER_ENTITY: HOUSE,
            CONF_LIMIT_W: 5000,
            CONF_REACTION_S: 10,
            CONF_SENSOR_TIMEOUT_S: 60,
        }
        | options,
        subentries_data=[load_subentry(name, **schedules.get(name, {})) for name in names or LOADS],
    )


def load_ids(entry: MockConfigEntry) -> dict[str, str]:
    """Subentry id of each load, by name."""
    return {
        sub.data[CONF_SWITCH_ENTITY].removeprefix("switch."): sub.subentry_id
        for sub in entry.subentries.values()
    }


async def setup_lm(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    """Add and set up a load-management entry."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry
