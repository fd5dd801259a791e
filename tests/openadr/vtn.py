"""A local OpenADR 3 VTN (3.1.0 or 3.0.1) on 127.0.0.1 for tests and the benchmark.

Every request and response is checked against the OpenAPI YAML (`schema.Spec`); invalid
requests are answered 400 and recorded in `rejected`, invalid responses in `violations`.
Objects put with `put_raw_event` (real-server quirks) are exempt from response checks.
"""

from __future__ import annotations

import itertools
import json
import secrets
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from custom_components.balance.openadr.mqtt import MqttConnection
from custom_components.balance.openadr.transport import client_tls_context, tls_context

from .schema import Spec, spec

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
KINDS = {
    "programs": "PROGRAM",
    "events": "EVENT",
    "reports": "REPORT",
    "subscriptions": "SUBSCRIPTION",
    "vens": "VEN",
    "resources": "RESOURCE",
}


def now_text() -> str:
    """The VTN's clock as RFC 3339."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Client:
    """A client of the VTN's token endpoint."""

    secret: str
    role: str  # "VEN" or "BL"


@dataclass
class LocalVtn:
    """The VTN; `await start()` then use `base_url`."""

    version: str = "3.1.0"
    ssl_context: ssl.SSLContext | None = None
    token_lifetime_s: int = 3600
    clients: dict[str, Client] = field(
        default_factory=lambda: {"ven-1": Client("ven-secret", "VEN"), "bl": Client("bl", "BL")}
    )
    scope_as_list: bool = False  # quirk: scope sent as a JSON list
    violations: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    token_requests: int = 0
    requests: list[str] = field(default_factory=list)  # "METHOD /path" of each request
    fail_next: dict[str, int] = field(default_factory=dict)  # "POST /reports" -> 500 after store
    mqtt_uri: str | None = None  # a broker: the VTN offers the 3.1 MQTT notifier binding
    mqtt_auth: str = "ANONYMOUS"  # or OAUTH2_BEARER_TOKEN, or CERTIFICATE (with mqtt_client)
    mqtt_client: tuple[str, str] | None = None  # CERTIFICATE: client certificate and key PEM
    mqtt_ca_pem: str | None = None  # the CA of an mqtts:// broker

    def __post_init__(self) -> None:
        self.spec: Spec = spec(self.version)
        self.store: dict[str, dict[str, dict[str, Any]]] = {kind: {} for kind in KINDS}
        self.raw_ids: set[str] = set()
        self.tokens: dict[str, tuple[str, float]] = {}
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._mqtt: MqttConnection | None = None
        self.port = 0

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Root of the API."""
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://127.0.0.1:{self.port}/openadr3/{self.version}/"

    async def start(self) -> None:
        """Listen on 127.0.0.1 (a random port the first time, the same port after)."""
        if self._runner is None:
            app = web.Application(middlewares=[self._middleware])
            app.router.add_route("*", "/openadr3/{version}/{tail:.*}", self._dispatch)
            self._runner = web.AppRunner(app, access_log=None)
            await self._runner.setup()
        self._site = web.TCPSite(self._runner, "127.0.0.1", self.port, ssl_context=self.ssl_context)
        await self._site.start()
        self.port = self._runner.addresses[0][1]

    async def go_down(self) -> None:
        """Stop listening (connections are refused) but keep the data."""
        assert self._site is not None and self._runner is not None
        await self._site.stop()
        self._site = None
        server = self._runner.server
        for connection in list(server.connections if server else ()):
            connection.force_close()  # kept-alive connections die too

    async def close(self) -> None:
        """Stop for good."""
        if self._mqtt is not None:
            await self._mqtt.close()
            self._mqtt = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def revoke_tokens(self) -> None:
        """Every issued token becomes invalid (the next request gets 401)."""
        self.tokens.clear()

    # -- test helpers (business logic side) -----------------------------------------------

    def _check_put(self, method: str, path: str, body: dict[str, Any]) -> None:
        operation = self.spec.operation(method, path)
        assert operation is not None
        errors = self.spec.check_request(operation, "application/json", body)
        assert not errors, errors

    def _new(self, kind: str, body: dict[str, Any], client_id: str) -> dict[str, Any]:
        stamp = now_text()
        obj = {
            "id": f"{kind[:-1]}-{next(self._ids)}",
            "createdDateTime": stamp,
            "modificationDateTime": stamp,
            **{k: v for k, v in body.items() if k != "objectType"},
            "objectType": KINDS[kind],
        }
        if self.version == "3.1.0" and kind in {"reports", "subscriptions", "vens", "resources"}:
            obj["clientID"] = client_id
        self.store[kind][obj["id"]] = obj
        return obj

    def create_program(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a (spec-valid) program as the business logic would."""
        self._check_put("POST", "/programs", body)
        return self._new("programs", body, "bl")

    def create_event(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a (spec-valid) event."""
        self._check_put("POST", "/events", body)
        return self._new("events", body, "bl")

    def update_event(self, event_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Modify an event (new modificationDateTime)."""
        obj = self.store["events"][event_id]
        obj.update(changes)
        time.sleep(0.002)  # a distinct millisecond stamp
        obj["modificationDateTime"] = now_text()
        return obj

    def delete_event(self, event_id: str) -> None:
        """Cancel an event by deleting it."""
        del self.store["events"][event_id]

    def put_raw_event(self, obj: dict[str, Any]) -> None:
        """Store an event exactly as given (quirks of real servers); not schema-checked."""
        self.store["events"][str(obj.get("id") or obj.get("event_id"))] = obj
        self.raw_ids.add(str(obj.get("id") or obj.get("event_id")))

    async def announce(
        self, operation: str, obj: dict[str, Any], *, raw: bytes | None = None
    ) -> None:
        """Publish a notification of an operation on an event to the MQTT broker (QoS 0)."""
        assert self.mqtt_uri is not None
        if self._mqtt is None:
            context = tls_context(self.mqtt_ca_pem)
            if self.mqtt_client is not None and self.mqtt_ca_pem is not None:
                context = client_tls_context(None, self.mqtt_ca_pem, *self.mqtt_client)
            self._mqtt = await MqttConnection.open(
                self.mqtt_uri, client_id="vtn", ssl_context=context
            )
        body = {"objectType": "EVENT", "operation": operation, "object": obj}
        self._check_notification(body)
        topic = f"programs/{obj['programID']}/events/{operation.lower()}"
        await self._mqtt.publish(topic, raw if raw is not None else json.dumps(body).encode())

    def _check_notification(self, body: dict[str, Any]) -> None:
        errors = self.spec.check_schema("notification", body)
        assert not errors, errors

    def reports(self) -> list[dict[str, Any]]:
        """Reports received, in arrival order."""
        return list(self.store["reports"].values())

    # -- HTTP -----------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        path = "/" + request.match_info.get("tail", "")
        self.requests.append(f"{request.method} {path}")
        operation = self.spec.operation(request.method, path)
        if operation is None or request.match_info.get("version") != self.version:
            self.violations.append(f"{request.method} {path}: not in {self.version}")
            return self._problem(404, "not found")
        if request.content_type == "application/x-www-form-urlencoded":
            body: Any = dict(await request.post())
        elif request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                return self._problem(400, "body is not JSON")
        else:
            body = None
        errors = self.spec.check_request(operation, request.content_type, body)
        if errors and request.method in {"POST", "PUT"}:
            self.rejected.append(f"{request.method} {path}: {errors}")
            return self._problem(400, "; ".join(errors))
        request["body"] = body
        response = await handler(request)
        if isinstance(response, web.Response) and response.text is not None:
            payload = json.loads(response.text)
            if isinstance(payload, list):
                payload = [item for item in payload if str(item.get("id")) not in self.raw_ids]
            elif isinstance(payload, dict) and str(payload.get("id")) in self.raw_ids:
                payload = None
            if payload is not None:
                for error in self.spec.check_response(operation, response.status, payload):
                    self.violations.append(f"{request.method} {path} -> {response.status}: {error}")
        return response

    @staticmethod
    def _problem(status: int, detail: str) -> web.Response:
        return web.json_response(
            {"title": "error", "status": status, "detail": detail}, status=status
        )

    def _client(self, request: web.Request) -> str | None:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip()
        found = self.tokens.get(token)
        if found is None or time.monotonic() >= found[1]:
            return None
        return found[0]

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        parts = request.match_info["tail"].strip("/").split("/")
        if parts[0] == "auth":
            return await (self._token(request) if parts[1] == "token" else self._server(request))
        client_id = self._client(request)
        if client_id is None:
            return self._problem(401, "invalid or expired token")
        if parts[0] == "vens" and len(parts) >= 3:  # 3.0.1 /vens/{venID}/resources[/{id}]
            return self._crud(
                request, "resources", parts[3] if len(parts) > 3 else None, client_id, parts[1]
            )
        if parts[0] == "notifiers":
            return self._notifiers(parts[1:])
        kind = parts[0]
        if kind not in KINDS:
            return self._problem(404, "no such collection")
        return self._crud(request, kind, parts[1] if len(parts) > 1 else None, client_id, None)

    def _notifiers(self, tail: list[str]) -> web.Response:
        if not tail:
            body: dict[str, Any] = {"WEBHOOK": True}
            if self.mqtt_uri is not None:
                auth: dict[str, str] = {"method": self.mqtt_auth}
                if self.mqtt_auth == "OAUTH2_BEARER_TOKEN":
                    auth["username"] = "{clientID}"
                if self.mqtt_auth == "CERTIFICATE" and self.mqtt_client and self.mqtt_ca_pem:
                    auth |= {
                        "caCert": self.mqtt_ca_pem,
                        "clientCert": self.mqtt_client[0],
                        "clientKey": self.mqtt_client[1],
                    }
                body["MQTT"] = {
                    "URIS": [self.mqtt_uri],
                    "serialization": "JSON",
                    "authentication": auth,
                }
            return web.json_response(body)
        if self.mqtt_uri is None:
            return self._problem(404, "no MQTT notifier")
        if tail[:3] == ["mqtt", "topics", "programs"] and len(tail) == 5 and tail[4] == "events":
            base = f"programs/{tail[3]}/events"
            return web.json_response(
                {
                    "topics": {
                        "CREATE": f"{base}/create",
                        "UPDATE": f"{base}/update",
                        "DELETE": f"{base}/delete",
                        "ALL": f"{base}/+",
                    }
                }
            )
        return self._problem(404, "no such topic list")

    async def _server(self, request: web.Request) -> web.Response:
        return web.json_response({"tokenURL": self.base_url + "auth/token"})

    async def _token(self, request: web.Request) -> web.Response:
        self.token_requests += 1
        form = request["body"] or {}
        client = self.clients.get(str(form.get("client_id")))
        if client is None or client.secret != form.get("client_secret"):
            if self.version == "3.0.1":
                return web.json_response({"error": "invalid_client"}, status=400)
            return self._problem(401, "invalid client")
        token = secrets.token_urlsafe(16)
        self.tokens[token] = (str(form["client_id"]), time.monotonic() + self.token_lifetime_s)
        scope: Any = (
            ["read_all", "write_reports"] if self.scope_as_list else "read_all write_reports"
        )
        return web.json_response(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": self.token_lifetime_s,
                "scope": scope,
            }
        )

    def _crud(
        self,
        request: web.Request,
        kind: str,
        object_id: str | None,
        client_id: str,
        ven_in_path: str | None,
    ) -> web.Response:
        items = self.store[kind]
        body = request["body"]
        if request.method == "POST" and object_id is None:
            if kind in {"programs", "events"} and self.clients[client_id].role != "BL":
                return self._problem(403, "only BL may write")
            if ven_in_path is not None:
                body = {**body, "venID": ven_in_path}
            if kind == "reports" and self.fail_next.get("POST /reports"):
                self.fail_next["POST /reports"] -= 1
                self._new(kind, body, client_id)
                return self._problem(500, "stored, but the answer is lost")
            if kind == "vens" and any(v["venName"] == body["venName"] for v in items.values()):
                return self._problem(409, "venName exists")
            return web.json_response(self._new(kind, body, client_id), status=201)
        if object_id is None:
            return web.json_response(self._search(request, kind, client_id, ven_in_path))
        obj = items.get(object_id)
        if obj is None:
            return self._problem(404, f"{object_id} not found")
        if request.method == "DELETE":
            return web.json_response(items.pop(object_id))
        if request.method == "PUT":
            obj.update({k: v for k, v in body.items() if k not in {"id", "objectType"}})
            obj["modificationDateTime"] = now_text()
        return web.json_response(obj)

    def _search(
        self, request: web.Request, kind: str, client_id: str, ven_in_path: str | None
    ) -> list[dict[str, Any]]:
        query = request.query
        found = list(self.store[kind].values())
        filters = {
            "programID": "programID",
            "eventID": "eventID",
            "clientName": "clientName",
            "venName": "venName",
            "venID": "venID",
        }
        for param, key in filters.items():
            if param in query:
                found = [
                    item
                    for item in found
                    if str(item.get(key, item.get("program_id"))) == query[param]
                ]
        if ven_in_path is not None:
            found = [item for item in found if item.get("venID") == ven_in_path]
        if kind == "reports" and self.clients[client_id].role == "VEN" and self.version == "3.1.0":
            found = [item for item in found if item.get("clientID") == client_id]
        skip = int(query.get("skip", 0))
        limit = int(query.get("limit", 50))
        return found[skip : skip + limit]
