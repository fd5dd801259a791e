"""The translation files cover every key the integration uses, in English and Romanian."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from custom_components.balance.binary_sensor import (
    CHANNEL_ALARMS,
    OUT_OF_RANGE,
    SAFETY_ALARMS,
)
from custom_components.balance.const import MEDIUM_KEYS
from custom_components.balance.hub.messages import Medium
from custom_components.balance.names import TOTAL_KEYS
from custom_components.balance.sensor import CHANNEL_SENSORS, NODE_SENSORS
from custom_components.balance.switch import OUTPUT

PACKAGE = Path(__file__).resolve().parents[2] / "custom_components" / "balance"
OWN_MODULES = (
    "config_flow.py",
    "options_flow.py",
    "coordinator.py",
    "repairs.py",
    "hub_entry.py",
    "__init__.py",
)


def _load(name: str) -> dict[str, Any]:
    return json.loads((PACKAGE / name).read_text(encoding="utf-8"))


def _keys(tree: dict[str, Any], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for key, value in tree.items():
        if isinstance(value, dict):
            out |= _keys(value, f"{prefix}{key}.")
        else:
            out.add(prefix + key)
    return out


def test_english_and_romanian_match_strings() -> None:
    """en.json is strings.json; ro.json translates exactly the same keys."""
    strings = _load("strings.json")
    assert _load("translations/en.json") == strings
    assert _keys(_load("translations/ro.json")) == _keys(strings)


def test_every_used_key_is_translated() -> None:
    """Entity names, exceptions, issues, flow errors and aborts all have strings."""
    strings = _load("strings.json")
    entity = strings["entity"]
    for description in (*CHANNEL_SENSORS, *NODE_SENSORS):
        if description.translation_key:
            assert description.translation_key in entity["sensor"]
    for description in (*CHANNEL_ALARMS, *SAFETY_ALARMS, OUT_OF_RANGE):
        assert description.translation_key in entity["binary_sensor"]
    assert OUTPUT.translation_key in entity["switch"]
    source = "\n".join((PACKAGE / name).read_text() for name in OWN_MODULES)
    for key in re.findall(r'translation_key="([a-z_]+)"', source):
        assert key in strings["exceptions"] or key in strings["issues"], key
    for kind in ("open_circuit", "short_circuit", "magnetic"):
        assert f"plausibility_{kind}" in strings["issues"]
    flow = "\n".join((PACKAGE / name).read_text() for name in ("config_flow.py", "options_flow.py"))
    for reason in re.findall(r'reason="([a-z_]+)"', flow):
        assert reason in strings["config"]["abort"] or reason in strings["options"]["abort"]
    for error in ("cannot_connect", "invalid_key", "invalid_auth", "key_required",
                  "incompatible", "unknown"):  # fmt: skip
        assert error in strings["config"]["error"]
        assert error in strings["config"]["abort"]  # USB discovery aborts with these


def test_meter_and_module_names_are_translated() -> None:
    """Every name a meter, its alarms or a radio module can get exists in both languages."""
    for name in ("strings.json", "translations/ro.json"):
        strings = _load(name)
        sensors, binary = strings["entity"]["sensor"], strings["entity"]["binary_sensor"]
        for description in CHANNEL_SENSORS:
            assert "{number}" in sensors[str(description.translation_key)]["name"]
            assert "{name}" in sensors[description.named_key]["name"]
        for alarm in CHANNEL_ALARMS:
            for kind in (*MEDIUM_KEYS.values(), "named"):
                text = binary[f"{alarm.key}_{kind}"]["name"]
                assert ("{name}" if kind == "named" else "{number}") in text, (name, alarm.key)
        assert "{node}" in strings["device"]["radio_module"]["name"]
        assert binary["battery_low"]["name"] != "Battery"
        assert sensors[TOTAL_KEYS[Medium.HEAT]]["name"]
