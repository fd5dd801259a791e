"""A BALANCE server on 127.0.0.1: the mobile app's login and meter list, with faults to order.

Payloads follow the brief's field names (``tsd_id``, ``slave_uid``, ``counter_indications``,
``curent_day``, ``sum``, ``counter_settings.price.price[]``); numbers come as the server's
strings or JSON numbers, as a real server mixes them.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from typing import Any

from aiohttp import web

USERNAME = "ana.popescu"
PASSWORD = "parola-2026"


def meter_item(
    tsd_id: int,
    slave_uid: str,
    resource: str,
    total: float | str,
    *,
    today: float | str = 0.0,
    amount: float | str = 0.0,
    prices: list[Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One ``data[]`` item of the meter list."""
    return {
        "tsd_id": tsd_id,
        "slave_uid": slave_uid,
        "description": extra.pop("description", None),
        "resource": resource,
        "counter_indications": total,
        "curent_day": today,
        "sum": amount,
        "counter_settings": {
            "pulse_weight": 0.001,
            "price": {"currency": "MDL", "price": prices if prices is not None else []},
        },
        **extra,
    }


def household() -> list[dict[str, Any]]:
    """An apartment with one meter of each resource."""
    return [
        meter_item(
            1042,
            "00A1B2C3",
            "electricity",
            "12345,678",
            today="4,21",
            amount="9.64",
            prices=[{"zone": "day", "price": "2.29"}, {"zone": "night", "price": 1.63}],
            description="Apartament 12 energie",
            unit="kWh",
        ),
        meter_item(1042, "W-778", "apa", 321.125, today=0.18, prices=[27.5], unit="m3"),
        meter_item(1043, "G-17", "gaz", "1500.5", today="1.2", unit="m3"),
        meter_item(1043, "H-9", "heat", 88.25, today=0.4, unit="Gcal"),
    ]


class FakeBalanceServer:
    """The two endpoints of the mobile app; tokens live until :meth:`expire_tokens`."""

    def __init__(self, prefix: str = "") -> None:
        """Nothing listens before :meth:`start`; ``prefix`` is a path the API lives under."""
        self.prefix = prefix
        self.password = PASSWORD
        self.items: list[dict[str, Any]] = household()
        self.tokens: set[str] = set()
        self.logins = 0
        self.meter_requests = 0
        self.login_style_401 = False
        """Refuse wrong credentials with 401 instead of 200 without a token."""
        self.faults: list[Callable[[], web.StreamResponse]] = []
        """Answers given (one each) to the next meter-list requests instead of the list."""
        self.delay = 0.0
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://127.0.0.1:{self.port}{self.prefix}"

    def expire_tokens(self) -> None:
        """Every token issued so far is refused from now on (401)."""
        self.tokens.clear()

    def set_total(self, slave_uid: str, total: float) -> None:
        """A new register of one meter."""
        for item in self.items:
            if item["slave_uid"] == slave_uid:
                item["counter_indications"] = total

    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port."""
        app = web.Application()
        app.router.add_post(f"{self.prefix}/v1/pv/login", self._login)
        app.router.add_get(f"{self.prefix}/v1/pv/getmeterdescriptionwithlastdata", self._meters)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Close the server."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def _login(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if body.get("username") != USERNAME or body.get("password") != self.password:
            if self.login_style_401:
                return web.json_response({"message": "Unauthorized"}, status=401)
            return web.json_response(
                {"status": "error", "message": "Utilizator sau parolă greșită", "data": None}
            )
        self.logins += 1
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        return web.json_response(
            {"status": "success", "data": {"token": token, "user": {"login": USERNAME}}}
        )

    async def _meters(self, request: web.Request) -> web.StreamResponse:
        self.meter_requests += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.faults:
            return self.faults.pop(0)()
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth.removeprefix("Bearer ") not in self.tokens:
            return web.json_response({"message": "jwt expired"}, status=401)
        return web.json_response({"status": "success", "data": self.items})


def status(code: int) -> Callable[[], web.StreamResponse]:
    """A fault: an HTTP error page."""
    return lambda: web.Response(status=code, text="<html>Bad Gateway</html>")


def html() -> web.StreamResponse:
    """A fault: a captive portal or web server page instead of the API."""
    return web.Response(text="<html><body>Welcome</body></html>", content_type="text/html")
