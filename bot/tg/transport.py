"""The bot's HTTP client: PTB's `BaseRequest` on aiohttp.

PTB ships one implementation, on httpx. On this machine it reached ~1,700 sendMessage calls/s
to a local Bot API server where aiohttp's client reached ~6,000 (4 in flight, same server,
same PTB `Bot` above it; `bench.bench_reminders`), and a profile of a loaded `beian serve` put
more than half of its samples in httpx and httpcore. aiohttp is already ours (the webhook
server). PTB's contrib repository has an aiohttp request too, but it is not on PyPI; this one
keeps PTB's own timeout meanings and its errors:

- `pool_timeout` + `connect_timeout` bound getting a connection (aiohttp's `connect`: a free
  one from the pool, or a new one), `connect_timeout` alone the socket's connect, and
  `read_timeout` each read of the answer; aiohttp has no write timeout, so the whole call is
  bounded by the sum of the four (a file's upload takes `media_write_timeout` as its write
  part, as in PTB).
- A timeout is `TimedOut`, any other failure of the exchange `NetworkError` (named by its
  class only: aiohttp's messages may carry the URL, and the URL carries the token). Answers
  are PTB's to read: `BaseRequest.post` turns 4xx/5xx into its errors as for httpx.

`BEIAN_HTTP_CLIENT=httpx` puts PTB's own client back.
"""

from __future__ import annotations

from typing import Any

import aiohttp
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


def _sum(*parts: float | None) -> float | None:
    """The sum of timeouts, or None (no bound) when any of them is unbounded."""
    return None if any(part is None for part in parts) else sum(p for p in parts if p)


class AiohttpRequest(BaseRequest):
    """Bot API calls over one aiohttp session (see the module)."""

    __slots__ = ("_defaults", "_media_write_timeout", "_pool_size", "_session")

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

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout (PTB adds a long poll's own `timeout` to it)."""
        return self._defaults[0]

    async def initialize(self) -> None:
        """Open the session (inside the running loop, as aiohttp wants)."""
        if self._session is None or self._session.closed:
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

    def _timeout(
        self, files: bool, read: Any, write: Any, connect: Any, pool: Any
    ) -> aiohttp.ClientTimeout:
        read_default, write_default, connect_default, pool_default = self._defaults
        read_s = _given(read, read_default)
        write_s = _given(write, self._media_write_timeout if files else write_default)
        connect_s = _given(connect, connect_default)
        pool_s = _given(pool, pool_default)
        return aiohttp.ClientTimeout(
            total=_sum(pool_s, connect_s, write_s, read_s),
            connect=_sum(pool_s, connect_s),
            sock_connect=connect_s,
            sock_read=read_s,
        )

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
                # Not quoted: aiohttp would send 复审材料清单.pdf as %E5%A4%8D….pdf, the name
                # the applicant would see; UTF-8 as it is, as httpx and browsers send it.
                form = aiohttp.FormData(data, quote_fields=False)
                for name, (filename, content, mimetype) in request_data.multipart_data.items():
                    form.add_field(name, content, filename=filename, content_type=mimetype)
                data = form
        timeout = self._timeout(files, read_timeout, write_timeout, connect_timeout, pool_timeout)
        try:
            async with session.request(method, url, data=data, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as exc:  # aiohttp's timeouts are subclasses
            raise TimedOut(f"aiohttp.{type(exc).__name__}") from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}") from exc


def bot_request(client: str, connection_pool_size: int) -> BaseRequest:
    """The request the bot's calls go through: ours on aiohttp, or PTB's on httpx
    (`BEIAN_HTTP_CLIENT`)."""
    if client == "httpx":
        return HTTPXRequest(connection_pool_size=connection_pool_size)
    return AiohttpRequest(connection_pool_size)
