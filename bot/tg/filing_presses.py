"""What a filing button does on Telegram (issue 12; a table since issue 27): one handler per
button code — the codes of the lifecycle's events derived from their types
(`rules.events.code_of`), the applicant's notes beside them. Presses that need typed words
ask for them (`bot.tg.filing_prompts`).

A press is checked before its handler runs: who presses (a reviewer recording a bureau's
outcome in their chat or the review chat, else the applicant in their private chat), and
whether that role may do the event now (`rules.filing_life.next_actions`); the decision
checks everything again (`bot.filing_actions.act`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatType

from bot.filing_actions import act, record_icon
from bot.tg import ui
from bot.tg.delivery import (
    answer,
    edit_buttons,
    edit_text,
    send_document,
)
from bot.tg.filing_prompts import NOT_A_REVIEWER, ask_typed, role_of
from bot.tg.filings import (
    ACCEPT_CHANGE,
    CALENDAR,
    CHANGE_ACCEPTED,
    CHANNEL,
    CODES,
    ICON_PLACED,
    LEGACY_CODES,
    MATERIALS_HANDED,
    ONLINE,
    OWN_REASON,
    PDFS,
    REASON_CODES,
    RESEND,
    _keyboard,
    _reviewer_buttons,
    applicant_view,
    deliver_notices,
    filing_lines,
    handled,
    notices_plan,
    parse_asking,
    resend_documents,
)
from bot.tg.inbox import Ticket, current_ticket
from bot.tg.review_pdfs import send_pdfs_privately
from bot.tg.services import BotContext, Services, services_of
from bot.tg.word import WORD, send_word_copies
from models.db import session_scope
from models.filings import (
    deadline_dates,
    state_of,
    stop_reminders,
)
from models.tables import Applicant, Filing
from rules.events import EVENT_TYPES, Certify, Event, Return
from rules.filing_life import (
    RETURN_REASONS,
    Actor,
    Role,
    make_event,
    next_actions,
)
from rules.lifecycle import FilingEvent as E
from rules.reminder_kinds import KINDS, ReminderKind
from rules.text import Lang, Text, t

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pressed:
    """A press, checked: where, by whom (as which role), on which filing version."""

    context: BotContext
    query: Any
    message: Message
    filing_id: int
    version: int
    role: Role
    lang: Lang
    code: str

    @property
    def services(self) -> Services:
        """Return the bot's services."""
        return services_of(self.context)

    @property
    def actor(self) -> Actor:
        """Return who acts, as the audit names them before `act` resolves the applicant."""
        return Actor(self.role, str(self.query.from_user.id))


Handler = Callable[[Pressed], Awaitable[None]]


@dataclass(frozen=True)
class Press:
    """What a button code does: the event it records (None: a note) and how; `reviewers`: a
    note for the reviewers alone (私发PDF)."""

    event: type[Event] | None
    handler: Handler
    reviewers: bool = False

    @property
    def bureau(self) -> bool:
        """Say whether a reviewer presses it as a reviewer (a bureau's outcome, or theirs)."""
        return self.reviewers or (self.event is not None and self.event.by_bureau)


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
    code = LEGACY_CODES.get(code, code)  # a card sent before the codes were derived
    press = PRESSES.get(code)
    role = await role_of(services, user.id, message.chat.id, press is not None and press.bureau)
    if role is None:
        log.info("filing button refused: user %s is not a reviewer", user.id)
        await answer(query, NOT_A_REVIEWER.get(lang), True)
        return
    if press is None:
        await answer(query, ui.DEAD_BUTTON.get(lang))
        return
    pressed = Pressed(context, query, message, parsed[0], parsed[1], role, lang, code)
    if press.reviewers and role is not Role.REVIEWER:
        log.info("filing button refused: user %s pressed %s, not a reviewer", user.id, code)
        await answer(query, NOT_A_REVIEWER.get(lang), True)
        return
    if press.event is not None and not await _may_act(pressed, press.event.trigger):
        log.info("filing button refused: user %s may not %s", user.id, press.event.trigger)
        refusal = NOT_A_REVIEWER if role is Role.APPLICANT and press.bureau else _NOT_NOW
        await answer(query, refusal.get(lang), True)  # at the first press, before any prompt
        await _refresh(pressed)
        return
    await press.handler(pressed)


async def _act_now(pressed: Pressed, event: Event | None = None) -> None:
    """Record the press's event at once (no typed words), then show the filing as it is."""
    services, query = pressed.services, pressed.query
    if event is None:
        kind = PRESSES[pressed.code].event
        assert kind is not None  # an event's press
        event = make_event(kind.trigger, pressed.actor, services.context().today)
    ticket = current_ticket()
    outcome = await _acted(pressed, event, ticket=ticket)
    if handled(ticket, outcome):  # another instance answered it already
        await answer(query)
        return
    if outcome.refusal is not None:
        log.info("filing %s: %s by user %s refused", pressed.filing_id, event.name,
                 query.from_user.id)  # fmt: skip
        await answer(query, outcome.refusal.get(pressed.lang), True)
        await _refresh(pressed)
        return
    await answer(query)
    name = query.from_user.full_name
    # the button's own words: 变更审核通过 records a Certify, but nothing was re-reviewed
    label = CHANGE_ACCEPTED if pressed.code == ACCEPT_CHANGE else event.label
    done = t(f"✔ {name}：{label.zh}", f"✔ {name}: {label.en}")
    await _refresh(pressed, done)
    await deliver_notices(services, pressed.context.bot, outcome.notices)


async def _acted(
    pressed: Pressed, event: Event, *, of_version: bool = True, ticket: Ticket | None = None
) -> Any:
    """Apply `event` through `act` (off the event loop), on the version the button showed
    unless not `of_version`; with the update's `ticket`, its inbox row is marked done in the
    same transaction, with the notices to send (bot.tg.inbox); return its outcome."""
    services = pressed.services
    return await asyncio.to_thread(
        lambda: act(
            services.db.engine,
            pressed.filing_id,
            event,
            ctx=services.context(),
            clock=services.clock,
            reviewers=services.reviewers,
            applicant_external_id=str(pressed.query.from_user.id),
            expected_version=pressed.version if of_version else None,
            inbox=ticket.key if ticket is not None else None,
            reply=notices_plan,
        )
    )


async def _return_with_reason(pressed: Pressed) -> None:
    """One of the common reasons pressed: the return is recorded with it."""
    reason = RETURN_REASONS[REASON_CODES.index(pressed.code)]
    today = pressed.services.context().today
    await _act_now(pressed, Return(actor=pressed.actor, on=today, reasons=(reason.zh,)))


async def _offer_reasons(pressed: Pressed) -> None:
    """退回整改: its reasons, as buttons in the card (pressed twice: the same)."""
    services, lang = pressed.services, pressed.lang
    await answer(pressed.query)
    buttons = [(r.get(lang), code) for r, code in zip(RETURN_REASONS, REASON_CODES, strict=True)]
    buttons.append(("其他原因（回复输入）" if lang == "zh" else "Other (type it)", OWN_REASON))
    chat_id = pressed.message.chat.id
    with session_scope(services.db.engine) as session:
        filing = session.get(Filing, pressed.filing_id)
        if filing is None or filing.version != pressed.version:
            await _refresh(pressed)
            return
        markup = _keyboard(filing, chat_id, services.button_key, buttons)
    await edit_buttons(pressed.context.bot, chat_id, pressed.message.message_id, markup)


async def _ask(pressed: Pressed) -> None:
    """What must be typed: an event's data (its prompt: a return's reasons, the 公安备案号,
    why 注销), the online date."""
    await answer(pressed.query)
    ref = f"F{pressed.filing_id}.{pressed.version}.{pressed.code}"
    if pressed.role is Role.REVIEWER:
        card = (pressed.message.chat.id, pressed.filing_id)
        pressed.services.cards[card] = pressed.message.message_id
    await ask_typed(pressed.context, pressed.message.chat.id, ref, pressed.lang)


async def _resend(pressed: Pressed) -> None:
    """Send the filing's documents again (to its applicant)."""
    await answer(pressed.query)
    if await _owns(pressed):
        await resend_documents(pressed.context, pressed.message.chat.id, pressed.filing_id)


async def _word(pressed: Pressed) -> None:
    """Send the Word copies, made on demand (to its applicant)."""
    await pressed.query.answer()
    if await _owns(pressed):
        await send_word_copies(pressed.context, pressed.message.chat.id, pressed.filing_id)


async def _calendar(pressed: Pressed) -> None:
    """Send the filing's deadlines as a calendar file."""
    if not await _owned_or_refused(pressed):
        return
    found = await asyncio.to_thread(calendar_file, pressed.services, pressed.filing_id,
                                    pressed.lang)  # fmt: skip
    if found is None:
        await answer(pressed.query, _NO_DATES.get(pressed.lang), True)
        return
    await answer(pressed.query)
    await send_document(pressed.context.bot, pressed.message.chat.id, found[1], found[0])


async def _icon_placed(pressed: Pressed) -> None:
    """A reminder's 已放置图标: kept on the filing, the icon reminders stop."""
    if not await _owned_or_refused(pressed):
        return
    services, user_id = pressed.services, pressed.query.from_user.id
    told = await asyncio.to_thread(
        lambda: record_icon(
            services.db.engine,
            pressed.filing_id,
            channel=CHANNEL,
            external_id=str(user_id),
            on=services.context().today,
            clock=services.clock,
        )
    )
    await answer(pressed.query, told.get(pressed.lang), True)
    await _refresh(pressed)


async def _materials_handed(pressed: Pressed) -> None:
    """A reminder's 已送材料: recorded as the bureau's receipt where the applicant records
    its outcomes (self-reported), else only its reminders stop (the bureau confirms)."""
    if not await _owned_or_refused(pressed):
        return
    services, lang = pressed.services, pressed.lang
    engine = services.db.engine
    reviewers = bool(await asyncio.to_thread(services.reviewers.ids, engine))
    with session_scope(engine) as session:
        filing = session.get(Filing, pressed.filing_id)
        self_report = filing is not None and E.RECEIVE_MATERIALS in next_actions(
            state_of(filing), Role.APPLICANT, reviewers
        )
    if self_report:
        event = make_event(E.RECEIVE_MATERIALS, pressed.actor, services.context().today)
        outcome = await _acted(pressed, event, of_version=False)  # a reminder's button
        await answer(pressed.query, (outcome.refusal or _NOTED).get(lang), True)
        await deliver_notices(services, pressed.context.bot, outcome.notices)
        return
    with session_scope(engine) as session:
        stop_reminders(session, pressed.filing_id, ReminderKind.MATERIALS)
    await answer(pressed.query, _MATERIALS_NOTED.get(lang), True)
    await edit_buttons(pressed.context.bot, pressed.message.chat.id, pressed.message.message_id)


async def _pdfs(pressed: Pressed) -> None:
    """A card's 私发PDF: the filing's PDFs with full numbers to the reviewer's private chat."""
    await send_pdfs_privately(pressed.context, pressed.query, pressed.filing_id, pressed.lang)


async def _owned_or_refused(pressed: Pressed) -> bool:
    """Say whether the presser owns the filing (else the button is answered as dead)."""
    if await _owns(pressed):
        return True
    await answer(pressed.query, ui.DEAD_BUTTON.get(pressed.lang), True)
    return False


def _event_presses() -> dict[str, Press]:
    """Every event's button, derived from its type: one with data to type asks for it (its
    `prompt`), the rest are recorded at once; 退回整改 first offers its common reasons."""
    found = {
        CODES[e]: Press(kind, _ask if kind.prompt is not None else _act_now)
        for e, kind in EVENT_TYPES.items()
    }
    found[CODES[E.RETURN]] = Press(Return, _offer_reasons)
    found[ACCEPT_CHANGE] = Press(Certify, _act_now)  # the filing keeps its number
    found[OWN_REASON] = Press(Return, _ask)
    found.update({code: Press(Return, _return_with_reason) for code in REASON_CODES})
    return found


# Every button code of a filing message, and what it does.
PRESSES: dict[str, Press] = {
    **_event_presses(),
    RESEND: Press(None, _resend),
    WORD: Press(None, _word),
    CALENDAR: Press(None, _calendar),
    ICON_PLACED: Press(None, _icon_placed),
    MATERIALS_HANDED: Press(None, _materials_handed),
    ONLINE: Press(None, _ask),
    PDFS: Press(None, _pdfs, reviewers=True),
}


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


_NOT_NOW = t("这一步现在不能办理。", "This cannot be done now.")


async def _may_act(pressed: Pressed, event: str) -> bool:
    """Say whether the presser's role may do `event` on the filing now (the decision checks
    it again; a filing moved past the button's version is left to it, which says who moved
    it)."""
    services = pressed.services
    engine = services.db.engine
    reviewers = bool(await asyncio.to_thread(services.reviewers.ids, engine))
    with session_scope(engine) as session:
        filing = session.get(Filing, pressed.filing_id)
        if filing is None or filing.version != pressed.version:
            return True
        return event in next_actions(state_of(filing), pressed.role, reviewers)


async def _owns(pressed: Pressed) -> bool:
    with session_scope(pressed.services.db.engine) as session:
        filing = session.get(Filing, pressed.filing_id)
        applicant = session.get(Applicant, filing.applicant_id) if filing else None
        return applicant is not None and applicant.external_id == str(pressed.query.from_user.id)


async def _refresh(pressed: Pressed, done: Text | None = None) -> None:
    """Show the filing as it is now in the pressed message, with the buttons that apply: in
    a group in Chinese, whoever pressed (the card is everyone's), else in the presser's
    language."""
    message = pressed.message
    lang: Lang = "zh" if message.chat.type != ChatType.PRIVATE else pressed.lang
    await redraw(pressed.context, message.chat.id, message.message_id, pressed.filing_id,
                 pressed.role, lang, done)  # fmt: skip


async def redraw(
    context: BotContext,
    chat_id: int,
    message_id: int,
    filing_id: int,
    role: Role | None,
    lang: Lang,
    done: Text | None = None,
) -> None:
    """Draw a filing's message (a reviewer's card, or the applicant's status) as it is now,
    with the buttons that apply and what was just `done`."""
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
        lines.append(done.get(lang))
    markup = _keyboard(filing, chat_id, services.button_key, buttons)
    # pressed twice, or by two reviewers: the same text and buttons again, taken as done
    await edit_text(context.bot, chat_id, message_id, "\n".join(lines), markup)
