"""Snapshots of the load-management entities and diagnostics."""

from __future__ import annotations

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.balance.diagnostics import async_get_config_entry_diagnostics
from custom_components.balance.load_management import PLATFORMS

from .conftest import advance, lm_entry, make_house, setup_lm
from .test_charger import charger_subentry


def snapshot_entry() -> MockConfigEntry:
    """The four sockets plus a wallbox (its number is not there: states unknown)."""
    entry = lm_entry(capacity_target_w=2500, capacity_period_min="15", hard_limit_w=9000)
    return MockConfigEntry(
        domain=entry.domain,
        entry_id=entry.entry_id,
        title=entry.title,
        data=entry.data,
        options=entry.options,
        subentries_data=[
            *(
                ConfigSubentryDataWithId(
                    data=sub.data,
                    subentry_id=sub.subentry_id,
                    subentry_type=sub.subentry_type,
                    title=sub.title,
                    unique_id=None,
                )
                for sub in entry.subentries.values()
            ),
            charger_subentry(),
        ],
    )


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots with Home Assistant's serializer."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_entities(
    hass: HomeAssistant,
    freeze: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Every load-management entity of a platform while the washer is shed."""
    await make_house(hass)
    entry = await setup_lm(hass, snapshot_entry())
    await advance(hass, freeze, 10)
    for other in er.async_entries_for_config_entry(entity_registry, entry.entry_id):
        if other.domain != platform:
            entity_registry.async_remove(other.entity_id)
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_diagnostics(
    hass: HomeAssistant,
    freeze: FrozenDateTimeFactory,
    snapshot: SnapshotAssertion,
) -> None:
    """Diagnostics: options, loads, engine state, guard policy and what is persisted."""
    await make_house(hass)
    entry = await setup_lm(hass, lm_entry())
    await advance(hass, freeze, 10)
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics == snapshot
