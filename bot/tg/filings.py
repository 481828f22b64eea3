"""The filing's life on Telegram (issue 12): the applicant's /status and buttons, reviewers'
cards, the notices a transition sends. What a press does: `bot.tg.filing_presses`.

Buttons carry `F<filing>.<version>` as their asking and an action code — an event's derived
from its type (`code_of`), a note's its own — signed for the chat they are sent to
(ui.callback_data), so a card acts only in its chat and only on the version it showed: a press
on a card the filing has moved past is refused, with who moved it, and the card is refreshed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from typing import Any

from sqlmodel import col, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import Forbidden, TelegramError

from bot.deliveries import is_individual
from bot.filing_actions import Outcome
from bot.filing_status import describe
from bot.reviewers import notice_refused
from bot.tg import ui
from bot.tg.delivery import (
    refusal_noted,
    refused_for_good,
    send_document,
    send_text,
)
from bot.tg.inbox import Ticket
from bot.tg.services import BotContext, Services, services_of
from bot.tg.word import WORD, offer_word_copies
from documents.captions import caption
from models import outbox
from models.db import session_scope
from models.filings import (
    applicant_by_channel,
    filings_of,
    state_of,
)
from models.reviewers import mark_reached
from models.tables import Applicant, Filing, GeneratedDocument, OutboxMessage
from rules.enums import DocumentKind, FilingStatus, OutboxStatus
from rules.events import EVENT_TYPES, code_of
from rules.filing_life import (
    BUREAU_EVENTS,
    EVENT_LABELS,
    RETURN_REASONS,
    SELF_REPORT_LABELS,
    Role,
    acting_step,
    amendable,
    awaits_online,
    changeable,
    next_actions,
)
from rules.lifecycle import FilingEvent as E
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
from rules.text import Lang, Text, button, t

log = logging.getLogger(__name__)
PREFIX = "F"


CODES: dict[str, str] = {e: code_of(kind) for e, kind in EVENT_TYPES.items()}
EVENTS = {code: event for event, code in CODES.items()}
ACCEPT_CHANGE = f"{CODES[E.CERTIFY]}-kept"  # a reported change accepted: it keeps its number
OWN_REASON = f"{CODES[E.RETURN]}own"  # a return with reasons typed in reply
REASON_CODES = tuple(f"{CODES[E.RETURN]}{i}" for i in range(len(RETURN_REASONS)))
# The applicant's notes (no lifecycle event) and the reopening of a filing's answers.
RESEND = "d"  # send the documents again
AMEND = "fix"  # a returned filing: reopen its answers to fix them
CHANGE = "chg"  # a certified filing: reopen its answers to report a change
ICON_PLACED = "ic"  # a reminder's 已放置图标: the icon reminders stop
MATERIALS_HANDED = "sm"  # a reminder's 已送材料: recorded (self-reported) or its reminders stop
CALENDAR = "ics"  # the filing's deadlines as a calendar file
ONLINE = "on"  # a site not online yet went online (its 30 days start): the date, in reply
PDFS = "pdf"  # reviewers: the filing's PDFs (full ID numbers), sent to the presser privately
NOTES = (RESEND, WORD, ICON_PLACED, MATERIALS_HANDED, CALENDAR, ONLINE)
# What a reminder's button records (rules.reminder_kinds.PressAction.records), as a code.
PRESS_CODES = {"submit": CODES[E.SUBMIT], "materials_handed": MATERIALS_HANDED,
               "icon_placed": ICON_PLACED}  # fmt: skip
# The codes of cards and prompts sent before issue 27 (a card in a chat stays pressable):
# they are read as the derived codes. Drop once no such card can be current.
LEGACY_CODES = {
    "s": CODES[E.SUBMIT],
    "p": CODES[E.PASS_INITIAL_REVIEW],
    "r": CODES[E.RETURN],
    "rs": CODES[E.RESUBMIT],
    "m": CODES[E.RECEIVE_MATERIALS],
    "c": CODES[E.CERTIFY],
    "ch": CODES[E.REPORT_CHANGE],
    "x": CODES[E.CANCEL],
    "cc": ACCEPT_CHANGE,
    "ro": OWN_REASON,
    **{f"r{i}": code for i, code in enumerate(REASON_CODES)},
}
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


CHANGE_ACCEPTED = button("变更审核通过", "Accept the change")


def _code_of(event: str, status: FilingStatus) -> tuple[Text, str]:
    """A button's label and code: a reported change is accepted with the filing's number."""
    if event == E.CERTIFY and status is FilingStatus.CHANGE_REPORTED:
        return CHANGE_ACCEPTED, ACCEPT_CHANGE
    return EVENT_LABELS[event], CODES[event]


def _reviewer_buttons(filing: Filing, reviewers: bool, lang: Lang) -> list[tuple[str, str]]:
    """A card's buttons: the reviewers' next actions, then 私发PDF (a card itself carries
    masked data only: it may be read by a whole review group)."""
    state = state_of(filing)
    events = next_actions(state, Role.REVIEWER, reviewers)
    codes = (_code_of(e, acting_step(state, e, Role.REVIEWER, reviewers).status) for e in events)
    return [*((label.get(lang), code) for label, code in codes), (PDFS_LABEL.get(lang), PDFS)]


PDFS_LABEL = button("私发PDF给我", "Send me the PDFs privately")


def _applicant_buttons(filing: Filing, reviewers: bool, lang: Lang) -> list[tuple[str, str]]:
    state = state_of(filing)
    events = next_actions(state, Role.APPLICANT, reviewers)
    self_report = not (state.step.local and reviewers)
    buttons = []
    for e in events:
        if e == E.REPORT_CHANGE:
            continue  # 信息变更 below: for any certified step, not only the one in progress
        label, code = _code_of(e, acting_step(state, e, Role.APPLICANT, reviewers).status)
        if self_report and e in BUREAU_EVENTS and label == EVENT_LABELS[e]:
            label = SELF_REPORT_LABELS.get(e, label)  # the applicant records the bureau's word
        buttons.append((label.get(lang), code))
    if amendable(state):
        buttons.insert(0, (AMEND_LABEL.get(lang), AMEND))
    if changeable(state):
        buttons.insert(0, (CHANGE_LABEL.get(lang), CHANGE))
    if icon_due(state):
        buttons.insert(0, (ICON_LABEL.get(lang), ICON_PLACED))
    if awaits_online(state):
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
    for kind, individual, name, content in stored_pdfs(services.db.engine, filing_id, every):
        what = caption(kind, individual=individual).get(lang)
        await send_document(context.bot, chat_id, content, name, what)


async def deliver_notices(
    services: Services, bot: Any, ids: tuple[int, ...] | list[int], settled: float = 0.0
) -> None:
    """Send the notices of a transition (claimed first, so another instance sends none twice):
    updates to the applicant, cards to reviewers with the buttons of their next actions.
    `settled` (the sweep): only those due that many seconds ago (a newer one is its writer's)."""
    if not ids:
        return
    engine = services.db.engine
    now = services.clock()
    reviewers = bool(await asyncio.to_thread(services.reviewers.ids, engine))
    with session_scope(engine) as session:
        rows = outbox.claim_due(
            session, worker=services.holder, now=now, kinds=("notice",), limit=50,
            due_before=now - dt.timedelta(seconds=settled) if settled else None,
        )  # fmt: skip
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
        try:
            await _send_notice(services, bot, chat_id, payload, filing, lang, reviewers)
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


async def _send_notice(
    services: Services,
    bot: Any,
    chat_id: int,
    payload: dict[str, Any],
    filing: Filing,
    lang: Lang,
    reviewers: bool,
) -> None:
    """Send one notice: a card (in Chinese, with the reviewers' buttons) or the applicant's
    update (with theirs), then the documents it attaches."""
    text = Text.model_validate(payload["text"])
    card = payload.get("kind") == "card"
    if card:
        head, *detail = text.get("zh").split("\n")  # the bureau reads Chinese
        lines = [f"【{head}】", *detail, *filing_lines(filing, services, "zh", masked=True)]
        buttons = _reviewer_buttons(filing, reviewers, "zh")
        markup = _keyboard(filing, chat_id, services.button_key, buttons)
        await send_text(bot, chat_id, "\n".join(lines), markup)
    else:
        buttons = _applicant_buttons(filing, reviewers, lang)
        markup = _keyboard(filing, chat_id, services.button_key, buttons)
        await send_text(bot, chat_id, text.get(lang), markup)
    # A card carries masked data only (a review group reads it): its PDFs, with full
    # numbers, are sent privately to the reviewer who asks (私发PDF).
    attach = [] if card else payload.get("attach") or []
    for kind, individual, name, content in stored_pdfs(services.db.engine, filing.id, attach):
        what = caption(kind, individual=individual)
        await send_document(bot, chat_id, content, name, what.get(lang))


def notices_plan(notices: tuple[int, ...], _delivery: int | None) -> list[Any] | None:
    """What a reviewer's (or an applicant's) action sends after its commit, stored with it."""
    return [{"op": "notices", "ids": list(notices)}] if notices else None


def handled(ticket: Ticket | None, outcome: Outcome) -> bool:
    """Note on the update's ticket that `act` marked it done (with its replies, to clear once
    sent); True when another instance had handled it already (nothing to say)."""
    if ticket is not None and (outcome.done or outcome.repeated):
        ticket.done = True
        ticket.replies = outcome.done
    return outcome.repeated


def stored_pdfs(
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
        # The filing forms of the newest set only: one per bureau of the route then (a change
        # that moved the site leaves the forms of bureaus it left, under other names, void).
        forms = [d.created_at for d in rows if d.kind is DocumentKind.FILING_FORM]
        newest = max(forms) if forms else None
        latest = {
            d.filename: (d.kind, d.content)
            for d in rows
            if d.kind is not DocumentKind.FILING_FORM or d.created_at == newest
        }
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
