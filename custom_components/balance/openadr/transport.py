"""HTTPS to the VTN: certificate checks always on, OAuth2 client credentials, retry on 401."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import ssl
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp

from .errors import (
    InsecureUrlError,
    VtnAuthError,
    VtnRequestError,
    VtnTlsError,
    VtnUnavailableError,
)
from .parse import normalise, scope_text

_LOGGER = logging.getLogger(__name__)
REFRESH_MARGIN_S = 30.0  # refresh a token this long before it expires
REQUEST_TIMEOUT_S = 20.0


def tls_context(ca_pem: str | None = None) -> ssl.SSLContext:
    """A verifying TLS context; `ca_pem` adds a utility's own CA to the system ones.

    There is deliberately no way to turn verification off.
    """
    context = ssl.create_default_context()
    if ca_pem:
        context.load_verify_locations(cadata=ca_pem)
    return context


def client_tls_context(
    ca_pem: str | None, broker_ca_pem: str, cert_pem: str, key_pem: str
) -> ssl.SSLContext:
    """A verifying TLS context that also presents a client certificate (mTLS), trusting the
    broker CA the VTN named besides `ca_pem` and the system CAs. Blocking (reads the key from
    a private temporary folder, removed at once): run it in an executor."""
    context = tls_context(ca_pem)
    context.load_verify_locations(cadata=broker_ca_pem)
    with tempfile.TemporaryDirectory(prefix="balance-mqtt-") as folder:
        cert_path, key_path = Path(folder, "cert.pem"), Path(folder, "key.pem")
        cert_path.write_text(cert_pem)
        key_path.touch(mode=0o600)
        key_path.write_text(key_pem)
        context.load_cert_chain(cert_path, key_path)
    return context


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> str:
    """Accept HTTPS URLs, and plain HTTP only to this machine; return the URL with a `/`."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host or parts.scheme not in {"https", "http"}:
        raise InsecureUrlError(f"not an HTTP(S) URL: {url}")
    if parts.scheme == "http" and not is_loopback(host):
        raise InsecureUrlError(f"plain HTTP is only allowed to this machine: {url}")
    return url if url.endswith("/") else url + "/"


def _problem(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("title") or body.get("error") or body)
    return str(body)[:200]


class TokenSource:
    """Client-credentials tokens, fetched lazily and refreshed before expiry or on 401."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        client_id: str,
        client_secret: str,
        token_url: str | None,
        discover_url: str | None,
        scope: str | None = None,
        ssl_context: ssl.SSLContext,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session = session
        self._client_id = client_id
        self._secret = client_secret
        self._token_url = check_url(token_url).rstrip("/") if token_url else None
        self._discover_url = discover_url
        self._scope = scope
        self._ssl = ssl_context
        self.clock = clock
        self._token: str | None = None
        self._expires_at: float | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0  # tokens fetched so far (diagnostics, tests)
        self.granted_scope = ""

    def invalidate(self) -> None:
        """Forget the token (after a 401)."""
        self._token = None

    async def token(self) -> str:
        """A valid access token."""
        async with self._lock:
            expired = self._expires_at is not None and self.clock() >= self._expires_at
            if self._token is None or expired:
                await self._fetch()
            assert self._token is not None
            return self._token

    async def _url(self) -> str:
        if self._token_url is None:
            if self._discover_url is None:
                raise VtnAuthError("no token endpoint configured")
            body = await self._get_json(self._discover_url)
            if body is None:  # no /auth/server (many servers): the conventional endpoint
                found: Any = urljoin(self._discover_url, "token")
            else:
                found = normalise(body).get("tokenURL") if isinstance(body, dict) else None
            if not isinstance(found, str) or not found:
                raise VtnUnavailableError("the VTN's /auth/server has no tokenURL")
            self._token_url = check_url(urljoin(self._discover_url, found)).rstrip("/")
        return self._token_url

    async def _get_json(self, url: str) -> Any:
        """The JSON at `url`; None if it does not exist (404)."""
        try:
            async with self._session.get(
                url, ssl=self._ssl, timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
            ) as response:
                if response.status == 404:
                    return None
                if response.status >= 400:
                    raise VtnUnavailableError(f"{url}: HTTP {response.status}")
                return await response.json(content_type=None)
        except aiohttp.ClientSSLError as err:
            raise VtnTlsError(f"{url}: {err}") from err
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            raise VtnUnavailableError(f"{url}: {err}") from err

    async def _fetch(self) -> None:
        url = await self._url()
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._secret,
        }
        if self._scope:
            form["scope"] = self._scope
        try:
            async with self._session.post(
                url,
                data=form,
                ssl=self._ssl,
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S),
            ) as response:
                body = await response.json(content_type=None)
                status = response.status
        except aiohttp.ClientSSLError as err:
            raise VtnTlsError(f"token endpoint: {err}") from err
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            raise VtnUnavailableError(f"token endpoint: {err}") from err
        if status in {400, 401, 403}:
            raise VtnAuthError(f"token endpoint refused the credentials: {_problem(body)}")
        if status >= 300 or not isinstance(body, dict):
            raise VtnUnavailableError(f"token endpoint: HTTP {status}")
        self._accept(normalise(body))

    def _accept(self, body: Mapping[str, Any]) -> None:
        token = body.get("access_token")
        kind = body.get("token_type", "Bearer")
        if not isinstance(token, str) or not token or str(kind).lower() != "bearer":
            raise VtnAuthError("token endpoint sent no bearer token")
        expires = body.get("expires_in")
        if isinstance(expires, str) and expires.isdigit():
            expires = int(expires)
        lifetime = float(expires) if isinstance(expires, int | float) and expires > 0 else None
        self._token = token
        self._expires_at = (
            None if lifetime is None else self.clock() + max(lifetime - REFRESH_MARGIN_S, 1.0)
        )
        self.granted_scope = scope_text(body.get("scope"))
        self.fetches += 1
        _LOGGER.debug("OpenADR token fetched (expires in %s s)", lifetime)


class VtnHttp:
    """JSON requests to the VTN's REST API with the bearer token."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        tokens: TokenSource,
        ssl_context: ssl.SSLContext,
    ) -> None:
        self._session = session
        self.base_url = check_url(base_url)
        self._tokens = tokens
        self._ssl = ssl_context

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, str | int] | None = None,
    ) -> Any:
        """Send one request; a 401 refreshes the token and retries once."""
        for attempt in range(2):
            token = await self._tokens.token()
            status, answer = await self._send(method, path, token, body, params)
            if status == 401 and attempt == 0:
                self._tokens.invalidate()
                continue
            if status >= 500 or status in {401, 408, 429}:
                raise VtnUnavailableError(f"{method} {path}: HTTP {status}")
            if status >= 400:
                raise VtnRequestError(status, _problem(answer))
            return answer
        raise VtnUnavailableError(f"{method} {path}: unauthorised")  # pragma: no cover

    async def _send(
        self,
        method: str,
        path: str,
        token: str,
        payload: Any,
        params: Mapping[str, str | int] | None,
    ) -> tuple[int, Any]:
        url = urljoin(self.base_url, path)
        try:
            async with self._session.request(
                method,
                url,
                json=payload,
                params=params,
                headers={"Authorization": f"Bearer {token}"},
                ssl=self._ssl,
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S),
            ) as response:
                text = await response.text()
                status = response.status
        except aiohttp.ClientSSLError as err:
            raise VtnTlsError(f"{method} {path}: {err}") from err
        except aiohttp.ClientConnectorError as err:
            raise VtnUnavailableError(f"{method} {path}: {err}", maybe_delivered=False) from err
        except (aiohttp.ClientError, TimeoutError) as err:
            raise VtnUnavailableError(f"{method} {path}: {err}") from err
        if not text:
            return status, None
        try:
            return status, json.loads(text)
        except (ValueError, RecursionError) as err:
            if status < 400:
                raise VtnUnavailableError(f"{method} {path}: not JSON") from err
            return status, text
