"""Repair issues of a pricing entry: tariff invalid, forecast invalid, price entity silent."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from ..const import DOMAIN  # noqa: TID252
from ..repairs import raise_issue  # noqa: TID252

ISSUE_TARIFF_INVALID = "tariff_invalid"
ISSUE_FORECAST_INVALID = "forecast_invalid"
ISSUE_PRICE_STALE = "price_stale"
ISSUES = (ISSUE_TARIFF_INVALID, ISSUE_FORECAST_INVALID, ISSUE_PRICE_STALE)


class PricingIssues:
    """Raises and deletes the repair issues of one pricing entry."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Bind to an entry."""
        self._hass = hass
        self._entry_id = entry_id

    def issue_id(self, key: str) -> str:
        """Issue id of ``key`` for this entry."""
        return f"{key}_{self._entry_id}"

    def set(self, key: str, placeholders: dict[str, str] | None) -> None:
        """Raise ``key`` with ``placeholders``, or delete it when None."""
        if placeholders is None:
            ir.async_delete_issue(self._hass, DOMAIN, self.issue_id(key))
        else:
            raise_issue(self._hass, self.issue_id(key), ir.IssueSeverity.WARNING, key, placeholders)

    def clear(self) -> None:
        """Delete every issue of the entry (it was removed)."""
        for key in ISSUES:
            self.set(key, None)
