"""The webhook server: Telegram posts updates here; 200 only once the update is stored."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

from bot.tg.inbox import InboxProcessor

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # a webhook update is a few KB; anything larger is refused (413)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name


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
