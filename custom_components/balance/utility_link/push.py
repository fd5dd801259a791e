"""Push: a VTN subscription that notifies HA's webhook; polling stays on as the fallback.

Only when Home Assistant has an HTTPS external URL (OpenADR 3.1 requires HTTPS callbacks);
the webhook component is set up then, and only then.
The VTN proves the callback with `GET ?echo=<challenge>` (answered with the challenge) and
posts notifications with the bearer token given in the subscription (checked here).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web
from homeassistant.components import webhook
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.network import NoURLAvailableError, get_url
from homeassistant.setup import async_setup_component

from ..const import DOMAIN, LOGGER  # noqa: TID252
from ..openadr import InvalidEventError, OpenAdrError  # noqa: TID252
from .const import CONF_WEBHOOK_ID, CONF_WEBHOOK_TOKEN
from .link import UtilityLink

MAX_BODY = 1_000_000  # bytes of one notification


def callback_url(hass: HomeAssistant, webhook_id: str) -> str | None:
    """The HTTPS URL the VTN can reach the webhook at, or None (polling only)."""
    try:
        base = get_url(hass, allow_internal=False, require_ssl=True, prefer_external=True)
    except NoURLAvailableError:
        return None
    return base + webhook.async_generate_path(webhook_id)


def _identity(hass: HomeAssistant, link: UtilityLink) -> tuple[str, str]:
    """The entry's webhook id and bearer token (made once, kept in the entry)."""
    entry = link.entry
    webhook_id = entry.data.get(CONF_WEBHOOK_ID)
    token = entry.data.get(CONF_WEBHOOK_TOKEN)
    if not webhook_id or not token:
        webhook_id, token = webhook.async_generate_id(), secrets.token_urlsafe(32)
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_WEBHOOK_ID: webhook_id, CONF_WEBHOOK_TOKEN: token}
        )
    return str(webhook_id), str(token)


def make_handler(
    link: UtilityLink, token: str
) -> Callable[[HomeAssistant, str, web.Request], Awaitable[web.Response]]:
    """The webhook handler: echo challenge, bearer check, notification applied at once."""

    async def handle(hass: HomeAssistant, webhook_id: str, request: web.Request) -> web.Response:
        if request.method == "GET":
            echo = request.query.get("echo")
            return web.Response(text=echo) if echo else web.Response(status=400)
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            return web.Response(status=401)
        raw = await request.content.read(MAX_BODY + 1)
        if len(raw) > MAX_BODY:
            return web.Response(status=413)
        try:
            link.apply_notification(json.loads(raw))
        except (ValueError, RecursionError, InvalidEventError):
            return web.Response(status=400)
        return web.Response(status=200)

    return handle


async def async_subscribe(hass: HomeAssistant, link: UtilityLink) -> None:
    """Register the webhook and subscribe to the link's programs (when HTTPS is available)."""
    webhook_id, token = _identity(hass, link)
    url = callback_url(hass, webhook_id)
    if url is None:
        LOGGER.debug("Utility link %s: no HTTPS external URL, polling only", link.entry.title)
        return
    if not await async_setup_component(hass, "webhook", {}):
        return
    webhook.async_register(
        hass,
        DOMAIN,
        link.entry.title,
        webhook_id,
        make_handler(link, token),
        local_only=False,
        allowed_methods=("GET", "POST"),
    )
    link.push_url = url

    lock = asyncio.Lock()  # the first poll and the set-up may both try: one subscription

    async def subscribe() -> None:
        async with lock:
            if link.subscribed:
                return
            try:
                await link.ven.subscribe(url, token)
                link.subscribed = True
            except OpenAdrError as err:
                LOGGER.warning("Utility link %s: no push subscription: %s", link.entry.title, err)

    link.on_connected = subscribe
    if link.ven.programs:
        await subscribe()


@callback
def async_unsubscribe(hass: HomeAssistant, link: UtilityLink) -> None:
    """Stop taking notifications (the VTN's subscription stays: it is reused after a restart)."""
    webhook_id = link.entry.data.get(CONF_WEBHOOK_ID)
    if link.push_url is not None and webhook_id:
        webhook.async_unregister(hass, webhook_id)
        link.push_url = None
