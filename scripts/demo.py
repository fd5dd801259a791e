"""`make demo`: run the sim hub household and Home Assistant with BALANCE set up on 127.0.0.1:8123.

The first run onboards Home Assistant through its own REST API (user `demo`, password
`balance-demo`) and then does what a resident would, through the same APIs the UI uses: adds the
hub with the integration's config flow, names the contactor outputs after their appliances, sets
up load management with one managed load per output, and fills in the Energy dashboard. Later
runs reuse the state in demo/config. Ctrl-C stops both processes.
"""

from __future__ import annotations

import asyncio
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

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "demo" / "config"
STATE = ROOT / "demo" / "state"
BIN = Path(sys.executable).parent
BASE = "http://127.0.0.1:8123"
CLIENT_ID = f"{BASE}/"
USER, PASSWORD = "demo", "balance-demo"
HUB_PORT = int(os.environ.get("BALANCE_DEMO_HUB_PORT", "6638"))
SCENARIO = os.environ.get("SCENARIO", "sim/scenarios/default.json")
HOUSE_LIMIT_W = 9000
# Contactor outputs of the sim hub (hub_firmware/boards/sim.py), in output order, as managed loads.
OUTPUT_LOADS = (
    ("EV charger", "green", 7400, {"window_start": "23:00:00", "window_end": "07:00:00",
                                   "deadline": "07:00:00", "run_min": 240}),
    ("Boiler", "yellow", 2000, None),
    ("Heat pump", "yellow", 1500, None),
    ("Dishwasher", "green", 1900, {"window_start": "22:00:00", "window_end": "06:00:00"}),
    ("Washing machine", "green", 2000, None),
)  # fmt: skip


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


def _flow(token: str, start: dict[str, Any], *steps: dict[str, Any], kind: str = "") -> Any:
    """Run a config (or subentry) flow through the REST API the UI uses."""
    base = f"/api/config/config_entries{kind}/flow"
    result = _request("POST", base, start, token)
    for step in steps:
        if result.get("type") == "create_entry":
            break
        result = _request("POST", f"{base}/{result['flow_id']}", step, token)
    if result.get("type") != "create_entry":
        raise SystemExit(f"demo set-up failed: {result}; `make demo-reset` starts over")
    return result


def _remove_onboarding_defaults(token: str) -> None:
    """Onboarding adds a few default integrations (weather, radio...) that need the internet."""
    for entry in _request("GET", "/api/config/config_entries/entry", token=token):
        if entry["domain"] != "balance":
            _request("DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}", token=token)


def _wait_for_entities(token: str) -> dict[str, str]:
    """Return the hub's entity ids by suffix once they exist."""
    wanted = ("_energy_1", "_power_1", "_water_2", "_gas_1", *(f"_output_{n}" for n in range(1, 6)))
    for _ in range(120):
        ids = [s["entity_id"] for s in _request("GET", "/api/states", token=token)]
        found = {w: next((i for i in ids if i.endswith(w)), "") for w in wanted}
        if all(found.values()):
            return found
        time.sleep(1)
    raise SystemExit("the hub's entities did not appear")


async def _websocket(token: str, messages: list[dict[str, Any]]) -> None:
    """Send commands on HA's websocket API (entity names, energy preferences)."""
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{BASE}/api/websocket") as ws,
    ):
        await ws.receive_json()
        await ws.send_json({"type": "auth", "access_token": token})
        await ws.receive_json()
        for number, message in enumerate(messages, 1):
            await ws.send_json({"id": number, **message})
            reply = await ws.receive_json()
            if not reply.get("success"):
                raise SystemExit(f"demo set-up failed: {message['type']}: {reply}")


def _energy_source(kind: str, statistic: str) -> dict[str, Any]:
    price = {"stat_cost": None, "entity_energy_price": None, "number_energy_price": None}
    if kind == "grid":
        return {"type": "grid", "flow_from": [{"stat_energy_from": statistic, **price}],
                "flow_to": [], "cost_adjustment_day": 0}  # fmt: skip
    return {"type": kind, "stat_energy_from": statistic, **price}


def _set_up(token: str) -> None:
    """Hub, names, load management with managed loads, Energy dashboard."""
    _remove_onboarding_defaults(token)
    hub = _flow(token, {"handler": "balance"}, {"next_step_id": "network"},
                {"host": "127.0.0.1", "port": HUB_PORT})  # fmt: skip
    print(f"demo: added {hub['title']}")
    entities = _wait_for_entities(token)
    renames = [
        {"type": "config/entity_registry/update", "entity_id": entities[f"_output_{n}"],
         "name": name}
        for n, (name, *_) in enumerate(OUTPUT_LOADS, 1)
    ]  # fmt: skip
    prefs = {
        "type": "energy/save_prefs",
        "energy_sources": [
            _energy_source("grid", entities["_energy_1"]),
            _energy_source("water", entities["_water_2"]),
            _energy_source("gas", entities["_gas_1"]),
        ],
    }
    asyncio.run(_websocket(token, [*renames, prefs]))
    manager = _flow(
        token,
        {"handler": "balance"},
        {"next_step_id": "load_management"},
        {"power_entity": entities["_power_1"], "limit_w": HOUSE_LIMIT_W,
         "hub_entry_id": hub["result"]["entry_id"], "reaction_s": 30, "sensor_timeout_s": 120},
    )  # fmt: skip
    for n, (name, priority, rated_w, schedule) in enumerate(OUTPUT_LOADS, 1):
        load = {"name": name, "switch_entity": entities[f"_output_{n}"], "priority": priority,
                "rated_w": rated_w, "max_off_min": 15, "min_on_min": 1}  # fmt: skip
        steps = [load, schedule or {}] if priority == "green" else [load]
        start = {"handler": [manager["result"]["entry_id"], "managed_load"]}
        _flow(token, start, *steps, kind="/subentries")
    print(f"demo: load management keeps the house under {HOUSE_LIMIT_W} W with 5 managed loads")


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
            _set_up(token)
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
