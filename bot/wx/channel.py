"""The WeChat channel: each stored message answered (`bot.wx.inbox` stores them and hands
them over one chat at a time, in order), with customer-service messages after the turn's
commit.

A typed answer, a menu click (a command), a subscribe (/start), or anything else (a voice
note, a picture, what could not be read: asked to type the answer) becomes an interview
input; /status and /documents once the interview is done show the filings (each with the
links of what the person can do with it: `bot.wx.filings`, done by `bot.wx.acting`) and
fresh links to their documents. A turn stores the plan of its replies with its commit
(`plan_of`), and `send_plan(openid, plan)` sends it — the one function a recovery of stored
replies calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlmodel import col, select

from bot.chat_inbox import current_ticket
from bot.conversation import Conversations, Who
from bot.deliveries import RenderSet, finish_delivery, prepare_documents, retry_delivery
from bot.filing_actions import Reviewers, describe, reopening
from bot.submission import Submitted, submission_writer
from bot.wx import texts
from bot.wx.acting import perform
from bot.wx.api import WeChatApi
from bot.wx.filings import AMEND, CHANGE, CODES, action_lines, applicant_actions, read_ref
from bot.wx.inbox import CHANNEL, WeChatInbox
from bot.wx.links import Links
from bot.wx.protocol import Incoming, chat_number
from dialogs.commands import Command, read_command
from dialogs.model import Context, Input, Reply, ShowFilings, Step
from documents.captions import caption
from models.db import session_scope
from models.filings import applicant_by_channel, filings_of, state_of
from models.repo import active_interview
from models.tables import GeneratedDocument
from rules.enums import DocumentKind
from rules.filing_life import EVENT_LABELS
from rules.lifecycle import FilingEvent
from rules.text import Lang

log = logging.getLogger(__name__)

_REOPENING = {Command.CHANGE: "change", Command.AMEND: "amend"}
_REOPENING_CODES = {AMEND: "/amend", CHANGE: "/change"}  # a filing's links that reopen it

# A reply item as stored and sent: {"text": "..."} (one customer-service text each).
ReplyItem = dict[str, Any]


def format_reply(reply: Reply) -> str:
    """Write a reply with its choices as numbered lines to type (WeChat has no buttons)."""
    lines = [reply.text]
    for choice in reply.choices:
        if choice.number is not None:
            lines.append(f"{choice.number}. {choice.label}")
        else:
            lines.append(f"【{choice.label}】")
    return "\n".join(lines)


def items_of(replies: Sequence[Reply]) -> list[ReplyItem]:
    """Return the reply items of a turn's replies."""
    return [{"text": format_reply(reply)} for reply in replies if reply.text or reply.choices]


def plan_of(step: Step, effects: Any) -> list[dict[str, Any]]:
    """Plan what a turn sends, as JSON stored with its commit (its inbox row's `reply`), so a
    crash after the commit loses none of it (`WeChatChannel.send_plan` sends it, at once or
    after a restart): the turn's messages; a submission's first message, its documents' links
    (from the outbox row the turn wrote), then the filing's status (a change: its notices);
    once done, the filings as they are now."""
    lang = step.state.lang
    submitted = effects if isinstance(effects, Submitted) else None
    if submitted is not None and submitted.refusal is not None:  # a change that raced: why
        return [{"op": "texts", "items": [{"text": submitted.refusal.get(lang)}]}]
    if submitted is not None and submitted.delivery_id is not None:
        first = (
            [{"text": submitted.first.get(lang)}] if submitted.first else items_of(step.replies[:1])
        )
        plan: list[dict[str, Any]] = [
            {"op": "texts", "items": first},
            {"op": "documents", "delivery": submitted.delivery_id},
        ]
        if submitted.change:  # the deadline, as the change's notice says it
            return [*plan, {"op": "notices", "ids": list(submitted.notices)}]
        return [*plan, {"op": "status", "lang": lang, "only": submitted.filing_id}]
    plan = [{"op": "texts", "items": items_of(step.replies)}]
    show = next((e for e in step.effects if isinstance(e, ShowFilings)), None)
    if show is not None:
        plan.append({"op": "status", "lang": lang, "newest_only": show.newest_only})
    return plan


@dataclass(kw_only=True)
class WeChatChannel(WeChatInbox):
    """Answer WeChat messages: interview turns, commands, the filings; replies as
    customer-service messages."""

    api: WeChatApi
    context: Callable[[], Context]
    conversations: Conversations
    render_set: RenderSet
    links: Links
    reviewers: Reviewers = field(default_factory=Reviewers)
    lang: Lang = "zh"  # a new interview's language (WeChat does not say the person's)
    sent: int = 0  # customer-service messages sent (the benchmark reads it)
    # Sends the due notices of WeChat applicants (`bot.wx.outbound`: a change's deadline).
    notify: Callable[[], Awaitable[int]] | None = None

    async def _apologise(self, openid: str) -> None:
        """Tell the person briefly, in their language, that their message failed (never a
        traceback; the apology must not raise in its turn)."""
        try:
            lang = await asyncio.to_thread(self._lang_of, openid)
        except Exception:
            lang = "zh"
        with contextlib.suppress(Exception):
            await self.send_replies(openid, [{"text": texts.SORRY.get(lang)}])

    async def handle(self, incoming: Incoming) -> bool:
        """Answer one message; True when a turn marked its inbox row done."""
        if incoming.kind == "ignore":
            return False
        if incoming.kind in ("unreadable", "other"):
            return await self._turn(incoming, Input.nothing())
        text = incoming.text or ""
        words = text.strip().split()
        first = words[0].lower().lstrip("/／") if words else ""
        asked = read_ref(text)
        if asked is not None and asked.code not in _REOPENING_CODES:
            return await perform(self, incoming, asked)
        if asked is not None:  # 修改信息 / 信息变更: the commands' own way
            text = _REOPENING_CODES[asked.code]
            words, first = [text], text.lstrip("/")
        if first == "close_site":
            await self._close_site(incoming.openid)
            return False
        after = len(words) == 1 and first in ("status", "documents", "状态", "进度", "文件")
        if after and await self._after_the_interview(incoming.openid, first):
            return False
        command = read_command(text)
        reopen = _REOPENING.get(command.command) if command is not None else None
        since, returned = None, None
        if reopen is not None:
            engine = self.db.engine
            may = await asyncio.to_thread(reopening, engine, CHANNEL, incoming.openid, reopen)
            if may.refusal is not None:
                lang = await asyncio.to_thread(self._lang_of, incoming.openid)
                await self.send_replies(incoming.openid, [{"text": may.refusal.get(lang)}])
                return False
            since, returned = may.since, may.returned
        inp = Input.typed(text, ref=str(incoming.key), since=since, returned=returned)
        return await self._turn(incoming, inp)

    async def _turn(self, incoming: Incoming, inp: Input) -> bool:
        ctx = replace(self.context(), buttons=False)  # choices are numbered lines to type
        key = (self.bot_id, incoming.key)
        turn = await self.conversations.turn(
            Who(CHANNEL, incoming.openid, self.lang),
            inp=inp,
            ctx=ctx,
            now=self.clock(),
            inbox=key,
            # the chat number plans the filing's reminders and notices (`bot.wx.outbound`)
            effect_writer=submission_writer(
                ctx, self.holder, chat_number(incoming.openid), self.reviewers
            ),
            replies=plan_of,  # stored with the turn: a crash after the commit loses none
        )
        if turn is None:
            return True  # answered before (another instance, or before a crash)
        await self.send_plan(incoming.openid, plan_of(turn.step, turn.effects) or [])
        ticket = current_ticket()
        if ticket is not None:  # its stored replies are cleared in the next batch
            ticket.replies = True
        return True

    async def send_plan(self, openid: str, plan: Sequence[dict[str, Any]]) -> None:
        """Send a turn's planned replies to a person, in order: at once after its commit, or
        after a crash from its inbox row (`plan_of`; documents already sent are not sent
        twice: their delivery is closed)."""
        for part in plan:
            op = part.get("op")
            lang: Lang = "en" if part.get("lang") == "en" else "zh"
            if op == "texts":
                await self.send_replies(openid, list(part.get("items") or []))
            elif op == "documents":
                await self.deliver_documents(openid, int(part["delivery"]))
            elif op == "notices" and self.notify is not None:
                await self.notify()
            elif op == "status":
                only = part.get("only")
                if only is not None:
                    await self.send_status(openid, lang, only=int(only))
                elif not await self.send_status(
                    openid, lang, newest_only=bool(part.get("newest_only"))
                ):
                    await self.send_replies(openid, [{"text": texts.NEW_FILING.get(lang)}])

    async def send_replies(self, openid: str, items: Sequence[ReplyItem]) -> bool:
        """Send reply items to a person as customer-service messages, in order; False when
        WeChat refused one (logged with its code, never the text)."""
        for item in items:
            text = str(item.get("text") or "")
            if not text:
                continue
            result = await self.api.send_text(openid, text)
            if not result.ok:
                log.warning("wechat reply not sent: error %s (%s)", result.errcode, result.errmsg)
                return False
            self.sent += 1
        return True

    async def deliver_documents(self, openid: str, delivery_id: int) -> bool:
        """Render (once) a documents delivery and send its links; close it."""
        ctx, now = self.context(), self.clock()
        engine = self.db.engine
        try:
            documents = await asyncio.to_thread(
                prepare_documents, engine, delivery_id, self.render_set, ctx, now
            )
        except Exception as exc:
            log.exception("delivery %s: rendering failed", delivery_id)
            await asyncio.to_thread(retry_delivery, engine, delivery_id, 5, now, repr(exc))
            return False
        if documents is None:
            return True
        lines = [texts.DOCUMENTS.fill(documents.lang, hours=self.links.hours)]
        for doc in documents.documents:
            what = caption(doc.kind, individual=documents.individual).get(documents.lang)
            lines.append(f"{what}\n{self.links.link(doc.id, doc.filename, now)}")
        items = [{"text": "\n\n".join(lines)}] + [{"text": text} for text in documents.after]
        if not await self.send_replies(openid, items):
            await asyncio.to_thread(
                retry_delivery, engine, delivery_id, documents.attempts, self.clock(), "refused"
            )
            return False
        await asyncio.to_thread(finish_delivery, engine, delivery_id, self.clock())
        log.info("delivery %s: %s document links sent", delivery_id, len(documents.documents))
        return True

    def _lang_of(self, openid: str) -> Lang:
        with session_scope(self.db.engine) as session:
            applicant = applicant_by_channel(session, CHANNEL, openid)
            return "en" if applicant is not None and applicant.language == "en" else "zh"

    def _status_lines(
        self, openid: str, lang: Lang, newest_only: bool, only: int | None, cancel: bool = False
    ) -> list[str]:
        """Each filing as it is now, with the links of what the person can do with it (the
        text names only those); `cancel`: only the filings that can be cancelled."""
        ctx = self.context()
        reviewers = bool(self.reviewers.ids(self.db.engine))
        with session_scope(self.db.engine) as session:
            applicant = applicant_by_channel(session, CHANNEL, openid)
            if applicant is None or applicant.id is None:
                return []
            found = filings_of(session, applicant.id)
            if only is not None:
                found = [f for f in found if f.id == only]
            elif newest_only:
                found = found[:1]
            shown = []
            for filing in found:
                if filing.id is None:
                    continue
                actions = applicant_actions(state_of(filing), reviewers)
                if cancel and CODES[FilingEvent.CANCEL] not in {c for _, c in actions}:
                    continue
                labels = frozenset(label.get(lang) for label, _ in actions)
                lines = describe(filing, ctx, lang, masked=False, buttons=labels)
                lines += action_lines(filing.id, filing.version, actions, lang)
                shown.append("\n".join(lines))
            return shown

    async def send_status(
        self, openid: str, lang: Lang, *, newest_only: bool = False, only: int | None = None
    ) -> bool:
        """Send the person's filings as they are now; False when they have none."""
        lines = await asyncio.to_thread(self._status_lines, openid, lang, newest_only, only)
        if not lines:
            return False
        await self.send_replies(openid, [{"text": line} for line in lines])
        return True

    async def _close_site(self, openid: str) -> None:
        """/close_site (注销): the filings that can be cancelled, with their 注销 link."""
        lang = await asyncio.to_thread(self._lang_of, openid)
        lines = await asyncio.to_thread(self._status_lines, openid, lang, False, None, True)
        if not lines:
            await self.send_replies(openid, [{"text": texts.NOTHING_TO_CLOSE.get(lang)}])
            return
        label = EVENT_LABELS[FilingEvent.CANCEL].get(lang)
        head = texts.CLOSE_SITE.fill(lang, label=label)
        await self.send_replies(openid, [{"text": head}, *({"text": line} for line in lines)])

    def _documents_of_newest(
        self, openid: str, filing_id: int | None = None
    ) -> tuple[Lang, list[tuple[int, str, str]]] | None:
        """The person's newest filing's documents (or those of `filing_id`, theirs)."""
        with session_scope(self.db.engine) as session:
            applicant = applicant_by_channel(session, CHANNEL, openid)
            if applicant is None or applicant.id is None:
                return None
            found = filings_of(session, applicant.id)
            if filing_id is not None:
                found = [f for f in found if f.id == filing_id]
            if not found or found[0].id is None:
                return None
            filing = found[0]
            lang: Lang = "en" if applicant.language == "en" else "zh"
            individual = (filing.data or {}).get("subject_type") == "individual"
            rows = session.exec(
                select(GeneratedDocument.id, GeneratedDocument.kind, GeneratedDocument.filename)
                .where(GeneratedDocument.filing_id == filing.id, GeneratedDocument.format == "pdf")
                .order_by(col(GeneratedDocument.id))
            ).all()
            latest = {name: (document_id, kind) for document_id, kind, name in rows}  # by name
            documents = [
                (
                    int(document_id),
                    name,
                    caption(DocumentKind(kind), individual=individual).get(lang),
                )
                for name, (document_id, kind) in latest.items()
                if document_id is not None
            ]
            return lang, documents

    async def send_documents_of(self, openid: str, filing_id: int | None = None) -> None:
        """Send fresh links to the documents of the person's newest filing (or `filing_id`)."""
        found = await asyncio.to_thread(self._documents_of_newest, openid, filing_id)
        if found is None or not found[1]:
            lang = await asyncio.to_thread(self._lang_of, openid)
            await self.send_replies(openid, [{"text": texts.NO_FILING.get(lang)}])
            return
        lang, documents = found
        now = self.clock()
        lines = [texts.DOCUMENTS.fill(lang, hours=self.links.hours)]
        lines += [f"{what}\n{self.links.link(i, name, now)}" for i, name, what in documents]
        await self.send_replies(openid, [{"text": "\n\n".join(lines)}])

    async def _after_the_interview(self, openid: str, word: str) -> bool:
        """/status and /documents once the interview is over (False: the interview answers)."""

        def interviewing() -> bool:
            with session_scope(self.db.engine) as session:
                applicant = applicant_by_channel(session, CHANNEL, openid)
                if applicant is None or applicant.id is None:
                    return True
                return active_interview(session=session, applicant_id=applicant.id) is not None

        if await asyncio.to_thread(interviewing):
            return False
        if word in ("documents", "文件"):
            await self.send_documents_of(openid)
            return True
        lang = await asyncio.to_thread(self._lang_of, openid)
        if not await self.send_status(openid, lang):
            await self.send_replies(openid, [{"text": texts.NO_FILING.get(lang)}])
        return True


__all__ = ["CHANNEL", "WeChatChannel", "format_reply", "items_of", "plan_of"]
