"""bench-hub: one hub with 240 nodes x 3 channels reporting every 10 s into a real Home Assistant.

Starts the load generator (bench/hub/peer.py) in its own process, then a real ``hass`` process
from this virtualenv with a temporary config directory (recorder on SQLite, the integration and
the measurement probe bench/hub/probe as custom integrations). The probe adds the hub through the
config flow and measures inside HA; this script prints the figures and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[2]
HERE = Path(__file__).parent
CONFIGURATION = """\
homeassistant:
  name: BALANCE bench
  latitude: 44.43
  longitude: 26.10
  elevation: 80
  unit_system: metric
  time_zone: UTC
  currency: RON
  country: RO
recorder:
http:
  server_host: 127.0.0.1
  server_port: {http_port}
logger:
  default: warning
  logs:
    homeassistant.bootstrap: info
    custom_components.bench_probe: info
bench_probe:
{probe}
"""


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_peer(args: argparse.Namespace, psk: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    peer = subprocess.Popen(
        [sys.executable, str(HERE / "peer.py"), "--nodes", str(args.nodes), "--channels",
         str(args.channels), "--period", str(args.period), "--psk", psk],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert peer.stdout is not None
    return peer, json.loads(peer.stdout.readline())


def _run_hass(config: Path, args: argparse.Namespace) -> dict[str, Any]:
    result = config / "bench_result.json"
    log = (config / "hass.out").open("w")
    hass = subprocess.Popen(
        [sys.executable, "-m", "homeassistant", "-c", str(config), "--skip-pip"],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=config,  # `-m` puts the cwd first on sys.path: not this repository's custom_components
    )
    deadline = time.monotonic() + args.setup_timeout + args.warmup + args.duration + 120
    try:
        while not result.exists():
            if hass.poll() is not None or time.monotonic() > deadline:
                tail = (config / "hass.out").read_text()[-3000:]
                raise SystemExit(f"Home Assistant stopped or timed out:\n{tail}")
            time.sleep(0.5)
        time.sleep(0.2)
        return dict(json.loads(result.read_text()))
    finally:
        hass.send_signal(signal.SIGTERM)
        try:
            hass.wait(60)
        except subprocess.TimeoutExpired:
            hass.kill()
        log.close()


def main() -> None:
    """Run the bench and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=240)
    parser.add_argument("--channels", type=int, default=3)
    parser.add_argument("--period", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=30.0)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--setup-timeout", type=float, default=120.0)
    parser.add_argument("--keep", action="store_true", help="keep the config directory")
    args = parser.parse_args()

    config = Path(tempfile.mkdtemp(prefix="balance-bench-hub-"))
    psk = base64.b64encode(os.urandom(32)).decode()
    peer, hub = _start_peer(args, psk)
    try:
        custom = config / "custom_components"
        custom.mkdir()
        (custom / "balance").symlink_to(ROOT / "custom_components" / "balance")
        shutil.copytree(HERE / "probe", custom / "bench_probe")
        probe = {
            "port": hub["port"],
            "psk": psk,
            "t0": hub["t0"],
            "channels": args.nodes * args.channels,
            "warmup": args.warmup,
            "duration": args.duration,
            "setup_timeout": args.setup_timeout,
            "result": str(config / "bench_result.json"),
        }
        body = "\n".join(f"  {key}: {json.dumps(value)}" for key, value in probe.items())
        configuration = CONFIGURATION.format(probe=body, http_port=_free_port())
        (config / "configuration.yaml").write_text(configuration)
        raw = _run_hass(config, args)
    finally:
        peer.terminate()
        peer.wait(10)
        if not args.keep:
            shutil.rmtree(config, ignore_errors=True)
    if "error" in raw:
        raise SystemExit(f"probe failed: {raw['error']}")

    latencies_ms = [1000 * value for value in raw["latencies_s"]]
    figures = {
        "channels": raw["channels"],
        "cpu_share": round(raw["loop_cpu_s"] / raw["window_s"], 4),
        "latency_p50_ms": round(_percentile(latencies_ms, 0.50), 2),
        "latency_p99_ms": round(_percentile(latencies_ms, 0.99), 2),
        "setup_s": round(raw["setup_s"], 2),
        "memory_mb": round(raw["rss_after_mb"] - raw["rss_before_mb"], 1),
    }
    print(f"nodes x channels        {args.nodes} x {args.channels}, every {args.period:g} s")
    print(f"window                  {raw['window_s']:.1f} s after {args.warmup:g} s warm-up")
    print(f"event loop CPU          {100 * figures['cpu_share']:.2f} % of one core")
    print(f"process CPU (all thr.)  {100 * raw['process_cpu_s'] / raw['window_s']:.2f} %")
    print(f"state_changed events    {raw['state_changed_events'] / raw['window_s']:.1f} /s")
    print(
        f"frame -> state latency  p50 {figures['latency_p50_ms']} ms, "
        f"p99 {figures['latency_p99_ms']} ms, max {max(latencies_ms):.1f} ms, "
        f"mean {statistics.fmean(latencies_ms):.2f} ms over {len(latencies_ms)} states"
    )
    print(f"setup (flow -> all {raw['channels']} totals) {raw['setup_s']:.2f} s "
          f"(entry created after {raw['entry_setup_s']:.2f} s)")  # fmt: skip
    print(
        f"memory (RSS)            +{figures['memory_mb']} MiB "
        f"({raw['rss_before_mb']:.0f} -> {raw['rss_after_mb']:.0f} MiB)"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
