"""The Telegram composition root: settings → Application, its services and its handlers.

Running it (the inbox first, polling or a webhook, the loops beside): `bot.tg.serving`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import make_url
from telegram import Update
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
from bot.reviewers import reviewers_of
from bot.settings import Settings
from bot.tg import handlers, ui
from bot.tg.console_link import CONSOLE, on_console
from bot.tg.effects import StoredBeforeSending
from bot.tg.ratelimit import SharedRateLimiter, bot_id_of
from bot.tg.services import CONTEXT_TYPES, Services
from bot.tg.transport import bot_request
from documents.coverage import GlyphCoverage
from documents.pool import DocumentRenderer
from models.database import Database
from models.db import normalize_url
from rules.clock import system_clock
from rules.pack import load_pack

log = logging.getLogger(__name__)

# Retries on 429 honour Telegram's retry_after (AIORateLimiter sleeps that long, then retries).
RATE_LIMIT_RETRIES = 5


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
    services.background.append(asyncio.create_task(_read_roster_forever(services)))
    await app.bot.set_my_commands(ui.commands("zh"))
    await app.bot.set_my_commands(ui.commands("zh"), language_code="zh")
    await app.bot.set_my_commands(ui.commands("en"), language_code="en")
    return services


ROSTER_EVERY = 10.0  # seconds between reads of the registered reviewers (`Services.roster`)


async def _read_roster_forever(services: Services) -> None:
    """Keep `services.roster` fresh: a reviewer added or removed by the CLI or another
    instance is known here within ROSTER_EVERY seconds."""
    while True:
        try:
            await asyncio.to_thread(services.read_roster)
        except Exception as exc:  # the database away for a moment: the roster as last read
            log.warning("could not read the reviewers (%s); kept the last list", type(exc).__name__)
        await asyncio.sleep(ROSTER_EVERY)


def build_application(
    settings: Settings,
    token: str,
    *,
    request: BaseRequest | None = None,
    rate_limited: bool = True,
) -> Application:  # type: ignore[type-arg]
    """Build the bot: Bot API location, rate limiter and handlers (no updater: bot.tg.serving)."""
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
    limiter = None
    if rate_limited and settings.beian_rate_limit != "off":  # off: benches measure cost
        limiter = rate_limiter(settings, token)
    if _backend(settings) == "postgresql":  # an update answered first is stored before its
        limiter = StoredBeforeSending(limiter)  # first message goes out (`bot.tg.effects`)
    if limiter is not None:
        builder = builder.rate_limiter(limiter)
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
        mode = "local" if _backend(settings) == "sqlite" else "shared"
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


def _backend(settings: Settings) -> str:
    return str(make_url(normalize_url(settings.database_url)).get_backend_name())
