"""quality_scale.yaml lists every rule with a status, and the claims that code can show hold."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[2]
INTEGRATION = ROOT / "custom_components" / "balance"
RULES = yaml.safe_load((INTEGRATION / "quality_scale.yaml").read_text())["rules"]
EVERY_RULE = {
    # bronze
    "action-setup", "appropriate-polling", "brands", "common-modules",
    "config-flow-test-coverage", "config-flow", "dependency-transparency", "docs-actions",
    "docs-high-level-description", "docs-installation-instructions", "docs-removal-instructions",
    "entity-event-setup", "entity-unique-id", "has-entity-name", "runtime-data",
    "test-before-configure", "test-before-setup", "unique-config-entry",
    # silver
    "action-exceptions", "config-entry-unloading", "docs-configuration-parameters",
    "docs-installation-parameters", "entity-unavailable", "integration-owner",
    "log-when-unavailable", "parallel-updates", "reauthentication-flow", "test-coverage",
    # gold
    "devices", "diagnostics", "discovery-update-info", "discovery", "docs-data-update",
    "docs-examples", "docs-known-limitations", "docs-supported-devices",
    "docs-supported-functions", "docs-troubleshooting", "docs-use-cases", "docs-triggers",
    "docs-conditions", "dynamic-devices", "entity-category", "entity-device-class",
    "entity-disabled-by-default", "entity-translations", "exception-translations",
    "icon-translations", "reconfiguration-flow", "repair-issues", "stale-devices",
    # platinum
    "async-dependency", "inject-websession", "strict-typing",
}  # fmt: skip


def _status(rule: str) -> str:
    value = RULES[rule]
    return value if isinstance(value, str) else value["status"]


def test_every_rule_has_a_status() -> None:
    """All rules are listed; todo and exempt say why."""
    assert set(RULES) == EVERY_RULE
    for rule, value in RULES.items():
        assert _status(rule) in {"done", "todo", "exempt"}, rule
        if _status(rule) != "done":
            assert isinstance(value, dict) and value.get("comment"), rule


def test_protocol_library_is_separable() -> None:
    """dependency-transparency: hub/ imports no homeassistant and has its own version."""
    for module in (INTEGRATION / "hub").glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            names = (
                [alias.name for alias in node.names] if isinstance(node, ast.Import)
                else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )  # fmt: skip
            assert not any(name.startswith("homeassistant") for name in names), module.name
    hub = importlib.import_module("custom_components.balance.hub")
    assert isinstance(getattr(hub, "__version__", None), str)


def test_brands_rule_matches_the_images() -> None:
    """brands is done only with the images in the integration's brand folder."""
    if _status("brands") == "done":
        assert (INTEGRATION / "brand" / "icon.png").exists()
        assert (INTEGRATION / "brand" / "logo.png").exists()


def test_option_steps_have_help_texts() -> None:
    """Every field of the hub's option steps has a data_description."""
    import json

    steps = json.loads((INTEGRATION / "strings.json").read_text())["options"]["step"]
    for step_id in ("init", "channel", "node"):
        step = steps[step_id]
        assert set(step.get("data", {})) <= set(step.get("data_description", {})), step_id
