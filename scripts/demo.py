"""`make demo`: run the sim hub household and Home Assistant with BALANCE set up on 127.0.0.1:8123.

The first run onboards Home Assistant through its own REST API (user `demo`, password
`balance-demo`) and adds the hub through the integration's real config flow, as a resident would.
Later runs reuse the state in demo/config. Ctrl-C stops both processes.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "demo" / "config"
STATE = ROOT / "demo" / "state"
BIN = Path(sys.executable).parent
BASE = "http://127.0.0.1:8123"
CLIENT_ID = f"{BASE}/"
USER, PASSWORD = "demo", "balance-demo"
HUB_PORT = int(os.environ.get("BALANCE_DEMO_HUB_PORT", "6638"))
SCENARIO = os.environ.get("SCENARIO", "sim/scenarios/default.json")


def _request(
    method: str, path: str, body: Any = None, token: str | None = None, form: bool = False
) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        if form:
            data = "&".join(f"{k}={v}" for k, v in body.items()).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
    req = urllib.request.Request(BASE + path, data=data, headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=30) as response:
        text = response.read().decode()
    return json.loads(text) if text else None


def _wait_for_http(proc: subprocess.Popen[bytes], timeout_s: float = 600) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("Home Assistant exited during start-up; see the log above")
        try:
            _request("GET", "/api/onboarding")
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(1)
    raise SystemExit("Home Assistant did not answer on 127.0.0.1:8123")


def _onboard() -> str | None:
    """Onboard a fresh instance; return an access token, or None if it was done before."""
    steps = {step["step"]: step["done"] for step in _request("GET", "/api/onboarding")}
    if steps.get("user"):
        return None
    code = _request(
        "POST",
        "/api/onboarding/users",
        {"client_id": CLIENT_ID, "name": "Demo", "username": USER, "password": PASSWORD,
         "language": "en"},
    )["auth_code"]  # fmt: skip
    token = _request(
        "POST",
        "/auth/token",
        {"grant_type": "authorization_code", "code": code, "client_id": CLIENT_ID},
        form=True,
    )["access_token"]
    _request("POST", "/api/onboarding/core_config", {}, token)
    _request("POST", "/api/onboarding/analytics", {}, token)
    _request(
        "POST",
        "/api/onboarding/integration",
        {"client_id": CLIENT_ID, "redirect_uri": CLIENT_ID},
        token,
    )
    return str(token)


def _add_hub(token: str) -> None:
    """Add the sim hub through the integration's config flow (menu -> network -> host, port)."""
    flow = _request("POST", "/api/config/config_entries/flow", {"handler": "balance"}, token)
    flow = _request("POST", f"/api/config/config_entries/flow/{flow['flow_id']}",
                    {"next_step_id": "network"}, token)  # fmt: skip
    result = _request(
        "POST",
        f"/api/config/config_entries/flow/{flow['flow_id']}",
        {"host": "127.0.0.1", "port": HUB_PORT},
        token,
    )
    if result.get("type") != "create_entry":
        raise SystemExit(f"adding the hub failed: {result}")
    print(f"demo: added {result['title']}")


def _start_hub() -> subprocess.Popen[bytes]:
    STATE.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "MICROPYPATH": f"{ROOT / 'hub_firmware'}:.frozen"}
    command = [str(BIN / "micropython"), "-m", "boards.sim", "--scenario", SCENARIO,
               "--tcp", f"127.0.0.1:{HUB_PORT}", "--state-dir", str(STATE / "hub")]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT / "hub_firmware", env=env)


def _require_free(port: int) -> None:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"port {port} on 127.0.0.1 is in use: stop what runs there first")


def main() -> None:
    """Start both processes, set up a fresh instance, and wait until interrupted."""
    _require_free(8123)
    _require_free(HUB_PORT)
    custom = CONFIG / "custom_components"
    custom.mkdir(parents=True, exist_ok=True)
    link = custom / "balance"
    if not link.exists():
        link.symlink_to(ROOT / "custom_components" / "balance")
    hub = _start_hub()
    hass = subprocess.Popen([str(BIN / "hass"), "-c", str(CONFIG)])
    try:
        _wait_for_http(hass)
        token = _onboard()
        if token:
            _add_hub(token)
        print(f"demo: open {BASE} and log in as {USER} / {PASSWORD}; Ctrl-C stops the demo")
        hass.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for proc in (hass, hub):
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in (hass, hub):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
