"""Fixtures of the meter-insights tests: real HA, real recorder, meters with statistics."""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from homeassistant.components.recorder.models import StatisticData, StatisticMetaData
from homeassistant.components.recorder.statistics import async_import_statistics
from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (  # type: ignore[import-untyped]
    async_wait_recording_done,
)

from custom_components.balance.const import DOMAIN
from custom_components.balance.insights.const import (
    CONF_KIND,
    KIND_INSIGHTS,
    SUBENTRY_GROUP,
    SUBENTRY_METER,
)

TZ = "Europe/Bucharest"
UNITS = {"kWh": "energy", "m³": "water", "L": "water"}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    socket_enabled: None, recorder_mock: object, enable_custom_integrations: None
) -> None:
    """Load custom_components/balance and the real recorder in every test."""


@pytest.fixture(autouse=True)
def quiet_sqlalchemy() -> Generator[None]:
    """The HA test plugin logs every SQL statement; thousands of rows make that the bottleneck."""
    engine_logger = logging.getLogger("sqlalchemy.engine")
    level = engine_logger.level
    engine_logger.setLevel(logging.WARNING)
    yield
    engine_logger.setLevel(level)


async def set_time_zone(hass: HomeAssistant) -> None:
    """Run in Europe/Bucharest (DST on the last Sundays of March and October)."""
    await hass.config.async_set_time_zone(TZ)


def set_meter(
    hass: HomeAssistant, entity_id: str, value: float, unit: str = "kWh", device_class: str = ""
) -> None:
    """A cumulative meter sensor (state class total increasing)."""
    device_class = device_class or ("energy" if unit == "kWh" else "water")
    hass.states.async_set(
        entity_id,
        str(value),
        {
            "unit_of_measurement": unit,
            "device_class": device_class,
            "state_class": "total_increasing",
            "friendly_name": entity_id.split(".")[1].replace("_", " ").capitalize(),
        },
    )


async def import_hourly(
    hass: HomeAssistant,
    statistic_id: str,
    start: datetime,
    values: Sequence[float | None],
    *,
    unit: str = "kWh",
    base_sum: float = 0.0,
) -> None:
    """Hourly rows of a sensor's statistics from ``start``: ``values`` is each hour's change.

    A None hour gets no row (not reported yet); the sum carries on over it from ``base_sum``.
    """
    meta = StatisticMetaData(
        has_mean=False,
        has_sum=True,
        name=None,
        source="recorder",
        statistic_id=statistic_id,
        unit_of_measurement=unit,
    )
    rows: list[StatisticData] = []
    total = base_sum
    for index, value in enumerate(values):
        if value is None:
            continue
        total += value
        rows.append(StatisticData(start=start + timedelta(hours=index), state=total, sum=total))
    async_import_statistics(hass, meta, rows)
    await async_wait_recording_done(hass)


def meter_subentry(
    sub_id: str, entity_id: str, medium: str, **data: Any
) -> ConfigSubentryDataWithId:
    """A meter subentry."""
    return ConfigSubentryDataWithId(
        data={"entity": entity_id, "medium": medium} | data,
        subentry_id=sub_id,
        subentry_type=SUBENTRY_METER,
        title=sub_id.capitalize(),
        unique_id=None,
    )


def group_subentry(
    sub_id: str, parent: str, children: Iterable[str], **data: Any
) -> ConfigSubentryDataWithId:
    """A group subentry."""
    return ConfigSubentryDataWithId(
        data={"parent": parent, "children": list(children)} | data,
        subentry_id=sub_id,
        subentry_type=SUBENTRY_GROUP,
        title=sub_id.capitalize(),
        unique_id=None,
    )


async def setup_insights(
    hass: HomeAssistant,
    subentries: list[ConfigSubentryDataWithId],
    **options: Any,
) -> MockConfigEntry:
    """Set up an insights entry and wait for its first analysis."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        entry_id="insights",
        title="Meter insights",
        unique_id=KIND_INSIGHTS,
        data={CONF_KIND: KIND_INSIGHTS},
        options={"billing_day": 1} | options,
        subentries_data=subentries,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry
