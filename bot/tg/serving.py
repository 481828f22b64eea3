"""Running the Telegram bot: start, take back what a crash left, listen (polling or webhook)
until stopped, and shut down in order. The application itself is built in `bot.tg.app`.

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
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application

from bot.logs import mask
from bot.reviewers import seed_configured
from bot.settings import Settings
from bot.tg import handlers, ui
from bot.tg.app import build_application, open_services
from bot.tg.background import remind_forever, sweep_deliveries, take_back_what_a_crash_left
from bot.tg.delivery import send_text
from bot.tg.filings import deliver_notices
from bot.tg.inbox import InboxProcessor
from bot.tg.ingest import poll
from bot.tg.services import Services
from bot.tg.transport import TOKEN_REFUSED, unreachable
from models import migrate
from rules.clock import system_clock

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# Updates in hand at once (of different chats). Enough for a few submissions to render (the
# pool has one worker per core) while others are answered; more only adds contention: the
# bench's unthrottled throughput falls from ~500 to ~180 updates/s at 256.
CONCURRENT_UPDATES = 8


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
    failed = await _initialize(app, settings)
    if failed:
        return failed
    services = await _start(app, settings, instance_name(settings, webhook))
    processor = _processor(app, services)
    if stop is None:
        stop = _stop_on_signals()
    # What a crash left goes first: its deliveries are claimed before any update is taken (so
    # none is mistaken for one in progress), then its inbox rows are woken.
    recovered = await take_back_what_a_crash_left(services)
    beside = [
        asyncio.create_task(sweep_deliveries(services, app, stop, recovered)),
        asyncio.create_task(remind_forever(services, app, stop, settings)),
    ]
    await processor.sweep()
    inbox = [
        asyncio.create_task(processor.sweep_forever()),
        asyncio.create_task(processor.listen_forever()),  # PostgreSQL: wake-ups
    ]
    desk = _desk(settings, services, app, console, stop)
    try:
        return await _listen(app, services, processor, settings, webhook, stop)
    finally:
        await _shut_down(app, services, processor, [*inbox, *beside], desk, stop)


async def _initialize(app: Application, settings: Settings) -> int:  # type: ignore[type-arg]
    """Call getMe; a wrong token or an unreachable API stops here: return its exit code (2 or
    1, said in one line), or 0."""
    try:
        await app.initialize()
    except InvalidToken:
        await app.bot.shutdown()  # its HTTP sessions (aiohttp warns of one left open)
        _fail(TOKEN_REFUSED)
        return 2
    except TelegramError as exc:
        await app.bot.shutdown()
        _fail(unreachable(settings.telegram_api_base_url, exc))
        return 1
    return 0


async def _start(
    app: Application,  # type: ignore[type-arg]
    settings: Settings,
    holder: str,
) -> Services:
    """Open the services, seed the reviewers, start the renderer's workers and the app."""
    services = await open_services(app, settings, holder=holder)
    # BEIAN_REVIEWERS seeds the one list the bot and the CLI read (bot.reviewers)
    await asyncio.to_thread(seed_configured, services.db.engine, settings, services.clock())
    await asyncio.to_thread(services.read_roster)  # the seeded reviewers, before any update
    # The workers start now, not at the first set, without holding up the start: their fork
    # server loads WeasyPrint first (`documents.preload`).
    services.background.append(asyncio.create_task(asyncio.to_thread(services.renderer.warm)))
    await app.start()
    return services


def _processor(app: Application, services: Services) -> InboxProcessor:  # type: ignore[type-arg]
    """The inbox's processor: updates are handled from their stored rows."""
    return InboxProcessor(
        app,
        services.db,
        bot_id=app.bot.id,
        holder=services.holder,
        clock=system_clock,
        max_concurrent=CONCURRENT_UPDATES,
        apologise=lambda chat_id: _apologise(app, chat_id),
        replay=lambda chat_id, plan: _replay(app, chat_id, plan),
        metrics=services.metrics,
    )


def _stop_on_signals() -> asyncio.Event:
    """Return an event SIGINT and SIGTERM set."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    return stop


async def _listen(
    app: Application,  # type: ignore[type-arg]
    services: Services,
    processor: InboxProcessor,
    settings: Settings,
    webhook: Webhook | None,
    stop: asyncio.Event,
) -> int:
    """Take updates by long polling, or on the webhook, until `stop`; return the exit code."""
    if webhook is None:
        await app.bot.delete_webhook()
        log.info("polling %s as %s", settings.telegram_api_base_url, services.holder)
        await poll(app.bot, processor, stop)
        return 0
    return await _serve_webhook(app, services, processor, settings, webhook, stop)


async def _shut_down(
    app: Application,  # type: ignore[type-arg]
    services: Services,
    processor: InboxProcessor,
    loops: list[asyncio.Task[None]],
    desk: asyncio.Task[None] | None,
    stop: asyncio.Event,
) -> None:
    """Stop taking updates, finish those in hand, stop the loops and the desk, then the app
    and the services."""
    stop.set()
    await processor.drain()
    for task in loops:
        task.cancel()
    await asyncio.gather(*loops, return_exceptions=True)
    if desk is not None:
        await asyncio.gather(desk, return_exceptions=True)
    await services.db.settle()
    await app.stop()
    await app.shutdown()
    services.close()


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
    operations = _operations(services, settings)
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


def _operations(services: Services, settings: Settings) -> Any:
    """The listener of /healthz and /metrics on BEIAN_METRICS_LISTEN (None when unset)."""
    from aiohttp import web

    from bot.tg.metrics import routes
    from bot.tg.webhook import Listener

    metrics_at = settings.metrics_address()
    if metrics_at is None:
        return None
    ops_app = web.Application()
    for method, path, handler in routes(services.metrics, services.db.engine, services.clock):
        ops_app.router.add_route(method, path, handler)
    return Listener(
        ops_app, *metrics_at, settings.beian_webhook_timeout, settings.beian_webhook_connections
    )


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
