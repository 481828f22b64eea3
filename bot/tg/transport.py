"""The bot's HTTP client: PTB's `BaseRequest` on aiohttp.

PTB ships one implementation, on httpx. On this machine it reached ~1,700 sendMessage calls/s
to a local Bot API server where aiohttp's client reached ~6,000 (4 in flight, same server,
same PTB `Bot` above it; `bench.bench_reminders`), and a profile of a loaded `beian serve` put
more than half of its samples in httpx and httpcore. aiohttp is already ours (the webhook
server). PTB's contrib repository has an aiohttp request too, but it is not on PyPI. This one
behaves as PTB's httpx request does wherever a caller could tell (tests/bot/test_transport.py
runs every case on both):

- Timeouts keep PTB's meanings: `pool_timeout` to wait for a free connection (then PTB's "Pool
  timeout … *not* sent"), `connect_timeout` for the socket's connect, `read_timeout` for each
  read of the answer. aiohttp has no write timeout: an upload (a file) is bounded as a whole
  by the sum of its timeouts, its write part `media_write_timeout`, as in PTB.
- A timeout is `TimedOut`, any other failure of the exchange `NetworkError`, with aiohttp's
  description minus the URL (which carries the token); the cause is not chained, since its
  message names the URL. Answers are PTB's to read: `BaseRequest.post` turns 4xx/5xx into
  its errors as for httpx. A redirect is an answer too, not followed (aiohttp would re-post
  the form to wherever `Location` points, or turn it into a GET).
- Proxies from the environment (`HTTPS_PROXY`, `NO_PROXY`…) are used, as httpx uses them:
  read once per origin, as httpx reads them once per client (aiohttp's `trust_env` reads them,
  and `~/.netrc`, in two worker threads on every call: 7,300 calls/s became 2,000).
- Multipart: file names go as UTF-8, escaped as httpx and browsers do (`"` → %22, control
  characters → %XX) — aiohttp's default would show the applicant `%E5%A4%8D….pdf`; bytes go
  as a stream (aiohttp warns of raw bytes over 1 MiB).

`BEIAN_HTTP_CLIENT=httpx` puts PTB's own client back.
"""

from __future__ import annotations

import asyncio
import io
import re
from typing import Any

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

# PTB's defaults (HTTPXRequest), in seconds.
READ_TIMEOUT = 5.0
WRITE_TIMEOUT = 5.0
CONNECT_TIMEOUT = 5.0
POOL_TIMEOUT = 1.0
MEDIA_WRITE_TIMEOUT = 20.0


_UNSET = type(BaseRequest.DEFAULT_NONE)  # PTB's marker of a timeout the call left unset


def _given(value: Any, default: float | None) -> float | None:
    """A call's timeout, or the request's default when the call left it unset."""
    return default if isinstance(value, _UNSET) else value


# httpx's HTML5 form encoding of a file name (aiohttp itself then escapes a backslash).
_NAME_ESCAPES = {'"': "%22", **{chr(c): f"%{c:02X}" for c in range(0x20) if c != 0x1B}}
_NAME_SPECIAL = re.compile("|".join(map(re.escape, _NAME_ESCAPES)))
POOL_TIMED_OUT = (
    "Pool timeout: All connections in the connection pool are occupied. Request was *not* "
    "sent to Telegram. Consider adjusting the connection pool size or the pool timeout."
)


def form_file_name(name: str) -> str:
    """A file name as a form part carries it (what httpx sends)."""
    return _NAME_SPECIAL.sub(lambda m: _NAME_ESCAPES[m.group(0)], name)


def _described(exc: BaseException, url: str) -> str:
    """aiohttp's error, named and described, without the URL (it carries the token)."""
    text = str(exc).replace(url, "<url>")
    if "/bot" in text:  # a URL of another shape (a redirect's, a proxy's): not shown at all
        text = ""
    return f"aiohttp.{type(exc).__name__}" + (f": {text}" if text else "")


Proxy = tuple[Any, aiohttp.BasicAuth | None]  # (proxy URL or None, its credentials)


def _env_proxy(origin: str) -> Proxy:
    """The environment's proxy for an origin (aiohttp's own reading of it), or none."""
    from yarl import URL

    try:
        return get_env_proxy_for_url(URL(origin))
    except LookupError:  # none set, or NO_PROXY names the host
        return None, None


def _sum(*parts: float | None) -> float | None:
    """The sum of timeouts, or None (no bound) when any of them is unbounded."""
    return None if any(part is None for part in parts) else sum(p for p in parts if p)


class AiohttpRequest(BaseRequest):
    """Bot API calls over one aiohttp session (see the module)."""

    __slots__ = (
        "_defaults",
        "_media_write_timeout",
        "_pool_size",
        "_proxies",
        "_session",
        "_slots",
    )

    def __init__(
        self,
        connection_pool_size: int = 32,
        *,
        read_timeout: float | None = READ_TIMEOUT,
        write_timeout: float | None = WRITE_TIMEOUT,
        connect_timeout: float | None = CONNECT_TIMEOUT,
        pool_timeout: float | None = POOL_TIMEOUT,
        media_write_timeout: float | None = MEDIA_WRITE_TIMEOUT,
    ) -> None:
        self._pool_size = connection_pool_size
        self._defaults = (read_timeout, write_timeout, connect_timeout, pool_timeout)
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._slots = asyncio.Semaphore(connection_pool_size)  # PTB's pool, waited for
        self._proxies: dict[str, Proxy] = {}  # origin -> the environment's proxy for it

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout (PTB adds a long poll's own `timeout` to it)."""
        return self._defaults[0]

    async def initialize(self) -> None:
        """Open the session (inside the running loop, as aiohttp wants)."""
        if self._session is None or self._session.closed:
            self._slots = asyncio.Semaphore(self._pool_size)  # of this loop
            connector = aiohttp.TCPConnector(limit=self._pool_size)
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=None),
                headers={"User-Agent": self.USER_AGENT},
                raise_for_status=False,
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _timeout(self, files: bool, read: Any, write: Any, connect: Any) -> aiohttp.ClientTimeout:
        read_default, _, connect_default, _ = self._defaults
        read_s = _given(read, read_default)
        connect_s = _given(connect, connect_default)
        # A form's fields fit in the socket's buffer (no write to bound, so no `write_timeout`);
        # a file can stall mid-upload.
        whole = _sum(connect_s, _given(write, self._media_write_timeout), read_s) if files else None
        return aiohttp.ClientTimeout(
            total=whole, connect=connect_s, sock_connect=connect_s, sock_read=read_s
        )

    async def _proxy_for(self, url: str) -> Proxy:
        """The proxy for `url`'s origin, from the environment, read once per origin."""
        origin = "/".join(url.split("/", 3)[:3])  # scheme://host:port
        found = self._proxies.get(origin)
        if found is None:
            found = self._proxies[origin] = await asyncio.to_thread(_env_proxy, origin)
        return found

    async def _take_slot(self, pool: Any) -> None:
        """Wait for a free connection of the pool, at most `pool_timeout`."""
        if not self._slots.locked():
            await self._slots.acquire()  # free: taken at once
            return
        try:
            async with asyncio.timeout(_given(pool, self._defaults[3])):
                await self._slots.acquire()
        except TimeoutError:
            raise TimedOut(POOL_TIMED_OUT) from None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Make one HTTP call; return the status and the body (PTB reads both)."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        data: Any = None
        files = bool(request_data and request_data.contains_files)
        if request_data is not None:
            data = request_data.json_parameters  # form fields, values JSON-encoded (as PTB's)
            if files:
                form = aiohttp.FormData(data, quote_fields=False)  # UTF-8 names, not %XX
                for name, (filename, content, mimetype) in request_data.multipart_data.items():
                    stream = io.BytesIO(content) if isinstance(content, bytes) else content
                    shown = form_file_name(filename) if filename else filename
                    form.add_field(name, stream, filename=shown, content_type=mimetype)
                data = form
        timeout = self._timeout(files, read_timeout, write_timeout, connect_timeout)
        proxy, proxy_auth = await self._proxy_for(url)
        await self._take_slot(pool_timeout)
        try:
            async with session.request(
                method,
                url,
                data=data,
                timeout=timeout,
                allow_redirects=False,
                proxy=proxy,
                proxy_auth=proxy_auth,
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:  # aiohttp's timeouts are subclasses
            raise TimedOut(_described(exc, url)) from None
        except aiohttp.ClientError as exc:
            raise NetworkError(_described(exc, url)) from None
        finally:
            self._slots.release()


# What `beian serve` and `beian remind --once` say when the Bot API refuses or cannot be reached
# (one line: logs and cron's mail; no traceback, no token).
TOKEN_REFUSED = "Telegram refused the token (401 Unauthorized): check TELEGRAM_BOT_TOKEN."  # noqa: S105


def unreachable(api: str, exc: BaseException) -> str:
    """Say that the Bot API at `api` could not be reached, and how it failed."""
    return f"Could not reach the Bot API at {api}: {type(exc).__name__}."


def bot_request(client: str, connection_pool_size: int) -> BaseRequest:
    """The request the bot's calls go through: ours on aiohttp, or PTB's on httpx
    (`BEIAN_HTTP_CLIENT`)."""
    if client == "httpx":
        return HTTPXRequest(connection_pool_size=connection_pool_size)
    return AiohttpRequest(connection_pool_size)
