"""The webhook server: Telegram posts updates here; 200 only once the update is stored.

Only Telegram (through the operator's proxy) should ever reach it, but anybody may try, so it
refuses what Telegram never sends before anything is parsed further or stored: a body over
1 MB (413), JSON nested deeper than `MAX_DEPTH`, a number no Telegram id can be (an update id
that is not an integer in 0..2**53-1; any integer outside ±2**53, any NaN or infinity) — 400,
one log line with the size and the reason, never the body. Slow clients are closed:
`Listener` gives a connection `read_timeout` seconds to send its headers (aiohttp's
keep-alive timer runs from the connection's start, and closes one still waiting for a whole
request line and headers) and a request as long for its body; past `max_connections` open
connections a new one is answered 503 and closed at once.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.tg.inbox import InboxProcessor

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # a webhook update is a few KB; anything larger is refused (413)
MAX_DEPTH = 64  # Telegram's updates nest about 8 deep (a reply's message's entities)
LARGEST_ID = 2**53  # Telegram's ids "have at most 52 significant bits"
READ_TIMEOUT = 10.0  # seconds for a request's headers, and again for its body
MAX_CONNECTIONS = 128  # Telegram opens at most 100 (setWebhook's max_connections)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
_BUSY = b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"


class NotAnUpdateError(ValueError):
    """A webhook body that is not a Telegram update (the message says why, not what)."""


def parse_update(body: bytes) -> dict[str, Any]:
    """Return the update a webhook body holds, or raise NotAnUpdateError with the reason."""
    try:
        raw = json.loads(body, parse_constant=_no_constant)
    except RecursionError as exc:  # nested past the interpreter's limit
        raise NotAnUpdateError(f"nested deeper than {MAX_DEPTH}") from exc
    except ValueError as exc:  # not JSON, not UTF-8, NaN/Infinity
        raise NotAnUpdateError("not JSON") from exc
    if not isinstance(raw, dict):
        raise NotAnUpdateError("not a JSON object")
    update_id = raw.get("update_id")
    if type(update_id) is not int or not 0 <= update_id < LARGEST_ID:
        why = f"update_id is not an integer from 0 to 2**53-1 ({_kind(update_id)})"
        raise NotAnUpdateError(why)
    _check_values(raw)
    return raw


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def _kind(value: Any) -> str:
    """Name what an update id was without showing it (it may be anything a sender chose)."""
    if value is None:
        return "missing"
    if type(value) is int:
        return "negative" if value < 0 else f"{value.bit_length()} bits"
    return type(value).__name__


def _check_values(raw: dict[str, Any]) -> None:
    """Refuse nesting past MAX_DEPTH and numbers no Telegram field holds (iteratively: the
    walk itself must not recurse on what it checks)."""
    stack: list[tuple[Any, int]] = [(raw, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise NotAnUpdateError(f"nested deeper than {MAX_DEPTH}")
            items = value.values() if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)
        elif type(value) is int:
            if not -LARGEST_ID < value < LARGEST_ID:
                raise NotAnUpdateError("a number larger than any Telegram id")
        elif isinstance(value, float) and not math.isfinite(value):
            raise NotAnUpdateError("a number too large for JSON")


class _Busy(asyncio.Protocol):
    """A connection past the limit: answered 503 and closed before aiohttp sees it."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.write(_BUSY)
        transport.close()


@dataclass
class Listener:
    """An aiohttp application on host:port with bounded reads and a bounded connection count."""

    app: web.Application
    host: str
    port: int
    read_timeout: float = READ_TIMEOUT
    max_connections: int = MAX_CONNECTIONS
    backlog: int = 128  # connections the kernel queues before they are accepted
    _runner: web.AppRunner | None = None
    _server: asyncio.Server | None = None
    _refused: int = 0
    _refused_logged: float = 0.0

    async def start(self) -> None:
        """Listen (raises OSError when the address cannot be bound)."""
        runner = web.AppRunner(
            self.app,
            access_log=None,
            # From a connection's start (and after each answer) a whole request line and its
            # headers must come within this; an idle kept-alive connection is closed as well.
            keepalive_timeout=self.read_timeout,
            # After an answer sent before the body was read (a 403), the rest is read and
            # dropped for at most this long, then the connection is closed.
            lingering_time=self.read_timeout,
        )
        await runner.setup()
        self._runner = runner
        server = runner.server
        assert server is not None
        loop = asyncio.get_running_loop()

        def admit() -> asyncio.BaseProtocol:
            if len(server.connections) < self.max_connections:
                return server()
            self._note_refused()
            return _Busy()

        try:
            self._server = await loop.create_server(
                admit, self.host, self.port, reuse_address=True, backlog=self.backlog
            )
        except OSError:
            await runner.cleanup()
            self._runner = None
            raise

    @property
    def bound_port(self) -> int:
        """The port listened on (the one asked for, or the one the system chose for 0)."""
        assert self._server is not None
        assert self._server.sockets
        return int(self._server.sockets[0].getsockname()[1])

    def _note_refused(self) -> None:
        """Log refused connections at most once a minute (a flood must not flood the log)."""
        self._refused += 1
        now = time.monotonic()
        if now - self._refused_logged >= 60:
            log.warning(
                "%s connection(s) refused on %s:%s: %s already open",
                self._refused,
                self.host,
                self.port,
                self.max_connections,
            )
            self._refused, self._refused_logged = 0, now

    async def stop(self) -> None:
        """Stop accepting, then close the connections (requests in flight finish first)."""
        if self._server is not None:
            self._server.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None


@dataclass
class WebhookServer:
    """Telegram posts updates here; 200 only once the update is stored."""

    processor: InboxProcessor
    path: str
    secret_token: str
    host: str
    port: int
    read_timeout: float = READ_TIMEOUT
    max_connections: int = MAX_CONNECTIONS
    _listener: Listener | None = None

    def application(self) -> web.Application:
        """Return the aiohttp application: the update route only (the operations routes have a
        listener of their own, never the public one)."""
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post("/" + self.path.lstrip("/"), self.receive)
        return app

    async def receive(self, request: web.Request) -> web.Response:
        """Store one posted update; refuse a wrong secret (403) or a body that is not one (400)."""
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret_token.encode()):
            log.info("webhook request refused: missing or wrong secret token")
            return web.Response(status=403)
        try:
            async with asyncio.timeout(self.read_timeout):
                body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            log.warning("webhook body refused: larger than %s bytes", MAX_BODY)
            return web.Response(status=413)
        except TimeoutError:
            log.warning("webhook body refused: not received within %s s", self.read_timeout)
            response = web.Response(status=408)
            response.force_close()
            return response
        try:
            raw = parse_update(body)
        except NotAnUpdateError as exc:
            log.warning("webhook body refused: not an update (%s bytes): %s", len(body), exc)
            return web.Response(status=400)
        _new, unreadable = await self.processor.accept([raw])
        return web.Response(status=400 if unreadable else 200)

    async def start(self) -> None:
        """Listen on host:port."""
        self._listener = Listener(
            self.application(), self.host, self.port, self.read_timeout, self.max_connections
        )
        await self._listener.start()

    async def stop(self) -> None:
        """Stop listening (requests in flight finish first)."""
        if self._listener is not None:
            await self._listener.stop()
            self._listener = None
