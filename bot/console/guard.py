"""What every desk response and every form goes through: headers, and the CSRF check.

aiohttp has no CSRF protection, so it is here, in one place: a POST is taken only when it
carries the form's token (the session's, compared in constant time; before signing in, the
sign-in page's own cookie, which SameSite=Strict keeps off cross-site requests) and, when the
browser says where it comes from, it comes from this site (`Sec-Fetch-Site`, else `Origin`).
Anything else is 403 and changes nothing.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp_session import get_session

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
FIELD = "csrf"  # the form field (or the X-CSRF-Token header) that carries the token
PRE_COOKIE = "beian_desk_pre"  # the sign-in page's token, before there is a session
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # a sign-in link's token never leaves in a Referer
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-store",  # pages hold personal data: no copy on disk or in a proxy
}


def new_token() -> str:
    """Return a fresh CSRF token."""
    return secrets.token_urlsafe(24)


def same_site(request: web.Request, public_origin: str | None) -> bool:
    """Say whether the browser's own headers place the request on this site (a request that
    names no site, as a script's, is left to the token)."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    if public_origin is not None and origin == public_origin:
        return True
    return urlsplit(origin).netloc == request.host


async def expected_token(request: web.Request) -> str | None:
    """Return the token a form on this request must carry (None: there is none to carry)."""
    session = await get_session(request)
    if "reviewer" in session:
        token = session.get(FIELD)
        return str(token) if token else None
    return request.cookies.get(PRE_COOKIE)


def guard(
    public_origin: str | None,
) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """Return the middleware: the CSRF check on unsafe methods, the headers on every answer,
    and how long the server took (`Server-Timing`, read by the benchmark)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        if request.method in UNSAFE:
            refusal = await _csrf_refusal(request, public_origin)
            if refusal is not None:
                log.info("desk: %s %s refused (%s)", request.method, request.path, refusal)
                signed_in = "reviewer" in await get_session(request)
                ended = not signed_in and request.path.startswith("/console/filings/")
                return _stamped(signed_out() if ended else forbidden(), started)
        try:
            response = await handler(request)
        except web.HTTPException as exc:  # a redirect, a 404: stamped too
            _stamped(exc, started)
            raise
        return _stamped(response, started)

    return middleware


async def _csrf_refusal(request: web.Request, public_origin: str | None) -> str | None:
    if not same_site(request, public_origin):
        return "another site"
    given = request.headers.get("X-CSRF-Token")
    if given is None and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        form = await request.post()
        value = form.get(FIELD)
        given = value if isinstance(value, str) else None
    expected = await expected_token(request)
    if not given or not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return "no or wrong CSRF token"
    return None


def _stamped(
    response: web.StreamResponse | web.HTTPException, started: float
) -> web.StreamResponse:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
    return response


def signed_out() -> web.Response:
    """The 403 of a filing's form sent after its session ended (idle 8 hours, or the reviewer
    removed): said as such, with the way back in, and that nothing was recorded."""
    page = (
        '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>登录已失效</title>'
        "<p>登录已失效（闲置超过8小时，或已不是审核人员），这次操作<strong>没有记录</strong>。"
        "请在机器人中发送 /console 获取新的登录链接，登录后重新打开这份备案再操作。</p>"
        '<p lang="en">Your sign-in has ended (8 hours idle, or no longer a reviewer): nothing '
        "was recorded. Send /console to the bot for a new link, sign in, open the filing again "
        "and act there.</p></html>"
    )
    return web.Response(status=403, text=page, content_type="text/html", charset="utf-8")


def forbidden() -> web.Response:
    """Return the 403 answer of a refused form."""
    return web.Response(
        status=403,
        text="403 — 请求被拒绝：表单已过期或来自其他网站，请返回刷新后再试。\n"
        "Forbidden: the form expired or came from another site; go back, reload and try again.",
        content_type="text/plain",
    )
