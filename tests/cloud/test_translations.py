"""Every string the cloud kind shows exists in English and Romanian."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from custom_components.balance.cloud.api import Resource
from custom_components.balance.cloud.resources import RESOURCES
from custom_components.balance.cloud.sensor import SENSORS

PACKAGE = Path(__file__).resolve().parents[2] / "custom_components" / "balance"
CLOUD = PACKAGE / "cloud"


def _load(name: str) -> dict[str, Any]:
    return json.loads((PACKAGE / name).read_text(encoding="utf-8"))


def _used(pattern: str) -> set[str]:
    found: set[str] = set()
    for module in CLOUD.glob("*.py"):
        found |= set(re.findall(pattern, module.read_text(encoding="utf-8")))
    return found


@pytest.mark.parametrize("name", ["strings.json", "translations/en.json", "translations/ro.json"])
def test_cloud_strings(name: str) -> None:
    """Menu, steps, form errors, aborts, exceptions, entity and device names."""
    strings = _load(name)
    config = strings["config"]
    assert config["step"]["user"]["menu_options"]["cloud"]
    for step in ("cloud", "cloud_reauth", "cloud_reconfigure"):
        assert config["step"][step]["title"]
    errors = _used(r'"(cloud_(?:invalid_auth|cannot_connect|unexpected|invalid_url))"')
    assert errors == {
        "cloud_invalid_auth",
        "cloud_cannot_connect",
        "cloud_unexpected",
        "cloud_invalid_url",
    }
    assert errors <= set(config["error"])
    assert _used(r'reason="(cloud_\w+)"') <= set(config["abort"])
    assert {"cloud_already_configured", "cloud_reauth_successful"} <= set(config["abort"])
    exceptions = _used(r'translation_key="(cloud_\w+)"') - {
        str(description.translation_key) for description in SENSORS
    }
    assert exceptions - {"cloud_resource"} <= set(strings["exceptions"])
    assert set(strings["selector"]["cloud_resource"]["options"]) == {
        "auto",
        *(resource.value for resource in Resource),
    }
    assert {"cloud_auth_failed", "cloud_unavailable", "cloud_unexpected"} <= set(
        strings["exceptions"]
    )
    assert strings["options"]["step"]["cloud"]["data"]["scan_minutes"]
    for description in SENSORS:
        assert strings["entity"]["sensor"][str(description.translation_key)]["name"]
    for kind in RESOURCES.values():
        assert "{meter}" in strings["device"][f"cloud_{kind.key}"]["name"]
    assert "{username}" in config["step"]["cloud_reauth"]["description"]
    assert "{meters}" in strings["options"]["step"]["cloud"]["description"]
