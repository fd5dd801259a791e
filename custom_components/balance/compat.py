"""What differs between the Home Assistant releases the integration supports.

One code base runs on HA 2025.4 up to the newest release. Each difference is detected by the
feature itself (an attribute, a TypedDict key), never by comparing version numbers, so a
backport or a rename shows up as what it is. docs/architecture.md lists the releases checked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, Protocol, cast

from homeassistant import config_entries
from homeassistant.components import usb
from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.core import callback
from homeassistant.helpers import selector
from homeassistant.helpers.device_registry import DeviceInfo


class SelfReloadingOptionsFlow(OptionsFlow):
    """An options flow that reloads its entry when the options changed (HA before 2025.8).

    Newer HA has ``OptionsFlowWithReload``, which does the same after the flow ends and
    forbids update listeners; this one saves the options itself first, then schedules the
    reload, so neither needs an update listener.
    """

    @callback
    def async_create_entry(
        self,
        *,
        title: str | None = None,
        data: Mapping[str, Any],
        description: str | None = None,
        description_placeholders: Mapping[str, str] | None = None,
    ) -> ConfigFlowResult:
        """Save the options, reload the entry if they changed, and finish."""
        entry = self.config_entry
        if self.hass.config_entries.async_update_entry(entry, options=data):
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return super().async_create_entry(
            title=title,
            data=data,
            description=description,
            description_placeholders=description_placeholders,
        )


if TYPE_CHECKING:
    ReloadingOptionsFlow = OptionsFlow
else:
    ReloadingOptionsFlow = getattr(
        config_entries, "OptionsFlowWithReload", SelfReloadingOptionsFlow
    )
"""Base of options flows whose changes need a reload: the native one where HA has it."""

HAS_NATIVE_RELOADING_OPTIONS_FLOW: Final = ReloadingOptionsFlow is not SelfReloadingOptionsFlow


def with_parent(info: DeviceInfo, parent_id: str, parent_identifier: tuple[str, str]) -> DeviceInfo:
    """``info`` linked to its parent device: by device id where HA takes one (2026.8+, where
    ``via_device`` is deprecated), else by the parent's identifier."""
    linked = cast(dict[str, Any], dict(info))
    if "via_device_id" in DeviceInfo.__required_keys__ | DeviceInfo.__optional_keys__:
        linked["via_device_id"] = parent_id
    else:
        linked["via_device"] = parent_identifier
    return cast(DeviceInfo, linked)


def native_serial_port_selector() -> selector.Selector[Any] | None:
    """HA's own serial port selector (2026.8+, it lists the ports itself), None before."""
    native: Callable[[], selector.Selector[Any]] | None = getattr(
        selector, "SerialPortSelector", None
    )
    return None if native is None else native()


def serial_by_id(device: str) -> str:
    """The stable /dev/serial/by-id path of a port (blocking: run it in an executor)."""
    resolve: Callable[[str], str] | None = getattr(usb, "get_serial_by_id", None)
    return device if resolve is None else resolve(device)


class SerialPort(Protocol):
    """What pyserial's ``ListPortInfo`` tells about a port."""

    device: str
    serial_number: str | None
    manufacturer: str | None
    description: str | None
    vid: int | None
    pid: int | None


def port_label(port: SerialPort) -> str:
    """How HA names a USB serial port in its own pickers (falls back to the path)."""
    name: Callable[..., str] | None = getattr(usb, "human_readable_device_name", None)
    if name is None:
        return port.device if not port.description else f"{port.description} ({port.device})"
    return name(
        port.device, port.serial_number, port.manufacturer, port.description, port.vid, port.pid
    )
