"""Constants of the BALANCE integration."""

import logging
from typing import Final

from .hub.messages import Medium

DOMAIN: Final = "balance"
MANUFACTURER: Final = "BALANCE"
LOGGER: Final = logging.getLogger(__package__)

# Config entry kinds (see kinds.py); entries without CONF_KIND are hubs.
CONF_KIND: Final = "kind"
KIND_HUB: Final = "hub"
KIND_LOAD_MANAGEMENT: Final = "load_management"
KIND_PRICING: Final = "pricing"  # tariffs, costs and the planner
KIND_INSIGHTS: Final = "insights"  # meter analytics, alerts and BALANCE groups
KIND_UTILITY_LINK: Final = "utility_link"  # OpenADR 3 VEN
KIND_CLOUD: Final = "cloud"  # an existing BALANCE server account
ENTRY_KINDS: Final = (
    KIND_HUB,
    KIND_LOAD_MANAGEMENT,
    KIND_PRICING,
    KIND_INSIGHTS,
    KIND_UTILITY_LINK,
    KIND_CLOUD,
)

# Config entry data
CONF_CONNECTION: Final = "connection"
CONNECTION_TCP: Final = "tcp"
CONNECTION_SERIAL: Final = "serial"
CONF_PSK: Final = "psk"
CONF_HUB_ID: Final = "hub_id"
DEFAULT_PORT: Final = 6638
ZEROCONF_TYPE: Final = "_balance-hub._tcp.local."

# Options: per channel settings under options[CONF_CHANNELS]["<node>:<channel>"]
CONF_CHANNELS: Final = "channels"
# Options: per radio module settings under options[CONF_NODES]["<node>"] (its name)
CONF_NODES: Final = "nodes"
CONF_CHANNEL: Final = "channel"
CONF_MEDIUM: Final = "medium"
CONF_PULSE_CONSTANT: Final = "pulse_constant"
CONF_MAX_RATE: Final = "max_rate"  # maximum power (kW) or flow (m³/h) the meter can measure
CONF_REGISTER: Final = "register"
CONF_REGISTER_TIME: Final = "register_time"

MEDIUM_KEYS: Final[dict[Medium, str]] = {
    Medium.ELECTRICITY: "electricity",
    Medium.WATER: "water",
    Medium.GAS: "gas",
    Medium.HEAT: "heat",
}
# Pulse constant as people read it on the meter: imp/kWh for energy, L/imp for volume.
DEFAULT_PULSE_CONSTANT: Final[dict[Medium, float]] = {
    Medium.ELECTRICITY: 1000.0,
    Medium.WATER: 1.0,
    Medium.GAS: 10.0,
    Medium.HEAT: 1.0,
}
VOLUME_MEDIA: Final = frozenset({Medium.WATER, Medium.GAS})

# Minimum hub firmware the integration is written for (repair issue below it).
MIN_HUB_FIRMWARE: Final = "1.0.0"
# A plausibility alarm that lasts this long becomes a repair issue.
PLAUSIBILITY_ISSUE_AFTER: Final = 3600.0
# A radio module reports every 60 s; silent for five reports, its entities go unavailable.
RADIO_SILENT_AFTER: Final = 300.0
STORAGE_VERSION: Final = 1
SAVE_DELAY: Final = 30.0


def pulses_per_unit(medium: Medium, pulse_constant: float) -> float:
    """Convert the meter's pulse constant to pulses per kWh or per m³."""
    if medium in VOLUME_MEDIA:
        return 1000.0 / pulse_constant  # L/imp -> imp/m³
    return pulse_constant
