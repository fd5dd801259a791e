"""hassfest and HACS rules for manifest.json and hacs.json (hassfest itself cannot run here)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from awesomeversion import AwesomeVersion

ROOT = Path(__file__).parents[2]
MANIFEST = json.loads((ROOT / "custom_components/balance/manifest.json").read_text())
HACS = json.loads((ROOT / "hacs.json").read_text())
REQUIRED = {
    "domain", "name", "codeowners", "config_flow", "dependencies", "documentation",
    "integration_type", "iot_class", "issue_tracker", "loggers", "requirements", "version",
}  # fmt: skip


def test_manifest_key_order_is_domain_name_then_alphabetical() -> None:
    """hassfest sorts keys: domain, name, then the rest alphabetically."""
    keys = list(MANIFEST)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_manifest_has_required_keys_and_values() -> None:
    """Every key HACS and hassfest require for a custom hub integration is there and valid."""
    assert set(MANIFEST) >= REQUIRED
    assert MANIFEST["domain"] == "balance"
    assert AwesomeVersion(MANIFEST["version"]).valid
    assert MANIFEST["integration_type"] == "hub"
    assert MANIFEST["iot_class"] == "local_push"
    assert MANIFEST["config_flow"] is True
    assert all(re.fullmatch(r"@[\w-]+", owner) for owner in MANIFEST["codeowners"])
    assert all(re.fullmatch(r"[\w.-]+==[\w.]+", req) for req in MANIFEST["requirements"])
    assert MANIFEST["documentation"].startswith("https://")
    assert MANIFEST["issue_tracker"].startswith("https://")


def test_manifest_discovery_matchers() -> None:
    """USB matchers carry 4-digit hex ids; zeroconf announces the hub's service type."""
    assert MANIFEST["zeroconf"] == ["_balance-hub._tcp.local."]
    assert MANIFEST["usb"]
    for matcher in MANIFEST["usb"]:
        assert re.fullmatch(r"[0-9A-F]{4}", matcher["vid"])
        assert re.fullmatch(r"[0-9A-F]{4}", matcher["pid"])


def test_manifest_requirements_match_test_pins() -> None:
    """The runtime requirement is the version the tests install."""
    pins = (ROOT / "requirements-test.txt").read_text().splitlines()
    assert set(MANIFEST["requirements"]) <= set(pins)


def test_hacs_json() -> None:
    """HACS metadata: name, minimum HA version, README rendering."""
    assert HACS == {"name": "BALANCE", "homeassistant": "2025.4.0", "render_readme": True}
