"""Client of a BALANCE server's mobile-app REST API (plain Python on an aiohttp session).

``POST /v1/pv/login`` with ``{"username", "password"}`` answers ``data.token``; ``GET
/v1/pv/getmeterdescriptionwithlastdata`` with that bearer token answers ``data[]``, one item
per meter with its last data. The token is reused until the server answers 401, then the
client signs in once more and repeats the request. See docs/cloud.md.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

import aiohttp
from yarl import URL

LOGIN_PATH: Final = "/v1/pv/login"
METERS_PATH: Final = "/v1/pv/getmeterdescriptionwithlastdata"
DEFAULT_TIMEOUT: Final = 30.0


class CloudError(Exception):
    """Talking to the BALANCE server failed."""


class CloudAuthError(CloudError):
    """The server refused the username or password."""


class CloudConnectionError(CloudError):
    """The server could not be reached, timed out or had an internal error."""


class CloudResponseError(CloudError):
    """The server answered something that is not the API's answer."""


class Resource(StrEnum):
    """What a meter measures."""

    ELECTRICITY = "electricity"
    WATER = "water"
    GAS = "gas"
    HEAT = "heat"


# Names and codes a server may use for a resource (English, Romanian, Russian).
_RESOURCE_NAMES: Final[dict[str, Resource]] = {
    name: resource
    for resource, names in (
        (Resource.ELECTRICITY, ("electricity", "electric", "energy", "energie", "curent", "ee")),
        (Resource.WATER, ("water", "apa", "apă", "вода", "hvs", "gvs", "cold_water", "hot_water")),
        (Resource.GAS, ("gas", "gaz", "газ")),
        (Resource.HEAT, ("heat", "caldura", "căldură", "termica", "termică", "тепло", "heating")),
    )
    for name in names
}
_RESOURCE_KEYS: Final = ("resource", "resource_type", "type", "counter_type", "medium")
_UNITS: Final[dict[str, str]] = {
    "kwh": "kWh",
    "mwh": "MWh",
    "gcal": "Gcal",
    "gj": "GJ",
    "m3": "m³",
    "m³": "m³",
    "l": "L",
}


@dataclass(frozen=True, slots=True)
class CloudMeter:
    """One meter as the server describes it, with its last data."""

    tsd_id: str
    """The transmitter (data concentrator) the meter is wired to."""
    slave_uid: str
    """The meter's id on that transmitter."""
    resource: Resource | None
    total: float | None
    """``counter_indications``: the meter register (kWh, m³, ...)."""
    today: float | None
    """``curent_day``: consumption since midnight."""
    amount: float | None
    """``sum`` as the server sends it (the app shows it next to the day's consumption)."""
    prices: tuple[float, ...] = ()
    """``counter_settings.price.price[]``."""
    name: str | None = None
    unit: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def key(self) -> str:
        """Stable id of the meter within the account."""
        return f"{self.tsd_id}_{self.slave_uid}"


def _number(value: Any) -> float | None:
    """A finite number from a JSON number or a numeric string ("12,5" too); else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        value = value.strip().replace(" ", "").replace(",", ".")
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _text(value: Any) -> str | None:
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        text = str(value).strip()
        return text or None
    return None


def _resource(item: Mapping[str, Any], settings: Mapping[str, Any]) -> Resource | None:
    for source in (item, settings):
        for key in _RESOURCE_KEYS:
            name = _text(source.get(key))
            if name is not None and (resource := _RESOURCE_NAMES.get(name.casefold())):
                return resource
    return None


def _prices(settings: Mapping[str, Any]) -> tuple[float, ...]:
    price = settings.get("price")
    values = price.get("price") if isinstance(price, Mapping) else None
    if not isinstance(values, list):
        return ()
    found: list[float] = []
    for entry in values:
        value = entry.get("price", entry.get("value")) if isinstance(entry, Mapping) else entry
        if (number := _number(value)) is not None:
            found.append(number)
    return tuple(found)


def parse_meter(item: Any) -> CloudMeter | None:
    """One ``data[]`` item, or None when it lacks the ids of a meter."""
    if not isinstance(item, Mapping):
        return None
    tsd_id, slave_uid = _text(item.get("tsd_id")), _text(item.get("slave_uid"))
    if tsd_id is None or slave_uid is None:
        return None
    settings = item.get("counter_settings")
    if not isinstance(settings, Mapping):
        settings = {}
    unit = _text(item.get("unit", settings.get("unit")))
    total = _number(item.get("counter_indications"))
    return CloudMeter(
        tsd_id=tsd_id,
        slave_uid=slave_uid,
        resource=_resource(item, settings),
        total=total if total is None or total >= 0 else None,
        today=_number(item.get("curent_day")),
        amount=_number(item.get("sum")),
        prices=_prices(settings),
        name=_text(item.get("description", item.get("name"))),
        unit=_UNITS.get(unit.casefold()) if unit else None,
        raw=item,
    )


def parse_meters(payload: Any) -> list[CloudMeter]:
    """The meters of a meter-list answer; CloudResponseError when it has no ``data`` list."""
    data = payload.get("data") if isinstance(payload, Mapping) else None
    if not isinstance(data, list):
        raise CloudResponseError("meter list without a data list")
    meters: dict[str, CloudMeter] = {}
    for item in data:
        if (meter := parse_meter(item)) is not None:
            meters.setdefault(meter.key, meter)  # a repeated meter keeps its first item
    return list(meters.values())


def normalize_base_url(url: str) -> str:
    """``https://Host:3000/api/`` -> ``https://host:3000/api``; ValueError unless http(s)."""
    parsed = URL(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(url)
    return str(parsed.with_query(None).with_fragment(None)).rstrip("/")


class CloudClient:
    """A signed-in session with one account; safe to share between callers on one loop."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        username: str,
        password: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Nothing is sent before the first request."""
        self._session = session
        self.base_url = normalize_base_url(base_url)
        self._username = username
        self._password = password
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._lock = asyncio.Lock()
        self.token: str | None = None
        self.logins = 0

    async def async_login(self) -> str:
        """Sign in and keep the token; CloudAuthError for wrong credentials."""
        payload = await self._request(
            "POST", LOGIN_PATH, json={"username": self._username, "password": self._password}
        )
        if not isinstance(payload, Mapping):
            raise CloudResponseError("the login answer is not an object")
        data = payload.get("data")
        token = _text(data.get("token")) if isinstance(data, Mapping) else None
        if token is None:  # wrong credentials may also be answered with 200 and no token
            raise CloudAuthError("no token in the login answer")
        self.token = token
        self.logins += 1
        return token

    async def async_get_meters(self) -> list[CloudMeter]:
        """Every meter of the account with its last data (signing in when needed)."""
        async with self._lock:
            if self.token is None:
                await self.async_login()
            token = self.token
        try:
            payload = await self._request("GET", METERS_PATH, token=token)
        except CloudAuthError:
            async with self._lock:
                if self.token == token:  # nobody signed in again meanwhile
                    self.token = None
                    await self.async_login()
                token = self.token
            payload = await self._request("GET", METERS_PATH, token=token)
        return parse_meters(payload)

    async def _request(
        self, method: str, path: str, *, token: str | None = None, json: Any = None
    ) -> Any:
        headers = {"Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        try:
            async with self._session.request(
                method, self.base_url + path, json=json, headers=headers, timeout=self._timeout
            ) as response:
                if response.status in (401, 403):
                    raise CloudAuthError(f"HTTP {response.status}")
                if response.status >= 500 or response.status == 429:
                    raise CloudConnectionError(f"HTTP {response.status}")
                if response.status >= 400:
                    raise CloudResponseError(f"HTTP {response.status}")
                try:
                    return await response.json(content_type=None)
                except ValueError as err:
                    raise CloudResponseError("the answer is not JSON") from err
        except TimeoutError as err:
            raise CloudConnectionError("timed out") from err
        except aiohttp.ClientError as err:
            raise CloudConnectionError(str(err) or type(err).__name__) from err
