"""What residents read: the names of devices, meters and their long-term statistics.

A meter is named after its type ("Electricity", "Water 2" when a node has two water inputs),
or after the name the resident gave the channel in the options ("Mains"); a radio module after
its id ("Radio module 00001001") or the resident's name ("Garage"). Entities get these through
translation keys (HA renders them in the user's language); the hub's external statistics,
which HA does not translate, get the same text from the loaded translations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations

from .const import DOMAIN
from .hub.messages import Medium

if TYPE_CHECKING:
    from .inventory import ChannelData, NodeData

# Translation key of each meter's total sensor (unnamed channel); a named one uses METER_NAMED.
TOTAL_KEYS: Final[dict[Medium, str]] = {
    Medium.ELECTRICITY: "energy",
    Medium.HEAT: "heat",
    Medium.WATER: "water",
    Medium.GAS: "gas",
}
METER_NAMED: Final = "meter_named"
RADIO_MODULE: Final = "radio_module"
ENGLISH: Final[dict[str, str]] = {
    "energy": "Electricity{number}",
    "heat": "Heat{number}",
    "water": "Water{number}",
    "gas": "Gas{number}",
    METER_NAMED: "{name}",
    RADIO_MODULE: "Radio module {node}",
}
"""Fallbacks if a translation is missing (strings.json has the same texts)."""


def hub_name(hub_id: str) -> str:
    """Name of the hub's device (and of the config entry)."""
    return f"BALANCE hub {hub_id}"


def node_label(node_id: int) -> str:
    """A radio module's id as printed on it."""
    return f"{node_id:08X}"


def number_suffix(node: NodeData, channel: ChannelData) -> str:
    """ " 2" when the node has more than one meter of that type, else ""."""
    same = [ch for ch in node.channels.values() if ch.medium is channel.medium]
    return f" {channel.channel}" if len(same) > 1 else ""


def meter_placeholders(node: NodeData, channel: ChannelData) -> dict[str, str]:
    """Translation placeholders of a channel's entities: its name, or its type's number."""
    if channel.name:
        return {"name": channel.name}
    return {"number": number_suffix(node, channel)}


class Names:
    """Device and statistic names in HA's language, from the integration's translations."""

    def __init__(self) -> None:
        """English until :meth:`async_load`."""
        self._texts: dict[str, str] = dict(ENGLISH)

    async def async_load(self, hass: HomeAssistant) -> None:
        """Read the entity and device names in HA's configured language."""
        prefix = f"component.{DOMAIN}."
        for category, path in (("entity", "entity.sensor."), ("device", "device.")):
            translated = await async_get_translations(
                hass, hass.config.language, category, [DOMAIN]
            )
            for key in ENGLISH:
                text = translated.get(f"{prefix}{path}{key}.name")
                if text:
                    self._texts[key] = text

    def radio_module(self, node_id: int) -> str:
        """Default name of a radio module's device."""
        return self._texts[RADIO_MODULE].format(node=node_label(node_id))

    def meter(self, node: NodeData, channel: ChannelData) -> str:
        """Name of a channel's total sensor, without the device name."""
        key = METER_NAMED if channel.name else TOTAL_KEYS[channel.medium]
        return self._texts[key].format(**meter_placeholders(node, channel))
