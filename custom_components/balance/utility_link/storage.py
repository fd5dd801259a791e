"""The VEN's report buffer in Home Assistant's storage."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .const import STORAGE_VERSION


class HaReportStore:
    """The VEN's report buffer in HA's storage (`.storage/balance.utility_link.<entry>`)."""

    def __init__(self, hass: HomeAssistant, key: str) -> None:
        self._store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, key)

    async def load(self) -> dict[str, Any] | None:
        """The saved buffer."""
        return await self._store.async_load()

    async def save(self, data: dict[str, Any]) -> None:
        """Write it now: a report must survive a crash right after it was queued."""
        await self._store.async_save(data)

    async def remove(self) -> None:
        """Forget the buffer (entry removed)."""
        await self._store.async_remove()
