"""Telegram handlers: thin — an update becomes an interview input, a turn becomes Bot API calls."""

from __future__ import annotations

import asyncio
import logging

import sqlalchemy as sa
from telegram import InputFile, Message, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest

from bot.conversation import Turn, Who
from bot.tg import ui
from bot.tg.services import BotContext, services_of
from dialogs.model import Input, Reply
from documents.render import DocumentContext, RenderedDocument
from models.db import session_scope
from models.repo import mark_update_processed
from rules.answers import FilingAnswers
from rules.enums import DocumentKind
from rules.text import Lang

log = logging.getLogger(__name__)
CHANNEL = "telegram"


async def _turn(update: Update, context: BotContext, inp: Input) -> Turn | None:
    """Run one interview turn; None when the update was seen before."""
    services = services_of(context)
    user, chat = update.effective_user, update.effective_chat
    assert user is not None
    assert chat is not None
    loop = asyncio.get_running_loop()

    def render_set(
        kinds: tuple[DocumentKind, ...], answers: FilingAnswers, ctx: DocumentContext
    ) -> list[RenderedDocument]:
        asyncio.run_coroutine_threadsafe(
            context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT), loop
        )
        return services.renderer.render_blocking(kinds, answers, ctx)

    try:
        who = Who(CHANNEL, str(user.id), ui.language_of(user.language_code), user.full_name)
        return await services.conversations.turn(
            who,
            inp=inp,
            ctx=services.context(),
            now=services.clock(),
            render_set=render_set,
            update_key=(services.bot_id, update.update_id),
        )
    except sa.exc.IntegrityError:
        # Another instance recorded the same update id first: it is being handled there.
        log.info("update %s already taken by another instance", update.update_id)
        return None


async def _send_text(context: BotContext, chat_id: int, text: str, reply: Reply | None) -> Message:
    chunks = ui.split_text(text)
    for chunk in chunks[:-1]:
        await context.bot.send_message(chat_id, chunk)
    markup = ui.keyboard(reply) if reply is not None else None
    return await context.bot.send_message(chat_id, chunks[-1], reply_markup=markup)


async def _send_replies(context: BotContext, chat_id: int, replies: list[Reply]) -> None:
    """Send replies as few messages as possible: texts before a question join its message."""
    for text, question in ui.merge_replies(replies):
        await _send_text(context, chat_id, text, question)


async def _deliver(context: BotContext, chat_id: int, turn: Turn) -> None:
    """Send the turn's replies; a submission's documents go right after its first reply."""
    lang = turn.step.state.lang
    replies = list(turn.step.replies)
    if turn.documents and replies:
        await _send_replies(context, chat_id, [replies.pop(0)])
        for doc in turn.documents:
            await context.bot.send_document(
                chat_id,
                InputFile(doc.pdf, filename=doc.filename),
                caption=ui.CAPTIONS[doc.kind].get(lang),
            )
    await _send_replies(context, chat_id, replies)


async def on_private_text(update: Update, context: BotContext) -> None:
    """Answer the interview's current question with what the applicant typed."""
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    turn = await _turn(update, context, Input.typed(message.text))
    if turn is not None:
        await _deliver(context, message.chat_id, turn)


async def on_private_other(update: Update, context: BotContext) -> None:
    """Remind the applicant of the question when they send a photo, sticker, voice or file."""
    message = update.effective_message
    assert message is not None
    turn = await _turn(update, context, Input.nothing())
    if turn is not None:
        await _deliver(context, message.chat_id, turn)


async def on_button(update: Update, context: BotContext) -> None:
    """Answer the question with the pressed button, then mark the question as answered."""
    query = update.callback_query
    assert query is not None
    parsed = ui.parse_callback(query.data)
    message = query.message
    if parsed is None or not isinstance(message, Message):
        await query.answer()
        return
    turn = await _turn(update, context, Input.pressed(*parsed))
    if turn is None:
        await query.answer()
        return
    lang: Lang = turn.step.state.lang
    if turn.step.stale:
        await query.answer(ui.STALE_ALERT.get(lang))
        await _drop_buttons(message)
        return
    await query.answer()
    label = ui.label_of(message.reply_markup, query.data or "")
    try:
        await message.edit_text(f"{message.text}\n\n✔ {label}" if label else message.text or "")
    except BadRequest as exc:  # e.g. "message is not modified": the buttons must still go
        log.info("could not edit the answered question: %s", exc)
        await _drop_buttons(message)
    await _deliver(context, message.chat_id, turn)


async def _drop_buttons(message: Message) -> None:
    try:
        await message.edit_reply_markup(reply_markup=None)
    except BadRequest as exc:
        log.info("could not drop the buttons: %s", exc)


async def on_group(update: Update, context: BotContext) -> None:
    """Point people in a group to a private chat (filings hold personal data)."""
    message = update.effective_message
    if message is None or not await asyncio.to_thread(_first_time, update, context):
        return
    user = update.effective_user
    lang = ui.language_of(user.language_code if user else None)
    link = f"https://t.me/{context.bot.username}?start=group"
    await message.reply_text(ui.GROUP_ONLY_PRIVATE.format(link=link).get(lang))


def _first_time(update: Update, context: BotContext) -> bool:
    services = services_of(context)
    try:
        with session_scope(services.engine) as session:
            return mark_update_processed(
                session=session,
                bot_id=services.bot_id,
                update_id=update.update_id,
                now=services.clock(),
            )
    except sa.exc.IntegrityError:
        return False


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure with its update id; tell the person briefly, in their language."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("update %s failed", update_id, exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    user = update.effective_user
    lang = ui.language_of(user.language_code if user else None)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer()
        await context.bot.send_message(update.effective_chat.id, ui.SORRY.get(lang))
    except Exception:  # the apology must not raise in its turn
        log.exception("could not apologise for update %s", update_id)
