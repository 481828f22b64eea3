"""What the WeChat channel sends on its own: notices, reminders, documents left by a crash.

Outbox rows for a WeChat applicant carry `channel = "wechat"` (`models.outbox.add`): only
this sender claims them. A reviewer's outcome (on Telegram, the console or `beian filings
record`) writes a notice row; it is sent as a customer-service message, its attachments as
signed links. A reminder goes the same way while the person's 48-hour customer-service
window is open; once it has closed (WeChat: 45015) it goes as a template message when
`WECHAT_REMINDER_TEMPLATE` names one (first / keyword1 site / keyword2 deadline / remark
text, linking nowhere), else it is marked failed with why. Nothing is sent in the quiet
hours (21:00–08:00), like Telegram's dispatcher.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial

from sqlmodel import col, select

from bot.deliveries import DOCUMENTS
from bot.reminders import claim, local_day, take, text_of
from bot.wx import texts
from bot.wx.api import OUT_OF_WINDOW, UNFOLLOWED, SendResult
from bot.wx.channel import CHANNEL, WeChatChannel
from documents.captions import caption
from models import outbox
from models.db import session_scope
from models.filings import NOTICE
from models.reminders import SendingLease
from models.tables import Applicant, Filing, GeneratedDocument, OutboxMessage
from rules.enums import DocumentKind, OutboxStatus
from rules.reminders import APPLICANT, quiet
from rules.text import Lang, Text

log = logging.getLogger(__name__)

APPLICANT_ONLY = frozenset({APPLICANT})
MAX_ATTEMPTS = 5


@dataclass
class Outbound:
    """The channel's own sends, each pass claiming what is due."""

    channel: WeChatChannel
    reminder_template: str | None = None
    _delivering: set[int] = field(default_factory=set)

    # --- notices -----------------------------------------------------------------------------

    def _claim_notices(self) -> list[tuple[int, str, Lang, Text, list[str], int | None]]:
        now = self.channel.clock()
        with session_scope(self.channel.db.engine) as session:
            rows = outbox.claim_due(
                session,
                worker=self.channel.holder,
                now=now,
                kinds=(NOTICE,),
                channel=CHANNEL,
            )
            jobs = []
            for row in rows:
                applicant = session.get(Applicant, row.applicant_id) if row.applicant_id else None
                if row.id is None:
                    continue
                if applicant is None:
                    outbox.finish(
                        session, row.id, status=OutboxStatus.FAILED, now=now, error="no applicant"
                    )
                    continue
                lang: Lang = "en" if applicant.language == "en" else "zh"
                payload = dict(row.payload)
                jobs.append(
                    (
                        row.id,
                        applicant.external_id,
                        lang,
                        Text.model_validate(payload["text"]),
                        list(payload.get("attach") or []),
                        row.filing_id,
                    )
                )
            return jobs

    async def send_notices(self) -> int:
        """Send the due notices of WeChat applicants; return how many went."""
        jobs = await asyncio.to_thread(self._claim_notices)
        sent = 0
        for row_id, openid, lang, text, attach, filing_id in jobs:
            items = [{"text": text.get(lang)}]
            links = await asyncio.to_thread(self._links, filing_id, attach, lang)
            if links:
                items.append({"text": links})
            ok = await self.channel.send_replies(openid, items)
            await asyncio.to_thread(self._finish, row_id, ok)
            sent += ok
        return sent

    def _links(self, filing_id: int | None, kinds: list[str], lang: Lang) -> str:
        if not kinds or filing_id is None:
            return ""
        now = self.channel.clock()
        with session_scope(self.channel.db.engine) as session:
            filing = session.get(Filing, filing_id)
            individual = filing is not None and (filing.data or {}).get("subject_type") == (
                "individual"
            )
            rows = session.exec(
                select(GeneratedDocument.id, GeneratedDocument.kind, GeneratedDocument.filename)
                .where(GeneratedDocument.filing_id == filing_id, GeneratedDocument.format == "pdf")
                .order_by(col(GeneratedDocument.id))
            ).all()
        latest = {name: (i, kind) for i, kind, name in rows if DocumentKind(kind).value in kinds}
        lines = [texts.DOCUMENTS.fill(lang, hours=self.channel.links.hours)]
        for name, (document_id, kind) in latest.items():
            if document_id is None:
                continue
            what = caption(DocumentKind(kind), individual=individual).get(lang)
            lines.append(f"{what}\n{self.channel.links.link(document_id, name, now)}")
        return "\n\n".join(lines) if latest else ""

    def _finish(self, row_id: int, ok: bool) -> None:
        now = self.channel.clock()
        with session_scope(self.channel.db.engine) as session:
            if ok:
                outbox.finish(session, row_id, status=OutboxStatus.SENT, now=now)
            else:
                row = session.get(OutboxMessage, row_id)
                if row is not None and row.attempts >= MAX_ATTEMPTS:
                    outbox.finish(session, row_id, status=OutboxStatus.FAILED, now=now,
                                  error="refused by WeChat")  # fmt: skip
                else:
                    outbox.retry_later(session, row_id, at=now + dt.timedelta(minutes=1),
                                       error="refused by WeChat")  # fmt: skip

    # --- reminders ---------------------------------------------------------------------------

    async def send_reminders(self, *, own: bool = False) -> int:
        """Send the due reminders of WeChat applicants; return how many went."""
        channel = self.channel
        now = channel.clock()
        if quiet(now):
            return 0
        ctx = channel.context()
        engine = channel.db.engine
        jobs, _closed = await asyncio.to_thread(
            claim, engine, channel.holder, now, calendar=ctx.calendar, who=APPLICANT_ONLY,
            own=own, channel=CHANNEL,
        )  # fmt: skip
        lease = SendingLease(engine, channel.holder)
        sent = 0
        for job in jobs:
            due = await take(channel.db, lease, job, channel.clock(), ctx.calendar, APPLICANT_ONLY)
            if due is None:
                continue
            openid = await asyncio.to_thread(self._openid, due.filing.applicant_id)
            today = local_day(channel.clock())
            text = text_of(due.reminder, due.filing, ctx, today).get(due.lang)
            result = await channel.api.send_text(openid or "", text)
            if not result.ok and result.errcode in (OUT_OF_WINDOW, UNFOLLOWED):
                result = await self._template(openid or "", due.filing, text, due.lang)
            if result.ok:
                await channel.db.run(lease.marking(due.row_id, channel.clock()))
                sent += 1
                continue
            log.warning("reminder %s not sent: WeChat error %s", due.row_id, result.errcode)
            await asyncio.to_thread(self._reminder_failed, due.row_id, result.errcode)
        return sent

    async def _template(self, openid: str, filing: Filing, text: str, lang: Lang) -> SendResult:
        if not self.reminder_template:
            return SendResult(False, OUT_OF_WINDOW, "window closed and no template set")
        data = {
            "first": {"value": texts.REMINDER_TITLE.get(lang)},
            "keyword1": {"value": filing.site_name or ""},
            "keyword2": {"value": text.split("\n")[0][:100]},
            "remark": {"value": text[:200]},
        }
        return await self.channel.api.send_template(openid, self.reminder_template, data)

    def _openid(self, applicant_id: int) -> str | None:
        with session_scope(self.channel.db.engine) as session:
            applicant = session.get(Applicant, applicant_id)
            return applicant.external_id if applicant is not None else None

    def _reminder_failed(self, row_id: int, errcode: int) -> None:
        now = self.channel.clock()
        with session_scope(self.channel.db.engine) as session:
            outbox.finish(session, row_id, status=OutboxStatus.FAILED, now=now,
                          error=f"wechat {errcode}")  # fmt: skip

    # --- documents a crash left ----------------------------------------------------------------

    async def resume_deliveries(self, *, recovering: bool = False) -> int:
        """Send documents deliveries a crash (or a refusal) left pending; return how many."""

        def claimed() -> list[tuple[int, str]]:
            now = self.channel.clock()
            with session_scope(self.channel.db.engine) as session:
                rows = outbox.claim_due(
                    session,
                    worker=self.channel.holder,
                    now=now,
                    kinds=(DOCUMENTS,),
                    channel=CHANNEL,
                    exclude=self._delivering,
                    include_own=recovering,
                    limit=10,
                )
                found = []
                for row in rows:
                    applicant = (
                        session.get(Applicant, row.applicant_id) if row.applicant_id else None
                    )
                    if row.id is not None and applicant is not None:
                        found.append((row.id, applicant.external_id))
                return found

        done = 0
        for delivery_id, openid in await asyncio.to_thread(claimed):
            self._delivering.add(delivery_id)
            try:
                done += await self.channel.deliver_documents(openid, delivery_id)
            finally:
                self._delivering.discard(delivery_id)
        return done

    async def forever(self, every: float = 2.0, remind_every: float = 60.0) -> None:
        """Send notices and resumed deliveries every `every` s, reminders every
        `remind_every` s, until cancelled (a failed pass is logged and tried again)."""
        await self._pass(reminders=True, recovering=True)
        reminded = asyncio.get_running_loop().time()
        while True:
            await asyncio.sleep(every)
            due = asyncio.get_running_loop().time() - reminded >= remind_every
            if due:
                reminded = asyncio.get_running_loop().time()
            await self._pass(reminders=due, recovering=False)

    async def _pass(self, *, reminders: bool, recovering: bool) -> None:
        steps: list[tuple[str, Callable[[], Awaitable[int]]]] = [
            ("deliveries", partial(self.resume_deliveries, recovering=recovering)),
            ("notices", self.send_notices),
        ]
        if reminders:
            steps.append(("reminders", partial(self.send_reminders, own=recovering)))
        for name, work in steps:
            try:
                await work()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("wechat %s pass failed", name)
