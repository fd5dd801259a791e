"""Counter persistence: nothing lost across a soft reboot, bounded loss across power cuts."""

import itertools
import json
import random
import struct
import subprocess
import time
import zlib

from mpy_run import MICROPYTHON, MPY_SCRIPTS, ROOT, mpy_env, run_mpy

CUTS = 20


def test_soft_reboot_loses_nothing(tmp_path):
    result = run_mpy("power_cut.py", "reboot", tmp_path)
    assert result["before"] == result["after"]
    assert int(result["before"]["1"]) > 0 and result["same_epoch"]


def test_power_cuts_lose_at_most_the_pulses_since_the_last_flush(tmp_path):
    rng = random.Random(20260112)
    epoch = None
    boots = []
    for _ in range(CUTS):
        process = subprocess.Popen(
            [str(MICROPYTHON), str(MPY_SCRIPTS / "power_cut.py"), "run", str(tmp_path)],
            cwd=ROOT, env=mpy_env(), stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert process.stdout is not None
        first = json.loads(process.stdout.readline())
        epoch = epoch if epoch is not None else first["epoch"]
        assert first["epoch"] == epoch, "the counter file was lost or corrupted"
        time.sleep(rng.uniform(0.02, 0.4))
        process.kill()  # power cut: no orderly stop
        lines = process.stdout.read().splitlines()
        process.wait()
        process.stdout.close()
        steps = [json.loads(line) for line in lines if line.endswith("}")]
        restored = run_mpy("power_cut.py", "restore", tmp_path)
        assert restored["epoch"] == epoch
        assert restored["resumed"] == restored["counts"]  # what COUNTERS' boot_counts carry
        boots.append(restored["boot"])
        if not steps:
            continue
        last = steps[-1]
        for channel, count in restored["counts"].items():
            flushed = last["flushed"][channel]  # the hub flushes once at boot
            assert count >= flushed, "a flushed count went missing"
            # at most one more step (10 s) may have run and flushed after the last line
            assert count <= last["counts"][channel] + max_step_pulses(steps, channel)
    # every start (killed run, then restore) raised the persisted boot number by one
    assert boots == list(range(boots[0], boots[0] + 2 * CUTS, 2))


def test_hourly_archive_never_exceeds_the_flushed_count(tmp_path):
    """The counts are flushed with each archived hour: a cut right after it resumes at or
    above the archived count, so the archive never goes backwards within an epoch."""
    result = run_mpy("power_cut.py", "archive", tmp_path)
    assert result["resumed"] >= result["archived"]
    assert result["counted"] > result["archived"] > 0


def test_boot_number_survives_a_soft_reboot_and_old_counter_files(tmp_path):
    """The boot number grows across orderly stops; a counter file of the previous format (no
    boot) keeps its epoch and counts."""
    first = run_mpy("power_cut.py", "restore", tmp_path)
    second = run_mpy("power_cut.py", "restore", tmp_path)
    assert second["boot"] == first["boot"] + 1
    (tmp_path / "counters.bin").write_bytes(_v1_counters(4321, {1: 777, 2: 5}))
    upgraded = run_mpy("power_cut.py", "restore", tmp_path)
    assert upgraded["epoch"] == 4321 and upgraded["boot"] == 1
    assert upgraded["resumed"] == {"1": 777, "2": 5}


def _v1_counters(epoch, counts):
    data = b"BCS1" + struct.pack(">HB", epoch, len(counts))
    for channel, count in sorted(counts.items()):
        data += struct.pack(">BI", channel, count)
    return data + struct.pack(">I", zlib.crc32(data))


def max_step_pulses(steps, channel):
    counts = [s["counts"][channel] for s in steps]
    return max([b - a for a, b in itertools.pairwise(counts)] + [50])
