"""What HACS validation checks for an integration repository, checked here without network.

hacs.json against HACS's schema, the manifest keys HACS reads, a license, the README HACS
renders, brand images served from the integration (HA 2026.3+), and the version policy (the
manifest version is the newest CHANGELOG entry).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from awesomeversion import AwesomeVersion
from PIL import Image

ROOT = Path(__file__).parents[2]
INTEGRATION = ROOT / "custom_components" / "balance"
MANIFEST = json.loads((INTEGRATION / "manifest.json").read_text())
HACS = json.loads((ROOT / "hacs.json").read_text())

# HACS's hacs.json schema: key -> type (name is required).
HACS_KEYS: dict[str, type] = {
    "name": str,
    "content_in_root": bool,
    "country": (str, list),  # type: ignore[dict-item]
    "filename": str,
    "hacs": str,
    "hide_default_branch": bool,
    "homeassistant": str,
    "persistent_directory": str,
    "render_readme": bool,
    "zip_release": bool,
}
BRAND = {"icon.png": (256, 256), "icon@2x.png": (512, 512)}


def test_hacs_json_schema() -> None:
    """Only keys HACS knows, with their types; a valid minimum Home Assistant version."""
    assert "name" in HACS
    for key, value in HACS.items():
        assert key in HACS_KEYS, key
        assert isinstance(value, HACS_KEYS[key]), key
    assert AwesomeVersion(HACS["homeassistant"]).valid
    assert not HACS.get("content_in_root", False)  # the integration is in custom_components/
    assert not HACS.get("zip_release", False)


def test_one_integration_in_custom_components() -> None:
    """HACS installs exactly one integration folder, named after the domain."""
    folders = [p.name for p in (ROOT / "custom_components").iterdir() if p.is_dir()]
    assert [f for f in folders if f != "__pycache__"] == [MANIFEST["domain"]]


def test_manifest_keys_hacs_reads() -> None:
    """domain, name, version, documentation, issue_tracker and codeowners are set."""
    for key in ("domain", "name", "version", "documentation", "issue_tracker", "codeowners"):
        assert MANIFEST.get(key), key
    assert AwesomeVersion(MANIFEST["version"]).strategy == "SemVer"
    assert MANIFEST["documentation"].startswith("https://")
    assert MANIFEST["issue_tracker"].startswith("https://")


def test_license() -> None:
    """An Apache-2.0 LICENSE at the repository root."""
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text


def test_readme_serves_the_hacs_page() -> None:
    """The two commands first, then what it is, installing (HACS and by hand), setup, links."""
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```", 2)[1]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()[1:] if line]
    assert commands == ["make demo", "make test"]
    for heading in ("## What it is", "## Install", "## First setup", "## Links"):
        assert heading in readme, heading
    assert "HACS" in readme and "custom_components/balance" in readme
    for link in re.findall(r"\]\((docs/[^)#]+)", readme):
        assert (ROOT / link).exists(), link


def test_brand_images() -> None:
    """icon.png 256x256, icon@2x.png 512x512, logo.png (shortest side 128-256), transparent."""
    brand = INTEGRATION / "brand"
    for name, size in BRAND.items():
        with Image.open(brand / name) as image:
            assert image.format == "PNG"
            assert image.size == size, name
            assert image.mode == "RGBA", name
    with Image.open(brand / "logo.png") as logo:
        assert logo.format == "PNG"
        assert 128 <= min(logo.size) <= 256
    with Image.open(brand / "logo@2x.png") as logo2:
        assert 256 <= min(logo2.size) <= 512


def test_version_policy() -> None:
    """The manifest version is the newest CHANGELOG entry (bumped on user-visible changes)."""
    changelog = (ROOT / "CHANGELOG.md").read_text()
    versions = re.findall(r"^## \[?(\d+\.\d+\.\d+)\]?", changelog, flags=re.MULTILINE)
    assert versions, "CHANGELOG.md has no version headings"
    assert versions[0] == MANIFEST["version"]
    assert versions == sorted(versions, key=AwesomeVersion, reverse=True)
    assert "version policy" in changelog.lower()
