"""Constants of the BALANCE cloud entry kind."""

from typing import Final

CONF_SCAN_MINUTES: Final = "scan_minutes"
CONF_RESOURCES: Final = "resources"
"""Options: meter key -> the resource the resident chose for it (the server's otherwise)."""
RESOURCE_AUTO: Final = "auto"
DEFAULT_SCAN_MINUTES: Final = 15
SCAN_MINUTES_RANGE: Final = (5, 240)
MAX_BACKOFF_MINUTES: Final = 240
"""Failed polls double the interval up to this."""
STATISTIC_PREFIX: Final = "cloud"
