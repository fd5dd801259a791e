"""Measurement probe for bench-hub, loaded as a custom integration inside the measured HA.

After Home Assistant has started it adds a BALANCE hub through the real config flow, waits for
every meter sensor's first state (setup time), lets the link settle, then measures for a
window: CPU time of the event loop thread and of the whole process, the latency from each
COUNTERS frame's send time (encoded in the count, see bench/hub/peer.py) to its
``state_changed`` event, and the resident memory added. It writes one JSON file and stops.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from homeassistant.const import EVENT_HOMEASSISTANT_STARTED, EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.typing import ConfigType

DOMAIN = "bench_probe"
_LOGGER = logging.getLogger(__name__)
TICKS_PER_KWH_S = 10.0  # total kWh = count / 1000, count = 0.1 ms ticks -> seconds = kWh / 10


def _rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


class Probe:
    """Collects first states and latencies of the BALANCE meter sensors."""

    def __init__(self, hass: HomeAssistant, conf: dict[str, Any]) -> None:
        self.hass = hass
        self.conf = conf
        self.t0 = float(conf["t0"])
        self.seen: set[str] = set()
        self.meters: dict[str, bool] = {}
        self.all_seen = asyncio.Event()
        self.latencies: list[float] | None = None
        self.events = 0

    def _is_meter(self, entity_id: str) -> bool:
        known = self.meters.get(entity_id)
        if known is None:
            entry = er.async_get(self.hass).async_get(entity_id)
            known = entry is not None and entry.platform == "balance"
            self.meters[entity_id] = known
        return known

    @callback
    def on_state(self, event: Event[EventStateChangedData]) -> None:
        """Record the latency of a meter total's new state."""
        self.events += 1
        new = event.data["new_state"]
        if (
            new is None
            or not new.entity_id.startswith("sensor.")
            or new.attributes.get("unit_of_measurement") != "kWh"
            or not self._is_meter(new.entity_id)
        ):
            return
        try:
            sent = self.t0 + float(new.state) / TICKS_PER_KWH_S
        except ValueError:
            return
        if new.entity_id not in self.seen:
            self.seen.add(new.entity_id)
            if len(self.seen) >= self.conf["channels"]:
                self.all_seen.set()
        if self.latencies is not None:
            self.latencies.append(event.time_fired_timestamp - sent)

    async def add_hub(self) -> None:
        """Go through the config flow as a person would: network, host, port, key."""
        flow = self.hass.config_entries.flow
        result = await flow.async_init("balance", context={"source": "user"})
        if result["type"] is FlowResultType.MENU:
            result = await flow.async_configure(result["flow_id"], {"next_step_id": "network"})
        user_input = {"host": "127.0.0.1", "port": self.conf["port"]}
        if self.conf.get("psk"):
            user_input["psk"] = self.conf["psk"]
        result = await flow.async_configure(result["flow_id"], user_input)
        if result["type"] is not FlowResultType.CREATE_ENTRY:
            raise RuntimeError(f"config flow did not create the entry: {result}")

    async def run(self) -> dict[str, Any]:
        """Set up, settle, measure."""
        rss_before = _rss_mb()
        unsub = self.hass.bus.async_listen(EVENT_STATE_CHANGED, self.on_state)
        start = time.monotonic()
        await self.add_hub()
        entry_s = time.monotonic() - start
        _LOGGER.info("Hub added in %.2f s, waiting for %s totals", entry_s, self.conf["channels"])
        async with asyncio.timeout(self.conf["setup_timeout"]):
            await self.all_seen.wait()
        setup_s = time.monotonic() - start
        _LOGGER.info("All totals after %.2f s; measuring", setup_s)
        await asyncio.sleep(self.conf["warmup"])
        self.latencies, self.events = [], 0
        cpu, times, wall = time.thread_time(), os.times(), time.monotonic()
        await asyncio.sleep(self.conf["duration"])
        cpu, wall = time.thread_time() - cpu, time.monotonic() - wall
        end = os.times()
        unsub()
        return {
            "channels": len(self.seen),
            "entry_setup_s": entry_s,
            "setup_s": setup_s,
            "window_s": wall,
            "loop_cpu_s": cpu,
            "process_cpu_s": end.user + end.system - times.user - times.system,
            "state_changed_events": self.events,
            "latencies_s": self.latencies,
            "rss_before_mb": rss_before,
            "rss_after_mb": _rss_mb(),
        }


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Start the measurement once Home Assistant has started."""
    conf = config[DOMAIN]
    probe = Probe(hass, conf)

    async def _measure() -> None:
        try:
            result: dict[str, Any] = await probe.run()
        except Exception as err:  # reported to the bench runner
            result = {"error": repr(err)}
        path = Path(conf["result"])
        await hass.async_add_executor_job(path.write_text, json.dumps(result))

    @callback
    def _started(_event: Event) -> None:
        hass.async_create_background_task(_measure(), "bench probe")

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STARTED, _started)
    return True
