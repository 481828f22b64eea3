"""The callback server: WeChat posts messages to /wechat; "success" only once one is stored.

GET /wechat answers WeChat's check of the URL (its `echostr`, when the signature is right).
POST /wechat: a wrong signature (or, in safe mode, a message our key does not open) is
refused with 403 and nothing is stored; a body over `MAX_BODY` with 413. A signed message
is stored, then answered "success" at once (WeChat waits 5 s, then retries): the turn's
replies go out as customer-service messages after its commit. GET /wechat/files/… serves a
document behind a signed link (`bot.wx.links`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from urllib.parse import quote

from aiohttp import web

from bot.tg.webhook import READ_TIMEOUT, Listener
from bot.wx import protocol
from bot.wx.channel import WeChatChannel
from bot.wx.links import PATH as FILES_PATH
from models.db import session_scope
from models.tables import GeneratedDocument
from rules.text import t

log = logging.getLogger(__name__)

PATH = "/wechat"
SUCCESS = "success"
LINK_GONE = t(
    "这个链接已失效。请在公众号里点菜单「文件」获取新的下载链接。",
    "This link has expired. Tap the second item of the account's menu (Files) for new links.",
)


@dataclass
class CallbackServer:
    """WeChat's callback and the documents' links, on one listener."""

    channel: WeChatChannel
    keys: protocol.Keys
    host: str
    port: int
    read_timeout: float = READ_TIMEOUT
    max_connections: int = 256
    _listener: Listener | None = None

    def application(self) -> web.Application:
        """Return the aiohttp application: the callback and the documents' links."""
        app = web.Application(client_max_size=protocol.MAX_BODY)
        app.router.add_get(PATH, self.verify)
        app.router.add_post(PATH, self.receive)
        app.router.add_get(FILES_PATH + "/{id:\\d+}/{until:\\d+}/{sig:[0-9a-f]+}/{name}", self.file)
        return app

    async def verify(self, request: web.Request) -> web.Response:
        """Answer WeChat's check of the URL with its echostr (403 when not signed)."""
        try:
            protocol.check(self.keys, request.query, self.channel.clock().timestamp())
        except protocol.RefusedError as exc:
            log.info("wechat URL check refused: %s", exc.why)
            return web.Response(status=exc.status)
        return web.Response(text=request.query.get("echostr", ""))

    async def receive(self, request: web.Request) -> web.Response:
        """Store one posted message and answer "success"; refuse what WeChat did not sign.
        `Server-Timing` says how long it took here (the benchmark reads it)."""
        started = time.perf_counter()
        response = await self._receive(request)
        took = (time.perf_counter() - started) * 1000
        response.headers["Server-Timing"] = f"store;dur={took:.2f}"
        return response

    async def _receive(self, request: web.Request) -> web.Response:
        try:
            protocol.check(self.keys, request.query, self.channel.clock().timestamp())
        except protocol.RefusedError as exc:
            log.info("wechat callback refused: %s", exc.why)
            return web.Response(status=exc.status)
        try:
            async with asyncio.timeout(self.read_timeout):
                body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            log.warning("wechat callback refused: larger than %s bytes", protocol.MAX_BODY)
            return web.Response(status=413)
        except TimeoutError:
            log.warning("wechat callback refused: not received within %s s", self.read_timeout)
            response = web.Response(status=408)
            response.force_close()
            return response
        try:
            xml = protocol.opened(self.keys, request.query, body)
        except protocol.RefusedError as exc:
            log.info("wechat callback refused: %s", exc.why)
            return web.Response(status=exc.status)
        incoming = protocol.read(xml)
        if incoming is None:
            log.warning("wechat callback with no sender we can answer (%s bytes)", len(body))
            return web.Response(text=SUCCESS)
        await self.channel.accept(incoming)
        return web.Response(text=SUCCESS)

    async def file(self, request: web.Request) -> web.Response:
        """Serve a document behind a signed, unexpired link (404 otherwise)."""
        document_id = int(request.match_info["id"])
        until = int(request.match_info["until"])
        now = self.channel.clock()
        if document_id >= 2**63 or not self.channel.links.valid(
            document_id, until, request.match_info["sig"], now
        ):
            return _gone()

        def load() -> tuple[str, bytes] | None:
            with session_scope(self.channel.db.engine) as session:
                found = session.get(GeneratedDocument, document_id)
                return None if found is None else (found.filename, found.content)

        found = await asyncio.to_thread(load)
        if found is None:
            return _gone()
        name, content = found
        kind = "application/pdf" if name.endswith(".pdf") else "application/octet-stream"
        return web.Response(
            body=content,
            content_type=kind,
            headers={
                "Cache-Control": "private, no-store",
                "Content-Disposition": f"inline; filename*=UTF-8''{quote(name)}",
                "X-Content-Type-Options": "nosniff",
            },
        )

    async def start(self) -> None:
        """Listen on host:port (raises OSError when the address cannot be bound)."""
        # WeChat's servers open many connections at once (a burst of messages): a short accept
        # queue drops their SYNs, which come again only after 1 s (bench/bench_wechat.py).
        self._listener = Listener(
            self.application(),
            self.host,
            self.port,
            self.read_timeout,
            self.max_connections,
            backlog=1024,
        )
        await self._listener.start()

    @property
    def bound_port(self) -> int:
        """The port listened on."""
        assert self._listener is not None
        return self._listener.bound_port

    async def stop(self) -> None:
        """Stop listening (requests in flight finish first)."""
        if self._listener is not None:
            await self._listener.stop()
            self._listener = None


def _gone() -> web.Response:
    text = f"{LINK_GONE.get('zh')}\n{LINK_GONE.get('en')}\n"
    return web.Response(status=404, text=text, content_type="text/plain", charset="utf-8")
