"""The Telegram composition root: settings → Application, its handlers and its lifecycle."""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from telegram import Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.composition import context_factory
from bot.conversation import Conversations
from bot.settings import Settings
from bot.tg import handlers, ui
from bot.tg.ordering import PerChatUpdateProcessor
from bot.tg.services import Services
from documents.pool import DocumentRenderer
from models import migrate
from models.db import make_engine
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


async def open_services(
    app: Application,  # type: ignore[type-arg]
    settings: Settings,
    renderer_factory: Callable[[], DocumentRenderer] = DocumentRenderer,
) -> Services:
    """Open the database, the rules context and the renderer; set the command menus."""
    engine = make_engine(settings.database_url)
    services = Services(
        engine=engine,
        context=context_factory(settings, load_pack(settings.beian_pack)),
        renderer=renderer_factory(),
        clock=system_clock,
        conversations=Conversations(engine),
        bot_id=app.bot.id,
    )
    app.bot_data["services"] = services
    await app.bot.set_my_commands(ui.commands("zh"))
    await app.bot.set_my_commands(ui.commands("zh"), language_code="zh")
    await app.bot.set_my_commands(ui.commands("en"), language_code="en")
    return services


def build_application(
    settings: Settings,
    token: str,
    *,
    renderer_factory: Callable[[], DocumentRenderer] = DocumentRenderer,
    request: BaseRequest | None = None,
    rate_limited: bool = True,
) -> Application:  # type: ignore[type-arg]
    """Build the bot: Bot API location, rate limiter, handlers, and services opened in post_init."""
    api = settings.telegram_api_base_url.rstrip("/")
    load_pack(settings.beian_pack)  # a broken pack stops the start, not the first message

    async def post_init(app: Application) -> None:  # type: ignore[type-arg]
        await open_services(app, settings, renderer_factory)

    async def post_shutdown(app: Application) -> None:  # type: ignore[type-arg]
        services = app.bot_data.get("services")
        if isinstance(services, Services):
            await services.conversations.settle()
            services.close()

    builder: ApplicationBuilder = (  # type: ignore[type-arg]
        Application.builder()
        .token(token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .concurrent_updates(PerChatUpdateProcessor(CONCURRENT_UPDATES))
    )
    if rate_limited:  # off only where the bench measures cost, not Telegram's pacing
        builder = builder.rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
    if request is not None:  # benchmarks: a recording request instead of sockets
        builder = builder.request(request).get_updates_request(request)
    app = builder.build()
    add_handlers(app)
    return app


def add_handlers(app: Application) -> None:  # type: ignore[type-arg]
    """Register the handlers. Order matters: the first matching handler of a group runs."""
    private = filters.ChatType.PRIVATE
    app.add_handlers(
        [
            # Buttons of our inline keyboards (private chats only carry them).
            CallbackQueryHandler(handlers.on_button),
            # Everything typed in a private chat, commands included: dialogs reads them.
            MessageHandler(private & filters.TEXT, handlers.on_private_text),
            # Photos, stickers, voice, files… in a private chat: remind of the question.
            MessageHandler(
                private & ~filters.TEXT & ~filters.StatusUpdate.ALL, handlers.on_private_other
            ),
            # In groups: commands and mentions get a link to a private chat.
            MessageHandler(
                filters.ChatType.GROUPS & (filters.COMMAND | filters.Entity("mention")),
                handlers.on_group,
            ),
        ]
    )
    app.add_error_handler(handlers.on_error)


def serve(settings: Settings, token: str, webhook: Webhook | None) -> None:
    """Run the bot until SIGINT/SIGTERM: long polling, or a webhook server."""
    migrate.upgrade(settings.database_url)
    app = build_application(settings, token)
    if webhook is None:
        log.info("polling %s", settings.telegram_api_base_url)
        app.run_polling(allowed_updates=Update.ALL_TYPES, stop_signals=STOP_SIGNALS)
        return
    log.info("webhook %s on %s:%s", webhook.url, webhook.host, webhook.port)
    app.run_webhook(
        listen=webhook.host,
        port=webhook.port,
        url_path=webhook.path,
        webhook_url=webhook.url,
        secret_token=webhook.secret_token,
        allowed_updates=Update.ALL_TYPES,
        stop_signals=STOP_SIGNALS,
    )
