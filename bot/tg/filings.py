"""The filing's life on Telegram (issue 12): the applicant's /status and buttons, reviewers'
cards and their actions, the notices a transition sends.

Buttons carry `F<filing>.<version>` as their asking and an action code, signed for the chat
they are sent to (ui.callback_data), so a card acts only in its chat and only on the version it
showed: a press on a card the filing has moved past is refused, with who moved it, and the card
is refreshed. Every action is checked again on the server (`bot.filing_actions.act`).
Typed values (a return's own reasons, the 公安备案号) answer a ForceReply prompt whose text
carries the same reference; only the bot's own messages are taken as prompts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from typing import Any

from sqlmodel import col, select
from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import Forbidden, TelegramError

from bot.deliveries import is_individual
from bot.filing_actions import Outcome, act, describe, record_icon, record_online
from bot.reviewers import notice_refused
from bot.tg import ui
from bot.tg.delivery import (
    answer,
    deliver_documents,
    edit_buttons,
    edit_text,
    refusal_noted,
    refused_for_good,
    reply,
    send_document,
    send_text,
)
from bot.tg.inbox import Ticket, current_ticket
from bot.tg.services import BotContext, Services, services_of
from bot.tg.word import WORD, offer_word_copies, send_word_copies
from dialogs.changing import read_cancellation
from documents.captions import caption, reviewer_caption
from models import outbox
from models.db import session_scope
from models.filings import (
    applicant_by_channel,
    deadline_dates,
    filings_of,
    redeem_invite,
    state_of,
    stop_reminders,
)
from models.reviewers import mark_reached
from models.tables import Applicant, ConsoleReveal, Filing, GeneratedDocument, OutboxMessage
from rules.dates import parse_date
from rules.enums import DocumentKind, FilingStatus, OutboxStatus
from rules.filing_life import (
    EVENT_LABELS,
    RETURN_REASONS,
    SELF_REPORT_LABELS,
    Actor,
    Role,
    acting_step,
    changeable,
    next_actions,
)
from rules.lifecycle import FilingEvent as E
from rules.reminder_kinds import KINDS, ReminderKind
from rules.standing import (
    AMEND_LABEL,
    CALENDAR_LABEL,
    CHANGE_LABEL,
    ICON_LABEL,
    ONLINE_LABEL,
    RESEND_LABEL,
    WORD_LABEL,
    icon_due,
)
from rules.text import REASON_LIMIT, Lang, Text, button, t

log = logging.getLogger(__name__)
PREFIX = "F"
CODES: dict[E, str] = {
    E.SUBMIT: "s",
    E.PASS_INITIAL_REVIEW: "p",
    E.RETURN: "r",
    E.RESUBMIT: "rs",
    E.RECEIVE_MATERIALS: "m",
    E.CERTIFY: "c",
    E.REPORT_CHANGE: "ch",
    E.CANCEL: "x",
}
EVENTS = {code: event for event, code in CODES.items()}
RESEND = "d"  # send the documents again
AMEND = "fix"  # a returned filing: reopen its answers to fix them
CHANGE = "chg"  # a certified filing: reopen its answers to report a change
CHANGE_OK = "cc"  # reviewers: a reported change is accepted (the filing keeps its number)
ICON_PLACED = "ic"  # a reminder's 已放置图标: the icon reminders stop
MATERIALS_HANDED = "sm"  # a reminder's 已送材料: recorded (self-reported) or its reminders stop
CALENDAR = "ics"  # the filing's deadlines as a calendar file
ONLINE = "on"  # a site not online yet went online (its 30 days start): the date, in reply
OWN_REASON = "ro"  # a return with reasons typed in reply
NOTES = (ICON_PLACED, MATERIALS_HANDED, CALENDAR)  # the applicant's notes: no lifecycle event
# What a reminder's button records (rules.reminder_kinds.PressAction.records), as a code.
PRESS_CODES = {"submit": CODES[E.SUBMIT], "materials_handed": MATERIALS_HANDED,
               "icon_placed": ICON_PLACED}  # fmt: skip
# Buttons whose action needs typed words, and the prompt (a ForceReply) that asks for them.
_PROMPTS: dict[str, Text] = {
    OWN_REASON: t("请回复退回整改的原因：", "Reply with the reasons for the return:"),
    CODES[E.CERTIFY]: t(
        "请回复公安备案号和备案证编号，用空格分开（如：京公网安备11010502030143号 SL-2026-001）：",
        "Reply with the filing number and the certificate number, separated by a space "
        "(e.g. 京公网安备11010502030143号 SL-2026-001):",
    ),
    CODES[E.CANCEL]: t(
        "注销（网站关闭）后这份备案只保留记录，不再提醒，并会生成注销情况书面说明。"
        "确定注销请回复注销原因（如：网站已关闭）；注销日期默认今天，不是今天的请写在原因前，"
        "如：2026-11-30 网站已关闭。",
        "After cancelling (the site closed), the filing is kept for the record only, with no "
        "more reminders, and a written cancellation statement is made. To cancel, reply with "
        "the reason (e.g. the site is closed); the date is today unless you put one first, "
        "e.g. 2026-11-30 site closed.",
    ),
}
_PROMPTS[ONLINE] = t(
    "请回复网站开通（上线）的日期，如：2026-11-28；今天开通请回复“今天”。",
    "Reply with the day the site went online, e.g. 2026-11-28, or “today”.",
)
REF = re.compile(r"⟨F(\d+)\.(\d+)\.([a-z0-9]+)⟩")
CHANNEL = "telegram"


def asking_of(filing: Filing) -> str:
    """The asking a filing's buttons answer: its id and the version they were made for."""
    return f"{PREFIX}{filing.id}.{filing.version}"


def parse_asking(asking: str) -> tuple[int, int] | None:
    """Return (filing id, version) of a filing button's asking, or None."""
    match = re.fullmatch(rf"{PREFIX}(\d+)\.(\d+)", asking)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _keyboard(
    filing: Filing, chat_id: int, key: bytes, buttons: list[tuple[str, str]]
) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    asking = asking_of(filing)
    rows = [
        [InlineKeyboardButton(label, callback_data=ui.callback_data(asking, code, chat_id, key))]
        for label, code in buttons
    ]
    return InlineKeyboardMarkup(rows)


def _lang_of(applicant: Applicant | None) -> Lang:
    return "en" if applicant is not None and applicant.language == "en" else "zh"


def filing_lines(filing: Filing, services: Services, lang: Lang, *, masked: bool) -> list[str]:
    """Describe a filing as of this instance's today (see `bot.filing_actions.filing_lines`)."""
    return describe(filing, services.context(), lang, masked=masked)


_CHANGE_ACCEPTED = button("变更审核通过", "Accept the change")


def _code_of(event: E, status: FilingStatus) -> tuple[Text, str]:
    """A button's label and code: a reported change is accepted with the filing's number."""
    if event is E.CERTIFY and status is FilingStatus.CHANGE_REPORTED:
        return _CHANGE_ACCEPTED, CHANGE_OK
    return EVENT_LABELS[event], CODES[event]


def _reviewer_buttons(filing: Filing, reviewers: bool, lang: Lang) -> list[tuple[str, str]]:
    """A card's buttons: the reviewers' next actions, then 私发PDF (a card itself carries
    masked data only: it may be read by a whole review group)."""
    state = state_of(filing)
    events = next_actions(state, Role.REVIEWER, reviewers)
    codes = (_code_of(e, acting_step(state, e, Role.REVIEWER, reviewers).status) for e in events)
    return [*((label.get(lang), code) for label, code in codes), (PDFS_LABEL.get(lang), PDFS)]


PDFS_LABEL = button("私发PDF给我", "Send me the PDFs privately")
_REVIEW_PDFS = ("filing-form", "responsibility")  # what the applicant filed, to check
_PDFS_SENT = t("PDF 已私发给你（含完整证件号码，已记录查看）。",
               "The PDFs were sent to you privately (with full ID numbers; logged).")  # fmt: skip
_PDFS_BLOCKED = t(
    "无法私发：请先在与本机器人的私聊中发送 /start，再按此按钮。",
    "Cannot send privately: send /start to this bot in a private chat first, then press again.",
)
_NO_PDFS = t("这份备案还没有生成的 PDF。", "This filing has no generated PDFs yet.")


async def _send_pdfs_privately(context: BotContext, query: Any, filing_id: int, lang: Lang) -> None:
    """A registered reviewer's 私发PDF: the filing's PDFs with full numbers to their private
    chat (never to the group), each sending logged with who and when (the desk's log of
    numbers shown, `console_reveal`, field "pdf:<kind>")."""
    services = services_of(context)
    engine = services.db.engine
    user = query.from_user
    stored = await asyncio.to_thread(_stored, engine, filing_id, list(_REVIEW_PDFS))
    if not stored:
        await answer(query, _NO_PDFS.get(lang), True)
        return
    try:
        for kind, _, name, content in stored:
            what = reviewer_caption(kind).get("zh")
            await send_document(context.bot, user.id, content, name, what)
    except Forbidden:
        log.warning("filing %s: PDFs not sent to reviewer %s (403: no private chat)", filing_id,
                    user.id)  # fmt: skip
        await answer(query, _PDFS_BLOCKED.get(lang), True)
        return

    def record() -> None:
        with session_scope(engine) as session:
            for kind, *_ in stored:
                field = f"pdf:{kind.value}"
                at = services.clock()
                session.add(
                    ConsoleReveal(filing_id=filing_id, reviewer_id=user.id, field=field, at=at)
                )

    await asyncio.to_thread(record)
    log.info("filing %s: PDFs sent privately to reviewer %s", filing_id, user.id)
    await answer(query, _PDFS_SENT.get(lang), True)


def _applicant_buttons(filing: Filing, reviewers: bool, lang: Lang) -> list[tuple[str, str]]:
    state = state_of(filing)
    events = next_actions(state, Role.APPLICANT, reviewers)
    self_report = not (state.step.local and reviewers)
    own = (E.SUBMIT, E.RESUBMIT, E.CANCEL)  # the applicant's own acts, not the bureau's
    buttons = []
    for e in events:
        if e is E.REPORT_CHANGE:
            continue  # 信息变更 below: for any certified step, not only the one in progress
        label, code = _code_of(e, acting_step(state, e, Role.APPLICANT, reviewers).status)
        if self_report and e not in own and label == EVENT_LABELS[e]:
            label = SELF_REPORT_LABELS.get(e, label)  # the applicant records the bureau's word
        buttons.append((label.get(lang), code))
    if state.step.status is FilingStatus.RETURNED:
        buttons.insert(0, (AMEND_LABEL.get(lang), AMEND))
    if changeable(state):
        buttons.insert(0, (CHANGE_LABEL.get(lang), CHANGE))
    if icon_due(state):
        buttons.insert(0, (ICON_LABEL.get(lang), ICON_PLACED))
    if state.status is FilingStatus.PREPARED and filing.connection_date is None:
        buttons.insert(0, (ONLINE_LABEL.get(lang), ONLINE))
    buttons.append((RESEND_LABEL.get(lang), RESEND))
    if state.status is not FilingStatus.CANCELLED:
        buttons.append((WORD_LABEL.get(lang), WORD))
        buttons.append((CALENDAR_LABEL.get(lang), CALENDAR))
    return buttons


def applicant_view(
    filing: Filing, services: Services, reviewers: bool, lang: Lang
) -> tuple[str, list[tuple[str, str]]]:
    """The applicant's status of a filing and its buttons: the text names only those."""
    buttons = _applicant_buttons(filing, reviewers, lang)
    shown = frozenset(label for label, _ in buttons)
    lines = describe(filing, services.context(), lang, masked=False, buttons=shown)
    return "\n".join(lines), buttons


async def send_status(
    context: BotContext,
    chat_id: int,
    user_id: int,
    lang: Lang,
    only: int | None = None,
    *,
    newest_only: bool = False,
) -> bool:
    """Send the applicant one message per filing (or only filing `only`, or only the newest)
    with the buttons that apply; False when the applicant has no filing."""
    services = services_of(context)
    engine = services.db.engine
    reviewers = bool(await asyncio.to_thread(services.reviewers.ids, engine))
    with session_scope(engine) as session:
        applicant = applicant_by_channel(session, CHANNEL, str(user_id))
        filings = filings_of(session, applicant.id) if applicant and applicant.id else []
        filings = [f for f in filings if only is None or f.id == only]
        if newest_only:
            filings = filings[:1]
        for f in filings:
            session.expunge(f)
    if not filings:
        return False
    for filing in filings:
        text, buttons = applicant_view(filing, services, reviewers, lang)
        markup = _keyboard(filing, chat_id, services.button_key, buttons)
        await send_text(context.bot, chat_id, text, markup)
    return True


NEW_FILING = t(
    "新的网站备案：发送 /new 开始新的填写。", "A new site to file: send /new for a new interview."
)


async def resend_latest(context: BotContext, chat_id: int, user_id: int) -> bool:
    """`/documents`: send the newest filing's PDFs again and offer its Word copies; False
    when there is no filing."""
    services = services_of(context)
    with session_scope(services.db.engine) as session:
        applicant = applicant_by_channel(session, CHANNEL, str(user_id))
        found = filings_of(session, applicant.id) if applicant and applicant.id else []
        newest = found[0] if found else None
        if newest is not None:
            session.expunge(newest)
    if newest is None or newest.id is None:
        return False
    await resend_documents(context, chat_id, newest.id)
    if newest.status is not FilingStatus.CANCELLED:
        lang = await asyncio.to_thread(_applicant_lang, services, newest.id)
        word = [(WORD_LABEL.get(lang), WORD)]
        markup = _keyboard(newest, chat_id, services.button_key, word)
        assert markup is not None
        await offer_word_copies(context, chat_id, lang, markup)
    return True


async def resend_documents(context: BotContext, chat_id: int, filing_id: int) -> None:
    """Send a filing's latest PDFs again, as stored (not rendered again)."""
    services = services_of(context)
    every = [k.value for k in DocumentKind]
    lang = await asyncio.to_thread(_applicant_lang, services, filing_id)
    for kind, individual, name, content in _stored(services.db.engine, filing_id, every):
        what = caption(kind, individual=individual).get(lang)
        await send_document(context.bot, chat_id, content, name, what)


async def on_filing_button(
    update: Update, context: BotContext, asking: str, code: str, message: Message
) -> None:
    """A button of a status message or a reviewer's card (its signature is already checked)."""
    query = update.callback_query
    assert query is not None
    services = services_of(context)
    user = query.from_user
    lang = ui.language_of(user.language_code)
    parsed = parse_asking(asking)
    if parsed is None:
        await answer(query, ui.DEAD_BUTTON.get(lang))
        return
    filing_id, version = parsed
    engine = services.db.engine
    role = await _role(services, user.id, message.chat.id, _bureau_code(code))
    if role is None:
        log.info("filing button refused: user %s is not a reviewer", user.id)
        await answer(query, NOT_A_REVIEWER.get(lang), True)
        return
    if code == PDFS:  # a card's 私发PDF: registered reviewers only, to their private chat
        if role is not Role.REVIEWER:
            log.info("filing button refused: user %s asked for PDFs, not a reviewer", user.id)
            await answer(query, NOT_A_REVIEWER.get(lang), True)
            return
        await _send_pdfs_privately(context, query, filing_id, lang)
        return
    if code == RESEND and role is Role.APPLICANT:
        await answer(query)
        if await _owns(services, filing_id, user.id):
            await resend_documents(context, message.chat.id, filing_id)
        return
    if code == WORD and role is Role.APPLICANT:  # the Word copies, made on demand
        await query.answer()
        if await _owns(services, filing_id, user.id):
            await send_word_copies(context, message.chat.id, filing_id)
        return
    if code in NOTES and role is Role.APPLICANT:
        await _applicant_note(context, query, message, filing_id, code, lang)
        return
    event_of_press = _event_of(code)
    if event_of_press is not None and not await _may_act(
        services, filing_id, version, role, event_of_press
    ):
        log.info("filing button refused: user %s may not %s", user.id, event_of_press.value)
        refusal = NOT_A_REVIEWER if role is Role.APPLICANT and _bureau_code(code) else _NOT_NOW
        await answer(query, refusal.get(lang), True)  # at the first press, before any prompt
        await _refresh(context, message, filing_id, role, lang)
        return
    if code == CODES[E.RETURN]:  # its reasons, as buttons in the card (pressed twice: the same)
        await answer(query)
        buttons = [(r.get(lang), f"r{i}") for i, r in enumerate(RETURN_REASONS)]
        buttons.append(("其他原因（回复输入）" if lang == "zh" else "Other (type it)", OWN_REASON))
        with session_scope(engine) as session:
            filing = session.get(Filing, filing_id)
            if filing is None or filing.version != version:
                await _refresh(context, message, filing_id, role, lang)
                return
            markup = _keyboard(filing, message.chat.id, services.button_key, buttons)
        await edit_buttons(context.bot, message.chat.id, message.message_id, markup)
        return
    if code in _PROMPTS:  # what must be typed: a return's reasons, the 公安备案号, why 注销
        await answer(query)
        await ask_typed(context, message.chat.id, f"F{filing_id}.{version}.{code}", lang)
        return
    reasons: tuple[str, ...] = ()
    if code.startswith("r") and code[1:].isdigit() and int(code[1:]) < len(RETURN_REASONS):
        event, reasons = E.RETURN, (RETURN_REASONS[int(code[1:])].zh,)
    elif code == CHANGE_OK:
        event = E.CERTIFY  # the reported change accepted: the filing keeps its number
    elif code in EVENTS:
        event = EVENTS[code]
    else:
        await answer(query, ui.DEAD_BUTTON.get(lang))
        return
    ticket = current_ticket()
    outcome = await asyncio.to_thread(
        lambda: act(
            engine,
            filing_id,
            event=event,
            who=Actor(role, str(user.id)),
            ctx=services.context(),
            clock=services.clock,
            reviewers=services.reviewers,
            applicant_external_id=str(user.id),
            expected_version=version,
            reasons=reasons,
            inbox=ticket.key if ticket is not None else None,
            reply=_notices_plan,
        )
    )
    if _handled(ticket, outcome):
        await answer(query)
        return
    if outcome.refusal is not None:
        log.info("filing %s: %s by user %s refused", filing_id, event.value, user.id)
        await answer(query, outcome.refusal.get(lang), True)
        await _refresh(context, message, filing_id, role, lang)
        return
    await answer(query)
    done = t(f"✔ {user.full_name}：{EVENT_LABELS[event].zh}", f"✔ {user.full_name}: "
             f"{EVENT_LABELS[event].en}")  # fmt: skip
    await _refresh(context, message, filing_id, role, lang, done.get(lang))
    await deliver_notices(services, context.bot, outcome.notices)


async def _applicant_note(
    context: BotContext, query: Any, message: Message, filing_id: int, code: str, lang: Lang
) -> None:
    """The applicant's own notes from a reminder or a status message: the icon is placed, the
    materials are handed in, or the deadlines as a calendar file."""
    services = services_of(context)
    user = query.from_user
    if not await _owns(services, filing_id, user.id):
        await answer(query, ui.DEAD_BUTTON.get(lang), True)
        return
    if code == CALENDAR:
        found = await asyncio.to_thread(calendar_file, services, filing_id, lang)
        if found is None:
            await answer(query, _NO_DATES.get(lang), True)
            return
        await answer(query)
        await send_document(context.bot, message.chat.id, found[1], found[0])
        return
    engine = services.db.engine
    reviewers = bool(await asyncio.to_thread(services.reviewers.ids, engine))
    with session_scope(engine) as session:
        filing = session.get(Filing, filing_id)
        self_report = filing is not None and E.RECEIVE_MATERIALS in next_actions(
            state_of(filing), Role.APPLICANT, reviewers
        )
    if code == MATERIALS_HANDED and self_report:
        outcome = await asyncio.to_thread(
            lambda: act(
                engine,
                filing_id,
                event=E.RECEIVE_MATERIALS,
                who=Actor(Role.APPLICANT, str(user.id)),
                ctx=services.context(),
                clock=services.clock,
                reviewers=services.reviewers,
                applicant_external_id=str(user.id),
            )
        )
        await answer(query, (outcome.refusal or _NOTED).get(lang), True)
        await deliver_notices(services, context.bot, outcome.notices)
        return
    if code == ICON_PLACED:
        told = await asyncio.to_thread(
            lambda: record_icon(
                engine,
                filing_id,
                channel=CHANNEL,
                external_id=str(user.id),
                on=services.context().today,
                clock=services.clock,
            )
        )
        await answer(query, told.get(lang), True)
        await _refresh(context, message, filing_id, Role.APPLICANT, lang)
        return
    with session_scope(engine) as session:
        stop_reminders(session, filing_id, ReminderKind.MATERIALS)
    await answer(query, _MATERIALS_NOTED.get(lang), True)
    await edit_buttons(context.bot, message.chat.id, message.message_id)  # the reminder's


_NOTED = t("已记录。", "Recorded.")
_MATERIALS_NOTED = t(
    "已记录，不再提醒送材料；网安部门收到后会在这里确认。",
    "Recorded: no more reminders; the bureau confirms receipt here.",
)


_NO_DATES = t("这份备案目前没有待办的期限。", "This filing has no deadline coming.")


def calendar_file(services: Services, filing_id: int, lang: Lang) -> tuple[str, bytes] | None:
    """The filing's deadlines as an iCalendar file (name, content); None when it has none."""
    with session_scope(services.db.engine) as session:
        filing = session.get(Filing, filing_id)
        dates = deadline_dates(session, filing_id) if filing is not None else []
        dated = [d for d in dates if KINDS[ReminderKind(d[0])].calendar is not None]
        if filing is None or not dated:
            return None
        from bot.calendar import calendar_of  # icalendar: loaded when a calendar is asked for

        content = calendar_of(filing, dated, services.context(), lang)
        return f"beian-{filing_id}.ics", content


PROMPT_TTL = dt.timedelta(minutes=30)  # a prompt typed to later than this starts afresh
# Prompts a private chat's next message answers even without Telegram's reply feature: what
# only a reviewer is asked (and the online date, refused politely when it is no date). Not
# 注销: a stray message must never cancel a filing. In groups the bot (privacy mode on) sees
# only replies to its messages, so there a reply is needed.
_TYPED_WITHOUT_REPLY = {OWN_REASON, CODES[E.CERTIFY], ONLINE}


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
        services.prompts.pop(message.chat.id, None)  # a command: the prompt is given up
        return False
    services.prompts.pop(message.chat.id, None)
    filing_id, version, code = int(match.group(1)), int(match.group(2)), match.group(3)
    user = message.from_user
    assert user is not None
    lang = ui.language_of(user.language_code)
    engine = services.db.engine
    role = await _role(services, user.id, message.chat.id, _bureau_code(code))
    if role is None:
        log.info("a reply by user %s refused: not a reviewer", user.id)
        return True
    text = message.text.strip()
    if code == ONLINE:
        day = parse_date(text, services.context().today)
        told = (
            await asyncio.to_thread(
                lambda: record_online(
                    engine,
                    filing_id,
                    channel=CHANNEL,
                    external_id=str(user.id),
                    on=day,
                    ctx=services.context(),
                    clock=services.clock,
                )
            )
            if isinstance(day, dt.date)
            else day
        )
        await reply(context.bot, message, told.get(lang))
        return True
    if code == OWN_REASON:
        if len(text) > REASON_LIMIT:  # never cut: half a reason would be read as the whole
            ref = f"F{filing_id}.{version}.{code}"
            await ask_typed(context, message.chat.id, ref, lang, _too_long(len(text)).get(lang))
            return True
        kwargs: dict[str, Any] = {"event": E.RETURN, "reasons": (text,)}
    elif code == CODES[E.CANCEL]:
        read = read_cancellation(text, services.context().today)
        if isinstance(read, Text):
            await reply(context.bot, message, read.get(lang))
            return True
        on, reason = read
        kwargs = {"event": E.CANCEL, "note": reason, "on": on, "lang": lang}
        kwargs["holder"] = services.holder
    else:
        number, _, certificate = text.partition(" ")
        kwargs = {
            "event": E.CERTIFY,
            "psb_number": number,
            "certificate_number": certificate.strip()[:64] or None,
        }
    ticket = current_ticket()
    label = EVENT_LABELS[kwargs["event"]].get(lang)

    def plan(notices: tuple[int, ...], delivery: int | None) -> list[Any]:
        documents = [{"op": "documents", "delivery": delivery}] if delivery is not None else []
        said = {"op": "replies", "replies": [{"text": f"✔ {label}"}]}
        return [said, *documents, *(_notices_plan(notices, delivery) or [])]

    outcome = await asyncio.to_thread(
        lambda: act(
            engine,
            filing_id,
            who=Actor(role, str(user.id)),
            ctx=services.context(),
            clock=services.clock,
            reviewers=services.reviewers,
            applicant_external_id=str(user.id),
            expected_version=version,
            inbox=ticket.key if ticket is not None else None,
            reply=plan,
            **kwargs,
        )
    )
    if _handled(ticket, outcome):
        return True
    if outcome.refusal is not None:
        log.info("filing %s: reply by user %s refused", filing_id, user.id)
        moved = outcome.decision is None and _moved(services, filing_id, version)
        if code == CODES[E.CERTIFY] and not moved:  # a bad number: asked again at once
            ref = f"F{filing_id}.{version}.{code}"
            await ask_typed(context, message.chat.id, ref, lang, outcome.refusal.get(lang))
            return True
        await reply(context.bot, message, outcome.refusal.get(lang))
        return True
    await reply(context.bot, message, f"✔ {label}")
    if outcome.delivery is not None:  # the cancellation's written statement
        await deliver_documents(services, context.bot, outcome.delivery, message.chat.id)
    await deliver_notices(services, context.bot, outcome.notices)
    return True


def _too_long(length: int) -> Text:
    return t(
        f"退回原因最多{REASON_LIMIT}字（这次是{length}字），还没有记录。请精简后再回复。",
        f"A return's reasons take at most {REASON_LIMIT} characters (these have {length}); "
        "nothing was recorded. Please shorten them and reply again.",
    )


def _notices_plan(notices: tuple[int, ...], _delivery: int | None) -> list[Any] | None:
    """What a reviewer's (or an applicant's) action sends after its commit, stored with it."""
    return [{"op": "notices", "ids": list(notices)}] if notices else None


def _handled(ticket: Ticket | None, outcome: Outcome) -> bool:
    """Note on the update's ticket that `act` marked it done (with its replies, to clear once
    sent); True when another instance had handled it already (nothing to say)."""
    if ticket is not None and (outcome.done or outcome.repeated):
        ticket.done = True
        ticket.replies = outcome.done
    return outcome.repeated


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


async def on_review_invite(update: Update, context: BotContext, code: str) -> None:
    """`/start review-<code>`: the opener of a valid invite becomes a reviewer."""
    message = update.message
    assert message is not None
    assert message.from_user is not None
    services = services_of(context)
    user = message.from_user
    lang = ui.language_of(user.language_code)
    with session_scope(services.db.engine) as session:
        reviewer = redeem_invite(session, code, user.id, user.full_name, services.clock())
    if reviewer is None:
        log.info("review invite refused for user %s", user.id)
        await reply(
            context.bot,
            message,
            t("邀请链接无效或已过期。", "This invite is not valid or has expired.").get(lang),
        )
        return
    log.info("user %s became a reviewer by invite", user.id)
    await reply(
        context.bot,
        message,
        t(
            "已登记为审核人员。新的备案和变更会发给你（或审核群），按卡片上的按钮处理。",
            "You are now a reviewer: new filings and changes come to you (or the review "
            "group) as cards with buttons.",
        ).get(lang),
    )


def _bureau_code(code: str) -> bool:
    """Say whether a button records a bureau's outcome (a pass, a return and its reasons,
    materials, the certificate) rather than the applicant's own act."""
    bureau = {CODES[e] for e in (E.PASS_INITIAL_REVIEW, E.RETURN, E.RECEIVE_MATERIALS, E.CERTIFY)}
    bureau.add(CHANGE_OK)
    bureau.add(PDFS)  # not an outcome, but the reviewers' alone
    return code in bureau or code == OWN_REASON or (code[:1] == "r" and code[1:].isdigit())


async def _role(services: Services, user_id: int, chat_id: int, bureau_act: bool) -> Role | None:
    """Who acts: a reviewer recording a bureau's outcome in their private chat or the review
    chat; otherwise the applicant in their private chat (a reviewer may be an applicant too);
    None for anyone else (a non-reviewer in the review group)."""
    reviewer_ids = await asyncio.to_thread(services.reviewers.ids, services.db.engine)
    private = chat_id == user_id
    in_place = private or chat_id == services.reviewers.review_chat
    if bureau_act and user_id in reviewer_ids and in_place:
        return Role.REVIEWER
    return Role.APPLICANT if private else None


def _moved(services: Services, filing_id: int, version: int) -> bool:
    """Say whether the filing moved past the version a prompt was asked for."""
    with session_scope(services.db.engine) as session:
        filing = session.get(Filing, filing_id)
        return filing is None or filing.version != version


NOT_A_REVIEWER = t(
    "你不是审核人员（或已被移除），不能登记网安部门的审核结果。",
    "You are not (or no longer) a reviewer: you cannot record the bureau's outcome.",
)
_NOT_NOW = t("这一步现在不能办理。", "This cannot be done now.")


def _event_of(code: str) -> E | None:
    """The lifecycle event a button leads to (a prompt's too), or None for a note."""
    if code in (OWN_REASON,) or (code[:1] == "r" and code[1:].isdigit()):
        return E.RETURN
    if code == CHANGE_OK:
        return E.CERTIFY
    return EVENTS.get(code)


async def _may_act(services: Services, filing_id: int, version: int, role: Role, event: E) -> bool:
    """Say whether `role` may do `event` on the filing now (the decision checks it again; a
    filing moved past the button's version is left to it, which says who moved it)."""
    engine = services.db.engine
    reviewers = bool(await asyncio.to_thread(services.reviewers.ids, engine))
    with session_scope(engine) as session:
        filing = session.get(Filing, filing_id)
        if filing is None or filing.version != version:
            return True
        return event in next_actions(state_of(filing), role, reviewers)


async def _owns(services: Services, filing_id: int, user_id: int) -> bool:
    with session_scope(services.db.engine) as session:
        filing = session.get(Filing, filing_id)
        applicant = session.get(Applicant, filing.applicant_id) if filing else None
        return applicant is not None and applicant.external_id == str(user_id)


async def _refresh(
    context: BotContext,
    message: Message,
    filing_id: int,
    role: Role,
    lang: Lang,
    done: str | None = None,
) -> None:
    """Show the filing as it is now in the pressed message, with the buttons that apply."""
    services = services_of(context)
    reviewers = bool(await asyncio.to_thread(services.reviewers.ids, services.db.engine))
    with session_scope(services.db.engine) as session:
        filing = session.get(Filing, filing_id)
        if filing is None:
            return
        session.expunge(filing)
    if role is Role.REVIEWER:
        lines = filing_lines(filing, services, lang, masked=True)
        buttons = _reviewer_buttons(filing, reviewers, lang)
    else:
        text, buttons = applicant_view(filing, services, reviewers, lang)
        lines = [text]
    if done:
        lines.append(done)
    markup = _keyboard(filing, message.chat.id, services.button_key, buttons)
    # pressed twice, or by two reviewers: the same text and buttons again, taken as done
    await edit_text(context.bot, message.chat.id, message.message_id, "\n".join(lines), markup)


async def deliver_notices(services: Services, bot: Any, ids: tuple[int, ...] | list[int]) -> None:
    """Send the notices of a transition (claimed first, so another instance sends none twice):
    updates to the applicant, cards to reviewers with the buttons of their next actions."""
    if not ids:
        return
    engine = services.db.engine
    now = services.clock()
    reviewers = bool(await asyncio.to_thread(services.reviewers.ids, engine))
    with session_scope(engine) as session:
        rows = outbox.claim_due(
            session, worker=services.holder, now=now, kinds=("notice",), limit=50
        )
        claimed = [r for r in rows if r.id in set(ids)] + [r for r in rows if r.id not in ids]
        jobs = []
        for row in claimed:
            filing = session.get(Filing, row.filing_id) if row.filing_id else None
            applicant = session.get(Applicant, filing.applicant_id) if filing else None
            if filing is not None:
                session.expunge(filing)
            jobs.append((row.id, row.chat_id, dict(row.payload), filing, _lang_of(applicant)))
    for row_id, chat_id, payload, filing, lang in jobs:
        if chat_id is None or filing is None or row_id is None:
            continue
        text = Text.model_validate(payload["text"])
        try:
            if payload.get("kind") == "card":
                card_lang: Lang = "zh"  # the bureau reads Chinese
                head, *detail = text.get(card_lang).split("\n")
                lines = [f"【{head}】", *detail, *filing_lines(
                    filing, services, card_lang, masked=True)]  # fmt: skip
                markup = _keyboard(
                    filing,
                    chat_id,
                    services.button_key,
                    _reviewer_buttons(filing, reviewers, card_lang),
                )
                await send_text(bot, chat_id, "\n".join(lines), markup)
            else:
                markup = _keyboard(
                    filing, chat_id, services.button_key, _applicant_buttons(filing, reviewers,
                                                                             lang)
                )  # fmt: skip
                await send_text(bot, chat_id, text.get(lang), markup)
            # A card carries masked data only (a review group reads it): its PDFs, with full
            # numbers, are sent privately to the reviewer who asks (私发PDF).
            attach = [] if payload.get("kind") == "card" else payload.get("attach") or []
            for kind, individual, name, content in _stored(engine, filing.id, attach):
                what = caption(kind, individual=individual)
                await send_document(bot, chat_id, content, name, what.get(lang))
        except Forbidden as exc:  # blocked, never written to, or removed from the group
            await asyncio.to_thread(
                notice_refused, engine, row_id, chat_id, payload, exc.message, now,
                services.reviewers,
            )  # fmt: skip
            continue
        except TelegramError as exc:
            if refused_for_good(exc):  # the same request would be refused again: not retried
                error = refusal_noted("notice", row_id, chat_id, exc)
                with session_scope(engine) as session:
                    outbox.finish(session, row_id, status=OutboxStatus.FAILED, now=now, error=error)
                continue
            log.info("notice %s not sent: %s", row_id, type(exc).__name__)
            with session_scope(engine) as session:
                later = now + dt.timedelta(minutes=1)
                outbox.retry_later(session, row_id, at=later, error=type(exc).__name__)
            continue
        with session_scope(engine) as session:
            outbox.finish(session, row_id, status=OutboxStatus.SENT, now=services.clock())
            if payload.get("kind") == "card":
                mark_reached(session, chat_id)  # a chat once refused takes cards again


def _stored(
    engine: Any, filing_id: int | None, kinds: list[str]
) -> list[tuple[DocumentKind, bool, str, bytes]]:
    """Return the filing's latest stored PDFs (not its Word copies) of `kinds` in order:
    (kind, whether a person runs the site, file name, content)."""
    if not kinds or filing_id is None:
        return []
    with session_scope(engine) as session:
        filing = session.get(Filing, filing_id)
        individual = filing is not None and is_individual(filing)
        rows = session.exec(
            select(GeneratedDocument)
            .where(GeneratedDocument.filing_id == filing_id, GeneratedDocument.format == "pdf")
            .order_by(col(GeneratedDocument.id))
        ).all()
        latest = {d.filename: (d.kind, d.content) for d in rows}
    return [
        (kind, individual, name, content)
        for name, (kind, content) in latest.items()
        if kind.value in kinds
    ]


def _applicant_lang(services: Services, filing_id: int) -> Lang:
    with session_scope(services.db.engine) as session:
        filing = session.get(Filing, filing_id)
        applicant = session.get(Applicant, filing.applicant_id) if filing else None
        return _lang_of(applicant)


def pending_notices(engine: Any) -> list[int]:
    """Return the ids of notices not sent yet (a crash between commit and send)."""
    with session_scope(engine) as session:
        rows = session.exec(
            select(OutboxMessage.id).where(
                OutboxMessage.kind == "notice", OutboxMessage.status == OutboxStatus.PENDING
            )
        ).all()
        return [int(i) for i in rows if i is not None]
