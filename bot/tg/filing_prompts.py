"""The typed answers some filing presses ask for on Telegram (issue 12; apart since issue 27):
a return's own reasons, the 公安备案号, why 注销, the online date. A ForceReply prompt carries
`⟨F<id>.<version>.<code>⟩`; its answer comes as a reply to the bot's own message, or (in a
private chat, within PROMPT_TTL) as the chat's next message. The answer is recorded through
`bot.filing_actions.act`, which checks everything again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from functools import partial
from typing import Any

from telegram import ForceReply, Message, Update
from telegram.constants import ChatType

from bot.filing_actions import act, record_online
from bot.tg import ui
from bot.tg.delivery import deliver_documents, reply, send_text
from bot.tg.filings import (
    CHANNEL,
    CODES,
    LEGACY_CODES,
    ONLINE,
    OWN_REASON,
    deliver_notices,
    filing_lines,
    handled,
    notices_plan,
    send_status,
)
from bot.tg.inbox import Ticket, current_ticket
from bot.tg.services import BotContext, Services, services_of
from dialogs.changing import read_cancellation
from models.db import session_scope
from models.filings import applicant_by_channel, filings_of
from models.tables import Filing
from rules.dates import parse_date
from rules.enums import FilingStatus
from rules.events import EVENT_TYPES, Cancel, Certify, Event, Return, code_of
from rules.filing_life import EVENT_LABELS, Actor, Role
from rules.lifecycle import FilingEvent as E
from rules.text import REASON_LIMIT, Lang, Text, t

log = logging.getLogger(__name__)

REF = re.compile(r"⟨F(\d+)\.(\d+)\.([a-z0-9]+)⟩")
# What each prompt's answer records (None: not a lifecycle event): every event with a
# `prompt` (the data it carries), derived from its type — a return's typed reasons under their
# own code (its button offers the common reasons first) — and the online date.
_PROMPTED: dict[str, type[Event] | None] = {
    **{code_of(k): k for k in EVENT_TYPES.values() if k.prompt is not None and k is not Return},
    OWN_REASON: Return,
    ONLINE: None,
}
# The prompt (a ForceReply) that asks for them.
_PROMPTS: dict[str, Text] = {
    **{code: kind.prompt for code, kind in _PROMPTED.items() if kind and kind.prompt},
    ONLINE: t(
        "请回复网站开通（上线）的日期，如：2026-11-28；今天开通请回复“今天”。",
        "Reply with the day the site went online, e.g. 2026-11-28, or “today”.",
    ),
}


PROMPT_TTL = dt.timedelta(minutes=30)  # a prompt typed to later than this starts afresh
# Prompts a private chat's next message answers even without Telegram's reply feature: what
# only a reviewer is asked (and the online date, refused politely when it is no date). Not
# 注销: a stray message must never cancel a filing. In groups the bot (privacy mode on) sees
# only replies to its messages, so there a reply is needed.
_TYPED_WITHOUT_REPLY = {ONLINE} | {
    code for code, kind in _PROMPTED.items() if kind is not None and kind.by_bureau
}


async def ask_typed(
    context: BotContext, chat_id: int, ref: str, lang: Lang, before: str | None = None
) -> None:
    """Ask for typed words (a ForceReply prompt carrying `ref`, F<id>.<version>.<code>) and
    remember it for the chat: the next message there answers it, reply or not."""
    services = services_of(context)
    code = ref.rsplit(".", 1)[-1]
    text = f"{_PROMPTS[code].get(lang)}\n⟨{ref}⟩"
    if before:
        text = f"{before}\n{text}"
    await send_text(context.bot, chat_id, text, ForceReply(selective=True))
    if chat_id > 0 and code in _TYPED_WITHOUT_REPLY:
        services.prompts[chat_id] = (ref, services.clock())


def _waiting_prompt(services: Services, message: Message) -> re.Match[str] | None:
    """The prompt a message answers: the bot's message it replies to, else the chat's prompt
    still waiting (typed without Telegram's reply feature)."""
    prompt = message.reply_to_message
    if prompt is not None:
        if prompt.from_user is None or prompt.from_user.id != services.bot_id:
            return None
        return REF.search(prompt.text or "")
    waiting = services.prompts.get(message.chat.id)
    if waiting is None or services.clock() - waiting[1] > PROMPT_TTL:
        return None
    return REF.search(f"⟨{waiting[0]}⟩")


async def on_prompt_reply(update: Update, context: BotContext) -> bool:
    """Take the answer to one of our prompts (a return's reasons, the 公安备案号, why 注销,
    the online date), as a reply or as the chat's next message; False when the message
    answers no prompt."""
    message = update.message
    services = services_of(context)
    if message is None or message.text is None:
        return False
    match = _waiting_prompt(services, message)
    if match is None:
        return False
    if message.reply_to_message is None and message.text.strip().startswith(("/", "／")):
        services.prompts.pop(message.chat.id, None)  # a command: the prompt is given up, said
        lang = ui.language_of(message.from_user.language_code if message.from_user else None)
        await reply(context.bot, message, PROMPT_GIVEN_UP.get(lang))
        return False
    services.prompts.pop(message.chat.id, None)
    filing_id, version = int(match.group(1)), int(match.group(2))
    code = LEGACY_CODES.get(match.group(3), match.group(3))
    user = message.from_user
    assert user is not None
    lang = ui.language_of(user.language_code)
    if code not in _PROMPTED:  # a prompt of a press no longer asked for
        return False
    kind = _PROMPTED[code]
    role = await role_of(services, user.id, message.chat.id, kind is not None and kind.by_bureau)
    if role is None:  # told: a reviewer removed meanwhile thought the number recorded
        log.info("a reply by user %s refused: not a reviewer", user.id)
        await reply(context.bot, message, NOT_A_REVIEWER.get(lang))
        return True
    text, today = message.text.strip(), services.context().today
    if code == ONLINE:
        await reply(context.bot, message, (await _online(services, filing_id, user.id,
                                                          text)).get(lang))  # fmt: skip
        return True
    ref = f"F{filing_id}.{version}.{code}"
    if code == OWN_REASON and len(text) > REASON_LIMIT:  # never cut: half a reason reads whole
        await ask_typed(context, message.chat.id, ref, lang, _too_long(len(text)).get(lang))
        return True
    event = _typed_event(code, text, Actor(role, str(user.id)), today)
    if isinstance(event, Text):
        await reply(context.bot, message, event.get(lang))
        return True
    ticket = current_ticket()
    outcome = await _record(services, filing_id, version, event, user.id, lang, ticket)
    if not handled(ticket, outcome):  # else another instance answered it already
        await _answered(context, message, event, outcome, ref, lang)
    return True


async def _record(
    services: Services,
    filing_id: int,
    version: int,
    event: Event,
    user_id: int,
    lang: Lang,
    ticket: Ticket | None,
) -> Any:
    """Record a typed answer's event through `act` (off the event loop) on the version the
    prompt was asked for, its inbox row marked done with the replies to send."""
    plan = partial(_reply_plan, f"✔ {event.label.get(lang)}")
    return await asyncio.to_thread(
        lambda: act(
            services.db.engine,
            filing_id,
            event,
            ctx=services.context(),
            clock=services.clock,
            reviewers=services.reviewers,
            applicant_external_id=str(user_id),
            expected_version=version,
            holder=services.holder,
            lang=lang,
            inbox=ticket.key if ticket is not None else None,
            reply=plan,
        )
    )


def _reply_plan(said: str, notices: tuple[int, ...], delivery: int | None) -> list[Any]:
    """What a typed answer sends once recorded, stored with its commit (bot.tg.inbox): the ✔,
    a cancellation's statement, the notices."""
    documents = [{"op": "documents", "delivery": delivery}] if delivery is not None else []
    replies = {"op": "replies", "replies": [{"text": said}]}
    return [replies, *documents, *(notices_plan(notices, delivery) or [])]


def _too_long(length: int) -> Text:
    return t(
        f"退回原因最多{REASON_LIMIT}字（这次是{length}字），还没有记录。请精简后再回复。",
        f"A return's reasons take at most {REASON_LIMIT} characters (these have {length}); "
        "nothing was recorded. Please shorten them and reply again.",
    )


async def _answered(
    context: BotContext, message: Message, event: Event, outcome: Any, ref: str, lang: Lang
) -> None:
    """Reply to a typed answer: done (then the notices and a cancellation's statement go), or
    refused — a bad 公安备案号 on a filing that did not move is asked for again at once."""
    services = services_of(context)
    if outcome.refusal is not None:
        filing_id, version = (int(n) for n in ref[1:].split(".")[:2])
        user = message.from_user.id if message.from_user else None
        log.info("filing %s: reply by user %s refused", filing_id, user)
        moved = outcome.decision is None and moved_on(services, filing_id, version)
        if isinstance(event, Certify) and not moved:
            await ask_typed(context, message.chat.id, ref, lang, outcome.refusal.get(lang))
            return
        await reply(context.bot, message, outcome.refusal.get(lang))
        return
    await reply(context.bot, message, f"✔ {event.label.get(lang)}")
    card = services.cards.pop((message.chat.id, event_filing(ref)), None)
    if card is not None and event.actor.role is Role.REVIEWER:  # the card pressed: as it is now
        from bot.tg.filing_presses import redraw  # (it imports this module)

        who = message.from_user.full_name if message.from_user else ""
        done = t(f"✔ {who}：{event.label.zh}", f"✔ {who}: {event.label.en}")
        group = message.chat.type != ChatType.PRIVATE
        await redraw(context, message.chat.id, card, event_filing(ref), Role.REVIEWER,
                     "zh" if group else lang, done)  # fmt: skip
    if outcome.delivery is not None:  # the cancellation's written statement
        await deliver_documents(services, context.bot, outcome.delivery, message.chat.id)
    await deliver_notices(services, context.bot, outcome.notices)


def event_filing(ref: str) -> int:
    """The filing a prompt's reference names (F<id>.<version>.<code>)."""
    return int(ref[1:].split(".")[0])


def _typed_event(code: str, text: str, actor: Actor, today: dt.date) -> Event | Text:
    """The event a typed answer records, read by its type (`Event.read`: a return's own
    reasons, the certificate's numbers, a field of the event's own) — a cancellation with its
    date first, if any; or what is wrong with the words."""
    kind = _PROMPTED[code]
    assert kind is not None  # the online date is not an event
    if kind is Cancel:
        read = read_cancellation(text, today)
        if isinstance(read, Text):
            return read
        on, reason = read
        return Cancel(actor=actor, on=on, reason=reason)
    return kind.read(text, actor, today)  # a return's reasons: at most REASON_LIMIT, checked


async def _online(services: Services, filing_id: int, user_id: int, text: str) -> Text:
    """The online date typed: its 30 days to file start (or why the words are no date)."""
    day = parse_date(text, services.context().today)
    if not isinstance(day, dt.date):
        return day
    return await asyncio.to_thread(
        lambda: record_online(
            services.db.engine,
            filing_id,
            channel=CHANNEL,
            external_id=str(user_id),
            on=day,
            ctx=services.context(),
            clock=services.clock,
        )
    )


async def close_site(context: BotContext, chat_id: int, user: Any) -> None:
    """/close_site (注销): ask for the reason (and date) of the one filing that can be
    cancelled; with several, show them with their 注销 buttons."""
    services = services_of(context)
    lang = ui.language_of(user.language_code)
    with session_scope(services.db.engine) as session:
        applicant = applicant_by_channel(session, CHANNEL, str(user.id))
        found = filings_of(session, applicant.id) if applicant and applicant.id else []
        open_ones = [f for f in found if f.status is not FilingStatus.CANCELLED]
        for f in open_ones:
            session.expunge(f)
    if not open_ones:
        await send_text(context.bot, chat_id, NOTHING_TO_CLOSE.get(lang))
        return
    if len(open_ones) > 1:
        await send_text(context.bot, chat_id, WHICH_TO_CLOSE.get(lang))
        await send_status(context, chat_id, user.id, lang)
        return
    filing = open_ones[0]
    head = "\n".join(filing_lines(filing, services, lang, masked=False))
    ref = f"F{filing.id}.{filing.version}.{CODES[E.CANCEL]}"
    await ask_typed(context, chat_id, ref, lang, before=f"{head}\n")


NOTHING_TO_CLOSE = t("没有可以注销的备案。", "There is no filing to cancel.")
WHICH_TO_CLOSE = t(
    f"你有几份备案：请在要注销的那份下面点“{EVENT_LABELS[E.CANCEL].zh}”。",
    f"You have several filings: press “{EVENT_LABELS[E.CANCEL].en}” under the one to cancel.",
)


async def role_of(services: Services, user_id: int, chat_id: int, bureau_act: bool) -> Role | None:
    """Who acts: a reviewer recording a bureau's outcome in their private chat, the review
    chat or the supervisor chat; otherwise the applicant in their private chat (a reviewer
    may be an applicant too); None for anyone else (a non-reviewer in the review group)."""
    reviewer_ids = await asyncio.to_thread(services.reviewers.ids, services.db.engine)
    private = chat_id == user_id
    # the supervisor chat too: a card none of the reviewers could get is sent there, with
    # its buttons (a reviewer pressing them was told 「你不是审核人员」)
    bureau_chats = (services.reviewers.review_chat, services.reviewers.supervisor_chat)
    in_place = private or chat_id in bureau_chats
    if bureau_act and user_id in reviewer_ids and in_place:
        return Role.REVIEWER
    return Role.APPLICANT if private else None


def moved_on(services: Services, filing_id: int, version: int) -> bool:
    """Say whether the filing moved past the version a prompt was asked for."""
    with session_scope(services.db.engine) as session:
        filing = session.get(Filing, filing_id)
        return filing is None or filing.version != version


PROMPT_GIVEN_UP = t(
    "（刚才等你输入的内容已不再等待：你发送了命令。需要时请重新点卡片上的按钮。）",
    "(What you were asked to type is no longer awaited: you sent a command. Press the card's "
    "button again when you need it.)",
)
NOT_A_REVIEWER = t(
    "你不是审核人员（或已被移除），不能登记网安部门的审核结果。",
    "You are not (or no longer) a reviewer: you cannot record the bureau's outcome.",
)
