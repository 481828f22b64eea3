"""Where updates come in: long polling or a webhook server, both storing before acknowledging.

Polling: a batch from getUpdates is stored (and committed) before the next getUpdates, whose
offset tells Telegram the batch arrived. Webhook: a request is answered 200 only after its
update is stored. Either way an update Telegram considers delivered is in the inbox.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, NetworkError, TelegramError, TimedOut

from bot.tg.inbox import InboxProcessor

log = logging.getLogger(__name__)
# getUpdates is called through do_api_request on purpose: the raw JSON is what the inbox keeps.
warnings.filterwarnings("ignore", message=".*Bot.getUpdates.*do_api_request", category=UserWarning)

POLL_TIMEOUT = 10  # seconds Telegram holds a getUpdates open
MAX_BODY = 1024 * 1024  # a webhook update is a few KB; anything larger is refused (413)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


async def poll(
    bot: Bot,
    processor: InboxProcessor,
    stop: asyncio.Event,
    *,
    timeout: int = POLL_TIMEOUT,
    allowed_updates: list[str] | None = None,
) -> None:
    """Long-poll until `stop` is set; each batch is stored before the offset moves past it."""
    offset: int | None = None
    failures = 0
    while not stop.is_set():
        fetch = asyncio.ensure_future(
            bot.do_api_request(
                "getUpdates",
                api_kwargs={
                    "offset": offset,
                    "timeout": timeout,
                    "allowed_updates": allowed_updates or list(Update.ALL_TYPES),
                },
                read_timeout=timeout + 10,
            )
        )
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait([fetch, stopped], return_when=asyncio.FIRST_COMPLETED)
        if not fetch.done():  # stopping: nothing of this poll was stored or acknowledged
            fetch.cancel()
            break
        stopped.cancel()
        try:
            batch: list[dict[str, Any]] = fetch.result() or []
        except InvalidToken:
            log.error("Telegram refused the token while polling; stopping")
            stop.set()
            break
        except Conflict:
            failures += 1
            log.error("another process is polling this bot's token (409 Conflict); retrying")
            await _pause(stop, min(30.0, 2.0 * failures))
            continue
        except (TimedOut, NetworkError, TelegramError) as exc:
            failures += 1
            log.warning("getUpdates failed (%s); retrying", type(exc).__name__)
            await _pause(stop, min(30.0, 0.5 * 2 ** min(failures, 6)))
            continue
        failures = 0
        if not batch:
            continue
        await processor.accept(batch)  # stored: the next getUpdates may acknowledge them
        offset = max(int(raw["update_id"]) for raw in batch if isinstance(raw, dict)) + 1


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return


@dataclass
class WebhookServer:
    """Telegram posts updates here; 200 only once the update is stored."""

    processor: InboxProcessor
    path: str
    secret_token: str
    host: str
    port: int
    extra_routes: list[tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]]] = (
        field(default_factory=list)
    )
    _runner: web.AppRunner | None = None

    def application(self) -> web.Application:
        """Return the aiohttp application (the update route plus any extra routes)."""
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post("/" + self.path.lstrip("/"), self.receive)
        for method, route, handler in self.extra_routes:
            app.router.add_route(method, route, handler)
        return app

    async def receive(self, request: web.Request) -> web.Response:
        """Store one posted update; refuse a wrong secret (403) or a body that is not one (400)."""
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret_token.encode()):
            log.info("webhook request refused: missing or wrong secret token")
            return web.Response(status=403)
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            log.warning("webhook body refused: larger than %s bytes", MAX_BODY)
            return web.Response(status=413)
        try:
            raw = json.loads(body)
        except ValueError:
            raw = None
        if not isinstance(raw, dict) or not isinstance(raw.get("update_id"), int):
            log.warning("webhook body refused: not an update (%s bytes)", len(body))
            return web.Response(status=400)
        _new, unreadable = await self.processor.accept([raw])
        return web.Response(status=400 if unreadable else 200)

    async def start(self) -> None:
        """Listen on host:port."""
        self._runner = web.AppRunner(self.application(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()

    async def stop(self) -> None:
        """Stop listening (requests in flight finish first)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
