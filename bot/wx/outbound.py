"""What the WeChat channel sends on its own: notices, reminders, documents left by a crash.

Outbox rows for a WeChat applicant carry `channel = "wechat"` (`models.outbox.add`): only
this sender claims them. A reviewer's outcome (on Telegram, the console or `beian filings
record`) writes a notice row; it is sent as a customer-service message, its attachments as
signed links. A reminder goes the same way while the person's 48-hour customer-service
window is open; once it has closed, as a subscription or a template message
(`bot.wx.reminders`, also `beian remind --once`). A notice is followed by the links of what
the applicant can do with the filing now (`bot.wx.filings`), as Telegram's notices carry
buttons. Nothing is sent in the quiet hours (21:00–08:00), like Telegram's dispatcher.
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
from bot.wx import texts
from bot.wx.channel import CHANNEL, WeChatChannel
from bot.wx.filings import action_lines, applicant_actions
from bot.wx.reminders import DEFAULT_FIELDS, WeChatReminders
from documents.captions import caption
from models import outbox
from models.db import session_scope
from models.filings import NOTICE, state_of
from models.tables import Applicant, Filing, GeneratedDocument, OutboxMessage
from rules.enums import DocumentKind, OutboxStatus
from rules.reminders import APPLICANT
from rules.text import Lang, Text

log = logging.getLogger(__name__)

APPLICANT_ONLY = frozenset({APPLICANT})
MAX_ATTEMPTS = 5


@dataclass
class Outbound:
    """The channel's own sends, each pass claiming what is due."""

    channel: WeChatChannel
    reminder_template: str | None = None
    subscribe_template: str | None = None
    subscribe_fields: tuple[str, ...] = DEFAULT_FIELDS
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
            actions = await asyncio.to_thread(self._actions, filing_id, lang)
            items = [{"text": "\n\n".join(part for part in (text.get(lang), actions) if part)}]
            links = await asyncio.to_thread(self._links, filing_id, attach, lang)
            if links:
                items.append({"text": links})
            ok = await self.channel.send_replies(openid, items)
            await asyncio.to_thread(self._finish, row_id, ok)
            sent += ok
        return sent

    def _actions(self, filing_id: int | None, lang: Lang) -> str:
        """The links of what the applicant can do with the filing now (a notice names them)."""
        if filing_id is None:
            return ""
        reviewers = bool(self.channel.reviewers.ids(self.channel.db.engine))
        with session_scope(self.channel.db.engine) as session:
            filing = session.get(Filing, filing_id)
            if filing is None or filing.id is None:
                return ""
            actions = applicant_actions(state_of(filing), reviewers)
            return "\n".join(action_lines(filing.id, filing.version, actions, lang))

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
        """Send the due reminders of WeChat applicants (`bot.wx.reminders`); return how many
        went."""
        channel = self.channel
        sender = WeChatReminders(
            channel.db, channel.api, channel.context, channel.clock, channel.holder,
            reminder_template=self.reminder_template,
            subscribe_template=self.subscribe_template,
            subscribe_fields=self.subscribe_fields,
        )  # fmt: skip
        return (await sender.send(own=own)).sent

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
