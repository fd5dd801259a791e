"""Repair issues of a BALANCE hub: low batteries, safety alarms, lasting plausibility alarms,
implausible counter reports, old firmware."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from awesomeversion import AwesomeVersion, AwesomeVersionException
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later

from .const import DOMAIN, MIN_HUB_FIRMWARE, PLAUSIBILITY_ISSUE_AFTER
from .hub.messages import (
    PROTOCOL_VERSION,
    AlarmKind,
    ChannelFlag,
    Hello,
    Medium,
    NodeFlag,
    NodeStatus,
)
from .metering import Reason

if TYPE_CHECKING:
    from .inventory import ChannelData

_UNITS: Final[dict[Medium, tuple[str, str]]] = {  # total unit, rate unit
    Medium.ELECTRICITY: ("kWh", "kW"),
    Medium.HEAT: ("kWh", "kW"),
    Medium.WATER: ("m³", "m³/h"),
    Medium.GAS: ("m³", "m³/h"),
}

PLAUSIBILITY_KINDS: Final[dict[AlarmKind, ChannelFlag]] = {
    AlarmKind.OPEN_CIRCUIT: ChannelFlag.OPEN_CIRCUIT,
    AlarmKind.SHORT_CIRCUIT: ChannelFlag.SHORT_CIRCUIT,
    AlarmKind.MAGNETIC: ChannelFlag.MAGNETIC,
}

SAFETY_KINDS: Final = (AlarmKind.PHASE_LOSS, AlarmKind.NEUTRAL_VOLTAGE, AlarmKind.ARCING)


@callback
def raise_issue(
    hass: HomeAssistant,
    issue_id: str,
    severity: ir.IssueSeverity,
    translation_key: str,
    placeholders: dict[str, str],
) -> None:
    """Create (or update) a BALANCE repair issue the user cannot fix from the dialog."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=severity,
        translation_key=translation_key,
        translation_placeholders=placeholders,
    )


class HubRepairs:
    """Creates and deletes the repair issues of one hub."""

    def __init__(self, hass: HomeAssistant, hub_id: str, node_name: Callable[[int], str]) -> None:
        """Bind to a hub; ``node_name`` names a node in the issue texts."""
        self.hass = hass
        self.hub_id = hub_id
        self._node_name = node_name
        self._plausibility_timers: dict[tuple[int, int, int], CALLBACK_TYPE] = {}

    @callback
    def cancel(self) -> None:
        """Stop the pending plausibility timers (the entry unloads)."""
        for cancel in self._plausibility_timers.values():
            cancel()
        self._plausibility_timers.clear()

    @callback
    def battery(self, status: NodeStatus) -> None:
        """Raise or clear the low battery issue of a radio node."""
        issue_id = f"battery_low_{self.hub_id}_{status.node_id}"
        if not status.flags & NodeFlag.BATTERY_LOW:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        raise_issue(
            self.hass,
            issue_id,
            ir.IssueSeverity.WARNING,
            "battery_low",
            {"node": self._node_name(status.node_id), "percent": str(status.battery_pct)},
        )

    @callback
    def safety(self, node_id: int, kind: AlarmKind, active: bool) -> None:
        """A safety alarm (phase loss, neutral voltage, arcing) is an issue at once, while on."""
        if kind not in SAFETY_KINDS:
            return
        issue_id = f"safety_{self.hub_id}_{node_id}_{int(kind)}"
        if not active:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        raise_issue(
            self.hass,
            issue_id,
            ir.IssueSeverity.CRITICAL,
            f"safety_{kind.name.lower()}",
            {"node": self._node_name(node_id)},
        )

    @callback
    def plausibility(self, node_id: int, channel: int, kind: AlarmKind, active: bool) -> None:
        """A plausibility alarm that lasts PLAUSIBILITY_ISSUE_AFTER becomes an issue."""
        if kind not in PLAUSIBILITY_KINDS:
            return
        key = (node_id, channel, int(kind))
        issue_id = f"plausibility_{self.hub_id}_{node_id}_{channel}_{int(kind)}"
        if not active:
            cancel = self._plausibility_timers.pop(key, None)
            if cancel is not None:
                cancel()
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        if key in self._plausibility_timers:
            return

        @callback
        def _lasting(_now: Any) -> None:
            self._plausibility_timers[key] = lambda: None
            raise_issue(
                self.hass,
                issue_id,
                ir.IssueSeverity.ERROR,
                f"plausibility_{kind.name.lower()}",
                {"node": self._node_name(node_id), "channel": str(channel)},
            )

        self._plausibility_timers[key] = async_call_later(
            self.hass, PLAUSIBILITY_ISSUE_AFTER, _lasting
        )

    @callback
    def implausible_counter(self, channel: ChannelData) -> None:
        """Raise the issue of a channel's implausible report, or clear it (no flag any more)."""
        issue_id = f"implausible_counter_{self.hub_id}_{channel.node_id}_{channel.channel}"
        total = channel.total
        flag = total.flag
        if flag is None:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        unit, rate_unit = _UNITS[channel.medium]
        placeholders = {
            "node": self._node_name(channel.node_id),
            "channel": channel.name or str(channel.channel),
            "step": f"{flag.pulses / total.pulses_per_unit:.3f} {unit}",
            "maximum": f"{total.max_rate:g} {rate_unit}",
        }
        raise_issue(
            self.hass,
            issue_id,
            ir.IssueSeverity.WARNING,
            "counter_epoch_flapping" if flag.reason is Reason.EPOCH else "counter_implausible",
            placeholders,
        )

    @callback
    def downgrade(self, target: str | None) -> None:
        """Raise the issue of a keyed entry meeting a hub that asks for no key (None: clear)."""
        issue_id = f"downgrade_{self.hub_id}"
        if target is None:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        raise_issue(
            self.hass,
            issue_id,
            ir.IssueSeverity.ERROR,
            "downgrade",
            {"hub": self.hub_id, "target": target},
        )

    @callback
    def check_firmware(self, firmware: str, hello: Hello | None) -> None:
        """Raise the firmware issue below the minimum firmware or protocol, else clear it."""
        outdated = hello is not None and hello.version < PROTOCOL_VERSION
        with contextlib.suppress(AwesomeVersionException):
            outdated |= AwesomeVersion(firmware) < AwesomeVersion(MIN_HUB_FIRMWARE)
        if outdated:
            self.firmware_outdated(firmware)
        else:
            ir.async_delete_issue(self.hass, DOMAIN, f"firmware_outdated_{self.hub_id}")

    @callback
    def firmware_outdated(self, firmware: str) -> None:
        """Raise the firmware issue (also when the hub refused our protocol version)."""
        raise_issue(
            self.hass,
            f"firmware_outdated_{self.hub_id}",
            ir.IssueSeverity.ERROR,
            "firmware_outdated",
            {"hub": self.hub_id, "firmware": firmware, "minimum": MIN_HUB_FIRMWARE},
        )
