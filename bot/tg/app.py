"""The Telegram composition root: settings → Application, its handlers, and its run.

The run is ours, not PTB's `run_polling`/`run_webhook`: an update is stored in the inbox
before Telegram is told it arrived, and processed from there (`bot.tg.inbox`), so a kill -9
loses nothing Telegram considers delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from telegram import Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    CallbackQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.composition import context_factory
from bot.console.cli import public_url
from bot.conversation import Conversations
from bot.deliveries import claim_deliveries
from bot.logs import mask
from bot.reviewers import reviewers_of, seed_configured
from bot.settings import Settings
from bot.tg import handlers, ui
from bot.tg.console_link import CONSOLE, on_console
from bot.tg.delivery import deliver_documents, send_text
from bot.tg.filings import deliver_notices, pending_notices
from bot.tg.inbox import InboxProcessor
from bot.tg.ingest import poll
from bot.tg.ratelimit import SharedRateLimiter, bot_id_of
from bot.tg.services import CONTEXT_TYPES, Services
from bot.tg.transport import TOKEN_REFUSED, bot_request, unreachable
from documents.coverage import GlyphCoverage
from documents.pool import DocumentRenderer
from models import migrate, outbox
from models.database import Database
from models.db import normalize_url, session_scope
from rules.clock import system_clock
from rules.pack import load_pack

log = logging.getLogger(__name__)

# Retries on 429 honour Telegram's retry_after (AIORateLimiter sleeps that long, then retries).
RATE_LIMIT_RETRIES = 5
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# Updates in hand at once (of different chats). Enough for a few submissions to render (the
# pool has one worker per core) while others are answered; more only adds contention: the
# bench's unthrottled throughput falls from ~500 to ~180 updates/s at 256.
CONCURRENT_UPDATES = 8
DELIVERY_SWEEP_EVERY = 5.0  # seconds


@dataclass(frozen=True)
class Webhook:
    """Webhook mode: Telegram posts updates to `url`; we listen on host:port."""

    url: str
    host: str
    port: int
    secret_token: str

    @property
    def path(self) -> str:
        """Return the URL path the local server answers on."""
        return urlsplit(self.url).path.lstrip("/")


def instance_name(settings: Settings, webhook: Webhook | None) -> str:
    """Name this instance in claims and leases: stable across restarts of the same service,
    so a restarted instance takes its own chats back at once."""
    if settings.beian_instance:
        return settings.beian_instance
    return f"{socket.gethostname()}:{webhook.port if webhook else 'polling'}"


def database_of(settings: Settings) -> Database:
    """The bot's database, its hot path on the loop or in threads (`BEIAN_DB_INLINE`)."""
    inline = {"on": True, "off": False}.get(settings.beian_db_inline)
    return Database(settings.database_url, inline=inline)


async def open_services(
    app: Application,  # type: ignore[type-arg]
    settings: Settings,
    renderer_factory: Callable[[], DocumentRenderer] = DocumentRenderer,
    holder: str = "local",
) -> Services:
    """Open the database, the rules context and the renderer; set the command menus."""
    from bot.keys import ensure

    ensure(settings)  # the data key (`beian serve` loaded it before migrating)
    db = database_of(settings)
    glyphs: list[GlyphCoverage] = []  # filled once a render worker has loaded the fonts
    ocr = settings.ocr_worker()  # its process starts with the first photo
    services = Services(
        db=db,
        context=context_factory(
            settings,
            load_pack(settings.beian_pack, settings.beian_pack_dir),
            glyphs=lambda: glyphs[0] if glyphs else None,
            reads_photos=ocr is not None,
        ),
        renderer=renderer_factory(),
        clock=system_clock,
        conversations=Conversations(db),
        holder=holder,
        button_key=ui.button_key(app.bot.token),
        bot_id=app.bot.id,
        reviewers=reviewers_of(settings),
        console_url=public_url(settings),
        ocr=ocr,
    )
    app.bot_data.services = services

    async def learn_coverage() -> None:
        try:
            glyphs.append(GlyphCoverage(await services.renderer.coverage()))
        except Exception:
            log.exception("could not learn which characters the fonts cover")

    services.background.append(asyncio.create_task(learn_coverage()))
    await app.bot.set_my_commands(ui.commands("zh"))
    await app.bot.set_my_commands(ui.commands("zh"), language_code="zh")
    await app.bot.set_my_commands(ui.commands("en"), language_code="en")
    return services


def build_application(
    settings: Settings,
    token: str,
    *,
    request: BaseRequest | None = None,
    rate_limited: bool = True,
) -> Application:  # type: ignore[type-arg]
    """Build the bot: Bot API location, rate limiter and handlers (no updater: see `run`)."""
    api = settings.telegram_api_base_url.rstrip("/")
    load_pack(
        settings.beian_pack, settings.beian_pack_dir
    )  # a broken pack stops the start, not the first message
    builder: ApplicationBuilder = (  # type: ignore[type-arg]
        Application.builder()
        .token(token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .updater(None)
        .context_types(CONTEXT_TYPES)
    )
    if rate_limited and settings.beian_rate_limit != "off":  # off: benches measure cost
        builder = builder.rate_limiter(rate_limiter(settings, token))
    if request is not None:  # benchmarks: a recording request instead of sockets
        builder = builder.request(request).get_updates_request(request)
    else:  # PTB's sizes: replies, cards and reminders in parallel; one long poll at a time
        client = settings.beian_http_client
        builder = builder.request(bot_request(client, 256)).get_updates_request(
            bot_request(client, 1)
        )
    app = builder.build()
    add_handlers(app)
    return app


def rate_limiter(settings: Settings, token: str) -> BaseRateLimiter[Any]:
    """The bot's rate limiter: shared through the database between instances (BEIAN_RATE_LIMIT
    "shared", or "auto" on PostgreSQL), else this process's own."""
    mode = settings.beian_rate_limit
    if mode == "auto":
        backend = make_url(normalize_url(settings.database_url)).get_backend_name()
        mode = "local" if backend == "sqlite" else "shared"
    if mode == "shared":
        return SharedRateLimiter(
            settings.database_url,
            bot_id_of(token),
            rate=settings.beian_send_rate,
            max_retries=RATE_LIMIT_RETRIES,
        )
    return AIORateLimiter(overall_max_rate=settings.beian_send_rate, max_retries=RATE_LIMIT_RETRIES)


def add_handlers(app: Application) -> None:  # type: ignore[type-arg]
    """Register the handlers. Order matters: the first matching handler of a group runs."""
    private = filters.ChatType.PRIVATE
    new_message = filters.UpdateType.MESSAGE
    app.add_handlers(
        [
            # Buttons of our inline keyboards (checked: signed for the chat they are in).
            CallbackQueryHandler(handlers.on_button),
            # An edited message is not an answer.
            MessageHandler(filters.UpdateType.EDITED_MESSAGE & private, handlers.on_edited),
            # /console: a reviewer's sign-in link to the bureau's desk (bot.console).
            MessageHandler(new_message & private & filters.Regex(CONSOLE), on_console),
            # Everything typed in a private chat, commands included: dialogs reads them.
            MessageHandler(new_message & private & filters.TEXT, handlers.on_private_text),
            # Photos, stickers, voice, files… in a private chat: remind of the question.
            MessageHandler(
                new_message & private & ~filters.TEXT & ~filters.StatusUpdate.ALL,
                handlers.on_private_other,
            ),
            # In the review group: replies to our prompts (a return's reasons, a 公安备案号).
            MessageHandler(
                new_message & filters.ChatType.GROUPS & filters.REPLY & filters.TEXT,
                handlers.on_group_reply,
            ),
            # In groups: commands and mentions get a link to a private chat.
            MessageHandler(
                new_message
                & filters.ChatType.GROUPS
                & (filters.COMMAND | filters.Entity("mention")),
                handlers.on_group,
            ),
            TypeHandler(Update, handlers.on_anything_else),
        ]
    )
    app.add_error_handler(handlers.on_error)


async def _remind_forever(
    services: Services,
    app: Application,  # type: ignore[type-arg]
    stop: asyncio.Event,
    settings: Settings,
) -> None:
    """Send due reminders every BEIAN_REMIND_EVERY seconds (the rows are the schedule: nothing
    is kept in memory, and a restart goes on from them; first, those this instance held)."""
    from bot.tg.reminders import Pacer, dispatch

    pacer = Pacer(settings.beian_remind_rate or None)
    frozen = settings.beian_now  # scripts and tests: the reminders' own clock, frozen
    clock = (lambda: frozen) if frozen is not None else services.clock
    own = True
    while not stop.is_set():
        try:
            counts = await dispatch(
                services.db.engine,
                app.bot,
                context=services.context,
                clock=clock,
                worker=services.holder,
                reviewers=services.reviewers,
                button_key=services.button_key,
                supervisor_chat=settings.beian_supervisor_chat,
                pacer=pacer,
                own=own,
                db=services.db,  # the per-reminder statements on the loop's connection
            )
            services.metrics.reminders_done(counts)
            own = False
        except Exception:
            log.exception("reminders dispatch failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.beian_remind_every)


async def _sweep_deliveries(
    services: Services,
    app: Application,  # type: ignore[type-arg]
    stop: asyncio.Event,
    recovered: list[int],
) -> None:
    """Send the deliveries a crash left (`recovered`), then any a failure or another
    instance's crash leaves, every DELIVERY_SWEEP_EVERY seconds."""
    due = recovered
    while not stop.is_set():
        try:
            for delivery_id in due:
                log.info("delivery %s resumed", delivery_id)
                await deliver_documents(services, app.bot, delivery_id)
            # a transition's notices a crash (or a failed send) left unsent
            notices = await asyncio.to_thread(pending_notices, services.db.engine)
            await deliver_notices(services, app.bot, notices)
        except Exception:
            log.exception("delivery sweep failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), DELIVERY_SWEEP_EVERY)
        try:
            due = await asyncio.to_thread(
                partial(
                    claim_deliveries,
                    services.db.engine,
                    services.holder,
                    services.clock(),
                    skip=set(services.delivering),
                )
            )
        except Exception:
            log.exception("delivery sweep failed")
            due = []


async def run(
    settings: Settings,
    token: str,
    webhook: Webhook | None,
    console: str | None = None,
    stop: asyncio.Event | None = None,
) -> int:
    """Run the bot until SIGINT/SIGTERM (or `stop`, set by whoever owns the signals: the
    WeChat channel beside it); return the exit code. `console`: HOST:PORT where the
    bureau's desk is served too, in this process and loop (its notices are sent at once)."""
    app = build_application(settings, token)
    try:
        await app.initialize()  # getMe: a wrong token or an unreachable API stops here
    except InvalidToken:
        await app.bot.shutdown()  # its HTTP sessions (aiohttp warns of one left open)
        _fail(TOKEN_REFUSED)
        return 2
    except TelegramError as exc:
        await app.bot.shutdown()
        _fail(unreachable(settings.telegram_api_base_url, exc))
        return 1
    holder = instance_name(settings, webhook)
    services = await open_services(app, settings, holder=holder)
    # BEIAN_REVIEWERS seeds the one list the bot and the CLI read (bot.reviewers)
    await asyncio.to_thread(seed_configured, services.db.engine, settings, services.clock())
    await asyncio.to_thread(services.renderer.warm)  # workers start now, not at the first set
    await app.start()
    processor = InboxProcessor(
        app,
        services.db,
        bot_id=app.bot.id,
        holder=holder,
        clock=system_clock,
        max_concurrent=CONCURRENT_UPDATES,
        apologise=lambda chat_id: _apologise(app, chat_id),
        replay=lambda chat_id, plan: _replay(app, chat_id, plan),
        metrics=services.metrics,
    )
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, stop.set)
    # What a crash left goes first: its deliveries are claimed before any update is taken (so
    # none is mistaken for one in progress), then its inbox rows are woken.
    recovered = await asyncio.to_thread(
        partial(
            claim_deliveries,
            services.db.engine,
            holder,
            services.clock(),
            skip=set(),
            recovering=True,
        )
    )
    await asyncio.to_thread(_release_own_notices, services.db.engine, holder)
    deliveries = asyncio.create_task(_sweep_deliveries(services, app, stop, recovered))
    reminding = asyncio.create_task(_remind_forever(services, app, stop, settings))
    await processor.sweep()
    sweeper = asyncio.create_task(processor.sweep_forever())
    listening = asyncio.create_task(processor.listen_forever())  # PostgreSQL: wake-ups
    desk = _desk(settings, services, app, console, stop)
    try:
        if webhook is None:
            await app.bot.delete_webhook()
            log.info("polling %s as %s", settings.telegram_api_base_url, holder)
            await poll(app.bot, processor, stop)
        else:
            code = await _serve_webhook(app, services, processor, settings, webhook, stop)
            if code:
                return code
    finally:
        stop.set()
        await processor.drain()
        for task in (sweeper, listening, deliveries, reminding):
            task.cancel()
        await asyncio.gather(sweeper, listening, deliveries, reminding, return_exceptions=True)
        if desk is not None:
            await asyncio.gather(desk, return_exceptions=True)
        await services.db.settle()
        await app.stop()
        await app.shutdown()
        services.close()
    return 0


async def _serve_webhook(
    app: Application,  # type: ignore[type-arg]
    services: Services,
    processor: InboxProcessor,
    settings: Settings,
    webhook: Webhook,
    stop: asyncio.Event,
) -> int:
    """Listen for Telegram on the webhook's address and serve /healthz and /metrics on
    BEIAN_METRICS_LISTEN (never on the public listener) until `stop`; return 0, or 1 when an
    address cannot be bound."""
    from aiohttp import web

    from bot.tg.metrics import routes
    from bot.tg.webhook import Listener, WebhookServer  # aiohttp: only webhook mode needs it

    server = WebhookServer(
        processor,
        webhook.path,
        webhook.secret_token,
        webhook.host,
        webhook.port,
        read_timeout=settings.beian_webhook_timeout,
        max_connections=settings.beian_webhook_connections,
    )
    operations = None
    metrics_at = settings.metrics_address()
    if metrics_at is not None:
        ops_app = web.Application()
        for method, path, handler in routes(services.metrics, services.db.engine, services.clock):
            ops_app.router.add_route(method, path, handler)
        operations = Listener(
            ops_app, *metrics_at, settings.beian_webhook_timeout, settings.beian_webhook_connections
        )
    started: list[Listener | WebhookServer] = []
    try:
        for listener, what in ((server, "the webhook"), (operations, "BEIAN_METRICS_LISTEN")):
            if listener is None:
                continue
            try:
                await listener.start()
            except OSError as exc:
                _fail(f"{what}: cannot listen on {listener.host}:{listener.port} ({exc.strerror})")
                return 1
            started.append(listener)
        await app.bot.set_webhook(
            webhook.url,
            secret_token=webhook.secret_token,
            allowed_updates=list(Update.ALL_TYPES),
        )
        where = f"{webhook.host}:{webhook.port}"
        log.info("webhook %s on %s as %s", webhook.url, where, services.holder)
        if operations is not None:
            log.info("/healthz and /metrics on %s:%s", operations.host, operations.bound_port)
        await stop.wait()
    finally:
        for listener in started:
            await listener.stop()
    return 0


def _desk(
    settings: Settings,
    services: Services,
    app: Application,  # type: ignore[type-arg]
    console: str | None,
    stop: asyncio.Event,
) -> asyncio.Task[None] | None:
    """Serve the bureau's desk beside the bot (`beian serve --console HOST:PORT`)."""
    if console is None:
        return None
    from bot.console.app import run_console
    from bot.console.cli import make_desk

    async def notify(ids: tuple[int, ...]) -> None:
        await deliver_notices(services, app.bot, ids)

    host, _, port = console.rpartition(":")
    desk = make_desk(settings, services.db.engine, notify)
    return asyncio.create_task(run_console(desk, host, int(port), stop))


def _fail(message: str) -> None:
    """Say why the bot cannot start: one line, masked (the log is stderr, or the terminal)."""
    if logging.getLogger().handlers:
        log.error(mask(message))
    else:
        print(mask(message), file=sys.stderr)


async def _apologise(app: Application, chat_id: int) -> None:  # type: ignore[type-arg]
    with contextlib.suppress(TelegramError):
        await send_text(app.bot, chat_id, ui.SORRY.get("zh"))


def _release_own_notices(engine: Any, holder: str) -> None:
    """Notices this instance had claimed when it died are sent now, not after their lease."""
    with session_scope(engine) as session:
        released = outbox.release_own(session, worker=holder, kinds=("notice",))
    if released:
        log.info("%s notices claimed before a restart taken back", released)


async def _replay(app: Application, chat_id: int, plan: list[Any]) -> None:  # type: ignore[type-arg]
    """Send a turn's stored replies a crash left unsent (`InboxProcessor.replay`)."""
    context = app.context_types.context(application=app, chat_id=chat_id, user_id=chat_id)
    await handlers.send_plan(context, chat_id, plan)


def serve(
    settings: Settings, token: str, webhook: Webhook | None, console: str | None = None
) -> int:
    """Load the data key, migrate the database, then run the bot; return the exit code."""
    from bot.keys import KeySetupError, use

    try:
        keyring = use(settings)
    except KeySetupError as exc:
        _fail(str(exc))
        return 1
    migrate.upgrade_apart(settings.database_url, keyring)
    return asyncio.run(run(settings, token, webhook, console))
