"""The reminders dispatcher (issue 13): due reminder rows claimed, sent, marked — once.

Rows (outbox kind `reminder`) are written by the decisions that cause them (models.filings.
schedule_reminders). `dispatch` claims due rows with a lease (PostgreSQL `FOR UPDATE SKIP
LOCKED`; SQLite has one writer), sends them (several at once, paced) and marks the batch's
sent ones in one transaction when its sends are done: a crash between a send and the mark
resends those reminders at most once each, and a claimed row whose sender died is free again
when its lease ends. Nothing is sent in the quiet
hours (21:00–08:00 local): a reminder due then goes at the next send time.

Errors: 429 waits `retry_after` and tries again; a timeout or a 5xx is retried later with
backoff (5 attempts, then failed and logged); 400 (a request Telegram refuses: it would be
refused again) fails the row at once, logged with its chat; 403 (the applicant blocked the
bot) marks the row undeliverable and tells the filing's reviewers. `Pacer` keeps the
dispatcher under 25 messages/s overall and 1/s per chat; the bot's own rate limiter still
paces every call.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import Forbidden, RetryAfter, TelegramError

from bot.filing_actions import Reviewers
from bot.tg import ui
from bot.tg.delivery import refusal_noted, refused_for_good, send_text
from dialogs.model import Context
from models import outbox
from models.db import session_scope
from models.filings import NOTICE, REMINDER, state_of
from models.tables import Applicant, Filing, OutboxMessage
from rules.enums import OutboxStatus
from rules.reminders import ACTIONS, APPLICANT, SUPERVISOR, Reminder, quiet, reminder_text
from rules.text import Lang, Text, t

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
BATCH = 100
# The button codes a reminder's action sends (bot.tg.filings reads them).
ACTION_CODES = {"filing": "s", "second_bureau": "s", "materials": "sm", "icon": "ic"}


class Pacer:
    """Space sends: at most `rate` per second overall (None: no pacing) and one per second in
    any one chat."""

    def __init__(self, rate: float | None = 25.0, per_chat: float = 1.0) -> None:
        self.gap = 1.0 / rate if rate else 0.0
        self.chat_gap = per_chat
        self._next = 0.0
        self._chats: dict[int, float] = {}

    async def wait(self, chat_id: int) -> None:
        """Wait until a message to `chat_id` may go."""
        if not self.gap:
            return
        now = time.monotonic()
        at = max(now, self._next, self._chats.get(chat_id, 0.0))
        self._next = at + self.gap
        self._chats[chat_id] = at + self.chat_gap
        if at > now:
            await asyncio.sleep(at - now)


@dataclass
class Counts:
    """What a dispatch did."""

    sent: int = 0
    failed: int = 0
    retried: int = 0
    skipped: int = 0
    rows: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _Job:
    row_id: int
    attempts: int
    chat_id: int | None
    reminder: Reminder
    filing: Filing
    lang: Lang


def claim_rows(
    session: Any, worker: str, now: dt.datetime, *, limit: int = BATCH, own: bool = False
) -> list[Any]:
    """Lease up to `limit` due reminder rows to `worker` in one statement (`UPDATE … WHERE id
    IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING …`, on the partial index of pending rows'
    due time); `own`: also those it held when it stopped. Returns (id, filing_id, chat_id,
    payload, attempts) rows."""
    free = [col(OutboxMessage.lease_until).is_(None), col(OutboxMessage.lease_until) < now]
    if own:
        free.append(col(OutboxMessage.claimed_by) == worker)
    due = (
        sa.select(col(OutboxMessage.id))
        .where(
            col(OutboxMessage.status) == OutboxStatus.PENDING,
            col(OutboxMessage.due_at) <= now,
            col(OutboxMessage.kind) == REMINDER,
            sa.or_(*free),
        )
        .order_by(col(OutboxMessage.due_at), col(OutboxMessage.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        sa.update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(due.scalar_subquery()))
        .values(
            claimed_by=worker,
            lease_until=now + outbox.LEASE,
            attempts=col(OutboxMessage.attempts) + 1,
        )
        .returning(
            col(OutboxMessage.id),
            col(OutboxMessage.filing_id),
            col(OutboxMessage.chat_id),
            col(OutboxMessage.payload),
            col(OutboxMessage.attempts),
        )
    )
    return list(session.execute(statement).all())


def claim(
    engine: sa.Engine, worker: str, now: dt.datetime, *, limit: int = BATCH, own: bool = False
) -> list[_Job]:
    """Lease the due reminders to `worker` (`own`: also those it held when it stopped)."""
    with session_scope(engine) as session:
        rows = sorted(claim_rows(session, worker, now, limit=limit, own=own), key=lambda r: r[0])
        ids = {r[1] for r in rows if r[1] is not None}
        filings = {f.id: f for f in session.exec(select(Filing).where(col(Filing.id).in_(ids)))}
        people = {f.applicant_id for f in filings.values()}
        langs = {
            a.id: a.language
            for a in session.exec(select(Applicant).where(col(Applicant.id).in_(people)))
        }
        for filing in filings.values():
            session.expunge(filing)
        jobs = []
        for row_id, filing_id, chat_id, payload, attempts in rows:
            found = filings.get(filing_id)
            if found is None:
                continue
            lang: Lang = "en" if langs.get(found.applicant_id) == "en" else "zh"
            reminder = Reminder.from_json(dict(payload))
            jobs.append(_Job(row_id, attempts, chat_id, reminder, found, lang))
        return jobs


def text_of(job_reminder: Reminder, filing: Filing, ctx: Context) -> Text:
    """Write a reminder for its filing as it is now."""
    steps = state_of(filing).steps
    step = next((s for s in steps if s.order == job_reminder.step), None)
    bureau = step.bureau if step is not None else ctx.pack.bureau.name
    return reminder_text(job_reminder, ctx.pack, ctx.calendar, site=filing.site_name, bureau=bureau)


def due_now(engine: sa.Engine, at: dt.datetime, ctx: Context) -> list[dict[str, Any]]:
    """What a dispatch at `at` would send (nothing in the quiet hours), without sending:
    `beian remind --dry-run`."""
    if quiet(at):
        return []
    with session_scope(engine) as session:
        rows = session.exec(
            select(OutboxMessage)
            .where(
                OutboxMessage.kind == REMINDER,
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.due_at <= at,
            )
            .order_by(col(OutboxMessage.due_at), col(OutboxMessage.id))
        ).all()
        found = []
        for row in rows:
            filing = session.get(Filing, row.filing_id) if row.filing_id else None
            if filing is None:
                continue
            reminder = Reminder.from_json(dict(row.payload))
            found.append(
                {
                    "filing": filing.id,
                    "to": reminder.to,
                    "kind": reminder.kind,
                    "due": reminder.due.isoformat(),
                    "text": text_of(reminder, filing, ctx).zh,
                }
            )
        return found


def _markup(job: _Job, chat_id: int, key: bytes) -> InlineKeyboardMarkup | None:
    label = ACTIONS.get(job.reminder.kind)
    if label is None or job.reminder.to != APPLICANT:
        return None
    asking = f"F{job.filing.id}.{job.filing.version}"
    data = ui.callback_data(asking, ACTION_CODES[job.reminder.kind], chat_id, key)
    return InlineKeyboardMarkup([[InlineKeyboardButton(label.get(job.lang), callback_data=data)]])


async def dispatch(
    engine: sa.Engine,
    bot: Any,
    *,
    context: Callable[[], Context],
    clock: Callable[[], dt.datetime],
    worker: str,
    reviewers: Reviewers,
    button_key: bytes,
    supervisor_chat: int | None = None,
    pacer: Pacer | None = None,
    own: bool = False,
    until_empty: bool = True,
    concurrency: int = 4,
) -> Counts:
    """Send the due reminders (batch after batch while `until_empty`); see the module. Up to
    `concurrency` sends are in flight at once (the pacer still spaces them); the sent ones of
    a batch are marked together once its sends are done."""
    counts = Counts()
    pacer = pacer or Pacer()
    first = True
    while True:
        now = clock()
        if quiet(now):
            return counts
        jobs = await asyncio.to_thread(claim, engine, worker, now, own=own and first)
        first = False
        if not jobs:
            return counts
        sending = _Sending(
            engine, bot, context(), clock, button_key, pacer, counts,
            await asyncio.to_thread(reviewers.chats, engine), supervisor_chat,
        )  # fmt: skip
        sent: list[int] = []
        try:
            await sending.batch(jobs, concurrency, sent)
        finally:  # marked even when cancelled midway: what went is not sent again
            await asyncio.to_thread(_mark_sent, engine, sent, clock())
        counts.sent += len(sent)
        counts.rows += sent
        if not until_empty:
            return counts


@dataclass
class _Sending:
    """What sending one claimed batch needs."""

    engine: sa.Engine
    bot: Any
    ctx: Context
    clock: Callable[[], dt.datetime]
    key: bytes
    pacer: Pacer
    counts: Counts
    chats_of_reviewers: list[int]
    supervisor_chat: int | None

    async def batch(self, jobs: list[_Job], concurrency: int, sent: list[int]) -> None:
        """Send a batch, up to `concurrency` chats at once, each chat's reminders in their
        order (due time, then id); `sent` collects the rows that went."""
        gate = asyncio.Semaphore(max(1, concurrency))
        chats: dict[object, list[_Job]] = {}
        for job in jobs:  # reviewers' and the supervisor's share their chats: one queue
            chats.setdefault(job.chat_id if job.reminder.to == APPLICANT else "bureau", []).append(
                job
            )

        async def in_order(queue: list[_Job]) -> None:
            async with gate:
                for job in queue:
                    if await self.one(job):
                        sent.append(job.row_id)

        await asyncio.gather(*(in_order(queue) for queue in chats.values()))

    async def one(self, job: _Job) -> bool:
        """Send one reminder; True when it went (its row is then marked with its batch)."""
        engine, clock, counts = self.engine, self.clock, self.counts
        if job.reminder.to == APPLICANT:
            chats = [job.chat_id] if job.chat_id is not None else []
        elif job.reminder.to == SUPERVISOR:
            chats = [self.supervisor_chat] if self.supervisor_chat is not None else []
        else:
            chats = self.chats_of_reviewers
        if not chats:  # nobody to tell (no supervisor configured, no reviewers): nothing to send
            await asyncio.to_thread(
                _close, engine, job.row_id, clock(), OutboxStatus.CANCELLED, "no chat"
            )
            counts.skipped += 1
            return False
        lang: Lang = job.lang if job.reminder.to == APPLICANT else "zh"
        text = text_of(job.reminder, job.filing, self.ctx).get(lang)
        try:
            for chat_id in chats:
                markup = _markup(job, chat_id, self.key)
                await _send_with_waits(self.bot, self.pacer, chat_id, text, markup)
        except Forbidden:
            log.info("reminder %s not delivered: the bot may not write to that chat", job.row_id)
            await asyncio.to_thread(_undeliverable, engine, job, clock(), self.chats_of_reviewers)
            counts.failed += 1
            return False
        except TelegramError as exc:
            if refused_for_good(exc):  # the same request would be refused again: not retried
                error = refusal_noted("reminder", job.row_id, chat_id, exc)
                await asyncio.to_thread(
                    _close, engine, job.row_id, clock(), OutboxStatus.FAILED, error
                )
                counts.failed += 1
                return False
            await asyncio.to_thread(_later, engine, job, clock(), type(exc).__name__, counts)
            return False
        return True


async def _send_with_waits(
    bot: Any, pacer: Pacer, chat_id: int, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Send one message; on 429 wait as long as Telegram says, then try again (5 times)."""
    for attempt in range(MAX_ATTEMPTS):
        await pacer.wait(chat_id)
        try:
            await send_text(bot, chat_id, text, markup)  # no Message built from the answer
            return
        except RetryAfter as exc:
            with warnings.catch_warnings():  # PTB 22 warns that the type will change
                warnings.simplefilter("ignore")
                wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
            log.info("reminder to a chat: 429, waiting %.1f s (try %d)", seconds, attempt + 1)
            await asyncio.sleep(seconds)
    raise TelegramError("still 429 after retries")


def _mark_sent(engine: sa.Engine, ids: list[int], now: dt.datetime) -> None:
    """Close sent rows, in one statement."""
    if not ids:
        return
    with session_scope(engine) as session:
        session.execute(
            sa.update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(ids))
            .values(status=OutboxStatus.SENT, sent_at=now, lease_until=None)
        )


def _close(
    engine: sa.Engine, row_id: int, now: dt.datetime, status: OutboxStatus, error: str | None
) -> None:
    with session_scope(engine) as session:
        outbox.finish(session, row_id, status=status, now=now, error=error)


def _later(engine: sa.Engine, job: _Job, now: dt.datetime, error: str, counts: Counts) -> None:
    """A transient failure: again later with backoff, or failed after MAX_ATTEMPTS."""
    with session_scope(engine) as session:
        if job.attempts >= MAX_ATTEMPTS:
            log.error("reminder %s failed after %d attempts: %s", job.row_id, job.attempts, error)
            outbox.finish(session, job.row_id, status=OutboxStatus.FAILED, now=now, error=error)
            counts.failed += 1
            return
        backoff = dt.timedelta(seconds=min(3600, 30 * 2**job.attempts))
        log.info("reminder %s: %s, trying again in %s", job.row_id, error, backoff)
        outbox.retry_later(session, job.row_id, at=now + backoff, error=error)
        counts.retried += 1


_BLOCKED = t(
    "提醒无法送达：申请人屏蔽了机器人（{site}，{what}）。请通过其他方式联系申请人。",
    "A reminder could not be delivered: the applicant blocked the bot ({site}, {what}). "
    "Please reach them another way.",
)


def _undeliverable(
    engine: sa.Engine, job: _Job, now: dt.datetime, chats_of_reviewers: list[int]
) -> None:
    """403: the row is closed as undeliverable and the filing's reviewers are told."""
    with session_scope(engine) as session:
        outbox.finish(session, job.row_id, status=OutboxStatus.FAILED, now=now, error="403")
        if job.reminder.to != APPLICANT:
            return
        text = _BLOCKED.format(site=job.filing.site_name, what=job.reminder.kind)
        for chat in chats_of_reviewers:
            outbox.add(
                session,
                OutboxMessage(
                    kind=NOTICE,
                    dedupe_key=f"{NOTICE}:blocked:{job.row_id}:{chat}",
                    filing_id=job.filing.id,
                    applicant_id=job.filing.applicant_id,
                    chat_id=chat,
                    due_at=now,
                    payload={
                        "to": "reviewers",
                        "kind": "card",
                        "text": text.model_dump(),
                        "step": job.reminder.step,
                        "attach": [],
                    },
                    created_at=now,
                ),
            )
