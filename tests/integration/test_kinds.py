"""Entry kinds: an entry of a kind this version does not know fails alone, loudly."""

from __future__ import annotations

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.balance.const import CONF_KIND, DOMAIN, KIND_HUB
from custom_components.balance.kinds import (
    UnknownEntryKindError,
    by_entry_kind,
    entry_kind,
    for_entry_kind,
)


async def test_unknown_kind_fails_setup_and_is_logged(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    """An entry written by a newer version (unknown kind) ends in a setup error, not a crash."""
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_KIND: "weather_station"}, title="Future")
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert "weather_station" in caplog.text


def test_entries_without_kind_are_hubs() -> None:
    """Entries made before kinds existed are hubs; the further kinds are picked by name."""
    old = MockConfigEntry(domain=DOMAIN, data={"host": "127.0.0.1"})
    assert entry_kind(old) == KIND_HUB
    pricing = MockConfigEntry(domain=DOMAIN, data={CONF_KIND: "pricing"})
    assert for_entry_kind(pricing, hub=1, load_management=2, pricing=3) == 3
    with pytest.raises(UnknownEntryKindError):
        for_entry_kind(pricing, hub=1, load_management=2)


def test_dispatch_refuses_a_misspelt_kind() -> None:
    """A platform module naming a kind that does not exist fails at import, not at run time."""

    async def setup(hass: HomeAssistant, entry: object) -> None:
        return None

    with pytest.raises(UnknownEntryKindError, match="pricin"):
        by_entry_kind(hub=setup, load_management=setup, pricin=setup)
