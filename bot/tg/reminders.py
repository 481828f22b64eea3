"""The reminders dispatcher (issues 13, 25, 26): due reminder rows claimed, judged, sent, marked.

Rows (outbox kind `reminder`) are written by the decisions that cause them (models.filings.
schedule_reminders). `dispatch` claims due rows with a lease (PostgreSQL `FOR UPDATE SKIP
LOCKED`; SQLite has one writer) and, in the claim's transaction, closes those not to be sent
(`rules.reminders.why_not_sent`: their step moved on, or a later reminder of their series is
due — a bot that was down sends only the one that is true now). Each remaining row is sent on
its own: one statement takes its *sending lease* just before its Bot API call — it holds only
while the row is still this worker's, still pending and its filing unchanged since the claim
(else the reminder is judged again on the filing as it is now) — and one marks it sent as soon
as the call returns (committed with the same sender's next lease, or alone when it stops). A
crash repeats at most one reminder per sender (≤ `concurrency`); a claimed row whose sender
died is free again when its lease ends, or at once to an instance restarted under the same
name (`own`). The text is written at the send, from the day it goes. Nothing is
sent in the quiet hours (21:00–08:00 local): a reminder due then goes at the next send time.

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
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import Forbidden, RetryAfter, TelegramError

from bot.filing_actions import Reviewers
from bot.reminders import Due, claim, local_day, reachable, take, text_of
from bot.tg import ui
from bot.tg.delivery import refusal_noted, refused_for_good, send_text
from bot.tg.filings import PRESS_CODES
from dialogs.model import Context
from models import outbox
from models.database import Database
from models.db import session_scope
from models.filings import NOTICE
from models.reminders import SendingLease
from models.reviewers import mark_unreachable
from models.tables import OutboxMessage
from rules.enums import OutboxStatus
from rules.reminder_kinds import KINDS, ReminderKind
from rules.reminders import ACTIONS, APPLICANT, SUPERVISOR, quiet
from rules.text import Lang, Text, t

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
# The button code each kind's action sends (bot.tg.filings reads them), from its record.
ACTION_CODES = {
    kind: PRESS_CODES[s.action.records] for kind, s in KINDS.items() if s.action is not None
}


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


def _markup(job: Due, chat_id: int, key: bytes) -> InlineKeyboardMarkup | None:
    label = ACTIONS.get(job.reminder.kind)
    if label is None or job.reminder.to != APPLICANT:
        return None
    asking = f"F{job.filing.id}.{job.filing.version}"
    data = ui.callback_data(asking, ACTION_CODES[ReminderKind(job.reminder.kind)], chat_id, key)
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
    db: Database | None = None,
) -> Counts:
    """Send the due reminders (batch after batch while `until_empty`); see the module. Up to
    `concurrency` sends are in flight at once (the pacer still spaces them); each is marked
    sent as soon as its Bot API call returns. `db`: the serving process's `Database`, whose
    loop connection the per-reminder statements share (else one of its own for this run)."""
    own_db = db is None
    database = db if db is not None else Database(engine=engine)
    try:
        return await _dispatch(engine, bot, context, clock, worker, reviewers, button_key,
                               supervisor_chat, pacer or Pacer(), own, until_empty, concurrency,
                               database)  # fmt: skip
    finally:
        if own_db:
            await database.settle()
            database.close_loop_connection()


async def _dispatch(
    engine: sa.Engine,
    bot: Any,
    context: Callable[[], Context],
    clock: Callable[[], dt.datetime],
    worker: str,
    reviewers: Reviewers,
    button_key: bytes,
    supervisor_chat: int | None,
    pacer: Pacer,
    own: bool,
    until_empty: bool,
    concurrency: int,
    db: Database,
) -> Counts:
    counts = Counts()
    lease = SendingLease(engine, worker)
    first = True
    while True:
        now = clock()
        if quiet(now):
            return counts
        chats_of_reviewers = await asyncio.to_thread(reviewers.chats, engine)
        who = reachable(chats_of_reviewers, supervisor_chat)
        ctx = context()
        jobs, closed = await asyncio.to_thread(
            claim, engine, worker, now, calendar=ctx.calendar, who=who, own=own and first
        )
        first = False
        counts.skipped += closed
        if not jobs and not closed:
            return counts
        sending = _Sending(db, lease, bot, ctx, clock, button_key, pacer, counts,
                           chats_of_reviewers, supervisor_chat, who)  # fmt: skip
        await sending.batch(jobs, concurrency)
        if not until_empty:
            return counts


@dataclass
class _Sending:
    """What sending one claimed batch needs."""

    db: Database
    lease: SendingLease
    bot: Any
    ctx: Context
    clock: Callable[[], dt.datetime]
    key: bytes
    pacer: Pacer
    counts: Counts
    chats_of_reviewers: list[int]
    supervisor_chat: int | None
    who: frozenset[str]

    async def batch(self, jobs: list[Due], concurrency: int) -> None:
        """Send a batch: `concurrency` senders, each taking the next chat's reminders in their
        order (due time, then id)."""
        chats: dict[object, list[Due]] = {}
        for job in jobs:  # reviewers' and the supervisor's share their chats: one queue
            chats.setdefault(job.chat_id if job.reminder.to == APPLICANT else "bureau", []).append(
                job
            )
        waiting = deque(chats.values())

        async def sender() -> None:
            last: int | None = None  # sent, its mark to go with this sender's next lease
            try:
                while waiting:
                    for job in waiting.popleft():
                        last = await self.one(job, last)
            finally:  # also when cancelled midway: what went is not sent again
                if last is not None:
                    await self.db.run(self.lease.marking(last, self.clock()))

        await asyncio.gather(*(sender() for _ in range(max(1, concurrency))))

    async def one(self, job: Due, last: int | None) -> int | None:
        """Send one reminder: take its sending lease (marking `last`, this sender's previous
        one, sent in the same transaction), send. Returns the row sent, whose mark is still to
        be written, else None."""
        engine, clock, counts = self.lease.engine, self.clock, self.counts
        if job.reminder.to == APPLICANT:
            chats = [job.chat_id] if job.chat_id is not None else []
        elif job.reminder.to == SUPERVISOR:
            chats = [self.supervisor_chat] if self.supervisor_chat is not None else []
        else:  # a copy for one reviewer's chat (`_again_in`), or the reviewers' own
            chats = [job.chat_id] if job.chat_id is not None else self.chats_of_reviewers
        if not chats:  # nobody to tell (no supervisor configured, no reviewers): nothing to send
            if last is not None:
                await self.db.run(self.lease.marking(last, clock()))
            await asyncio.to_thread(
                _close, engine, job.row_id, clock(), OutboxStatus.CANCELLED, "no chat"
            )
            counts.skipped += 1
            return None
        taken = await take(
            self.db, self.lease, job, clock(), self.ctx.calendar, self.who, sent=last
        )
        if taken is None:  # an event made it moot since the claim, or it is not ours any more
            counts.skipped += 1
            return None
        job = taken
        lang: Lang = job.lang if job.reminder.to == APPLICANT else "zh"
        text = text_of(job.reminder, job.filing, self.ctx, local_day(clock())).get(lang)
        sent, refused, failed = await self._to_each(job, chats, text)
        if refused:  # 403: noted, so that `beian reviewers list` shows who cannot be reached
            await asyncio.to_thread(_refused_in, engine, job, refused, clock())
        if not sent and failed is not None:
            if refused_for_good(failed):  # the same request would be refused again
                error = refusal_noted("reminder", job.row_id, chats[0], failed)
                await asyncio.to_thread(
                    _close, engine, job.row_id, clock(), OutboxStatus.FAILED, error
                )
                counts.failed += 1
                return False
            await asyncio.to_thread(_later, engine, job, clock(), type(failed).__name__, counts)
            return None
        if not sent:  # refused in every chat
            await asyncio.to_thread(_undeliverable, engine, job, clock(), self.chats_of_reviewers)
            counts.failed += 1
            return None
        if len(sent) + len(refused) < len(chats):  # a chat failed: tried again on its own
            left = [c for c in chats if c not in sent and c not in refused]
            await asyncio.to_thread(_again_in, engine, job, left, clock(), type(failed).__name__)
        counts.sent += 1
        counts.rows.append(job.row_id)
        return job.row_id  # marked sent with this sender's next lease, or when it stops

    async def _to_each(
        self, job: Due, chats: list[int], text: str
    ) -> tuple[list[int], list[int], TelegramError | None]:
        """Send to each chat on its own: one reviewer who cannot be reached (403) or a failure
        in one chat does not keep the reminder from the others. Returns the chats it went to,
        those that refused it, and the last other failure."""
        sent: list[int] = []
        refused: list[int] = []
        failed: TelegramError | None = None
        for chat_id in chats:
            try:
                markup = _markup(job, chat_id, self.key)
                await _send_with_waits(self.bot, self.pacer, chat_id, text, markup)
                sent.append(chat_id)
            except Forbidden:
                refused.append(chat_id)
            except TelegramError as exc:
                failed = exc
                if refused_for_good(exc):
                    break  # the same text would be refused in every chat
        return sent, refused, failed


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


def _close(
    engine: sa.Engine, row_id: int, now: dt.datetime, status: OutboxStatus, error: str | None
) -> None:
    with session_scope(engine) as session:
        outbox.finish(session, row_id, status=status, now=now, error=error)


def _later(engine: sa.Engine, job: Due, now: dt.datetime, error: str, counts: Counts) -> None:
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


# What an applicant's reminder was about, as the reviewers' note of a refusal says it.
_WHAT: dict[str, Text] = {
    ReminderKind.FILING: t("30日内提交备案", "filing within 30 days"),
    ReminderKind.MATERIALS: t("送盖章材料", "bringing the stamped materials"),
    ReminderKind.CHANGE: t("报告变更", "reporting a change"),
    ReminderKind.ICON: t("放置备案图标", "placing the filing icon"),
    ReminderKind.SECOND_BUREAU: t("到第二个网安部门备案", "filing with the second bureau"),
}


def _refused_in(engine: sa.Engine, job: Due, chats: list[int], now: dt.datetime) -> None:
    """A reviewers' reminder refused (403) in `chats`: each is noted as unreachable and
    logged as a warning naming it (an applicant's refusal goes to `_undeliverable`)."""
    if job.reminder.to == APPLICANT:
        log.info("reminder %s not delivered: the applicant's chat refused it", job.row_id)
        return
    with session_scope(engine) as session:
        for chat in chats:
            mark_unreachable(session, chat, "reviewer" if chat > 0 else "review_chat", "403", now)
    log.warning("reminder %s refused in chat(s) %s (403: blocked, never written to, or "
                "removed)", job.row_id, ", ".join(map(str, chats)))  # fmt: skip


def _again_in(engine: sa.Engine, job: Due, chats: list[int], now: dt.datetime, error: str) -> None:
    """A reviewers' reminder that failed in some chats after others got it: a copy for each
    of those chats, tried again later on its own (the others get no second copy)."""
    with session_scope(engine) as session:
        row = session.get(OutboxMessage, job.row_id)
        if row is None:
            return
        for chat in chats:
            outbox.add(session, OutboxMessage(
                kind=row.kind, dedupe_key=f"{row.dedupe_key}:{chat}"[:200],
                filing_id=row.filing_id, applicant_id=row.applicant_id, chat_id=chat,
                due_at=now + dt.timedelta(seconds=30), payload=dict(row.payload),
                created_at=now))  # fmt: skip
    log.warning("reminder %s failed in chat(s) %s (%s); the others got it: tried again "
                "there alone", job.row_id, ", ".join(map(str, chats)), error)  # fmt: skip


def _undeliverable(
    engine: sa.Engine, job: Due, now: dt.datetime, chats_of_reviewers: list[int]
) -> None:
    """403: the row is closed as undeliverable and the filing's reviewers are told."""
    with session_scope(engine) as session:
        outbox.finish(session, job.row_id, status=OutboxStatus.FAILED, now=now, error="403")
        if job.reminder.to != APPLICANT:
            return
        # once a series, not at each of its reminders the applicant refuses
        key = f"{NOTICE}:blocked:{job.filing.id}:{job.reminder.step}:{job.reminder.kind}:"
        what = _WHAT.get(job.reminder.kind, t(job.reminder.kind, job.reminder.kind))
        text = t(_BLOCKED.zh.format(site=job.filing.site_name, what=what.zh),
                 _BLOCKED.en.format(site=job.filing.site_name, what=what.en))  # fmt: skip
        for chat in chats_of_reviewers:
            outbox.add(
                session,
                OutboxMessage(
                    kind=NOTICE,
                    dedupe_key=key + str(chat),
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
