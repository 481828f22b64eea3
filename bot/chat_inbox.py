"""The inbox's processor, for every channel: messages stored before they are acknowledged,
then processed chat by chat, each chat's in the order they were stored.

`accept` (the adapter's) stores messages and commits before the caller acknowledges them
(Telegram's 200 or next getUpdates offset, WeChat's "success"), then wakes their chat; a
quiet chat's message is stored with its turn instead (`bot.answer_first`). A chat
is processed by the instance holding its claim (`models.inbox`), kept a while after the chat
goes quiet, so a person's next messages find their interview still in memory. A sweep picks
up what no wake-up announced: a crash's messages, rows another instance stored for a chat held
here, chats whose holder died; on PostgreSQL instances also wake each other (`models.wakeups`).

A turn marks its message done in its own transaction (`current_ticket`) with the plan of its
replies, sent after the commit and cleared in a batch; a crash's unsent plans are sent by
whoever takes the chat next, first. A message no turn takes is marked done once handled; one
a crash cut short MAX_ATTEMPTS times is given up, with an apology.

The channel is an adapter (a subclass: `parse`, `chat_of`, `handle`, `resend`,
`apologise_for`): Telegram's `bot.tg.inbox.InboxProcessor`, WeChat's `bot.wx.inbox.WeChatInbox`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from bot.answer_first import AnswerFirst
from bot.chat_inbox_io import (
    _CURRENT,
    FLUSH_AFTER,
    Claims,
    GroupCommit,
    Kept,
    SentReplies,
    Ticket,
    _ChatWork,
    current_ticket,
)
from bot.inbox_upkeep import PURGE_EVERY, Upkeep
from models import inbox, wakeups
from models.database import Database
from models.db import Raw

if TYPE_CHECKING:
    from collections.abc import Callable

    from bot.tg.metrics import Metrics

log = logging.getLogger(__name__)

CLAIM_LEASE = dt.timedelta(seconds=30)
SWEEP_EVERY = 0.5  # seconds

Item = TypeVar("Item")
_UNREADABLE = (ValueError, TypeError, KeyError, AttributeError)
__all__ = ["CLAIM_LEASE", "FLUSH_AFTER", "PURGE_EVERY", "ChatInbox", "Ticket", "current_ticket"]


@dataclass(kw_only=True)
class ChatInbox(Generic[Item]):
    """Store messages, then process them chat by chat (the channel's adapter: a subclass)."""

    db: Database
    bot_id: int
    holder: str
    clock: Callable[[], dt.datetime]
    max_concurrent: int = 8
    # A burst beyond these waits in the database, not in memory: a parsed message costs a few
    # KB and a chat's task one more; what a burst took from the allocator is not given back
    # (`bench_memory`: 13 KB per person before these bounds).
    max_local: int = 256  # parsed messages kept in memory until processed
    max_chats: int = 64  # chats worked on at once; the others queue by id
    lease: dt.timedelta = CLAIM_LEASE
    metrics: Metrics | None = None
    what: str = "update"  # how the logs name a message of this channel
    _chats: dict[int, _ChatWork] = field(default_factory=dict)
    _kept: Kept[Item] = field(default_factory=Kept)  # stored here, not processed yet
    _queued: dict[int, None] = field(default_factory=dict)  # chats past `max_chats`, in order
    _channel: str | None = None  # PostgreSQL: where instances wake each other (`listen`)
    _semaphore: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(8))
    _stopping: bool = False
    _upkeep: Upkeep = field(init=False)  # the done rows' purge, PostgreSQL's statistics
    _in_hand: set[int] = field(default_factory=set)  # messages being processed here now
    _turnover: int = 0  # chats' works begun or ended: what a read before them may miss
    _sent: SentReplies = field(init=False)  # their replies sent: to clear (`flush_sent`)
    _claims: Claims = field(init=False)
    answer_first: bool = True  # False: every message stored before it is answered (benches)
    _first: AnswerFirst = field(default_factory=AnswerFirst)
    _writer: GroupCommit = field(init=False)

    def __post_init__(self) -> None:
        self._semaphore = asyncio.Semaphore(self.max_concurrent)
        self._sent = SentReplies(self.db, self.bot_id)
        self._writer = GroupCommit(self.db, self.bot_id, self.clock)
        self._upkeep = Upkeep(self.db)
        self._claims = Claims(self.db, self.bot_id, self.holder, lambda: self.lease)

    # --- the channel's adapter ---------------------------------------------------------------

    def parse(self, key: int, payload: dict[str, Any]) -> Item:
        """Read a stored payload back as the channel's message (raise when it is not one)."""
        raise NotImplementedError

    def chat_of(self, item: Item) -> int:
        """Return the chat whose order a message belongs to."""
        raise NotImplementedError

    async def handle(self, item: Item) -> bool:
        """Answer one message; True when its turn marked its row done (else the ticket says)."""
        raise NotImplementedError

    async def resend(self, row: inbox.Unsent) -> None:
        """Send the replies a crash left stored on a done row."""
        raise NotImplementedError

    async def apologise_for(self, chat_id: int, item: Item | None) -> None:
        """Tell a person briefly that their message failed (never raises)."""
        raise NotImplementedError

    # --- storing -----------------------------------------------------------------------------

    async def store(self, arrived: list[tuple[Item, inbox.Received]]) -> list[int]:
        """Store messages (committed when this returns) and wake their chats; return the ids
        that were new (a redelivery is logged and skipped)."""
        if not arrived:
            return []
        if len(arrived) == 1 and await self._first.answer(self, *arrived[0]):
            return [arrived[0][1].update_id]
        waiting: list[int] | None = None
        if len(arrived) == 1 and self._writer.alone():  # a webhook's message: its chat's
            turnover = self._turnover  # waiting ids come with the insert (one trip less)
            stored, waiting = await self._writer.insert_one(arrived[0][1])
            new = {arrived[0][1].update_id} if stored else set()
            if self._turnover != turnover:  # a chat's work began or ended meanwhile (the
                waiting = None  # insert waited in a thread): what was read may be done
        else:
            new = await self._writer.insert([row for _, row in arrived])
        fresh: list[int] = []
        for item, row in arrived:
            if row.update_id not in new:
                log.info("%s %s refused: duplicate (already received)", self.what, row.update_id)
                if self.metrics is not None:
                    self.metrics.updates.labels("duplicate").inc()
                continue
            new.discard(row.update_id)  # an id twice in one batch is new once
            fresh.append(row.update_id)
            self._kept.keep(row, item, self.max_local)
            self.wake(row.chat_id, waiting)
        return sorted(fresh)

    # --- processing --------------------------------------------------------------------------

    def wake(self, chat_id: int, waiting: list[int] | None = None) -> None:
        """Make sure the chat's waiting messages get processed (here, if we hold it);
        `waiting`: its waiting ids, just read (used only by a chat not in hand)."""
        if self._stopping:
            return
        work = self._chats.get(chat_id)
        if work is not None:
            work.more = True
            return
        if len(self._chats) >= self.max_chats:
            self._queued[chat_id] = None  # started when a chat in hand is finished
            return
        self._queued.pop(chat_id, None)
        work = _ChatWork(waiting=waiting)
        self._chats[chat_id] = work
        self._turnover += 1
        work.task = asyncio.create_task(self._run_chat(chat_id, work), name=f"inbox:{chat_id}")

    async def _run_chat(self, chat_id: int, work: _ChatWork) -> None:
        try:
            while not self._stopping:
                if work.waiting is None:  # a look at the database: what woke it so far is in
                    work.more = False  # (the ids it was woken with: look once more after)
                # Not holding the chat, this instance may find another does: the notes that
                # would tell it go with the claim's attempt, in the same trip.
                fresh = chat_id not in self._claims.held
                found = await self._look(chat_id, work, fresh)
                if found is None:  # another instance holds the chat: it processes these rows
                    self._hand_over(chat_id)
                    return
                ids, unsent = found
                for row in unsent:  # a crash's replies first: they answer earlier messages
                    await self._resend(row)
                for key in ids:
                    if self._stopping:
                        return
                    if not await self._process(chat_id, key):
                        self._hand_over(chat_id)  # the claim ran out and another took it
                        return
                if not work.more:
                    # Rows another instance stores for this chat meanwhile are found by the
                    # sweep; what arrives here wakes the chat (`more`).
                    return
        except Exception:
            log.exception(
                "processing chat %s stopped; its messages wait for the next sweep", chat_id
            )
        finally:
            self._chats.pop(chat_id, None)
            self._turnover += 1
            if self._queued and not self._stopping:
                self.wake(next(iter(self._queued)))

    async def _look(
        self, chat_id: int, work: _ChatWork, fresh: bool
    ) -> tuple[list[int], list[inbox.Unsent]] | None:
        """The chat's waiting ids (and a crash's unsent replies) as `_claimed_pending` gives
        them; without a trip when they came with the insert that woke the chat and the
        chat is held here with no renewal due (nothing else can have processed them)."""
        waiting, work.waiting = work.waiting, None
        now = self.clock()
        if waiting is not None and not fresh and not self._claims.renewal_due(chat_id, now):
            return waiting, []
        notes = self._notes(chat_id) if fresh else []
        return await self.db.run(partial(self._claimed_pending, chat_id, now, notes, fresh))

    def _claimed_pending(
        self, chat_id: int, now: dt.datetime, notes: list[str], fresh: bool, raw: Raw
    ) -> tuple[list[int], list[inbox.Unsent]] | None:
        """Hold the chat (renewing the claim when half of it is gone), then return its waiting
        ids oldest first and — when the chat was not held here (`fresh`: after a restart, or
        another instance's crash) — the replies left unsent on its done rows; None when
        another instance holds it, which is then sent `notes` (PostgreSQL). One trip to the
        database: run by `Database.run`, on the loop on SQLite."""
        claims = self._claims
        if claims.renewal_due(chat_id, now) and not claims.claim(chat_id, now, raw):
            channel = self._channel
            if channel is not None and notes:
                wakeups.send(raw, channel, notes)
            return None
        ids = inbox.pending_ids(raw, bot_id=self.bot_id, chat_id=chat_id)
        if not fresh:
            return ids, []
        unsent = inbox.unsent(raw, bot_id=self.bot_id, holder=self.holder, now=now, chat_id=chat_id)
        return ids, [u for u in unsent if self._mine_to_send(u)]

    def _mine_to_send(self, row: inbox.Unsent) -> bool:
        """Say whether a stored reply is a crash's (not one this process is sending or sent)."""
        return row.update_id not in self._in_hand and row.update_id not in self._sent

    async def _resend(self, row: inbox.Unsent) -> None:
        """Send the replies a crash left unsent, then forget them (once, even if it fails:
        what failed is logged, and a reply is never sent in a loop)."""
        try:
            log.info(
                "%s %s: its replies resent (a restart, or a failed send)", self.what, row.update_id
            )
            await self.resend(row)
        except Exception:
            log.exception("%s %s: resending its replies failed", self.what, row.update_id)
        finally:
            await self.db.run(
                lambda raw: inbox.mark_sent(raw, bot_id=self.bot_id, update_ids=[row.update_id])
            )

    async def _process(self, chat_id: int, key: int) -> bool:
        """Process one waiting message; False (nothing done) when the chat is no longer ours."""
        async with self._semaphore:
            # Checked once this message's turn has come (it may have waited here long): a
            # chat is processed by one instance at a time, in order.
            if not await self._claims.still_held(chat_id, self.clock()):
                return False
            item = self._kept.take(key)
            if item is None and self._kept.only_stored(chat_id, key):
                item = await self._read_back(key)
            elif item is None:
                item = await self._recovered(chat_id, key)
            if item is None:
                return True
            await self._answer(chat_id, key, item)
        return True

    async def _answer(self, chat_id: int, key: int, item: Item) -> None:
        """Answer one message under its ticket; mark it done unless its turn did."""
        ticket = Ticket((self.bot_id, key))
        token = _CURRENT.set(ticket)
        held = inbox.hold_unstored(record := self._first.begin(key))
        started = time.perf_counter()
        self._in_hand.add(key)
        done = False
        try:
            done = await self.handle(item)
        except inbox.StoreFirst:
            pass  # behind an earlier message of its chat: processed again after it (below)
        except Exception:
            log.exception("%s %s failed", self.what, key)
            await self.apologise_for(chat_id, item)
        finally:
            _CURRENT.reset(token)
            inbox.release_unstored(held, record)
            if ticket.replies and not ticket.unsent:  # sent: forget them
                self._sent.add(key)
            self._in_hand.discard(key)
            if self.metrics is not None:
                self.metrics.step_seconds.observe(time.perf_counter() - started)
                self.metrics.updates.labels("processed").inc()
        if record is not None and record.requeue:
            self._first.again(self, record, item)
        elif not (done or ticket.done) or (record is not None and not record.stored):
            await self._mark_done(key, record)  # (answered first, nothing written: stored now)

    def _parsed(self, key: int, payload: dict[str, Any]) -> Item | None:
        try:
            return self.parse(key, payload)
        except _UNREADABLE:
            log.warning("%s %s: its stored copy is not readable; left out", self.what, key)
            return None

    async def _read_back(self, key: int) -> Item | None:
        """Load a message this instance stored but did not keep in memory (a burst)."""
        found = await self.db.run(
            lambda raw: inbox.stored_update(raw, bot_id=self.bot_id, update_id=key)
        )
        item = None if found is None else self._parsed(key, found[0])
        if found is not None and item is None:
            await self._mark_done(key)
        return item

    async def _recovered(self, chat_id: int, key: int) -> Item | None:
        """Load a message stored before a crash (or by another instance); count the attempt."""
        found = await self.db.run(
            lambda raw: inbox.stored_update(raw, bot_id=self.bot_id, update_id=key)
        )
        if found is None:
            return None
        payload, attempts = found
        item = self._parsed(key, payload)
        if item is None or attempts >= inbox.MAX_ATTEMPTS:
            if item is not None:
                log.error("%s %s given up after %s interrupted attempts", self.what, key, attempts)
                if self.metrics is not None:
                    self.metrics.updates.labels("given_up").inc()
            await self._mark_done(key)
            if item is not None:
                await self.apologise_for(chat_id, item)
            return None
        await self.db.run(lambda raw: inbox.count_attempt(raw, bot_id=self.bot_id, update_id=key))
        log.info("%s %s recovered from the inbox (attempt %s)", self.what, key, attempts + 1)
        return item

    async def _mark_done(self, key: int, record: inbox.Unstored | None = None) -> None:
        finish = partial(inbox.finish, bot_id=self.bot_id, update_id=key, now=self.clock())
        await self.db.run(partial(finish, record=record), stores_update=True)

    # --- between instances (PostgreSQL) ------------------------------------------------------

    def _notes(self, chat_id: int) -> list[str]:
        """The wake-ups that would tell a chat's holder of the messages stored here for it;
        none on SQLite, or while not listening (the holder's sweep finds them)."""
        return [] if self._channel is None else self._kept.notes(self.bot_id, chat_id, self.chat_of)

    def _hand_over(self, chat_id: int) -> None:
        """Forget the messages stored here for a chat another instance holds (it was told)."""
        self._kept.forget_chat(chat_id, self.chat_of)

    def _woken(self, payload: str) -> None:
        """Another instance stored a message for a chat: process it if we hold that chat."""
        found = wakeups.read(payload)
        if found is None or found.bot_id != self.bot_id or self._stopping:
            return
        if not self._claims.holds(found.chat_id, self.clock()):
            return  # not ours (any more): the sweep of whoever holds it finds the row
        kept = self._kept.items
        if found.raw is not None and found.update_id not in kept and len(kept) < self.max_local:
            with contextlib.suppress(*_UNREADABLE):
                kept[found.update_id] = self.parse(found.update_id, found.raw)
        self.wake(found.chat_id)

    async def listen_forever(self) -> None:
        """On PostgreSQL, wake chats when other instances say messages wait for them (LISTEN);
        reconnect after an error. Returns at once on SQLite (the sweep does it there)."""
        if self.db.engine.dialect.name != "postgresql":
            return
        while not self._stopping:
            try:
                await wakeups.listen(self.db.engine, self._listening, self._woken)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("inbox wake-ups lost their connection (%s); reconnecting", exc)
            self._channel = None
            await asyncio.sleep(1.0)

    def _listening(self, channel: str) -> None:
        self._channel = channel

    # --- sweeping ----------------------------------------------------------------------------

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
                self._claims.held.pop(row.chat_id, None)  # taken afresh: its replies are read then
                chats.append(row.chat_id)
        woken = 0
        for chat_id in chats:
            if chat_id not in self._chats:
                self.wake(chat_id)
                woken += 1
        self._claims.forget_ended(now, self._chats.__contains__)
        await self._upkeep.run(now)
        return woken

    async def flush_sent(self) -> None:
        """Forget the replies sent since the last flush (one trip for all of them). A crash
        before it repeats them: the replies of the last FLUSH_AFTER seconds, at most."""
        await self._sent.flush()

    async def sweep_forever(self, every: float = SWEEP_EVERY) -> None:
        """Sweep until stopped (a failed sweep is logged and tried again)."""
        while not self._stopping:
            try:
                await self.sweep()
            except Exception:
                log.exception("inbox sweep failed")
            await asyncio.sleep(every)

    async def idle(self) -> None:
        """Wait until no chat has work in hand or queued (tests and benchmarks)."""
        while self._chats:
            tasks = [w.task for w in self._chats.values() if w.task is not None]
            await asyncio.wait(tasks)

    async def drain(self) -> None:
        """Finish the messages in hand, start no more, and give up every claim."""
        self._stopping = True
        tasks = [w.task for w in self._chats.values() if w.task is not None]
        if tasks:
            await asyncio.wait(tasks)
        with contextlib.suppress(Exception):
            await self.flush_sent()
        await self._claims.release_all()
