"""Polling of a BALANCE cloud account: token reuse, re-login on 401, backoff on errors."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from ..const import DOMAIN, LOGGER  # noqa: TID252
from .api import (
    CloudAuthError,
    CloudClient,
    CloudConnectionError,
    CloudError,
    CloudMeter,
    Resource,
)
from .const import CONF_RESOURCES, CONF_SCAN_MINUTES, DEFAULT_SCAN_MINUTES, MAX_BACKOFF_MINUTES
from .resources import resource_kind
from .statistics import HourlyImporter

type CloudConfigEntry = ConfigEntry[CloudCoordinator]


def scan_interval(entry: ConfigEntry) -> timedelta:
    """The polling interval the resident chose."""
    return timedelta(minutes=int(entry.options.get(CONF_SCAN_MINUTES, DEFAULT_SCAN_MINUTES)))


def resource_overrides(entry: ConfigEntry) -> dict[str, Resource]:
    """The resources the resident set per meter in the options."""
    chosen = entry.options.get(CONF_RESOURCES, {})
    return {key: Resource(value) for key, value in chosen.items() if value in set(Resource)}


class CloudCoordinator(DataUpdateCoordinator[dict[str, CloudMeter]]):
    """The account's meters by key (with the resident's resources); polls feed the statistics."""

    config_entry: CloudConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: CloudConfigEntry,
        client: CloudClient,
        importer: HourlyImporter,
    ) -> None:
        """Poll at the entry's interval."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"BALANCE cloud {entry.title}",
            update_interval=scan_interval(entry),
        )
        self.client = client
        self.importer = importer
        self.interval = scan_interval(entry)
        self.overrides = resource_overrides(entry)
        self.failures = 0
        self.unknown_resource: set[str] = set()

    def set_interval(self, interval: timedelta) -> None:
        """A new polling interval from the options (applies from the next poll)."""
        self.interval = interval
        if not self.failures:
            self.update_interval = interval

    async def _async_update_data(self) -> dict[str, CloudMeter]:
        try:
            meters = await self.client.async_get_meters()
        except CloudAuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="cloud_auth_failed"
            ) from err
        except CloudError as err:
            self.failures += 1
            backoff = self.interval * 2 ** min(self.failures, 8)
            self.update_interval = min(backoff, timedelta(minutes=MAX_BACKOFF_MINUTES))
            key = (
                "cloud_unavailable" if isinstance(err, CloudConnectionError) else "cloud_unexpected"
            )
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key=key,
                translation_placeholders={"error": str(err)},
            ) from err
        self.failures = 0
        self.update_interval = self.interval
        meters = [
            replace(meter, resource=self.overrides.get(meter.key, meter.resource))
            for meter in meters
        ]
        for meter in meters:
            if resource_kind(meter) is None and meter.key not in self.unknown_resource:
                self.unknown_resource.add(meter.key)
                LOGGER.warning(
                    "BALANCE cloud meter %s does not say what it measures; it is not imported "
                    "until its resource is chosen in the options",
                    meter.key,
                )
        rows = await self.importer.async_add(meters, dt_util.utcnow())
        LOGGER.debug("BALANCE cloud %s: %d meters, %d hourly rows", self.name, len(meters), rows)
        return {meter.key: meter for meter in meters}
