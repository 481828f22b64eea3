"""The WeChat channel's inbox: callbacks stored before "success", processed chat by chat.

A callback is stored (and committed) before WeChat is answered "success" (`accept`); a
redelivery (WeChat retries three times when no answer comes within 5 s) hits the inbox's
key (the MsgId) and is skipped. Each chat (an openid) is processed by the instance holding
its claim, one message at a time, in the inbox's order, by the subclass's `handle`; a turn
marks its row done in its own transaction with the plan of its replies, which are sent after
the commit (`send_plan`) and cleared in a batch. A sweep picks up what a crash left: the rows
of a process killed after its "success", and the plans it had not sent.

The same tables and statements as Telegram's (`models.inbox`); a smaller processor than
`bot.tg.inbox`, which is bound to python-telegram-bot's `Update`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from bot.wx.ids import chat_number
from bot.wx.protocol import Incoming
from models import inbox
from models.database import Database
from models.db import Raw

log = logging.getLogger(__name__)

CLAIM_LEASE = dt.timedelta(seconds=30)
SWEEP_EVERY = 0.5  # seconds
FLUSH_AFTER = 0.05  # seconds from a sent plan to its row's reply cleared (with others)
CHANNEL = "wechat"


@dataclass(kw_only=True)
class WeChatInbox:
    """Store callbacks, then process them chat by chat (`handle`, `send_plan`: the channel's)."""

    db: Database
    clock: Callable[[], dt.datetime]
    holder: str
    bot_id: int
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
    _in_hand: set[int] = field(default_factory=set)  # turns being taken and sent here
    _sent: list[int] = field(default_factory=list)  # plans sent, their replies not cleared yet
    _flush_task: asyncio.Task[None] | None = None

    async def handle(self, incoming: Incoming) -> bool:
        """Answer one message; True when a turn marked its inbox row done."""
        raise NotImplementedError

    async def send_plan(self, openid: str, plan: Sequence[dict[str, Any]]) -> None:
        """Send a turn's planned replies to a person."""
        raise NotImplementedError

    async def _apologise(self, openid: str) -> None:
        """Tell the person briefly that their message failed."""
        raise NotImplementedError

    def __post_init__(self) -> None:
        self._semaphore = asyncio.Semaphore(self.max_concurrent)

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
            # The row's own address (its payload is dropped once done, `models.inbox`).
            openid = row.chat_ref or ""
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

    async def _mark_done(self, key: int) -> None:
        def done(raw: Raw) -> None:
            inbox.mark_done(raw, bot_id=self.bot_id, update_id=key, now=self.clock())
            raw.commit()

        await self.db.run(done)

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
