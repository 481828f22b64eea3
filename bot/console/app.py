"""The desk's web application (aiohttp.web): its parts, routes and middlewares, and its run.

`build_app(desk)` returns an `aiohttp.web.Application`; `beian console` serves it alone, and
`beian serve` can mount it beside the webhook (same process, same loop). Every database call
runs in a worker thread, never on the loop the bot shares.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
import sqlalchemy as sa
from aiohttp import web
from aiohttp_session import get_session, new_session, session_middleware

from bot.console import auth, texts
from bot.console.derived import BATCH, refresh
from bot.console.guard import FIELD, PRE_COOKIE, guard, new_token
from bot.filing_actions import Reviewers
from dialogs.model import Context
from rules.text import Lang, Text

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
PREFIX = "/console"
DESK_KEY: web.AppKey[Desk] = web.AppKey("desk")
Notify = Callable[[tuple[int, ...]], Awaitable[None]]
FRESH_LIMIT = 1000  # a page derives at most this many changed filings before it reads


@dataclass
class Desk:
    """What the desk needs: the database, the rules' context, the clock, who reviews, where it
    is published, and (inside `beian serve`) how to send a decision's notices at once."""

    engine: sa.Engine
    context: Callable[[], Context]
    clock: Callable[[], dt.datetime]
    reviewers: Reviewers
    public_url: str | None = None
    notify: Notify | None = None
    templates: jinja2.Environment = field(init=False)
    _refreshing: asyncio.Lock = field(init=False, default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,  # every template, whatever its name (.html.j2 included)
            trim_blocks=True,
            lstrip_blocks=True,
        )

    @property
    def secure(self) -> bool:
        """Say whether the desk is published over HTTPS (its cookies are then Secure)."""
        return bool(self.public_url) and urlsplit(self.public_url or "").scheme == "https"

    async def fresh(self, limit: int = FRESH_LIMIT) -> int:
        """Derive the queue rows of (at most `limit`) filings changed since they were derived,
        one deriver at a time; return how many."""
        async with self._refreshing:
            ctx = self.context()
            try:
                return await asyncio.to_thread(refresh, self.engine, ctx.pack, ctx.calendar, limit)
            except sa.exc.OperationalError as exc:  # SQLite busy: these pages wait a moment
                log.info("desk: the queue could not be brought up to date now: %s", exc)
                return 0

    async def catch_up(self) -> None:
        """Derive every filing's queue row in batches (an existing database at the desk's first
        start), letting the pages' own small derivations in between."""
        started, done = time.monotonic(), 0
        while (step := await self.fresh(BATCH)) == BATCH:
            done += step
        if done:
            log.info(
                "desk: %s queue rows derived in %.0f s", done + step, time.monotonic() - started
            )


def desk_of(request: web.Request) -> Desk:
    """Return the request's desk."""
    return request.app[DESK_KEY]


async def lang_of(request: web.Request) -> Lang:
    """Return the page's language: the session's choice, else `?lang=`, else Chinese."""
    session = await get_session(request)
    chosen = session.get("lang") or request.query.get("lang")
    return "en" if chosen == "en" else "zh"


async def reviewer_of(request: web.Request) -> int | None:
    """Return the signed-in reviewer's id, or None."""
    session = await get_session(request)
    reviewer = session.get("reviewer")
    return int(reviewer) if reviewer is not None else None


async def render(request: web.Request, name: str, status: int = 200, **values: Any) -> web.Response:
    """Render a template in the page's language, with the session's CSRF token and flash."""
    desk = desk_of(request)
    lang = await lang_of(request)
    session = await get_session(request)
    flash = session.pop("flash", None) if "reviewer" in session else None

    def tr(zh: str, en: str) -> str:
        return en if lang == "en" else zh

    def say(text: Text) -> str:
        return text.get(lang)

    calendar = desk.context().calendar

    def estimated(day: Any) -> bool:  # a deadline in a year whose holidays are not published
        return bool(day is not None and calendar.day(day).estimate)

    html = desk.templates.get_template(name).render(
        lang=lang,
        tr=tr,
        say=say,
        estimated=estimated,
        texts=texts,
        prefix=PREFIX,
        csrf=session.get(FIELD, ""),
        signed_in="reviewer" in session,
        reviewer_name=session.get("name", ""),
        flash=flash,
        **values,
    )
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


async def need_reviewer(request: web.Request) -> int:
    """Return the signed-in reviewer, or send the browser to the sign-in page."""
    reviewer = await reviewer_of(request)
    if reviewer is None:
        raise web.HTTPSeeOther(f"{PREFIX}/signin")
    return reviewer


async def signin_page(request: web.Request) -> web.Response:
    """Say how to sign in (no filing is shown to anyone signed out)."""
    return await render(request, "signin.html.j2", message=texts.NOT_SIGNED_IN, status=401)


async def login_page(request: web.Request) -> web.Response:
    """A sign-in link: a page with one button (a link preview or a scanner fetching the link
    does not use it up); a used or expired link is refused."""
    desk = desk_of(request)
    token = request.match_info["token"]
    usable = await asyncio.to_thread(auth.link_is_usable, desk.engine, token, desk.clock())
    if not usable:
        return await render(request, "signin.html.j2", message=texts.LINK_REFUSED, status=410)
    pre = request.cookies.get(PRE_COOKIE) or new_token()
    response = await render(request, "login.html.j2", token=token, pre=pre)
    response.set_cookie(PRE_COOKIE, pre, max_age=900, path=PREFIX, httponly=True,
                        samesite="Strict", secure=desk.secure)  # fmt: skip
    return response


async def login(request: web.Request) -> web.StreamResponse:
    """Use the sign-in link once: a new session (a new key) for its reviewer."""
    desk = desk_of(request)
    token = request.match_info["token"]
    reviewer = await asyncio.to_thread(auth.redeem_link, desk.engine, token, desk.clock())
    if reviewer is None:
        log.info("desk: a sign-in link refused")
        return await render(request, "signin.html.j2", message=texts.LINK_REFUSED, status=410)
    old = await get_session(request)
    lang = old.get("lang") or request.query.get("lang")
    if old.identity is not None:
        old.invalidate()  # the old key ends; the new session gets a new one
        await desk_storage(request).save_session(request, web.Response(), old)
    session = await new_session(request)
    session["reviewer"] = reviewer
    session[FIELD] = new_token()
    session["name"] = await asyncio.to_thread(_reviewer_name, desk.engine, reviewer)
    if lang in ("zh", "en"):
        session["lang"] = lang
    log.info("desk: reviewer %s signed in", reviewer)
    response = web.HTTPSeeOther(PREFIX)
    response.del_cookie(PRE_COOKIE, path=PREFIX)
    raise response


def _reviewer_name(engine: sa.Engine, reviewer: int) -> str:
    from sqlmodel import select

    from models.db import session_scope
    from models.tables import Reviewer

    with session_scope(engine) as session:
        found = session.exec(select(Reviewer).where(Reviewer.telegram_chat_id == reviewer)).first()
        return found.name if found is not None else str(reviewer)


def desk_storage(request: web.Request) -> auth.DatabaseStorage:
    """Return the session storage."""
    storage: auth.DatabaseStorage = request["aiohttp_session_storage"]
    return storage


async def logout(request: web.Request) -> web.StreamResponse:
    """End the session."""
    session = await get_session(request)
    reviewer = session.get("reviewer")
    lang = session.get("lang")
    session.invalidate()
    log.info("desk: reviewer %s signed out", reviewer)
    raise web.HTTPSeeOther(f"{PREFIX}/signin?out=1" + ("&lang=en" if lang == "en" else ""))


async def choose_lang(request: web.Request) -> web.StreamResponse:
    """Switch the desk's language (中文 / English) and go back."""
    form = await request.post()
    session = await get_session(request)
    session["lang"] = "en" if form.get("lang") == "en" else "zh"
    back = str(form.get("back") or PREFIX)
    raise web.HTTPSeeOther(back if back.startswith(PREFIX) and "//" not in back else PREFIX)


async def static(request: web.Request) -> web.StreamResponse:
    """Serve the desk's own static files (stylesheet, script) only."""
    name = request.match_info["name"]
    path = HERE / "static" / name
    if "/" in name or name.startswith(".") or not path.is_file():
        raise web.HTTPNotFound()
    response = web.FileResponse(path)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@web.middleware
async def unopened(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """A sealed value that does not open (altered, or another key): one line in the log, a
    page that says so — not a traceback."""
    try:
        return await handler(request)
    except Exception as exc:
        from models.sealed import sealing_error

        error = sealing_error(exc)
        if error is None:
            raise
        log.error("desk: %s %s: %s", request.method, request.path, error)
        return web.Response(status=500, text=texts.UNOPENED, content_type="text/plain")


def build_app(desk: Desk) -> web.Application:
    """Return the desk's application (its routes under /console)."""
    from bot.console import actions, views

    app = web.Application(client_max_size=64 * 1024)
    app[DESK_KEY] = desk
    storage = auth.DatabaseStorage(desk.engine, clock=desk.clock, secure=desk.secure)
    public_origin = None
    if desk.public_url:
        parts = urlsplit(desk.public_url)
        public_origin = f"{parts.scheme}://{parts.netloc}"
    app.middlewares.append(unopened)
    app.middlewares.append(session_middleware(storage))
    app.middlewares.append(guard(public_origin))  # type: ignore[arg-type]
    add = app.router
    add.add_get(PREFIX, views.queue_page)
    add.add_get(f"{PREFIX}/", views.queue_page)
    add.add_get(f"{PREFIX}/queue.csv", views.queue_csv)
    add.add_get(f"{PREFIX}/dashboard", views.dashboard_page)
    add.add_get(PREFIX + r"/filings/{id:\d+}", views.filing_page)
    add.add_get(PREFIX + r"/filings/{id:\d+}/documents/{doc:\d+}", views.document)
    add.add_post(PREFIX + r"/filings/{id:\d+}/word", views.word_copies)
    add.add_post(PREFIX + r"/filings/{id:\d+}/reveal", actions.reveal)
    add.add_post(PREFIX + r"/filings/{id:\d+}/act", actions.act_on)
    add.add_get(f"{PREFIX}/signin", signin_page)
    add.add_get(PREFIX + "/login/{token}", login_page)
    add.add_post(PREFIX + "/login/{token}", login)
    add.add_post(f"{PREFIX}/logout", logout)
    add.add_post(f"{PREFIX}/lang", choose_lang)
    add.add_get(PREFIX + "/static/{name}", static)
    return app


async def run_console(desk: Desk, host: str, port: int, stop: asyncio.Event) -> None:
    """Serve the desk on host:port until `stop` is set."""
    runner = web.AppRunner(build_app(desk), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    log.info("desk on http://%s:%s%s", host, port, PREFIX)
    catching_up = asyncio.create_task(desk.catch_up())
    try:
        await stop.wait()
    finally:
        catching_up.cancel()
        await asyncio.gather(catching_up, return_exceptions=True)
        await runner.cleanup()
