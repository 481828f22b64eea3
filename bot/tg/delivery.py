"""Sending on Telegram within its limits, and a submission's documents from their outbox row.

Every message the bot sends or edits goes through here: `send_text` splits a long text at line
boundaries into messages of at most 4,096 UTF-16 code units (the buttons, or the ForceReply,
on the last one), `edit_text` and `edit_buttons` take "message is not modified" (a double
press) as done, `send_document` cuts its caption to 1,024 and `answer` an alert to 200.

A documents delivery is tried right after the turn that wrote it (so its documents arrive
before the chat's next answer) and, should that be cut short, again by the sweep after its
lease ends or at the next start. Telegram's 429 is waited out by the rate limiter; a blocked
bot (403) or a request Telegram refuses (400: trying again cannot help) ends the delivery as
failed; other failures are retried with backoff (at most 5 attempts).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from telegram import (
    Bot,
    CallbackQuery,
    ForceReply,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    ReplyParameters,
)
from telegram.constants import ChatAction, ChatType
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError

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


Markup = InlineKeyboardMarkup | ForceReply


async def send_text(
    bot: Bot,
    chat_id: int,
    text: str,
    markup: Markup | None = None,
    *,
    reply_to: int | None = None,
) -> int:
    """Send a text in messages Telegram takes (see `ui.split_text`); the markup rides on the
    last one, the first one answers `reply_to`. Returns the id of the last message."""
    chunks = ui.split_text(text)
    if not chunks:
        raise ValueError("a message needs a text")  # Telegram refuses it: a bug of ours
    sent: Any = None
    for i, chunk in enumerate(chunks):
        params: dict[str, Any] = {"chat_id": chat_id, "text": chunk}
        if i == 0 and reply_to is not None:
            params["reply_parameters"] = ReplyParameters(reply_to, allow_sending_without_reply=True)
        if i == len(chunks) - 1:
            params["reply_markup"] = markup
        sent = await call(bot, "sendMessage", **params)
    return int(sent["message_id"])


async def reply(bot: Bot, message: Message, text: str, markup: Markup | None = None) -> int:
    """Answer `message` in its chat (quoting it in a group, where several people write)."""
    quote = message.message_id if message.chat.type != ChatType.PRIVATE else None
    return await send_text(bot, message.chat_id, text, markup, reply_to=quote)


def not_modified(exc: TelegramError) -> bool:
    """Say whether Telegram refused an edit because it changes nothing (a double press)."""
    return isinstance(exc, BadRequest) and "not modified" in exc.message.lower()


async def edit_text(
    bot: Bot,
    chat_id: int,
    message_id: int,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> bool:
    """Show `text` (cut to one message: an edit cannot split) and `markup` in a sent message.
    True when it shows them — "not modified" included; False when Telegram refused (the
    message is gone, too old…), logged."""
    try:
        await call(
            bot,
            "editMessageText",
            chat_id=chat_id,
            message_id=message_id,
            text=ui.clip(text, ui.TEXT_LIMIT),
            reply_markup=markup,
        )
    except BadRequest as exc:
        if not_modified(exc):
            return True
        log.info("could not edit message %s: %s", message_id, exc.message)
        return False
    return True


async def edit_buttons(
    bot: Bot, chat_id: int, message_id: int, markup: InlineKeyboardMarkup | None = None
) -> bool:
    """Put `markup` (None: no buttons) on a sent message; as `edit_text`."""
    try:
        await call(
            bot,
            "editMessageReplyMarkup",
            chat_id=chat_id,
            message_id=message_id,
            reply_markup=markup,
        )
    except BadRequest as exc:
        if not_modified(exc):
            return True
        log.info("could not change the buttons of message %s: %s", message_id, exc.message)
        return False
    return True


async def send_document(
    bot: Bot, chat_id: int, content: bytes, filename: str, caption: str | None = None
) -> None:
    """Send a file, its caption cut to Telegram's 1,024."""
    await bot.send_document(
        chat_id,
        InputFile(content, filename=filename),
        caption=ui.clip(caption, ui.CAPTION_LIMIT) if caption else None,
    )


async def answer(query: CallbackQuery, text: str | None = None, alert: bool = False) -> None:
    """Answer a button press (with an alert cut to Telegram's 200)."""
    await query.answer(ui.clip(text, ui.ANSWER_LIMIT) if text else None, show_alert=alert)


def refused_for_good(exc: TelegramError) -> bool:
    """Say whether Telegram refused a request that cannot pass when tried again: a bad
    request (too long, a chat that does not exist…) or a group that moved — not a rate limit,
    a timeout or a server error."""
    return isinstance(exc, BadRequest | ChatMigrated)


def refusal_noted(what: str, row_id: int, chat_id: int | None, exc: TelegramError) -> str:
    """Log that Telegram refused an outbox row for good (with its chat and Telegram's reason);
    return the error to store on the failed row."""
    log.warning(
        "%s %s to chat %s failed: Telegram refused it (%s)", what, row_id, chat_id, exc.message
    )
    return f"400: {exc.message}"


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
            what = caption(doc.kind, individual=documents.individual).get(documents.lang)
            await send_document(bot, chat_id, doc.pdf, doc.filename, what)
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
        if refused_for_good(exc):  # sending it again would be refused again
            error = refusal_noted("delivery", delivery_id, chat_id, exc)
            await asyncio.to_thread(
                finish_delivery,
                engine,
                delivery_id,
                services.clock(),
                status=OutboxStatus.FAILED,
                error=error,
            )
            return True
        log.warning("delivery %s: sending failed (%s); tried again later", delivery_id, exc)
        await asyncio.to_thread(
            retry_delivery, engine, delivery_id, documents.attempts, services.clock(), str(exc)
        )
        return False
    await asyncio.to_thread(finish_delivery, engine, delivery_id, services.clock())
    log.info("delivery %s: %s documents sent", delivery_id, len(documents.documents))
    return True
