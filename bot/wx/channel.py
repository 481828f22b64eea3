"""The WeChat channel: callbacks stored in the inbox, processed chat by chat, answered with
customer-service messages after the turn's commit.

A callback is stored (and committed) before WeChat is answered "success" (`accept`); a
redelivery (WeChat retries three times when no answer comes within 5 s) hits the inbox's
key (the MsgId) and is skipped. Each chat (an openid) is processed by the instance holding
its claim, one message at a time, in the inbox's order; the turn marks its row done in its
own transaction, and its replies are sent after the commit by `send_replies`, the one
function of (openid, reply items) that a recovery of stored replies calls too. A sweep picks
up what a crash left (the rows of a process killed after its "success").
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from sqlmodel import col, select

from bot.conversation import Conversations, Who
from bot.deliveries import RenderSet, finish_delivery, prepare_documents, retry_delivery
from bot.filing_actions import Reviewers, describe, reopening
from bot.submission import Submitted, submission_writer
from bot.wx import texts
from bot.wx.api import WeChatApi
from bot.wx.links import Links
from bot.wx.protocol import Incoming, chat_number
from dialogs.commands import Command, read_command
from dialogs.model import Context, Input, Reply, ShowFilings, Step
from documents.captions import caption
from models import inbox
from models.database import Database
from models.db import Raw, session_scope
from models.filings import applicant_by_channel, filings_of
from models.repo import active_interview
from models.tables import GeneratedDocument
from rules.enums import DocumentKind
from rules.text import Lang

log = logging.getLogger(__name__)

CHANNEL = "wechat"
CLAIM_LEASE = dt.timedelta(seconds=30)
SWEEP_EVERY = 0.5  # seconds
FLUSH_AFTER = 0.05  # seconds from a sent plan to its row's reply cleared (with others)
_REOPENING = {Command.CHANGE: "change", Command.AMEND: "amend"}

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
        plan: list[dict[str, Any]] = [
            {"op": "texts", "items": items_of(step.replies[:1])},
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


@dataclass
class WeChatChannel:
    """Store callbacks, process them chat by chat, send the turns' replies."""

    db: Database
    api: WeChatApi
    context: Callable[[], Context]
    clock: Callable[[], dt.datetime]
    conversations: Conversations
    render_set: RenderSet
    links: Links
    holder: str
    bot_id: int
    reviewers: Reviewers = field(default_factory=Reviewers)
    lang: Lang = "zh"  # a new interview's language (WeChat does not say the person's)
    lease: dt.timedelta = CLAIM_LEASE
    # Messages in hand at once (of different chats): a turn runs its statements on the loop
    # (SQLite), so more only makes the callbacks queue behind turns (bench/bench_wechat.py).
    max_concurrent: int = 8
    _semaphore: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(8))
    # Callbacks waiting for the next commit (group commit: one commit stores every callback
    # that arrived while the previous one was being written).
    _arrived: list[tuple[inbox.Received, asyncio.Future[bool]]] = field(default_factory=list)
    _storing: asyncio.Task[None] | None = None
    _chats: dict[int, asyncio.Task[None]] = field(default_factory=dict)
    _more: set[int] = field(default_factory=set)
    _held: dict[int, dt.datetime] = field(default_factory=dict)
    # Stored by this process, not processed yet: their payloads (a turn need not read its row
    # back), at most `max_local` of them; past that they are read back from the database.
    _fresh: dict[int, dict[str, Any]] = field(default_factory=dict)
    max_local: int = 1024
    _stopping: bool = False
    sent: int = 0  # customer-service messages sent (the benchmark reads it)
    # Sends the due notices of WeChat applicants (`bot.wx.outbound`: a change's deadline).
    notify: Callable[[], Awaitable[int]] | None = None
    _in_hand: set[int] = field(default_factory=set)  # turns being taken and sent here
    _sent: list[int] = field(default_factory=list)  # plans sent, their replies not cleared yet
    _flush_task: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        self._semaphore = asyncio.Semaphore(self.max_concurrent)

    # --- storing ---------------------------------------------------------------------------

    async def accept(self, incoming: Incoming) -> bool:
        """Store one callback (committed when this returns) and wake its chat; False when it
        was stored before (a redelivery)."""
        received = inbox.Received(
            incoming.key,
            chat_number(incoming.openid),
            inbox.storable(incoming.payload()),
            CHANNEL,
            incoming.openid,
        )
        if self.db.inline and self._storing is None:
            # SQLite on the loop: one insert and commit (~0.2 ms) in this very step, with no
            # hop through a task; a busy database sends it to a thread (then others batch).
            new = await self.db.run(partial(self._ingest, [received], self.clock()))
            fresh = bool(new)
        else:
            stored: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            self._arrived.append((received, stored))
            if self._storing is None:
                self._storing = asyncio.create_task(self._store())
            fresh = await stored
        if not fresh:
            log.info("wechat message %s refused: duplicate (already received)", incoming.key)
            return False
        if len(self._fresh) < self.max_local:
            self._fresh[incoming.key] = received.payload
        self.wake(received.chat_id)
        return True

    def _ingest(self, rows: list[inbox.Received], now: dt.datetime, raw: Raw) -> list[int]:
        return inbox.ingest(raw, bot_id=self.bot_id, updates=rows, now=now)

    async def _store(self) -> None:
        """Store what arrived, a batch per commit, until nothing waits."""
        try:
            while self._arrived:
                batch, self._arrived = self._arrived, []
                rows = [received for received, _ in batch]
                now = self.clock()
                try:
                    new = set(await self.db.run(partial(self._ingest, rows, now)))
                except Exception as exc:
                    for _, stored in batch:
                        if not stored.done():
                            stored.set_exception(exc)
                    continue
                for received, stored in batch:  # a key twice in a batch: new once
                    if not stored.done():
                        stored.set_result(received.update_id in new)
                    new.discard(received.update_id)
        finally:
            self._storing = None

    # --- processing ------------------------------------------------------------------------

    def wake(self, chat_id: int) -> None:
        """Make sure the chat's waiting messages get processed (here, if we hold it)."""
        if self._stopping:
            return
        if chat_id in self._chats:
            self._more.add(chat_id)
            return
        self._chats[chat_id] = asyncio.create_task(self._run_chat(chat_id), name=f"wx:{chat_id}")

    async def _run_chat(self, chat_id: int) -> None:
        try:
            while not self._stopping:
                self._more.discard(chat_id)
                fresh = chat_id not in self._held
                found = await self.db.run(
                    partial(self._claimed_pending, chat_id, self.clock(), fresh)
                )
                if found is None:  # another instance holds the chat: it processes its rows
                    for key in [k for k, p in self._fresh.items() if self._chat_of(p) == chat_id]:
                        del self._fresh[key]
                    return
                ids, unsent = found
                for row in unsent:  # a crash's replies first: they answer earlier messages
                    await self._resend(row)
                for key in ids:
                    if self._stopping:
                        return
                    await self._process(chat_id, key)
                if chat_id not in self._more:
                    return
        except Exception:
            log.exception("wechat chat %s stopped; its messages wait for the next sweep", chat_id)
        finally:
            self._chats.pop(chat_id, None)
            self._more.discard(chat_id)

    @staticmethod
    def _chat_of(payload: dict[str, Any]) -> int:
        return chat_number(str(payload.get("openid", "")))

    def _claimed_pending(
        self, chat_id: int, now: dt.datetime, fresh: bool, raw: Raw
    ) -> tuple[list[int], list[inbox.Unsent]] | None:
        """Hold the chat, then return its waiting messages and — when it was not held here
        (`fresh`: a restart, another instance's crash) — the replies left unsent on its done
        rows; None when another instance holds it."""
        until = self._held.get(chat_id)
        if until is None or until - now <= self.lease / 2:
            held = inbox.claim_chat(
                raw,
                bot_id=self.bot_id,
                chat_id=chat_id,
                holder=self.holder,
                now=now,
                lease=self.lease,
            )
            if not held:
                self._held.pop(chat_id, None)
                return None
            self._held[chat_id] = now + self.lease
        ids = inbox.pending_ids(raw, bot_id=self.bot_id, chat_id=chat_id)
        if not fresh:
            return ids, []
        unsent = inbox.unsent(raw, bot_id=self.bot_id, holder=self.holder, now=now, chat_id=chat_id)
        return ids, [u for u in unsent if self._mine_to_send(u)]

    def _mine_to_send(self, row: inbox.Unsent) -> bool:
        """Say whether a stored plan is a crash's (not one this process is sending or sent)."""
        return row.update_id not in self._in_hand and row.update_id not in self._sent

    async def _resend(self, row: inbox.Unsent) -> None:
        """Send a plan a crash left unsent, to the openid its row came from, then forget it
        (once, even if it fails: a reply is never sent in a loop)."""
        try:
            found = await self.db.run(
                lambda raw: inbox.stored_update(raw, bot_id=self.bot_id, update_id=row.update_id)
            )
            openid = str(found[0].get("openid", "")) if found is not None else ""
            if openid:
                log.info("wechat message %s: its replies sent after a restart", row.update_id)
                await self.send_plan(openid, row.reply)
        except Exception:
            log.exception("wechat message %s: sending its stored replies failed", row.update_id)
        finally:
            await self.db.run(
                lambda raw: inbox.mark_sent(raw, bot_id=self.bot_id, update_ids=[row.update_id])
            )

    def _flush_soon(self) -> None:
        """Forget sent plans FLUSH_AFTER from now, with whatever else was sent meanwhile (one
        write for many turns; a crash repeats only plans that recent)."""
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = asyncio.create_task(self._flush_later(), name="wx:sent")

    async def _flush_later(self) -> None:
        await asyncio.sleep(FLUSH_AFTER)
        try:
            await self.flush_sent()
        except Exception:
            log.exception("forgetting sent replies failed; the sweep tries again")

    async def flush_sent(self) -> None:
        """Forget the plans sent since the last flush (one trip for all of them)."""
        if not self._sent:
            return
        sent, self._sent = self._sent, []
        try:
            await self.db.run(lambda raw: inbox.mark_sent(raw, bot_id=self.bot_id, update_ids=sent))
        except Exception:
            self._sent.extend(sent)
            raise

    async def _process(self, chat_id: int, key: int) -> None:
        async with self._semaphore:
            await self._process_one(key)

    async def _process_one(self, key: int) -> None:
        fresh = self._fresh.pop(key, None)
        if fresh is not None:  # stored here a moment ago: no crash has cut it short
            payload, attempts = fresh, 0
        else:
            found = await self.db.run(
                lambda raw: inbox.stored_update(raw, bot_id=self.bot_id, update_id=key)
            )
            if found is None:
                return
            payload, attempts = found
        incoming = Incoming.from_payload(key, payload)
        if fresh is None and attempts >= inbox.MAX_ATTEMPTS:
            log.error("wechat message %s given up after %s interrupted attempts", key, attempts)
            await self._mark_done(key)
            await self._apologise(incoming.openid)
            return
        if fresh is None:
            await self.db.run(
                lambda raw: inbox.count_attempt(raw, bot_id=self.bot_id, update_id=key)
            )
            log.info("wechat message %s recovered from the inbox (attempt %s)", key, attempts + 1)
        done = False
        try:
            done = await self.handle(incoming)
        except Exception:
            log.exception("wechat message %s failed", key)
            await self._apologise(incoming.openid)
        if not done:
            await self._mark_done(key)

    async def _apologise(self, openid: str) -> None:
        """Tell the person briefly, in their language, that their message failed (never a
        traceback; the apology must not raise in its turn)."""
        try:
            lang = await asyncio.to_thread(self._lang_of, openid)
        except Exception:
            lang = "zh"
        with contextlib.suppress(Exception):
            await self.send_replies(openid, [{"text": texts.SORRY.get(lang)}])

    async def _mark_done(self, key: int) -> None:
        def done(raw: Raw) -> None:
            inbox.mark_done(raw, bot_id=self.bot_id, update_id=key, now=self.clock())
            raw.commit()

        await self.db.run(done)

    # --- one message -----------------------------------------------------------------------

    async def handle(self, incoming: Incoming) -> bool:
        """Answer one message; True when a turn marked its inbox row done."""
        if incoming.kind == "ignore":
            return False
        if incoming.kind in ("unreadable", "other"):
            return await self._turn(incoming, Input.nothing())
        text = incoming.text or ""
        words = text.strip().split()
        first = words[0].lower().lstrip("/／") if words else ""
        if first == "close_site":
            lang = await asyncio.to_thread(self._lang_of, incoming.openid)
            await self.send_replies(incoming.openid, [{"text": texts.CLOSE_SITE.get(lang)}])
            return False
        after = len(words) == 1 and first in ("status", "documents", "状态", "进度", "文件")
        if after and await self._after_the_interview(incoming.openid, first):
            return False
        command = read_command(text)
        reopen = _REOPENING.get(command.command) if command is not None else None
        since = None
        if reopen is not None:
            engine = self.db.engine
            may = await asyncio.to_thread(reopening, engine, CHANNEL, incoming.openid, reopen)
            if may.refusal is not None:
                lang = await asyncio.to_thread(self._lang_of, incoming.openid)
                await self.send_replies(incoming.openid, [{"text": may.refusal.get(lang)}])
                return False
            since = may.since
        return await self._turn(incoming, Input.typed(text, ref=str(incoming.key), since=since))

    async def _turn(self, incoming: Incoming, inp: Input) -> bool:
        ctx = replace(self.context(), buttons=False)  # choices are numbered lines to type
        key = (self.bot_id, incoming.key)
        self._in_hand.add(incoming.key)
        try:
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
            self._sent.append(incoming.key)
            self._flush_soon()
            return True
        finally:
            self._in_hand.discard(incoming.key)

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
                    await self._send_status(openid, lang, only=int(only))
                elif not await self._send_status(
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

    # --- documents and filings ---------------------------------------------------------------

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
        self, openid: str, lang: Lang, newest_only: bool, only: int | None
    ) -> list[str]:
        ctx = self.context()
        with session_scope(self.db.engine) as session:
            applicant = applicant_by_channel(session, CHANNEL, openid)
            if applicant is None or applicant.id is None:
                return []
            found = filings_of(session, applicant.id)
            if only is not None:
                found = [f for f in found if f.id == only]
            elif newest_only:
                found = found[:1]
            return ["\n".join(describe(f, ctx, lang, masked=False)) for f in found]

    async def _send_status(
        self, openid: str, lang: Lang, *, newest_only: bool = False, only: int | None = None
    ) -> bool:
        """Send the person's filings as they are now; False when they have none."""
        lines = await asyncio.to_thread(self._status_lines, openid, lang, newest_only, only)
        if not lines:
            return False
        await self.send_replies(openid, [{"text": line} for line in lines])
        return True

    def _documents_of_newest(self, openid: str) -> tuple[Lang, list[tuple[int, str, str]]] | None:
        with session_scope(self.db.engine) as session:
            applicant = applicant_by_channel(session, CHANNEL, openid)
            if applicant is None or applicant.id is None:
                return None
            found = filings_of(session, applicant.id)
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
            found = await asyncio.to_thread(self._documents_of_newest, openid)
            if found is None or not found[1]:
                lang = await asyncio.to_thread(self._lang_of, openid)
                await self.send_replies(openid, [{"text": texts.NO_FILING.get(lang)}])
                return True
            lang, documents = found
            now = self.clock()
            lines = [texts.DOCUMENTS.fill(lang, hours=self.links.hours)]
            lines += [f"{what}\n{self.links.link(i, name, now)}" for i, name, what in documents]
            await self.send_replies(openid, [{"text": "\n\n".join(lines)}])
            return True
        lang = await asyncio.to_thread(self._lang_of, openid)
        if not await self._send_status(openid, lang):
            await self.send_replies(openid, [{"text": texts.NO_FILING.get(lang)}])
        return True

    # --- sweeping and stopping ---------------------------------------------------------------

    async def sweep(self) -> int:
        """Wake every chat with waiting messages that nobody else holds; return how many."""
        now = self.clock()
        await self.flush_sent()
        chats = await self.db.run(
            lambda raw: inbox.waiting_chats(raw, bot_id=self.bot_id, holder=self.holder, now=now)
        )
        unsent = await self.db.run(
            lambda raw: inbox.unsent(raw, bot_id=self.bot_id, holder=self.holder, now=now)
        )
        for row in unsent:  # a crash's replies: sent by whoever takes the chat, first
            if self._mine_to_send(row) and row.chat_id not in chats:
                self._held.pop(row.chat_id, None)  # taken afresh: its replies are read then
                chats.append(row.chat_id)
        woken = 0
        for chat_id in chats:
            if chat_id not in self._chats:
                self.wake(chat_id)
                woken += 1
        for chat_id, until in list(self._held.items()):
            if until <= now and chat_id not in self._chats:
                del self._held[chat_id]
        return woken

    async def sweep_forever(self, every: float = SWEEP_EVERY) -> None:
        """Sweep until stopped (a failed sweep is logged and tried again)."""
        while not self._stopping:
            try:
                await self.sweep()
            except Exception:
                log.exception("wechat inbox sweep failed")
            await asyncio.sleep(every)

    async def idle(self) -> None:
        """Wait until no chat has work in hand (tests and benchmarks)."""
        while self._chats:
            await asyncio.wait(list(self._chats.values()))

    async def drain(self) -> None:
        """Finish the messages in hand, start no more, and give up every claim."""
        self._stopping = True
        if self._chats:
            await asyncio.wait(list(self._chats.values()))
        with contextlib.suppress(Exception):
            await self.flush_sent()
        held = list(self._held)
        self._held.clear()
        for chat_id in held:
            with contextlib.suppress(Exception):
                await self.db.run(partial(self._release, chat_id))

    def _release(self, chat_id: int, raw: Raw) -> None:
        inbox.release_chat(raw, bot_id=self.bot_id, chat_id=chat_id, holder=self.holder)
