"""Type-check custom_components/balance against the sources of other Home Assistant releases.

The venv runs the HA release this machine's Python allows; residents run newer ones. For each
release given, this downloads its wheel (``pip download --no-deps``), unpacks the Python
sources, rewrites Python 3.14's unparenthesised ``except A, B:`` to ``except (A, B):`` so this
interpreter's parser reads them, and runs mypy (strict, the project's settings) with those
sources ahead of the installed HA. A release written ``VERSION+probatio`` is checked with
``voluptuous`` resolving to probatio's voluptuous surface, as HA aliases it at run time from
the release that moves to probatio. Downloads and mypy caches stay in ~/.cache/balance-compat
(or $BALANCE_COMPAT_CACHE).

    python scripts/compat_check.py 2025.10.4 2026.11.0 2026.11.0+probatio
    python scripts/compat_check.py --newest   # the newest release the registry offers
    python scripts/compat_check.py --probatio-tests tests/integration/test_config_flow.py
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Outside the work tree, so fresh clones on this machine (CI) reuse downloads and mypy caches.
CACHE = Path(os.environ.get("BALANCE_COMPAT_CACHE", Path.home() / ".cache" / "balance-compat"))
PROBATIO = "0.13.0"
WHEEL_PYTHON = "3.14.2"  # the newest releases require Python >= 3.14.2
EXCEPT_TUPLE = re.compile(
    r"^(?P<indent>[ \t]*)except(?P<gap>[ \t]+)(?P<types>(?![ \t]*\()[^:\n#]*?,[^:\n#]*?)[ \t]*:",
    re.MULTILINE,
)
# voluptuous module -> tuple in probatio/_vol_shim/_surface.py (humanize maps to probatio's own)
SHIM_MODULES = {
    "__init__": "TOP",
    "util": "UTIL",
    "schema_builder": "SCHEMA_BUILDER",
    "error": "ERROR",
    "validators": "VALIDATORS",
}
MYPY_CONFIG = """\
[mypy]
python_version = 3.13
strict = True
warn_unreachable = True

[mypy-homeassistant.*]
follow_imports = silent

[mypy-probatio.*]
follow_imports = silent
"""


def pip(*args: str) -> str:
    """Run pip of this interpreter; return its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", *args], check=True, capture_output=True, text=True
    )
    return done.stdout


def download(package: str, version: str, into: Path) -> Path:
    """The wheel of ``package==version``, downloaded once."""
    into.mkdir(parents=True, exist_ok=True)
    found = sorted(into.glob(f"{package}-{version}-*.whl"))
    if not found:
        pip("download", f"{package}=={version}", "--no-deps", "--only-binary=:all:",
            "--python-version", WHEEL_PYTHON, "--dest", str(into), "--quiet")  # fmt: skip
        found = sorted(into.glob(f"{package}-{version}-*.whl"))
    return found[0]


def rewrite_except_tuples(source: str) -> tuple[str, int]:
    """``except A, B:`` (Python 3.14) as ``except (A, B):``; returns the text and the count."""
    return EXCEPT_TUPLE.subn(
        lambda m: f"{m['indent']}except{m['gap']}({m['types'].strip()}):", source
    )


def unpack(wheel: Path, package: str, into: Path) -> int:
    """Unpack the wheel's Python files of ``package``; returns how many lines were rewritten."""
    rewritten = 0
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            if not (name.startswith(f"{package}/") and name.endswith((".py", ".pyi", "py.typed"))):
                continue
            text = archive.read(name).decode("utf-8")
            if name.endswith(".py"):
                text, count = rewrite_except_tuples(text)
                rewritten += count
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    return rewritten


def prepare_ha(version: str) -> Path:
    """Unpacked, parser-ready sources of one HA release."""
    src = CACHE / f"ha-{version}" / "src"
    if not (src / ".ready").exists():
        wheel = download("homeassistant", version, CACHE / "wheels")
        rewritten = unpack(wheel, "homeassistant", src)
        print(f"  HA {version}: unpacked, {rewritten} 'except A, B:' rewritten")
        (src / ".ready").touch()
    return src


def prepare_probatio() -> tuple[Path, Path]:
    """probatio's sources and a ``voluptuous`` stub package re-exporting its voluptuous surface."""
    base = CACHE / f"probatio-{PROBATIO}"
    src, alias = base / "src", base / "alias"
    if not (base / ".ready").exists():
        unpack(download("probatio", PROBATIO, CACHE / "wheels"), "probatio", src)
        surface = ast.parse((src / "probatio" / "_vol_shim" / "_surface.py").read_text())
        tuples = {
            node.targets[0].id: ast.literal_eval(node.value)
            for node in surface.body
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
        }
        package = alias / "voluptuous"
        package.mkdir(parents=True, exist_ok=True)
        for module, key in SHIM_MODULES.items():
            lines = [f"from probatio import {name} as {name}" for name in tuples[key]]
            (package / f"{module}.pyi").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (package / "humanize.pyi").write_text("from probatio.humanize import *\n", encoding="utf-8")
        (base / ".ready").touch()
    return src, alias


def check(variant: str) -> int:
    """mypy errors of custom_components/balance against one release (0 when clean)."""
    version, _, flavour = variant.partition("+")
    paths = [prepare_ha(version)]
    if flavour == "probatio":
        probatio_src, alias = prepare_probatio()
        paths = [alias, *paths, probatio_src]
    elif flavour:
        raise SystemExit(f"unknown flavour {flavour!r} (only +probatio)")
    work = CACHE / f"ha-{variant}"
    work.mkdir(parents=True, exist_ok=True)
    config = work / "mypy.ini"
    config.write_text(MYPY_CONFIG, encoding="utf-8")
    env = {**os.environ, "MYPYPATH": os.pathsep.join(str(p) for p in paths)}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(config),
         "--cache-dir", str(work / "mypy-cache"), "custom_components/balance"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    for line in errors:
        print(f"  {line}")
    print(f"HA {variant}: {len(errors)} errors ({time.monotonic() - started:.1f} s)")
    if done.returncode and not errors:
        print(done.stdout + done.stderr)
        return 1
    return len(errors)


def probatio_tests(tests: list[str]) -> int:
    """Run pytest on ``tests`` with voluptuous replaced by probatio (as HA does at run time)."""
    probatio_src, _ = prepare_probatio()
    plugin = CACHE / "plugin"
    plugin.mkdir(parents=True, exist_ok=True)
    (plugin / "balance_probatio.py").write_text(
        "from probatio.compat import install_as_voluptuous\n\ninstall_as_voluptuous()\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join((str(plugin), str(probatio_src)))}
    command = [sys.executable, "-m", "pytest", "-p", "balance_probatio", "-p", "no:sugar", "-q",
               "-p", "no:cacheprovider", *tests]  # fmt: skip
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


def newest() -> str:
    """The newest HA release the package registry offers."""
    out = pip("index", "versions", "homeassistant", "--python-version", WHEEL_PYTHON,
              "--only-binary=:all:")  # fmt: skip
    return out.split("(", 1)[1].split(")", 1)[0]


def main() -> int:
    """Check every release given; exit non-zero on any error."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("variants", nargs="*", help="e.g. 2025.10.4 2026.11.0+probatio")
    parser.add_argument("--newest", action="store_true", help="print the newest HA release")
    parser.add_argument(
        "--probatio-tests", nargs="+", metavar="TEST", help="run these tests on probatio"
    )
    args = parser.parse_args()
    if args.newest:
        print(newest())
        return 0
    if args.probatio_tests:
        return probatio_tests(args.probatio_tests)
    return 1 if sum(check(variant) for variant in args.variants) else 0


if __name__ == "__main__":
    sys.exit(main())
