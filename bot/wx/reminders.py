"""WeChat applicants' reminders (issue 29): claimed, judged and leased as Telegram's are
(`bot.reminders`), sent the way WeChat lets an account reach a person now.

Inside the 48-hour customer-service window a reminder is a customer-service text, with the
link of the action it names (`bot.wx.filings.action_link`). Once the window has closed
(WeChat answers 45015; 43004 when they unfollowed) it goes as a subscription message (订阅通知,
`WECHAT_SUBSCRIBE_TEMPLATE`) when one is set and the person accepted it, else as a template
message (`WECHAT_REMINDER_TEMPLATE`); with neither it fails with WeChat's code. WeChat's answer
is the judge of the window: nothing is tracked per person.

Each reminder takes its row's sending lease right before its send and is marked sent right
after it (`models.reminders.SendingLease`): a kill repeats at most the send in flight. Used by
the WeChat serve process (`bot.wx.outbound`) and by `beian remind --once` (`remind_once`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import sqlalchemy as sa

from bot.reminders import Due, claim, local_day, take, text_of
from bot.settings import Settings
from bot.wx import texts
from bot.wx.api import (
    NOT_SUBSCRIBED,
    OUT_OF_WINDOW,
    TRANSIENT,
    UNFOLLOWED,
    Client,
    SendResult,
    WeChatApi,
)
from bot.wx.filings import action_link
from dialogs.model import Context
from models import outbox
from models.database import Database
from models.db import session_scope
from models.reminders import SendingLease
from models.tables import Applicant
from rules.enums import OutboxStatus
from rules.plan import date_text
from rules.reminder_kinds import KINDS, ReminderKind
from rules.reminders import APPLICANT, REVIEWERS, quiet
from rules.text import Lang, t

log = logging.getLogger(__name__)

APPLICANT_ONLY = frozenset({APPLICANT})
CHANNEL = "wechat"
MAX_ATTEMPTS = 5
DEFAULT_FIELDS = ("thing1", "thing2", "time3")
# What a subscription message says a reminder is about, for the kinds that have no deadline
# of their own (their date is the day the reminder goes).
_ABOUT = {
    ReminderKind.ICON: t("放置备案图标", "Place the filing icon"),
    ReminderKind.SECOND_BUREAU: t("到第二个网安部门备案", "File with the second bureau"),
}
# WeChat's limits on a subscription message's values, by the key's type (its name less the
# number): thing 20 characters, character_string / number / letter 32, phrase 5, symbol 5.
LIMITS = {"thing": 20, "character_string": 32, "number": 32, "letter": 32, "phrase": 5,
          "symbol": 5, "name": 10}  # fmt: skip


@dataclass
class Counts:
    """What a run did (the same four numbers as Telegram's dispatcher)."""

    sent: int = 0
    failed: int = 0
    retried: int = 0
    skipped: int = 0

    def added(self, other: object) -> Counts:
        """Return these counts with another run's (any object with the four numbers)."""
        return Counts(*(getattr(self, k) + int(getattr(other, k, 0)) for k in
                        ("sent", "failed", "retried", "skipped")))  # fmt: skip


def key_type(key: str) -> str:
    """The type of a subscription template's key: "thing1" → "thing"."""
    return re.sub(r"\d+$", "", key)


def fit(key: str, value: str) -> str:
    """Fit a value to its key's type as WeChat checks it: one line, at most its length."""
    one_line = " ".join(value.split())
    limit = LIMITS.get(key_type(key), 20)
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


def subscription_data(
    fields: tuple[str, ...], site: str, kind: str, due: dt.date, today: dt.date, lang: Lang
) -> dict[str, dict[str, str]]:
    """The values of a reminder's subscription message: the site, what it is about, and the
    deadline (for the kinds without one, the day it goes), in the template's keys' order."""
    spec = KINDS[ReminderKind(kind)]
    about = spec.calendar or _ABOUT.get(ReminderKind(kind)) or texts.REMINDER_TITLE
    day = due if spec.period is not None else today
    values = [site, about.get(lang), date_text(day).zh]
    return {key: {"value": fit(key, value)} for key, value in zip(fields, values, strict=False)}


@dataclass
class WeChatReminders:
    """Send WeChat applicants' due reminders; see the module."""

    db: Database
    api: WeChatApi
    context: Callable[[], Context]
    clock: Callable[[], dt.datetime]
    worker: str
    reminder_template: str | None = None
    subscribe_template: str | None = None
    subscribe_fields: tuple[str, ...] = DEFAULT_FIELDS

    async def send(self, *, own: bool = False, until_empty: bool = False) -> Counts:
        """Send what is due (`own`: also the rows this worker held when it stopped; batch
        after batch while `until_empty`); nothing in the quiet hours."""
        counts = Counts()
        lease = SendingLease(self.db.engine, self.worker)
        first = True
        while True:
            now = self.clock()
            if quiet(now):
                return counts
            ctx = self.context()
            jobs, closed = await asyncio.to_thread(
                claim, self.db.engine, self.worker, now, calendar=ctx.calendar,
                who=APPLICANT_ONLY, own=own and first, channel=CHANNEL,
            )  # fmt: skip
            first = False
            counts.skipped += closed
            for job in jobs:
                await self._one(job, lease, ctx, counts)
            if not until_empty or (not jobs and not closed):
                return counts

    async def _one(self, job: Due, lease: SendingLease, ctx: Context, counts: Counts) -> None:
        due = await take(self.db, lease, job, self.clock(), ctx.calendar, APPLICANT_ONLY)
        if due is None:  # moot since the claim, or not ours any more
            counts.skipped += 1
            return
        openid = await asyncio.to_thread(self._openid, due.filing.applicant_id)
        if not openid:
            await asyncio.to_thread(self._close, due.row_id, OutboxStatus.CANCELLED, "no openid")
            counts.skipped += 1
            return
        today = local_day(self.clock())
        text = text_of(due.reminder, due.filing, ctx, today).get(due.lang)
        link = action_link(due.filing, due.reminder.kind, due.lang)
        result = await self.api.send_text(openid, f"{text}\n\n{link}" if link else text)
        if not result.ok and result.errcode in (OUT_OF_WINDOW, UNFOLLOWED):
            result = await self._outside_the_window(openid, due, text, today)
        if result.ok:
            await self.db.run(lease.marking(due.row_id, self.clock()))
            counts.sent += 1
            return
        if result.errcode in TRANSIENT:
            await asyncio.to_thread(self._later, due, result, counts)
            return
        log.warning("reminder %s not sent: WeChat error %s", due.row_id, result.errcode)
        await asyncio.to_thread(
            self._close, due.row_id, OutboxStatus.FAILED, f"wechat {result.errcode}"
        )
        counts.failed += 1

    async def _outside_the_window(
        self, openid: str, due: Due, text: str, today: dt.date
    ) -> SendResult:
        """The window has closed: a subscription message, else (not set, or not accepted by
        the person) a template message, else WeChat's refusal."""
        refused = SendResult(False, OUT_OF_WINDOW, "window closed, no template set")
        if self.subscribe_template:
            site, reminder = due.filing.site_name or "", due.reminder
            data = subscription_data(
                self.subscribe_fields, site, reminder.kind, reminder.due, today, due.lang
            )
            refused = await self.api.send_subscription(openid, self.subscribe_template, data)
            if refused.ok or refused.errcode != NOT_SUBSCRIBED:
                return refused
        if not self.reminder_template:
            return refused
        # worded without the sentence that names the link (a template message has none): the
        # rules name a button only in a reminder to the applicant
        plain = replace(due.reminder, to=REVIEWERS)
        text = text_of(plain, due.filing, self.context(), today).get(due.lang)
        data = {
            "first": {"value": texts.REMINDER_TITLE.get(due.lang)},
            "keyword1": {"value": due.filing.site_name or ""},
            "keyword2": {"value": text.split("\n")[0][:100]},
            "remark": {"value": text[:200]},
        }
        return await self.api.send_template(openid, self.reminder_template, data)

    def _openid(self, applicant_id: int) -> str | None:
        with session_scope(self.db.engine) as session:
            applicant = session.get(Applicant, applicant_id)
            return applicant.external_id if applicant is not None else None

    def _close(self, row_id: int, status: OutboxStatus, error: str) -> None:
        with session_scope(self.db.engine) as session:
            outbox.finish(session, row_id, status=status, now=self.clock(), error=error)

    def _later(self, due: Due, result: SendResult, counts: Counts) -> None:
        """WeChat busy or unreachable: again later with backoff, failed after MAX_ATTEMPTS."""
        now, error = self.clock(), f"wechat {result.errcode} {result.errmsg}"[:200]
        with session_scope(self.db.engine) as session:
            if due.attempts >= MAX_ATTEMPTS:
                outbox.finish(session, due.row_id, status=OutboxStatus.FAILED, now=now,
                              error=error)  # fmt: skip
                counts.failed += 1
                return
            backoff = dt.timedelta(seconds=min(3600, 30 * 2**due.attempts))
            outbox.retry_later(session, due.row_id, at=now + backoff, error=error)
            counts.retried += 1


def subscribe_fields(raw: str | None) -> tuple[str, ...]:
    """Read WECHAT_SUBSCRIBE_FIELDS ("thing1,thing2,time3": the template's keys for the site,
    what, and by when)."""
    found = tuple(part.strip() for part in (raw or "").split(",") if part.strip())
    return found or DEFAULT_FIELDS


def configured(settings: Settings) -> bool:
    """Say whether WeChat is configured to send (an AppID and its AppSecret)."""
    secret = settings.wechat_app_secret
    return bool(settings.wechat_app_id and secret and secret.get_secret_value().strip())


async def remind_once(
    settings: Settings,
    engine: sa.Engine,
    *,
    context: Callable[[], Context],
    clock: Callable[[], dt.datetime],
    worker: str,
) -> Counts | None:
    """`beian remind --once` for WeChat applicants: send every due reminder of theirs (its own
    rows first, as a run restarted under the same name); None when WeChat is not configured
    (no WECHAT_APP_ID or WECHAT_APP_SECRET)."""
    if not configured(settings) or settings.wechat_app_secret is None:
        return None
    secret = settings.wechat_app_secret.get_secret_value().strip()
    api = WeChatApi(Client(settings.wechat_app_id or "", secret, settings.wechat_api_base_url))
    db = Database(engine=engine)
    try:
        sender = WeChatReminders(
            db, api, context, clock, worker,
            reminder_template=settings.wechat_reminder_template,
            subscribe_template=settings.wechat_subscribe_template,
            subscribe_fields=subscribe_fields(settings.wechat_subscribe_fields),
        )  # fmt: skip
        return await sender.send(own=True, until_empty=True)
    finally:
        await db.settle()
        db.close_loop_connection()
