"""Deliveries on Telegram: a submission's documents, sent from their outbox row.

A delivery is tried right after the turn that wrote it (so its documents arrive before the
chat's next answer) and, should that be cut short, again by the sweep after its lease ends or
at the next start. Telegram's 429 is waited out by the rate limiter; a blocked bot (403) ends
the delivery as failed; other failures are retried with backoff (at most 5 attempts).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, InputFile
from telegram.constants import ChatAction
from telegram.error import Forbidden, TelegramError

from bot.deliveries import finish_delivery, prepare_documents, retry_delivery
from bot.tg import ui
from bot.tg.services import Services
from documents.captions import caption
from rules.enums import OutboxStatus

log = logging.getLogger(__name__)


async def call(bot: Bot, method: str, **params: Any) -> Any:
    """Call a Bot API method and return Telegram's answer as it came (a dict, or True).

    For the calls of every turn, where only a message id is read: PTB's methods build a
    `Message` from each answer, ~0.1 ms with a keyboard, a sixth of a whole step. The call goes
    the same way as theirs (defaults, None values dropped, the rate limiter, errors raised as
    `TelegramError`); `Bot._post` is what PTB's own `do_api_request` calls."""
    return await bot._post(method, params)


async def send_text(
    bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> int:
    """Send a text in chunks Telegram accepts; the markup rides on the last one. Returns the
    id of the last message."""
    chunks = ui.split_text(text)
    for chunk in chunks[:-1]:
        await call(bot, "sendMessage", chat_id=chat_id, text=chunk)
    sent = await call(bot, "sendMessage", chat_id=chat_id, text=chunks[-1], reply_markup=markup)
    return int(sent["message_id"])


async def deliver_documents(
    services: Services, bot: Bot, delivery_id: int, chat_id: int | None = None
) -> bool:
    """Render (once), send and close a documents delivery; False when it must be tried again.
    With `chat_id` the applicant sees "sending a file…" while the documents render."""
    if delivery_id in services.delivering:
        return False
    services.delivering.add(delivery_id)
    try:
        if chat_id is not None:
            with contextlib.suppress(TelegramError):
                await bot.send_chat_action(chat_id, ChatAction.UPLOAD_DOCUMENT)
        return await _deliver(services, bot, delivery_id)
    finally:
        services.delivering.discard(delivery_id)


async def _deliver(services: Services, bot: Bot, delivery_id: int) -> bool:
    ctx, now = services.context(), services.clock()
    engine = services.db.engine
    try:
        documents = await asyncio.to_thread(
            prepare_documents, engine, delivery_id, services.renderer.render_blocking, ctx, now
        )
    except Exception as exc:
        log.exception("delivery %s: rendering failed", delivery_id)
        services.metrics.renders.labels("failed").inc()
        await asyncio.to_thread(retry_delivery, engine, delivery_id, 5, now, repr(exc))
        return False
    if documents is None:
        return True  # delivered already (or cancelled)
    services.metrics.renders.labels("ready").inc()
    chat_id = documents.chat_id
    if chat_id is None:
        await asyncio.to_thread(
            finish_delivery, engine, delivery_id, now, status=OutboxStatus.FAILED, error="no chat"
        )
        return True
    try:
        for doc in documents.documents:
            await bot.send_document(
                chat_id,
                InputFile(doc.pdf, filename=doc.filename),
                caption=caption(doc.kind, individual=documents.individual).get(documents.lang),
            )
        for text in documents.after:
            await send_text(bot, chat_id, text)
    except Forbidden as exc:
        log.warning("delivery %s: the applicant blocked the bot (%s)", delivery_id, exc.message)
        await asyncio.to_thread(
            finish_delivery,
            engine,
            delivery_id,
            services.clock(),
            status=OutboxStatus.FAILED,
            error="blocked",
        )
        return True
    except TelegramError as exc:
        log.warning("delivery %s: sending failed (%s); tried again later", delivery_id, exc)
        await asyncio.to_thread(
            retry_delivery, engine, delivery_id, documents.attempts, services.clock(), str(exc)
        )
        return False
    await asyncio.to_thread(finish_delivery, engine, delivery_id, services.clock())
    log.info("delivery %s: %s documents sent", delivery_id, len(documents.documents))
    return True
