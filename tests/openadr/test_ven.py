"""The VEN against the local VTN over HTTPS on 127.0.0.1, for 3.1.0 and 3.0.1."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from custom_components.balance.openadr import (
    Bounds,
    Decision,
    DeclineReason,
    Directive,
    EnrolmentError,
    EventOutcome,
    MemoryStore,
    RejectReason,
    ShedLevel,
    Ven,
    VtnAuthError,
    VtnRequestError,
    VtnUnavailableError,
)
from custom_components.balance.openadr.parse import format_datetime

from .conftest import FULL_BOUNDS, PROGRAM, SimClock, Tls
from .vtn import LocalVtn


def program_id(vtn: LocalVtn) -> str:
    """The id of the test program."""
    return next(iter(vtn.store["programs"]))


def event_body(
    vtn: LocalVtn,
    payloads: list[dict[str, Any]],
    *,
    start: dt.datetime | None = None,
    duration: str = "PT1H",
    count: int = 1,
    **extra: Any,
) -> dict[str, Any]:
    """A spec-valid event with `count` intervals sharing the event's intervalPeriod."""
    begin = start or dt.datetime.now(dt.UTC).replace(microsecond=0)
    return {
        "programID": program_id(vtn),
        "eventName": "test",
        "intervalPeriod": {"start": format_datetime(begin), "duration": duration},
        "intervals": [{"id": index, "payloads": payloads} for index in range(count)],
        **extra,
    }


def limit(kw: float) -> list[dict[str, Any]]:
    """An IMPORT_CAPACITY_LIMIT payload."""
    return [{"type": "IMPORT_CAPACITY_LIMIT", "values": [kw]}]


def simple(level: int) -> list[dict[str, Any]]:
    """A SIMPLE payload."""
    return [{"type": "SIMPLE", "values": [level]}]


async def started(make_ven: Callable[..., Ven], **kw: Any) -> Ven:
    """A VEN that has enrolled and registered."""
    ven = make_ven(**kw)
    await ven.start()
    return ven


async def test_registration_and_enrolment(vtn: LocalVtn, make_ven: Callable[..., Ven]) -> None:
    """The VEN gets a token, finds its program, registers itself and its resource once."""
    ven = await started(make_ven)
    assert ven.ven_id in vtn.store["vens"]
    assert vtn.store["vens"][ven.ven_id]["venName"] == "ven-1"
    resources = list(vtn.store["resources"].values())
    assert [item["resourceName"] for item in resources] == ["balance-site"]
    assert resources[0]["venID"] == ven.ven_id
    again = await started(make_ven)
    assert again.ven_id == ven.ven_id
    assert len(vtn.store["vens"]) == 1
    assert len(vtn.store["resources"]) == 1
    expected = "/vens/" if vtn.version == "3.0.1" else "/resources"
    assert any(expected in line for line in vtn.requests if "resources" in line)


async def test_capacity_limit_event(vtn: LocalVtn, make_ven: Callable[..., Ven]) -> None:
    """IMPORT_CAPACITY_LIMIT 5 kW for two 5-minute intervals -> 5000 W for 10 minutes."""
    seen: list[Directive] = []
    ven = await started(make_ven, on_directive=seen.append)
    event = vtn.create_event(event_body(vtn, limit(5.0), duration="PT5M", count=2))
    await ven.poll()
    term = ven.directive.at(dt.datetime.now(dt.UTC))
    assert term is not None
    assert term.limit_w == 5000.0
    assert term.event_ids == (event["id"],)
    assert term.end - term.start == dt.timedelta(minutes=10)
    assert seen[-1] is ven.directive
    assert ven.outcomes[event["id"]].decision is Decision.ACCEPTED


async def test_simple_levels_and_several_payloads(
    vtn: LocalVtn, make_ven: Callable[..., Ven]
) -> None:
    """SIMPLE 1/2/3 become shed levels; an interval may carry a limit and a price too."""
    ven = await started(make_ven)
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=1)
    body = event_body(vtn, [], start=start, duration="PT5M")
    body["intervals"] = [
        {"id": 0, "payloads": simple(1)},
        {"id": 1, "payloads": simple(2)},
        {
            "id": 2,
            "payloads": [*simple(3), *limit(4.5), {"type": "PRICE", "values": [0.42]}],
        },
    ]
    body["payloadDescriptors"] = [
        {"objectType": "EVENT_PAYLOAD_DESCRIPTOR", "payloadType": "PRICE", "currency": "RON"}
    ]
    vtn.create_event(body)
    await ven.poll()
    terms = ven.directive.terms
    assert [term.shed for term in terms] == [
        ShedLevel.GREEN,
        ShedLevel.GREEN_YELLOW_ROTATION,
        ShedLevel.ALL_SHEDDABLE,
    ]
    assert [term.start - start for term in terms] == [
        dt.timedelta(minutes=minutes) for minutes in (0, 5, 10)
    ]
    assert terms[2].limit_w == 4500.0
    assert (terms[2].price, terms[2].currency) == (0.42, "RON")
    assert terms[0].limit_w is None


async def test_modification_and_cancellation(vtn: LocalVtn, make_ven: Callable[..., Ven]) -> None:
    """A new modificationDateTime is re-read, an unchanged one is not; deletion cancels."""
    seen: list[Directive] = []
    ven = await started(make_ven, on_directive=seen.append)
    event = vtn.create_event(event_body(vtn, limit(6.0)))
    await ven.poll()
    await ven.poll()
    assert len(seen) == 1
    vtn.update_event(event["id"], {"intervals": [{"id": 0, "payloads": limit(3.0)}]})
    await ven.poll()
    assert ven.directive.terms[0].limit_w == 3000.0
    assert len(seen) == 2
    vtn.update_event(
        event["id"], {"intervalPeriod": {"start": "0001-01-01T00:00:00Z", "duration": "PT0S"}}
    )
    await ven.poll()
    assert ven.directive.terms == ()
    vtn.update_event(
        event["id"],
        {"intervalPeriod": {"start": format_datetime(dt.datetime.now(dt.UTC)), "duration": "PT1H"}},
    )
    await ven.poll()
    assert ven.directive.first_shed() is not None
    vtn.put_raw_event({**vtn.update_event(event["id"], {}), "priority": "high"})
    await ven.poll()
    assert ven.directive.terms == ()
    assert ven.outcomes[event["id"]].reason is RejectReason.INVALID_VALUE
    vtn.delete_event(event["id"])
    await ven.poll()
    assert ven.directive.terms == ()
    assert event["id"] not in ven.outcomes


async def test_priority_resolves_overlaps(vtn: LocalVtn, make_ven: Callable[..., Ven]) -> None:
    """Lower priority number wins; equal priorities take the stricter limit."""
    ven = await started(make_ven)
    start = dt.datetime.now(dt.UTC).replace(microsecond=0)
    strong = vtn.create_event(event_body(vtn, limit(8.0), start=start, priority=0))
    vtn.create_event(event_body(vtn, limit(3.0), start=start, duration="PT2H", priority=5))
    await ven.poll()
    first, second = ven.directive.terms
    assert (first.limit_w, first.event_ids) == (8000.0, (strong["id"],))
    assert second.limit_w == 3000.0
    assert second.start == start + dt.timedelta(hours=1)
    vtn.create_event(event_body(vtn, limit(7.0), start=start, priority=0))
    await ven.poll()
    assert ven.directive.terms[0].limit_w == 7000.0


async def test_token_refresh_on_expiry_and_401(vtn: LocalVtn, make_ven: Callable[..., Ven]) -> None:
    """An expiring token is renewed before use; a revoked one is renewed after a 401."""
    vtn.token_lifetime_s = 60
    ven = await started(make_ven)
    assert vtn.token_requests == 1
    await ven.poll()
    assert vtn.token_requests == 1
    base = ven.tokens.clock()
    ven.tokens.clock = lambda: base + 31
    await ven.poll()
    assert vtn.token_requests == 2
    vtn.revoke_tokens()
    await ven.poll()
    assert vtn.token_requests == 3
    assert ven.stats.poll_failures == 0


async def test_wrong_credentials(vtn: LocalVtn, make_ven: Callable[..., Ven]) -> None:
    """A refused client secret is an authentication error, not a network one."""
    ven = make_ven(config={"client_secret": "wrong"})
    with pytest.raises(VtnAuthError):
        await ven.start()


async def test_out_of_bounds_declined_and_reported(
    vtn: LocalVtn, make_ven: Callable[..., Ven]
) -> None:
    """Below the floor, too long, outside hours or opted out: declined, visible, reported."""
    outcomes: list[EventOutcome] = []
    bounds = replace(FULL_BOUNDS, allowed_hours=(0, 24))
    ven = await started(make_ven, bounds=bounds, on_outcome=outcomes.append)
    below = vtn.create_event(event_body(vtn, limit(1.5)))
    too_long = vtn.create_event(event_body(vtn, simple(1), duration="PT7H"))
    fine = vtn.create_event(event_body(vtn, simple(2)))
    await ven.poll()
    reasons = {item.event_id: item.reason for item in outcomes}
    assert reasons[below["id"]] is DeclineReason.BELOW_FLOOR
    assert reasons[too_long["id"]] is DeclineReason.TOO_LONG
    assert ven.outcomes[fine["id"]].decision is Decision.ACCEPTED
    assert ven.directive.at(dt.datetime.now(dt.UTC)).shed is ShedLevel.GREEN_YELLOW_ROTATION
    ven.opt_out(fine["id"])
    assert ven.outcomes[fine["id"]].reason is DeclineReason.OPTED_OUT
    assert ven.directive.first_shed() is None
    assert (ven.stats.accepted, ven.stats.declined) == (1, 3)
    await ven.poll()
    declined = {
        report["eventID"]: report["resources"][0]["intervals"][0]["payloads"]
        for report in vtn.reports()
    }
    assert set(declined) == {below["id"], too_long["id"], fine["id"]}
    assert declined[below["id"]][1] == {"type": "BALANCE_DECLINE_REASON", "values": ["below_floor"]}
    assert declined[fine["id"]][0]["values"] == ["RUNNING_OPTED_OUT"]
    await ven.poll()
    assert len(vtn.reports()) == 3  # each decline reported once


async def test_opt_in_is_off_by_default(vtn: LocalVtn, make_ven: Callable[..., Ven]) -> None:
    """Without opt-in nothing is shed, yet prices still reach the tariff."""
    ven = await started(make_ven, bounds=Bounds())
    shed = vtn.create_event(event_body(vtn, simple(3)))
    vtn.create_event(event_body(vtn, [{"type": "PRICE", "values": [0.3]}], duration="PT2H"))
    await ven.poll()
    assert ven.outcomes[shed["id"]].reason is DeclineReason.NOT_OPTED_IN
    assert ven.directive.first_shed() is None
    assert ven.directive.at(dt.datetime.now(dt.UTC)).price == 0.3
    ven.set_bounds(FULL_BOUNDS)
    assert ven.directive.at(dt.datetime.now(dt.UTC)).shed is ShedLevel.ALL_SHEDDABLE


async def test_usage_report_per_event(vtn: LocalVtn, make_ven: Callable[..., Ven]) -> None:
    """After an accepted event ends, USAGE (and the DEMAND its descriptor asks) is sent."""
    calls: list[tuple[dt.datetime, dt.datetime]] = []

    def usage(start: dt.datetime, end: dt.datetime) -> float:
        calls.append((start, end))
        return 0.25

    clock = SimClock()
    ven = await started(make_ven, usage=usage, clock=clock)
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=5)
    vtn.create_event(event_body(vtn, simple(1), start=start - dt.timedelta(hours=2)))
    descriptors = [{"payloadType": "DEMAND", "readingType": "AVERAGE", "units": "KW"}]
    event = vtn.create_event(
        event_body(
            vtn, simple(1), start=start, duration="PT5M", count=2, reportDescriptors=descriptors
        )
    )
    await ven.poll()
    assert vtn.reports() == []  # still running; the event that ended before is ignored
    assert len(ven.outcomes) == 1
    clock.advance(dt.timedelta(minutes=10))
    await ven.poll()
    (report,) = vtn.reports()
    assert report["eventID"] == event["id"]
    assert report["clientName"] == "ven-1"
    intervals = report["resources"][0]["intervals"]
    assert [item["intervalPeriod"]["duration"] for item in intervals] == ["PT300S", "PT300S"]
    assert intervals[0]["payloads"] == [
        {"type": "USAGE", "values": [0.25]},
        {"type": "DEMAND", "values": [3.0]},
    ]
    assert calls == [
        (start, start + dt.timedelta(minutes=5)),
        (start + dt.timedelta(minutes=5), start + dt.timedelta(minutes=10)),
    ]
    if vtn.version == "3.0.1":
        assert report["programID"] == event["programID"]
    else:
        assert "programID" not in report
    operation = vtn.spec.operation("POST", "/reports")
    assert operation is not None
    sent = {
        key: value
        for key, value in report.items()
        if key not in {"id", "createdDateTime", "modificationDateTime", "objectType", "clientID"}
    }
    assert vtn.spec.check_request(operation, "application/json", sent) == []
    await ven.poll()
    assert len(vtn.reports()) == 1


async def test_real_server_quirks(vtn: LocalVtn, make_ven: Callable[..., Ven]) -> None:
    """snake_case keys, a date without offset, a space, no descriptors, double-encoded
    intervals and a list-valued scope are read; bad values reject the whole event."""
    vtn.scope_as_list = True
    outcomes: list[EventOutcome] = []
    ven = await started(make_ven, on_outcome=outcomes.append)
    assert ven.tokens.granted_scope == "read_all write_reports"
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    pid = program_id(vtn)
    vtn.put_raw_event(
        {
            "id": "quirky",
            "program_id": pid,
            "modification_date_time": now.strftime("%Y-%m-%d %H:%M:%S"),
            "interval_period": {"start": now.strftime("%Y-%m-%dT%H:%M:%S"), "duration": "PT1H"},
            "intervals": json.dumps([{"id": 0, "payloads": limit(5.0)}]),
        }
    )
    vtn.put_raw_event(
        {
            "id": "half-bad",
            "programID": pid,
            "modificationDateTime": format_datetime(now),
            "intervalPeriod": {"start": format_datetime(now), "duration": "PT1H"},
            "intervals": [
                {"id": 0, "payloads": simple(3)},
                {"id": 1, "payloads": simple(7)},
            ],
        }
    )
    vtn.put_raw_event(
        {
            "id": "bad-date",
            "programID": pid,
            "modificationDateTime": "yesterday",
            "intervals": [],
        }
    )
    await ven.poll()
    term = ven.directive.at(now)
    assert term is not None
    assert (term.limit_w, term.shed, term.event_ids) == (5000.0, ShedLevel.NORMAL, ("quirky",))
    rejected = {
        item.event_id: item.reason for item in outcomes if item.decision is Decision.REJECTED
    }
    assert rejected == {
        "half-bad": RejectReason.INVALID_VALUE,
        "bad-date": RejectReason.INVALID_DATETIME,
    }
    assert ven.stats.rejected == 2
    assert all("clientScope" not in item for item in vtn.violations)
    assert [item for item in vtn.violations if "auth/token" not in item] == []
    vtn.violations.clear()  # the list-valued scope is the quirk under test


async def test_randomize_start_is_honoured(vtn: LocalVtn, make_ven: Callable[..., Ven]) -> None:
    """randomizeStart shifts the start within its range, the same way on every poll."""
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(hours=1)
    body = event_body(vtn, simple(1), start=start)
    body["intervalPeriod"]["randomizeStart"] = "PT10M"
    event = vtn.create_event(body)
    ven = await started(make_ven)
    await ven.poll()
    first = ven.directive.terms[0].start
    assert first != start
    assert abs(first - start) <= dt.timedelta(minutes=10)
    other = await started(make_ven)
    await other.poll()
    assert other.directive.terms[0].start == first
    vtn.update_event(event["id"], {"eventName": "moved"})
    await ven.poll()
    assert abs(ven.directive.terms[0].start - start) <= dt.timedelta(minutes=10)


async def test_ven_name_from_program_requirement(
    vtn: LocalVtn, make_ven: Callable[..., Ven]
) -> None:
    """A program that asks for the meter point id gets it as the VEN name."""
    vtn.create_program(
        {
            "programName": "meter-points",
            "attributes": [{"type": "VEN_NAME_SOURCE", "values": ["METER_POINT_ID"]}],
        }
    )
    config = {"program_names": ("meter-points",), "identifiers": {"METER_POINT_ID": "RO00123"}}
    ven = await started(make_ven, config=config)
    assert vtn.store["vens"][ven.ven_id]["venName"] == "RO00123"
    missing = make_ven(config={"program_names": ("meter-points",)})
    with pytest.raises(EnrolmentError):
        await missing.start()
    unknown = make_ven(config={"program_names": ("nope",)})
    with pytest.raises(EnrolmentError):
        await unknown.start()


async def test_tls_is_always_verified(vtn: LocalVtn, make_ven: Callable[..., Ven]) -> None:
    """Without the utility's CA the VTN's certificate is refused."""
    ven = make_ven(config={"ca_pem": None})
    with pytest.raises(VtnUnavailableError, match="certificate"):
        await ven.start()
    assert vtn.token_requests == 0


async def test_outage_of_seven_days(vtn: LocalVtn, make_ven: Callable[..., Ven]) -> None:
    """VTN down for 7 simulated days: hourly reports are kept, the program's safe mode
    applies, and once the VTN is back every report arrives exactly once, in order."""
    vtn.create_program(
        {
            "programName": "safe",
            "attributes": [
                {"type": "SAFE_MODE_SIMPLE", "values": [1]},
                {"type": "SAFE_MODE_IMPORT_CAPACITY_LIMIT", "values": [6.0]},
            ],
        }
    )
    clock = SimClock()
    store = MemoryStore()
    config = {"program_names": (PROGRAM, "safe")}
    ven = await started(make_ven, clock=clock, store=store, config=config)
    event = vtn.create_event(event_body(vtn, simple(1), duration="PT5M"))
    await vtn.go_down()
    for hour in range(7 * 24):
        clock.advance(dt.timedelta(hours=1))
        body = hourly(ven, event["id"], hour, clock.now)
        await ven.queue_report(event["programID"], event["id"], body)
        if hour % 6 == 0:
            with pytest.raises(VtnUnavailableError):
                await ven.poll()
    assert ven.link_lost
    assert ven.directive.fallback
    safe_term = ven.directive.at(ven.last_contact + dt.timedelta(minutes=1))
    assert safe_term is not None
    assert (safe_term.shed, safe_term.limit_w) == (ShedLevel.GREEN, 6000.0)
    assert len(ven.buffer.pending) == 7 * 24
    vtn.fail_next["POST /reports"] = 1  # stored, but the answer is lost: no duplicate
    await vtn.start()
    with pytest.raises(VtnUnavailableError):
        await ven.poll()
    await ven.poll()
    names = [report["reportName"] for report in vtn.reports()]
    expected = [f"ven-1:hourly:{hour}" for hour in range(7 * 24)]
    assert names == expected
    assert ven.buffer.pending == []
    assert ven.buffer.dropped == 0
    assert not ven.directive.fallback


async def test_buffer_survives_a_restart(
    vtn: LocalVtn, make_ven: Callable[..., Ven], tls: Tls
) -> None:
    """Reports queued before Home Assistant restarts are sent by the new VEN."""
    store = MemoryStore()
    ven = await started(make_ven, store=store)
    event = vtn.create_event(event_body(vtn, simple(1)))
    await vtn.go_down()
    for hour in range(3):
        await ven.queue_report(
            event["programID"], event["id"], hourly(ven, event["id"], hour, dt.datetime.now(dt.UTC))
        )
    restarted = make_ven(store=store)
    with pytest.raises(VtnUnavailableError):
        await restarted.poll()  # not started: starts first, and the VTN is down
    assert len(restarted.buffer.pending) == 3
    await vtn.start()
    await restarted.poll()
    assert [report["reportName"] for report in vtn.reports()] == [
        f"ven-1:hourly:{hour}" for hour in range(3)
    ]


def hourly(ven: Ven, event_id: str, hour: int, end: dt.datetime) -> dict[str, Any]:
    """An hourly meter relay report."""
    return {
        "eventID": event_id,
        "clientName": ven.ven_name,
        "reportName": f"{ven.ven_name}:hourly:{hour}",
        "resources": [
            {
                "resourceName": "balance-site",
                "intervals": [
                    {
                        "id": hour,
                        "intervalPeriod": {
                            "start": format_datetime(end - dt.timedelta(hours=1)),
                            "duration": "PT1H",
                        },
                        "payloads": [{"type": "USAGE", "values": [0.5]}],
                    }
                ],
            }
        ],
    }


async def test_run_loop_reacts_within_a_poll(vtn: LocalVtn, make_ven: Callable[..., Ven]) -> None:
    """The polling loop picks up a new event within one interval and stops cleanly."""
    ven = await started(make_ven)
    shed = asyncio.Event()
    ven._on_directive = lambda directive: shed.set() if directive.first_shed() else None
    task = asyncio.create_task(ven.run())
    await asyncio.sleep(0.05)
    vtn.create_event(event_body(vtn, simple(2)))
    await asyncio.wait_for(shed.wait(), 2)
    await vtn.go_down()
    await asyncio.sleep(0.3)
    ven.stop()
    await asyncio.wait_for(task, 2)
    assert ven.stats.poll_failures >= 1


async def test_subscription_and_roles(vtn: LocalVtn, make_ven: Callable[..., Ven]) -> None:
    """The VEN's subscription body is accepted by both versions; a VEN may not write events."""
    ven = await started(make_ven)
    body = ven.api.subscription_request(
        ven.ven_name, program_id(vtn), "https://ha.example/api/webhook/x", "secret"
    )
    created = await ven.http.request("POST", "subscriptions", body=body)
    assert created["objectOperations"][0]["objects"] == ["EVENT", "PROGRAM"]
    listed = await ven.http.request("GET", "subscriptions")
    assert [item["id"] for item in listed] == [created["id"]]
    with pytest.raises(VtnRequestError) as caught:
        await ven.http.request("POST", "events", body=event_body(vtn, simple(1)))
    assert caught.value.status == 403


async def test_pushed_notifications(vtn: LocalVtn, make_ven: Callable[..., Ven]) -> None:
    """A spec-valid notification applies at once; a double-encoded, snake_case one too; the
    version's operation names are understood; DELETE cancels."""
    ven = await started(make_ven)
    event = vtn.create_event(event_body(vtn, simple(3)))
    create, update = ("POST", "PUT") if vtn.version == "3.0.1" else ("CREATE", "UPDATE")
    note = {"objectType": "EVENT", "operation": create, "object": event}
    assert vtn.spec.check_schema("notification", note) == []
    assert ven.apply_notification(note)
    assert ven.directive.at(dt.datetime.now(dt.UTC)).shed is ShedLevel.ALL_SHEDDABLE
    assert ven.apply_notification(note)  # same modification: nothing new
    changed = dict(
        vtn.update_event(event["id"], {"intervals": [{"id": 0, "payloads": limit(4.0)}]})
    )
    snake = {
        "object_type": "EVENT",
        "operation": update,
        "object": json.dumps({**changed, "program_id": changed.pop("programID")}),
    }
    assert ven.apply_notification(json.dumps(snake))
    assert ven.directive.at(dt.datetime.now(dt.UTC)).limit_w == 4000.0
    assert not ven.apply_notification({"objectType": "PROGRAM", "operation": update, "object": {}})
    assert ven.apply_notification({"objectType": "EVENT", "operation": "DELETE", "object": event})
    assert ven.directive.terms == ()
    assert vtn.requests.count("GET /events") == 0  # no poll was needed


async def test_run_loop_survives_a_bug(
    vtn: LocalVtn, make_ven: Callable[..., Ven], caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected error in one poll is logged; the next poll still runs."""
    ven = await started(make_ven)
    real_poll = ven.poll
    calls: list[int] = []

    async def flaky_poll() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("bug")
        await real_poll()
        ven.stop()

    ven.poll = flaky_poll  # type: ignore[method-assign]
    await asyncio.wait_for(ven.run(), 3)
    assert len(calls) == 2
    assert "OpenADR poll failed unexpectedly" in caplog.text
