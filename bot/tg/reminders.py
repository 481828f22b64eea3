"""The reminders dispatcher (issue 13): due reminder rows claimed, sent, marked — once.

Rows (outbox kind `reminder`) are written by the decisions that cause them (models.filings.
schedule_reminders). `dispatch` claims due rows with a lease (PostgreSQL `FOR UPDATE SKIP
LOCKED`; SQLite has one writer), sends each and marks it sent in its own transaction right
after: a crash between the send and the mark resends that one reminder at most once, and a
claimed row whose sender died is free again when its lease ends. Nothing is sent in the quiet
hours (21:00–08:00 local): a reminder due then goes at the next send time.

Errors: 429 waits `retry_after` and tries again; a timeout or a 5xx is retried later with
backoff (5 attempts, then failed and logged); 403 (the applicant blocked the bot) marks the
row undeliverable and tells the filing's reviewers. `Pacer` keeps the dispatcher under 25
messages/s overall and 1/s per chat; the bot's own rate limiter still paces every call.
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


def claim(
    engine: sa.Engine, worker: str, now: dt.datetime, *, limit: int = BATCH, own: bool = False
) -> list[_Job]:
    """Lease the due reminders to `worker` (`own`: also those it held when it stopped)."""
    with session_scope(engine) as session:
        rows = outbox.claim_due(
            session, worker=worker, now=now, kinds=(REMINDER,), limit=limit, include_own=own
        )
        jobs = []
        for row in rows:
            filing = session.get(Filing, row.filing_id) if row.filing_id else None
            if filing is None or row.id is None:
                continue
            applicant = session.get(Applicant, filing.applicant_id)
            session.expunge(filing)
            lang: Lang = "en" if applicant is not None and applicant.language == "en" else "zh"
            reminder = Reminder.from_json(dict(row.payload))
            jobs.append(_Job(row.id, row.attempts, row.chat_id, reminder, filing, lang))
        return jobs


def text_of(job_reminder: Reminder, filing: Filing, ctx: Context) -> Text:
    """Write a reminder for its filing as it is now."""
    state = state_of(filing)
    step = next((s for s in state.steps if s.order == job_reminder.step), state.step)
    return reminder_text(
        job_reminder, ctx.pack, ctx.calendar, site=filing.site_name, bureau=step.bureau
    )


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
) -> Counts:
    """Send the due reminders (batch after batch while `until_empty`); see the module."""
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
        ctx = context()
        chats_of_reviewers = await asyncio.to_thread(reviewers.chats, engine)
        for job in jobs:
            await _send_one(
                engine, bot, job, ctx, clock, button_key, pacer, counts,
                chats_of_reviewers, supervisor_chat,
            )  # fmt: skip
        if not until_empty:
            return counts


async def _send_one(
    engine: sa.Engine,
    bot: Any,
    job: _Job,
    ctx: Context,
    clock: Callable[[], dt.datetime],
    key: bytes,
    pacer: Pacer,
    counts: Counts,
    chats_of_reviewers: list[int],
    supervisor_chat: int | None,
) -> None:
    if job.reminder.to == APPLICANT:
        chats = [job.chat_id] if job.chat_id is not None else []
    elif job.reminder.to == SUPERVISOR:
        chats = [supervisor_chat] if supervisor_chat is not None else []
    else:
        chats = chats_of_reviewers
    if not chats:  # nobody to tell (no supervisor configured, no reviewers): nothing to send
        await asyncio.to_thread(
            _close, engine, job.row_id, clock(), OutboxStatus.CANCELLED, "no chat"
        )
        counts.skipped += 1
        return
    lang: Lang = job.lang if job.reminder.to == APPLICANT else "zh"
    text = text_of(job.reminder, job.filing, ctx).get(lang)
    try:
        for chat_id in chats:
            await _send_with_waits(bot, pacer, chat_id, text, _markup(job, chat_id, key))
    except Forbidden:
        log.info("reminder %s not delivered: the bot may not write to that chat", job.row_id)
        await asyncio.to_thread(_undeliverable, engine, job, clock(), chats_of_reviewers)
        counts.failed += 1
        return
    except TelegramError as exc:
        await asyncio.to_thread(_later, engine, job, clock(), type(exc).__name__, counts)
        return
    await asyncio.to_thread(_close, engine, job.row_id, clock(), OutboxStatus.SENT, None)
    counts.sent += 1
    counts.rows.append(job.row_id)


async def _send_with_waits(
    bot: Any, pacer: Pacer, chat_id: int, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Send one message; on 429 wait as long as Telegram says, then try again (5 times)."""
    for attempt in range(MAX_ATTEMPTS):
        await pacer.wait(chat_id)
        try:
            await bot.send_message(chat_id, text, reply_markup=markup)
            return
        except RetryAfter as exc:
            with warnings.catch_warnings():  # PTB 22 warns that the type will change
                warnings.simplefilter("ignore")
                wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
            log.info("reminder to a chat: 429, waiting %.1f s (try %d)", seconds, attempt + 1)
            await asyncio.sleep(seconds)
    raise TelegramError("still 429 after retries")


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
