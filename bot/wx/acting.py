"""A filing's link tapped (or its reference typed) on WeChat: recorded through the same rules
as a Telegram press (`bot.wx.filings` says which links a filing has).

A lifecycle event goes through `bot.filing_actions.act` on the version the link showed, its
inbox row marked done in the same transaction with the replies it plans (the ✔, a
cancellation's statement, the notices, the filing as it is now): a crash after the commit
sends them after the restart and records nothing twice. The online date and the icon are kept
by `record_online` and `record_icon`; the documents are sent again as fresh links.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from bot.chat_inbox import current_ticket
from bot.filing_actions import NOT_YOURS, act, record_icon, record_online
from bot.wx import texts
from bot.wx.filings import (
    CODES,
    EVENT_CODES,
    ICON_PLACED,
    MATERIALS_HANDED,
    NEEDS_WORDS,
    ONLINE,
    RESEND,
    Asked,
    ref_of,
)
from bot.wx.protocol import Incoming
from dialogs.changing import read_cancellation
from models.db import session_scope
from models.filings import state_of, stop_reminders
from models.tables import Applicant, Filing
from rules.dates import parse_date
from rules.events import Cancel, Certify, Event, Return, make_event
from rules.filing_life import Actor, Role, next_actions
from rules.lifecycle import FilingEvent as E
from rules.reminder_kinds import ReminderKind
from rules.text import REASON_LIMIT, Lang, Text

if TYPE_CHECKING:
    from bot.wx.channel import WeChatChannel

CHANNEL = "wechat"
_ASK = {CODES[E.CERTIFY]: texts.ASK_CERTIFICATE, CODES[E.CANCEL]: texts.ASK_CANCEL,
        CODES[E.RETURN]: texts.ASK_RETURN, ONLINE: texts.ASK_ONLINE}  # fmt: skip


def _owned(channel: WeChatChannel, openid: str, filing_id: int) -> tuple[bool, bool]:
    """Say whether the filing is this person's, and whether E.RECEIVE_MATERIALS is theirs to
    record now (no reviewer of the city records it)."""
    reviewers = bool(channel.reviewers.ids(channel.db.engine))
    with session_scope(channel.db.engine) as session:
        filing = session.get(Filing, filing_id)
        applicant = session.get(Applicant, filing.applicant_id) if filing else None
        if filing is None or applicant is None:
            return False, False
        mine = (applicant.channel, applicant.external_id) == (CHANNEL, openid)
        materials = E.RECEIVE_MATERIALS in next_actions(state_of(filing), Role.APPLICANT, reviewers)
        return mine, materials


def _may(channel: WeChatChannel, filing_id: int, version: int, event: str) -> bool:
    """Say whether the applicant may do `event` now (a filing moved past the link's version
    is left to `act`, which says who moved it)."""
    reviewers = bool(channel.reviewers.ids(channel.db.engine))
    with session_scope(channel.db.engine) as session:
        filing = session.get(Filing, filing_id)
        if filing is None or filing.version != version:
            return True
        return event in next_actions(state_of(filing), Role.APPLICANT, reviewers)


def _event(code: str, words: str, actor: Actor, today: dt.date) -> Event | Text:
    """The event a code records, with its typed words (a cancellation's reason, the
    certificate's numbers), or what is wrong with the words."""
    trigger = EVENT_CODES[code]
    if trigger == E.CANCEL:
        read = read_cancellation(words, today)
        if isinstance(read, Text):
            return read
        return Cancel(actor=actor, on=read[0], reason=read[1])
    if trigger == E.RETURN:  # the applicant records the bureau's return, with its reasons
        if len(words) > REASON_LIMIT:
            return texts.RETURN_TOO_LONG.format(limit=REASON_LIMIT, length=len(words))
        return Return(actor=actor, on=today, reasons=(words,))
    if trigger == E.CERTIFY:
        number, _, certificate = words.partition(" ")
        return Certify(actor=actor, on=today, psb_number=number,
                       certificate=certificate.strip() or None)  # fmt: skip
    if not words.strip():
        return make_event(trigger, actor, today)
    day = parse_date(words, today)  # `F1.1.submit 2026-11-10`: the day it happened
    if isinstance(day, dt.date):
        return make_event(trigger, actor, day)  # a day to come, or before the last: refused
    return texts.ONLY_A_DATE


async def perform(channel: WeChatChannel, incoming: Incoming, asked: Asked) -> bool:
    """Do what a filing's link asks; True when its inbox row was marked done with it."""
    openid = incoming.openid
    lang: Lang = await asyncio.to_thread(channel._lang_of, openid)

    async def say(*said: str) -> bool:
        await channel.send_replies(openid, [{"text": text} for text in said if text])
        return False

    mine, materials = await asyncio.to_thread(_owned, channel, openid, asked.filing_id)
    if not mine:
        return await say(NOT_YOURS.get(lang))
    ref = ref_of(asked.filing_id, asked.version, asked.code)
    if asked.code in NEEDS_WORDS and not asked.words:
        return await say(_ASK[asked.code].fill(lang, ref=ref))
    ctx = channel.context()
    if asked.code == RESEND:
        await channel.send_documents_of(openid, asked.filing_id)
        return False
    if asked.code in (ONLINE, ICON_PLACED):
        return await _note(channel, openid, asked, lang, say)
    code = asked.code
    if code == MATERIALS_HANDED:
        if not materials:  # the bureau confirms the receipt: only its reminders stop
            await asyncio.to_thread(_stop_materials, channel, asked.filing_id)
            return await say(texts.MATERIALS_NOTED.get(lang))
        code = CODES[E.RECEIVE_MATERIALS]
    trigger = EVENT_CODES.get(code)
    if trigger is None:
        return await say(texts.UNKNOWN_ACTION.get(lang))
    if not await asyncio.to_thread(_may, channel, asked.filing_id, asked.version, trigger):
        return await say(texts.NOT_NOW.get(lang))
    event = _event(code, asked.words, Actor(Role.APPLICANT, openid), ctx.today)
    if isinstance(event, Text):
        return await say(event.get(lang), _ASK[code].fill(lang, ref=ref))
    return await _record(channel, incoming, asked, event, lang)


async def _note(
    channel: WeChatChannel,
    openid: str,
    asked: Asked,
    lang: Lang,
    say: Callable[..., Awaitable[bool]],
) -> bool:
    """Record what the applicant notes without a lifecycle event (the site online on a day,
    the icon placed), say what was recorded, then show the filing as it is now."""
    ctx, engine = channel.context(), channel.db.engine
    if asked.code == ONLINE:
        day = parse_date(asked.words, ctx.today)
        if not isinstance(day, dt.date):
            ref = ref_of(asked.filing_id, asked.version, asked.code)
            return await say(day.get(lang), texts.ASK_ONLINE.fill(lang, ref=ref))
        online_on = day

        def record() -> Text:
            return record_online(engine, asked.filing_id, channel=CHANNEL, external_id=openid,
                                 on=online_on, ctx=ctx, clock=channel.clock)  # fmt: skip
    else:

        def record() -> Text:
            return record_icon(engine, asked.filing_id, channel=CHANNEL, external_id=openid,
                               on=ctx.today, clock=channel.clock)  # fmt: skip

    told = await asyncio.to_thread(record)
    await say(told.get(lang))
    await channel.send_status(openid, lang, only=asked.filing_id)
    return False


def _stop_materials(channel: WeChatChannel, filing_id: int) -> None:
    with session_scope(channel.db.engine) as session:
        stop_reminders(session, filing_id, ReminderKind.MATERIALS)


async def _record(
    channel: WeChatChannel, incoming: Incoming, asked: Asked, event: Event, lang: Lang
) -> bool:
    """Record a lifecycle event with its inbox row and its planned replies; send them."""
    done = texts.DONE.fill(lang, label=event.label.get(lang))

    def plan(notices: tuple[int, ...], delivery: int | None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = [{"op": "texts", "items": [{"text": done}]}]
        if delivery is not None:  # a cancellation's written statement
            found.append({"op": "documents", "delivery": delivery})
        if notices:
            found.append({"op": "notices", "ids": list(notices)})
        return [*found, {"op": "status", "lang": lang, "only": asked.filing_id}]

    outcome = await asyncio.to_thread(
        lambda: act(
            channel.db.engine,
            asked.filing_id,
            event,
            ctx=channel.context(),
            clock=channel.clock,
            reviewers=channel.reviewers,
            applicant_external_id=incoming.openid,
            expected_version=asked.version,
            holder=channel.holder,
            lang=lang,
            inbox=(channel.bot_id, incoming.key),
            reply=plan,
        )
    )
    if outcome.repeated:
        return True  # answered before (another instance, or before a crash)
    if outcome.refusal is not None:
        await channel.send_replies(incoming.openid, [{"text": outcome.refusal.get(lang)}])
        return False
    await channel.send_plan(incoming.openid, plan(outcome.notices, outcome.delivery))
    ticket = current_ticket()
    if ticket is not None:  # its stored replies are cleared in the next batch
        ticket.replies = True
    return True
