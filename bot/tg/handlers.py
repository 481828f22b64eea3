"""Telegram handlers: thin — an update becomes an interview input, a turn becomes Bot API calls.

Updates arrive through the inbox (`bot.tg.inbox`): a handler's turn marks its update done in
the turn's own transaction. Whatever is refused (a forged or foreign button, an edit, a group
message, an update with no sender) is logged at INFO with the update id and the reason, never
with what was written.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatType

from bot.conversation import Turn, Who
from bot.filing_actions import NOT_AMENDABLE, Reopening, reopening
from bot.submission import Submitted, submission_writer
from bot.tg import filing_presses, filing_prompts, filings, photos, ui
from bot.tg.after_interview import after_the_interview, on_review_invite, reviewer_start
from bot.tg.delivery import (
    answer,
    deliver_documents,
    edit_buttons,
    edit_text,
    reply,
    send_text,
)
from bot.tg.inbox import current_ticket
from bot.tg.services import BotContext, Services, services_of
from dialogs.commands import Command, read_command
from dialogs.model import Choice, Input, Reply, ShowFilings, Step
from models import inbox
from models.sealed import sealing_error
from rules.text import Lang

log = logging.getLogger(__name__)
CHANNEL = "telegram"


def refused(update: Update, reason: str) -> None:
    """Log a refused update: its id and why, nothing of its content."""
    log.info("update %s refused: %s", update.update_id, reason)


async def _turn(update: Update, context: BotContext, inp: Input) -> Turn | None:
    """Run one interview turn; None when the update was answered elsewhere."""
    services = services_of(context)
    user, chat = update.effective_user, update.effective_chat
    assert user is not None
    assert chat is not None
    ticket = current_ticket()
    ctx = services.context()
    who = Who(CHANNEL, str(user.id), ui.language_of(user.language_code), user.full_name)
    turn = await services.conversations.turn(
        who,
        inp=inp,
        ctx=ctx,
        now=services.clock(),
        inbox=ticket.key if ticket is not None else None,
        effect_writer=submission_writer(ctx, services.holder, chat.id, services.reviewers),
        replies=plan_of,
    )
    if ticket is not None:
        ticket.done = True  # stored with the turn, or found done: either way not to repeat
        ticket.replies = turn is not None  # its replies stored with it: cleared once sent
    return turn


async def _send_replies(context: BotContext, chat_id: int, replies: list[Reply]) -> None:
    """Send replies as few messages as possible: texts before a question join its message.
    The buttons of the question answered before go first: it was answered by this turn."""
    services = services_of(context)
    await _retire_keyboard(context, chat_id)
    for text, question in ui.merge_replies(replies):
        markup = ui.keyboard(question, chat_id, services.button_key) if question else None
        sent = await send_text(context.bot, chat_id, text, markup)
        if markup is not None:
            services.keyboards[chat_id] = sent


async def _retire_keyboard(context: BotContext, chat_id: int) -> None:
    """Take the buttons off the chat's last question (typed answers leave them otherwise)."""
    message_id = services_of(context).keyboards.pop(chat_id, None)
    if message_id is not None:  # refused when deleted by the person, or too old: logged
        await edit_buttons(context.bot, chat_id, message_id)


async def _deliver(context: BotContext, chat_id: int, turn: Turn) -> None:
    """Send the turn's replies: what `plan_of` planned and the turn stored with its commit."""
    try:
        await send_plan(context, chat_id, plan_of(turn.step, turn.effects) or [])
    except Exception:
        # A time-out may or may not have delivered it: the plan stays stored and the sweep
        # sends it once more (a repeat, rather than a reply lost).
        ticket = current_ticket()
        if ticket is not None:
            ticket.unsent = True
        raise


def plan_of(step: Step, effects: Any) -> list[dict[str, Any]] | None:
    """Plan what a turn sends, as JSON stored with the turn's commit (its inbox row's `reply`),
    so that a crash after the commit loses none of it (`send_plan` sends it again at start-up).

    The turn's messages; a submission's first message, its documents (from the outbox row the
    turn wrote), then the filing's status with its buttons (a change: its notices instead);
    once done, the filings as they are now. None for a press of an old question's button (the
    handler says so in an alert)."""
    if step.stale:
        return None
    lang = step.state.lang
    replies = [_reply_json(r) for r in step.replies]
    submitted = effects if isinstance(effects, Submitted) else None
    if submitted is not None and submitted.refusal is not None:  # a change that raced: why
        return [{"op": "replies", "replies": [{"text": submitted.refusal.get(lang)}]}]
    if submitted is not None and submitted.delivery_id is not None:
        first = [{"text": submitted.first.get(lang)}] if submitted.first else replies[:1]
        plan: list[dict[str, Any]] = [
            {"op": "replies", "replies": first},
            {"op": "documents", "delivery": submitted.delivery_id},
        ]
        if submitted.change:  # the deadline (with the filing's buttons) and the reviewers' card
            return [*plan, {"op": "notices", "ids": list(submitted.notices)}]
        return [*plan, {"op": "status", "lang": lang, "only": submitted.filing_id}]
    plan = [{"op": "replies", "replies": replies}]
    show = next((e for e in step.effects if isinstance(e, ShowFilings)), None)
    if show is not None:  # once done: the filings as they are now, with their buttons
        plan.append({"op": "status", "lang": lang, "newest_only": show.newest_only})
    return plan


def _reply_json(reply: Reply) -> dict[str, Any]:
    found: dict[str, Any] = {"text": reply.text}
    if reply.choices:
        found["choices"] = [[c.id, c.label, c.number] for c in reply.choices]
        found["question"] = reply.question
    return found


def _reply_of(data: dict[str, Any]) -> Reply:
    choices = tuple(Choice(i, label, number) for i, label, number in data.get("choices", ()))
    return Reply(str(data["text"]), choices, data.get("question"))


async def send_plan(context: BotContext, chat_id: int, plan: list[dict[str, Any]]) -> None:
    """Send a turn's planned replies in their order (at once after its commit; after a crash,
    again at start-up: documents already sent are not sent twice, notices are claimed)."""
    services = services_of(context)
    for part in plan:
        op = part.get("op")
        if op == "replies":
            await _send_replies(context, chat_id, [_reply_of(r) for r in part["replies"]])
        elif op == "documents":
            await _documents(services, context, int(part["delivery"]), chat_id)
        elif op == "notices":
            await filings.deliver_notices(services, context.bot, [int(i) for i in part["ids"]])
        elif op == "status":
            lang: Lang = "en" if part.get("lang") == "en" else "zh"
            only = part.get("only")
            if only is not None:
                await filings.send_status(context, chat_id, chat_id, lang, only=int(only))
            elif not await filings.send_status(
                context, chat_id, chat_id, lang, newest_only=bool(part.get("newest_only"))
            ):
                await send_text(context.bot, chat_id, filings.NEW_FILING.get(lang))


async def _documents(services: Services, context: BotContext, delivery: int, chat_id: int) -> None:
    """Deliver a submission's documents before what follows them; when another task of this
    process has them in hand (the start-up's resumed deliveries), wait for it to finish."""
    for _ in range(DOCUMENTS_WAIT):
        if delivery not in services.delivering:
            await deliver_documents(services, context.bot, delivery, chat_id)
            return
        await asyncio.sleep(0.5)


DOCUMENTS_WAIT = 240  # half-seconds: two minutes for a render in another task of this process


def _private_sender(update: Update) -> bool:
    """Say whether the update comes from a person in their private chat with the bot."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or user.is_bot:
        refused(update, "no sender")
        return False
    if chat is None or chat.type != ChatType.PRIVATE or chat.id != user.id:
        refused(update, "not a private chat")
        return False
    return True


async def on_private_text(update: Update, context: BotContext) -> None:
    """Answer the interview's current question with what the applicant typed."""
    message = update.message
    if message is None or message.text is None or not _private_sender(update):
        return
    if await filing_prompts.on_prompt_reply(update, context):
        return  # a return's reasons or a 公安备案号, typed in reply to our prompt
    words = message.text.strip().split()
    if len(words) == 2 and words[0] == "/start" and words[1].startswith("review-"):
        await on_review_invite(update, context, words[1].removeprefix("review-"))
        return
    if words == ["/start"] and await reviewer_start(context, message):
        return  # a registered reviewer's greeting, not the applicant interview
    if words and words[0] in _FILING_COMMANDS and await after_the_interview(context, message):
        return
    command = read_command(message.text)
    reopen = _REOPENING.get(command.command) if command is not None else None
    since, returned = None, None
    if reopen is not None:
        may = await _may_reopen(update, context, reopen)
        if may is None:
            return  # /change or /amend on no filing that allows it: told why
        since, returned = may.since, may.returned
    if words and words[0].split("@")[0].lower() in ("/close_site", "／close_site"):
        await filing_prompts.close_site(context, message.chat_id, message.from_user)
        return
    inp = Input.typed(message.text, ref=str(message.message_id), since=since, returned=returned)
    turn = await _turn(update, context, inp)
    if turn is not None:
        await _deliver(context, message.chat_id, turn)


# Read before the interview only for these (a DB look-up): /start stays the interview's, so a
# new applicant's first message costs no extra query.
_FILING_COMMANDS = {"/status", "/documents", "状态", "进度"}


# Reopen a confirmed filing's answers: checked against the filing first (a DB look-up).
_REOPENING = {Command.CHANGE: "change", Command.AMEND: "amend"}


async def _may_reopen(update: Update, context: BotContext, reopen: str) -> Reopening | None:
    """Say whether the applicant's latest filing may be reopened (`reopen`: "change" or
    "amend"): how (a change's earliest date), or None after telling them why not."""
    message = update.message
    assert message is not None
    user = message.from_user
    assert user is not None
    engine = services_of(context).db.engine
    may = await asyncio.to_thread(reopening, engine, CHANNEL, str(user.id), reopen)
    if may.refusal is None:
        return may
    refused(update, f"/{reopen} not possible now")
    await reply(context.bot, message, may.refusal.get(ui.language_of(user.language_code)))
    return None


async def on_edited(update: Update, context: BotContext) -> None:
    """An edited message is not an answer: say so (or offer its new text as the last answer)."""
    message = update.edited_message
    if message is None or not _private_sender(update):
        return
    refused(update, "an edited message (not read as an answer)")
    if message.text is None:
        return
    turn = await _turn(update, context, Input.edit_of(str(message.message_id), message.text))
    if turn is not None:
        await _deliver(context, message.chat_id, turn)


async def on_private_other(update: Update, context: BotContext) -> None:
    """Read a photo of the licence or an ID card; remind the applicant of the question when
    they send anything else (a sticker, voice, a file), or where photos are not read."""
    message = update.message
    if message is None or not _private_sender(update):
        return
    inp = await photos.read_photo(update, context) or Input.nothing()
    turn = await _turn(update, context, inp)
    if turn is not None:
        await _deliver(context, message.chat_id, turn)


async def on_button(update: Update, context: BotContext) -> None:
    """Answer the question with the pressed button, then mark the question as answered.

    A button acts only for the person whose interview made it, in their private chat, for the
    question it was made for: its data is signed for that person and that asking."""
    query = update.callback_query
    assert query is not None
    services = services_of(context)
    message = query.message
    user = query.from_user
    lang = ui.language_of(user.language_code)
    if not isinstance(message, Message):
        refused(update, "a button on no message")
        await answer(query, ui.DEAD_BUTTON.get(lang))
        return
    parsed = ui.parse_callback(query.data, message.chat.id, services.button_key)
    if parsed is not None and parsed[0].startswith(filings.PREFIX):
        if parsed[1] in (filings.AMEND, filings.CHANGE) and message.chat.id == user.id:
            await _amend(update, context, parsed[0], parsed[1], message)
            return
        # a filing's button: in a private chat, or a reviewers' card in the review group
        await filing_presses.on_filing_button(update, context, parsed[0], parsed[1], message)
        return
    if message.chat.type != ChatType.PRIVATE:
        refused(update, "a button outside a private chat")
        await answer(query, ui.DEAD_BUTTON.get(lang))
        return
    if parsed is None or message.chat.id != user.id:
        refused(update, f"a button not made for user {user.id} in this chat")
        await answer(query, ui.DEAD_BUTTON.get(lang))
        return
    turn = await _turn(update, context, Input.pressed(*parsed))
    if turn is None:
        await answer(query)
        return
    lang = turn.step.state.lang
    if turn.step.stale:
        await answer(query, ui.STALE_ALERT.get(lang))
        await _drop_buttons(context, message)
        return
    await answer(query)
    replies = turn.step.replies
    if len(replies) == 1 and replies[0].in_place and await _replace(context, message, replies[0]):
        return  # a toggle: the same question, its buttons ticked or unticked
    if services.keyboards.get(message.chat_id) == message.message_id:
        del services.keyboards[message.chat_id]  # answered here: its buttons go just below
    label = ui.label_of(message.reply_markup, query.data or "")
    answered = f"{message.text}\n\n✔ {label}" if label else message.text or ""
    chat_id, message_id = message.chat_id, message.message_id
    if not (ui.fits(answered) and await edit_text(context.bot, chat_id, message_id, answered)):
        await _drop_buttons(context, message)  # no room for the answer under it, or refused
    await _deliver(context, message.chat_id, turn)


async def _amend(
    update: Update, context: BotContext, asking: str, code: str, message: Message
) -> None:
    """修改信息 on a returned filing, 信息变更 on a certified one: its interview reopens at the
    summary."""
    query = update.callback_query
    assert query is not None
    found = filings.parse_asking(asking)
    engine = services_of(context).db.engine
    user = query.from_user
    lang = ui.language_of(user.language_code)
    may = (
        await asyncio.to_thread(
            reopening,
            engine,
            CHANNEL,
            str(user.id),
            "change" if code == filings.CHANGE else "amend",
            found[0],
        )
        if found is not None
        else Reopening(NOT_AMENDABLE)
    )
    why = may.refusal
    if why is not None:
        refused(update, f"a reopening user {user.id} may not make")
        await answer(query, why.get(lang), alert=True)
        return
    await answer(query)
    command = "/change" if code == filings.CHANGE else "/amend"
    turn = await _turn(
        update, context, Input.typed(command, since=may.since, returned=may.returned)
    )
    if turn is not None:
        await _deliver(context, message.chat_id, turn)


async def _replace(context: BotContext, message: Message, reply: Reply) -> bool:
    """Show `reply` in the pressed message instead of a new one; False when Telegram refuses."""
    services = services_of(context)
    markup = ui.keyboard(reply, message.chat_id, services.button_key)
    if not ui.fits(reply.text) or not await edit_text(
        context.bot, message.chat_id, message.message_id, reply.text, markup
    ):
        return False
    services.keyboards[message.chat_id] = message.message_id
    return True


async def _drop_buttons(context: BotContext, message: Message) -> None:
    """Take the buttons off a message (refused when it is gone: logged)."""
    await edit_buttons(context.bot, message.chat_id, message.message_id)


async def on_group_reply(update: Update, context: BotContext) -> None:
    """A reply in a group: a reviewer answering our prompt in the review chat, or nothing."""
    if not await filing_prompts.on_prompt_reply(update, context):
        refused(update, "a group reply to nothing of ours")


async def on_group(update: Update, context: BotContext) -> None:
    """Point people in a group to a private chat (filings hold personal data)."""
    message = update.effective_message
    if message is None:
        return
    refused(update, "a group message (answered with a link to a private chat)")
    user = update.effective_user
    lang: Lang = ui.language_of(user.language_code if user else None)
    link = f"https://t.me/{context.bot.username}?start=group"
    await reply(context.bot, message, ui.GROUP_ONLY_PRIVATE.format(link=link).get(lang))


async def on_anything_else(update: Update, context: BotContext) -> None:
    """Log an update no other handler takes (a group chatter, a channel post, a member change)."""
    refused(update, "nothing to do with it")


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure with its update id; tell the person briefly, in their language."""
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(context.error, inbox.StoreFirst):
        return  # not a failure: processed again after an earlier message (`bot.chat_inbox`)
    unopened = sealing_error(context.error)
    if unopened is not None:  # the log says which value, the person hears the usual apology
        log.error("update %s failed: %s", update_id, unopened)
    else:
        log.error("update %s failed", update_id, exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    user = update.effective_user
    lang = ui.language_of(user.language_code if user else None)
    try:
        if update.callback_query is not None:
            await answer(update.callback_query)
        await send_text(context.bot, update.effective_chat.id, ui.SORRY.get(lang))
    except Exception:  # the apology must not raise in its turn
        log.exception("could not apologise for update %s", update_id)
