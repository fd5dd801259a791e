"""`make bench-dr`: DR event to first shed directive over polling, and reports lost in an outage.

A local OpenADR 3.1.0 VTN (HTTPS, schema-checked) runs on 127.0.0.1. Latency: an event
is created at a random phase of the VEN's poll cycle (interval T, BENCH_DR_POLL_S, default
2 s) and the time to the first directive that sheds is measured, BENCH_DR_TRIALS times
(default 6). Outage: the VTN is down for 7 simulated days while 168 hourly reports queue,
then comes back (with one answer lost after storing); lost = expected - received.
Webhook: the VEN subscribes with an HTTPS callback on 127.0.0.1; on each event creation the
VTN side posts the notification (as a VTN's notifier does) to that callback, whose handler
checks the bearer token and applies the body the way the HA webhook handler does
(`Ven.apply_notification`); timed from creation to the first shedding directive, polling at
60 s meanwhile. MQTT: a real Mosquitto broker on 127.0.0.1 (TLS with the test CA); the VEN's
`MqttNotifier` subscribes to the topics the VTN lists; on each event creation the VTN side
publishes the notification; timed from creation to the first shedding directive, polling at
60 s meanwhile. The last line is one JSON object.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from custom_components.balance.openadr import (  # noqa: E402
    Bounds,
    Directive,
    MemoryStore,
    OpenAdrError,
    ShedLevel,
    Ven,
    VenConfig,
)
from custom_components.balance.openadr.mqtt import MqttNotifier  # noqa: E402
from custom_components.balance.openadr.parse import format_datetime  # noqa: E402
from tests.openadr.broker import Broker  # noqa: E402
from tests.openadr.certs import Tls, make_tls  # noqa: E402
from tests.openadr.vtn import LocalVtn  # noqa: E402

PROGRAM = "balance-dr"
BOUNDS = Bounds(
    opted_in=True,
    floor_kw=2.0,
    longest_event=dt.timedelta(hours=4),
    participating_loads=frozenset({"switch.boiler"}),
)


def config(vtn: LocalVtn, tls: Tls, poll_s: float) -> VenConfig:
    """The benchmark VEN."""
    return VenConfig(
        base_url=vtn.base_url,
        client_id="ven-1",
        client_secret="ven-secret",
        program_names=(PROGRAM,),
        ca_pem=tls.ca_pem,
        poll_interval=dt.timedelta(seconds=poll_s),
    )


def shed_event(program_id: str) -> dict[str, object]:
    """SIMPLE 2 starting now, for 15 minutes."""
    return {
        "programID": program_id,
        "eventName": "bench",
        "intervalPeriod": {
            "start": format_datetime(dt.datetime.now(dt.UTC)),
            "duration": "PT15M",
        },
        "intervals": [{"id": 0, "payloads": [{"type": "SIMPLE", "values": [2]}]}],
    }


async def latency(tls: Tls, poll_s: float, trials: int, rng: random.Random) -> list[float]:
    """Seconds from event creation to the first shedding directive, per trial."""
    vtn = LocalVtn(ssl_context=tls.server)
    await vtn.start()
    program = vtn.create_program({"programName": PROGRAM})
    changed = asyncio.Event()

    def on_directive(directive: Directive) -> None:
        changed.set()

    results: list[float] = []
    async with aiohttp.ClientSession() as session:
        ven = Ven(session, config(vtn, tls, poll_s), bounds=BOUNDS, on_directive=on_directive)
        await ven.start()
        task = asyncio.create_task(ven.run())
        for _ in range(trials):
            await asyncio.sleep(rng.uniform(0, poll_s))
            changed.clear()
            event = vtn.create_event(shed_event(program["id"]))
            created = time.perf_counter()
            while True:
                await changed.wait()
                changed.clear()
                term = ven.directive.at(dt.datetime.now(dt.UTC))
                if term is not None and term.shed > ShedLevel.NORMAL:
                    break
            results.append(time.perf_counter() - created)
            vtn.delete_event(event["id"])
            await asyncio.wait_for(changed.wait(), poll_s + 5)
        ven.stop()
        await task
    await vtn.close()
    assert not vtn.violations and not vtn.rejected, (vtn.violations, vtn.rejected)
    return results


async def webhook_latency(tls: Tls, trials: int, rng: random.Random) -> list[float]:
    """Seconds from event creation to the first shedding directive with push, per trial."""
    vtn = LocalVtn(ssl_context=tls.server)
    await vtn.start()
    program = vtn.create_program({"programName": PROGRAM})
    changed = asyncio.Event()
    token = "bench-bearer-token"
    holder: dict[str, Ven] = {}

    async def callback(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {token}":
            return web.Response(status=401)
        holder["ven"].apply_notification(await request.json())
        return web.Response()

    app = web.Application()
    app.router.add_post("/api/webhook/bench", callback)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls.server)
    await site.start()
    url = f"https://127.0.0.1:{runner.addresses[0][1]}/api/webhook/bench"

    def on_directive(directive: Directive) -> None:
        changed.set()

    results: list[float] = []
    client_tls = ssl_context(tls)
    async with aiohttp.ClientSession() as session:
        ven = Ven(session, config(vtn, tls, 60), bounds=BOUNDS, on_directive=on_directive)
        holder["ven"] = ven
        await ven.start()
        await ven.subscribe(url, token)
        task = asyncio.create_task(ven.run())
        (subscription,) = vtn.store["subscriptions"].values()
        target = subscription["objectOperations"][0]
        for _ in range(trials):
            await asyncio.sleep(rng.uniform(0, 0.5))
            changed.clear()
            event = vtn.create_event(shed_event(program["id"]))
            created = time.perf_counter()
            notification = {"objectType": "EVENT", "operation": "CREATE", "object": event}
            async with session.post(
                target["callbackUrl"],
                json=notification,
                headers={"Authorization": f"Bearer {target['bearerToken']}"},
                ssl=client_tls,
            ) as answer:
                answer.raise_for_status()
            while True:
                await changed.wait()
                changed.clear()
                term = ven.directive.at(dt.datetime.now(dt.UTC))
                if term is not None and term.shed > ShedLevel.NORMAL:
                    break
            results.append(time.perf_counter() - created)
            vtn.delete_event(event["id"])
            ven.apply_notification({**notification, "operation": "DELETE"})
        ven.stop()
        await task
    await runner.cleanup()
    await vtn.close()
    assert not vtn.violations and not vtn.rejected, (vtn.violations, vtn.rejected)
    return results


def ssl_context(tls: Tls) -> ssl.SSLContext:
    """A client context that trusts the test CA (for the bench's own callback)."""
    context = ssl.create_default_context()
    context.load_verify_locations(cadata=tls.ca_pem)
    return context


async def outage(tls: Tls, hours: int = 7 * 24) -> tuple[int, int, int]:
    """(expected, received, duplicated) reports after `hours` simulated hours without the VTN."""
    vtn = LocalVtn(ssl_context=tls.server)
    await vtn.start()
    program = vtn.create_program({"programName": PROGRAM})
    event = vtn.create_event(shed_event(program["id"]))
    now = [dt.datetime.now(dt.UTC)]
    async with aiohttp.ClientSession() as session:
        ven = Ven(
            session,
            config(vtn, tls, 60),
            bounds=BOUNDS,
            store=MemoryStore(),
            clock=lambda: now[0],
        )
        await ven.start()
        await vtn.go_down()
        for hour in range(hours):
            now[0] += dt.timedelta(hours=1)
            await ven.queue_report(
                program["id"],
                event["id"],
                {
                    "eventID": event["id"],
                    "clientName": ven.ven_name,
                    "reportName": f"{ven.ven_name}:hourly:{hour}",
                    "resources": [
                        {
                            "resourceName": "balance-site",
                            "intervals": [
                                {
                                    "id": hour,
                                    "intervalPeriod": {
                                        "start": format_datetime(now[0] - dt.timedelta(hours=1)),
                                        "duration": "PT1H",
                                    },
                                    "payloads": [{"type": "USAGE", "values": [0.4]}],
                                }
                            ],
                        }
                    ],
                },
            )
            with contextlib.suppress(OpenAdrError):
                await ven.poll()
        vtn.fail_next["POST /reports"] = 1
        await vtn.start()
        for _ in range(3):
            try:
                await ven.poll()
            except OpenAdrError:
                continue
            break
    names = [report["reportName"] for report in vtn.reports()]
    await vtn.close()
    return hours, len(set(names)), len(names) - len(set(names))


async def mqtt_latency(tls: Tls, trials: int, rng: random.Random) -> list[float]:
    """Seconds from event creation to the first shedding directive through MQTT, per trial."""
    with tempfile.TemporaryDirectory() as folder:
        broker = Broker(Path(folder), tls=tls)
        await broker.start()
        vtn = LocalVtn(ssl_context=tls.server, mqtt_uri=broker.uri, mqtt_ca_pem=tls.ca_pem)
        await vtn.start()
        program = vtn.create_program({"programName": PROGRAM})
        changed = asyncio.Event()

        def on_directive(directive: Directive) -> None:
            changed.set()

        results: list[float] = []
        try:
            async with aiohttp.ClientSession() as session:
                ven = Ven(session, config(vtn, tls, 60), bounds=BOUNDS, on_directive=on_directive)
                await ven.start()
                notifier = MqttNotifier(ven)
                pushing = asyncio.create_task(notifier.run())
                while not notifier.connected:  # noqa: ASYNC110 - a flag of the notifier
                    await asyncio.sleep(0.01)
                for _ in range(trials):
                    await asyncio.sleep(rng.uniform(0, 0.5))
                    changed.clear()
                    event = vtn.create_event(shed_event(program["id"]))
                    created = time.perf_counter()
                    await vtn.announce("CREATE", event)
                    while True:
                        await changed.wait()
                        changed.clear()
                        term = ven.directive.at(dt.datetime.now(dt.UTC))
                        if term is not None and term.shed > ShedLevel.NORMAL:
                            break
                    results.append(time.perf_counter() - created)
                    vtn.delete_event(event["id"])
                    await vtn.announce("DELETE", event)
                    await asyncio.wait_for(changed.wait(), 5)
                notifier.stop()
                await pushing
        finally:
            await vtn.close()
            broker.stop()
    assert not vtn.violations and not vtn.rejected, (vtn.violations, vtn.rejected)
    return results


async def main() -> None:
    """Run both parts and print the figures."""
    poll_s = float(os.environ.get("BENCH_DR_POLL_S", "2"))
    trials = int(os.environ.get("BENCH_DR_TRIALS", "6"))
    tls = make_tls()
    results = await latency(tls, poll_s, trials, random.Random(7))
    pushed = await webhook_latency(tls, trials, random.Random(11))
    brokered = await mqtt_latency(tls, trials, random.Random(13))
    expected, received, duplicated = await outage(tls)
    print(
        f"poll T={poll_s:g} s: latency mean {statistics.mean(results):.3f} s, "
        f"max {max(results):.3f} s over {trials} events (target <= T + 2 s)"
    )
    print(
        f"webhook: latency mean {statistics.mean(pushed):.3f} s, "
        f"max {max(pushed):.3f} s over {trials} events (target < 2 s)"
    )
    print(
        f"mqtt: latency mean {statistics.mean(brokered):.3f} s, "
        f"max {max(brokered):.3f} s over {trials} events (target < 2 s)"
    )
    print(f"outage 7 days: {expected} reports queued, {received} received, {duplicated} duplicated")
    print(
        json.dumps(
            {
                "poll_interval_s": poll_s,
                "poll_latency_s": round(max(results), 3),
                "webhook_latency_s": round(max(pushed), 3),
                "mqtt_latency_s": round(max(brokered), 3),
                "reports_lost_after_outage": expected - received,
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
