"""Which due reminders go now, and what each says (issues 13, 25): the use case under every
channel's dispatcher and `beian remind --dry-run`.

A due row is judged on its filing as it is when the dispatcher takes it, not as it was when
the row was planned: in the claim's transaction (`claim`) a row whose step moved on (moot) or
whose series has a later reminder due by today (superseded: a bot that was down sends only
the one that is true now) is closed unsent (`rules.reminders.why_not_sent`); right before its
send (`take`) it is judged again should its filing have moved since (an event in between). The
text is written from the day it goes (`text_of`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from dialogs.model import Context
from models import outbox
from models.database import Database
from models.db import session_scope
from models.filings import REMINDER, state_of
from models.reminders import BATCH, SendingLease, claim_rows, due_rows
from models.tables import Applicant, Filing, OutboxMessage
from rules.enums import FilingStatus, OutboxStatus
from rules.reminders import (
    APPLICANT,
    REVIEWERS,
    SHANGHAI,
    SUPERVISOR,
    Reminder,
    quiet,
    reminder_text,
    why_not_sent,
)
from rules.text import Lang, Text
from rules.workdays import WorkdayCalendar

EVERYONE = frozenset({APPLICANT, REVIEWERS, SUPERVISOR})


@dataclass(frozen=True)
class Due:
    """A claimed reminder row to send: its reminder, its filing as judged, the reader's
    language."""

    row_id: int
    attempts: int
    chat_id: int | None
    reminder: Reminder
    filing: Filing
    lang: Lang


def local_day(moment: dt.datetime) -> dt.date:
    """The day a moment falls on where the reminders are read (Asia/Shanghai)."""
    return moment.astimezone(SHANGHAI).date()


def reachable(chats_of_reviewers: list[int], supervisor_chat: int | None) -> frozenset[str]:
    """Who a reminder can go to now: the applicant, the reviewers when there are any, the
    supervisor when a chat is set."""
    found = {APPLICANT}
    if chats_of_reviewers:
        found.add(REVIEWERS)
    if supervisor_chat is not None:
        found.add(SUPERVISOR)
    return frozenset(found)


def status_of(filing: Filing, order: int) -> FilingStatus:
    """The status a reminder of step `order` is judged by: its step's (cancelled with the
    filing)."""
    if filing.status == FilingStatus.CANCELLED:
        return FilingStatus.CANCELLED
    step = next((s for s in state_of(filing).steps if s.order == order), None)
    return step.status if step is not None else filing.status


def _sort_out(
    session: Any, rows: list[Any], today: dt.date, cal: WorkdayCalendar, who: frozenset[str]
) -> tuple[list[Due], list[tuple[int, str]]]:
    """Split due rows into the reminders to send now and those to close with why (moot,
    superseded, no filing), reading their filings and applicants' languages in `session`."""
    ids = {r[1] for r in rows if r[1] is not None}
    filings = {f.id: f for f in session.exec(select(Filing).where(col(Filing.id).in_(ids)))}
    people = {f.applicant_id for f in filings.values()}
    langs = {
        a.id: a.language
        for a in session.exec(select(Applicant).where(col(Applicant.id).in_(people)))
    }
    for filing in filings.values():
        session.expunge(filing)
    jobs, closed = [], []
    for row_id, filing_id, chat_id, payload, attempts in rows:
        found = filings.get(filing_id)
        if found is None:
            closed.append((row_id, "no filing"))
            continue
        reminder = Reminder.from_json(dict(payload))
        why = why_not_sent(reminder, status_of(found, reminder.step), today, cal, who)
        if why is not None:
            closed.append((row_id, why))
            continue
        lang: Lang = "en" if langs.get(found.applicant_id) == "en" else "zh"
        jobs.append(Due(row_id, attempts, chat_id, reminder, found, lang))
    return jobs, closed


def claim(
    engine: sa.Engine,
    worker: str,
    now: dt.datetime,
    *,
    calendar: WorkdayCalendar,
    who: frozenset[str] = EVERYONE,
    limit: int = BATCH,
    own: bool = False,
    channel: str = "telegram",
) -> tuple[list[Due], int]:
    """Lease the due reminders to `worker` (`own`: also those it held when it stopped) and, in
    the same transaction, close those not to be sent (moot or superseded); return the ones to
    send and how many were closed."""
    with session_scope(engine) as session:
        rows = claim_rows(session, worker, now, limit=limit, own=own, channel=channel)
        rows = sorted(rows, key=lambda r: r[0])
        jobs, closed = _sort_out(session, rows, local_day(now), calendar, who)
        for row_id, why in closed:
            outbox.finish(session, row_id, status=OutboxStatus.CANCELLED, now=now, error=why)
        return jobs, len(closed)


async def take(
    db: Database,
    lease: SendingLease,
    due: Due,
    now: dt.datetime,
    cal: WorkdayCalendar,
    who: frozenset[str],
    *,
    sent: int | None = None,
) -> Due | None:
    """Take a claimed reminder's sending lease right before its send (marking `sent`, the row
    this sender sent last, in the same transaction); when its filing moved since it was judged,
    judge it again on the filing as it is (closing it when it became moot) and try again.
    None: not to be sent (cancelled by an event, or not ours any more)."""
    mark = (sent, now) if sent is not None else None
    for _ in range(3):
        assert due.filing.id is not None
        work = lease.taking(due.row_id, due.filing.id, due.filing.version, now + outbox.LEASE,
                            sent=mark)  # fmt: skip
        if await db.run(work):
            return due
        mark = None  # committed with the failed lease
        again = await asyncio.to_thread(_judge_again, lease, due, now, cal, who)
        if again is None:
            return None
        due = again
    return None


def _judge_again(
    lease: SendingLease, due: Due, now: dt.datetime, cal: WorkdayCalendar, who: frozenset[str]
) -> Due | None:
    """Judge a claimed reminder whose lease was refused again: None when it is not ours any
    more, no longer pending, or moot now (then closed); else with its filing as it is."""
    with session_scope(lease.engine) as session:
        row = session.get(OutboxMessage, due.row_id)
        mine = row is not None and row.claimed_by == lease.worker
        if not mine or row is None or row.status is not OutboxStatus.PENDING:
            return None
        filing = session.get(Filing, due.filing.id)
        why = "no filing"
        if filing is not None:
            status = status_of(filing, due.reminder.step)
            why = why_not_sent(due.reminder, status, local_day(now), cal, who) or ""
        if why:
            outbox.finish(session, due.row_id, status=OutboxStatus.CANCELLED, now=now, error=why)
            return None
        assert filing is not None
        session.expunge(filing)
        return replace(due, filing=filing)


def _due_rows(session: Any, at: dt.datetime, worker: str | None, channel: str) -> list[Any]:
    """The rows a run by `worker` of `channel`'s sender would lease at `at` (`due_rows` is
    Telegram's), as (id, filing_id, chat_id, payload, attempts)."""
    if channel == "telegram":
        return due_rows(session, at, worker)
    free = [col(OutboxMessage.lease_until).is_(None), col(OutboxMessage.lease_until) < at]
    if worker is not None:
        free.append(col(OutboxMessage.claimed_by) == worker)
    statement = (
        sa.select(
            col(OutboxMessage.id),
            col(OutboxMessage.filing_id),
            col(OutboxMessage.chat_id),
            col(OutboxMessage.payload),
            col(OutboxMessage.attempts),
        )
        .where(
            col(OutboxMessage.status) == OutboxStatus.PENDING,
            col(OutboxMessage.due_at) <= at,
            col(OutboxMessage.kind) == REMINDER,
            col(OutboxMessage.channel) == channel,
            sa.or_(*free),
        )
        .order_by(col(OutboxMessage.due_at), col(OutboxMessage.id))
    )
    return list(session.execute(statement).all())


def text_of(reminder: Reminder, filing: Filing, ctx: Context, today: dt.date) -> Text:
    """Write a reminder for its filing as it is now, on `today`."""
    steps = state_of(filing).steps
    step = next((s for s in steps if s.order == reminder.step), None)
    bureau = step.bureau if step is not None else ctx.pack.bureau.name
    return reminder_text(
        reminder, ctx.pack, ctx.calendar, site=filing.site_name, bureau=bureau, today=today
    )


def due_now(
    engine: sa.Engine,
    at: dt.datetime,
    ctx: Context,
    *,
    worker: str | None = None,
    chats_of_reviewers: list[int] | None = None,
    supervisor_chat: int | None = None,
    channels: tuple[str, ...] = ("telegram",),
) -> list[dict[str, Any]]:
    """What a dispatch by `worker` at `at` would send — the rows it would claim, less those it
    would close, each worded in its recipient's language as it would go — without sending or
    marking anything: `beian remind --dry-run`. Nothing in the quiet hours. `channels`: whose
    rows (a WeChat applicant's reminders are sent by `bot.wx.reminders`)."""
    if quiet(at):
        return []
    who = reachable(chats_of_reviewers or [], supervisor_chat)
    with session_scope(engine) as session:
        rows = [row for channel in channels for row in _due_rows(session, at, worker, channel)]
        jobs, _ = _sort_out(session, rows, local_day(at), ctx.calendar, who)
        session.rollback()  # read only
    found = []
    for job in jobs:
        to = job.reminder.to
        if (to == APPLICANT and job.chat_id is None) or to not in who:
            continue  # nobody to tell: the dispatch would close it unsent
        lang: Lang = job.lang if to == APPLICANT else "zh"
        found.append(
            {
                "filing": job.filing.id,
                "to": to,
                "kind": job.reminder.kind,
                "due": job.reminder.due.isoformat(),
                "text": text_of(job.reminder, job.filing, ctx, local_day(at)).get(lang),
            }
        )
    return found
