"""Processing the inbox: each chat's updates in `update_id` order, different chats at once.

`accept` stores updates (and commits) before the caller acknowledges them to Telegram, then
wakes the chat. A chat is processed by the instance holding its claim (`models.inbox`), which
it keeps for a while after the chat goes quiet, so a person's next messages are taken by the
same instance with its interview still in memory. A sweep picks up what no local wake-up
announced: updates left by a crash (processed first at start-up), updates another instance
stored for a chat this one holds, chats whose holder died (its claim runs out).

A handler marks its update done in the transaction of its turn (`current_ticket`); the rest
(an update no handler takes, a refusal) are marked done once handled. An update whose
processing a crash cut short MAX_ATTEMPTS times is given up, with an apology to its chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.tg.metrics import Metrics
from models import inbox, wakeups
from models.database import Database
from models.db import Raw

log = logging.getLogger(__name__)

CLAIM_LEASE = dt.timedelta(seconds=30)
SWEEP_EVERY = 0.5  # seconds
PURGE_EVERY = dt.timedelta(hours=1)
FLUSH_AFTER = 0.05  # seconds from a sent reply to its row's reply cleared (with others)


@dataclass
class Ticket:
    """The inbox row an update in hand came from; `done` once its turn marked it."""

    key: tuple[int, int]  # (bot id, update id)
    done: bool = False
    replies: bool = False  # its turn stored replies with the done mark: cleared once sent
    unsent: bool = False  # sending them failed (a time-out): left stored, sent again once


_CURRENT: ContextVar[Ticket | None] = ContextVar("beian_inbox_ticket", default=None)


def current_ticket() -> Ticket | None:
    """Return the inbox row of the update being handled (None outside the inbox)."""
    return _CURRENT.get()


def chat_of(update: Update) -> int:
    """Return the chat whose order an update belongs to (its user's, or 0 when neither)."""
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return 0


@dataclass
class _ChatWork:
    task: asyncio.Task[None] | None = None
    more: bool = False  # woken again while working: look once more before stopping


@dataclass
class InboxProcessor:
    """Store updates, then process them chat by chat."""

    app: Application  # type: ignore[type-arg]
    db: Database
    bot_id: int
    holder: str
    clock: Callable[[], dt.datetime]
    max_concurrent: int = 8
    # A burst beyond these waits in the database, not in memory: a parsed update costs a few
    # KB and a chat's task one more; what a burst took from the allocator is not given back
    # (`bench_memory`: 13 KB per person before these bounds).
    max_local: int = 256  # parsed updates kept in memory until processed
    max_chats: int = 64  # chats worked on at once; the others queue by id
    lease: dt.timedelta = CLAIM_LEASE
    apologise: Callable[[int], Coroutine[Any, Any, None]] | None = None
    # Sends a turn's stored replies (`bot.tg.handlers.send_plan`) that a crash left unsent.
    replay: Callable[[int, list[Any]], Coroutine[Any, Any, None]] | None = None
    metrics: Metrics | None = None
    _chats: dict[int, _ChatWork] = field(default_factory=dict)
    _local: dict[int, Update] = field(default_factory=dict)  # stored here, not processed yet
    _raw: dict[int, dict[str, Any]] = field(default_factory=dict)  # their JSON, to hand over
    # Stored past `max_local` (chat -> update ids): read back from the database when processed.
    _stored_only: dict[int, set[int]] = field(default_factory=dict)
    _queued: dict[int, None] = field(default_factory=dict)  # chats past `max_chats`, in order
    _channel: str | None = None  # PostgreSQL: where instances wake each other (`listen`)
    _held: dict[int, dt.datetime] = field(default_factory=dict)  # chat -> our claim's end
    _semaphore: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(8))
    _stopping: bool = False
    _purged_at: dt.datetime | None = None
    _in_hand: set[int] = field(default_factory=set)  # updates being processed here now
    _sent: list[int] = field(default_factory=list)  # their replies sent: to clear (`flush_sent`)
    _flush_task: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        self._semaphore = asyncio.Semaphore(self.max_concurrent)

    # --- storing ---------------------------------------------------------------------------

    async def accept(self, raws: list[dict[str, Any]]) -> tuple[list[int], int]:
        """Store raw updates (committed when this returns) and wake their chats.

        Returns the ids that were new and how many were not readable as updates (logged and
        left out); a redelivered update is logged and skipped."""
        parsed: list[tuple[Update, inbox.Received]] = []
        unreadable = 0
        for raw in map(inbox.storable, raws):
            try:
                update = Update.de_json(raw, self.app.bot)
                if update is None:
                    raise ValueError("empty")
                parsed.append((update, inbox.Received(update.update_id, chat_of(update), raw)))
            except (ValueError, TypeError, KeyError, AttributeError):
                unreadable += 1
                if self.metrics is not None:
                    self.metrics.updates.labels("unreadable").inc()
                log.warning("update %s refused: not readable as an update", _id_of(raw))
        if not parsed:
            return [], unreadable
        now = self.clock()
        received = [r for _, r in parsed]
        new = set(
            await self.db.run(
                lambda raw: inbox.ingest(raw, bot_id=self.bot_id, updates=received, now=now)
            )
        )
        for update, row in parsed:
            if row.update_id not in new:
                log.info("update %s refused: duplicate (already received)", row.update_id)
                if self.metrics is not None:
                    self.metrics.updates.labels("duplicate").inc()
                continue
            if len(self._local) < self.max_local:
                self._local[row.update_id] = update
                self._raw[row.update_id] = row.payload
            else:
                self._stored_only.setdefault(row.chat_id, set()).add(row.update_id)
            self.wake(row.chat_id)
        return sorted(new), unreadable

    # --- processing ------------------------------------------------------------------------

    def wake(self, chat_id: int) -> None:
        """Make sure the chat's waiting updates get processed (here, if we hold it)."""
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
        work = _ChatWork()
        self._chats[chat_id] = work
        work.task = asyncio.create_task(self._run_chat(chat_id, work), name=f"inbox:{chat_id}")

    async def _run_chat(self, chat_id: int, work: _ChatWork) -> None:
        try:
            while not self._stopping:
                work.more = False
                # Not holding the chat, this instance may find another does: the notes that
                # would tell it go with the claim's attempt, in the same trip.
                fresh = chat_id not in self._held
                notes = self._notes(chat_id) if fresh else []
                found = await self.db.run(
                    partial(self._claimed_pending, chat_id, self.clock(), notes, fresh)
                )
                if found is None:  # another instance holds the chat: it processes these rows
                    self._hand_over(chat_id)
                    return
                ids, unsent = found
                for row in unsent:  # a crash's replies first: they answer earlier updates
                    await self._resend(row)
                for update_id in ids:
                    if self._stopping:
                        return
                    if not await self._process(chat_id, update_id):
                        self._hand_over(chat_id)  # the claim ran out and another took it
                        return
                if not work.more:
                    # Rows another instance stores for this chat meanwhile are found by the
                    # sweep; what arrives here wakes the chat (`more`).
                    return
        except Exception:
            log.exception(
                "processing chat %s stopped; its updates wait for the next sweep", chat_id
            )
        finally:
            self._chats.pop(chat_id, None)
            if self._queued and not self._stopping:
                self.wake(next(iter(self._queued)))

    def _claimed_pending(
        self, chat_id: int, now: dt.datetime, notes: list[str], fresh: bool, raw: Raw
    ) -> tuple[list[int], list[inbox.Unsent]] | None:
        """Hold the chat (renewing the claim when half of it is gone), then return its waiting
        update ids oldest first and — when the chat was not held here (`fresh`: after a
        restart, or another instance's crash) — the replies left unsent on its done rows;
        None when another instance holds it, which is then sent `notes` (PostgreSQL). One
        trip to the database: run by `Database.run`, on the loop on SQLite."""
        if self._renewal_due(chat_id, now) and not self._claim(chat_id, now, raw):
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
            if self.replay is not None:
                log.info(
                    "update %s: its replies resent (a restart, or a failed send)", row.update_id
                )
                await self.replay(row.chat_id, row.reply)
        except Exception:
            log.exception("update %s: resending its replies failed", row.update_id)
        finally:
            await self.db.run(
                lambda raw: inbox.mark_sent(raw, bot_id=self.bot_id, update_ids=[row.update_id])
            )

    def _renewal_due(self, chat_id: int, now: dt.datetime) -> bool:
        until = self._held.get(chat_id)
        return until is None or until - now <= self.lease / 2

    def _claim(self, chat_id: int, now: dt.datetime, raw: Raw) -> bool:
        """Take or renew the chat's claim; remember until when it is ours (or that it is not)."""
        held = inbox.claim_chat(
            raw, bot_id=self.bot_id, chat_id=chat_id, holder=self.holder, now=now, lease=self.lease
        )
        if held:
            self._held[chat_id] = now + self.lease
        else:
            self._held.pop(chat_id, None)
        return held

    async def _still_held(self, chat_id: int) -> bool:
        """Renew the chat's claim when half of it is gone; False when another instance took
        the chat meanwhile (an overloaded instance's batch outlived its lease)."""
        now = self.clock()
        if not self._renewal_due(chat_id, now):
            return True
        return await self.db.run(partial(self._claim, chat_id, now))

    async def _process(self, chat_id: int, update_id: int) -> bool:
        """Process one waiting update; False (nothing done) when the chat is no longer ours."""
        ticket = Ticket((self.bot_id, update_id))
        async with self._semaphore:
            # Checked once this update's turn has come (it may have waited here long): a
            # chat is processed by one instance at a time, in order.
            if not await self._still_held(chat_id):
                return False
            update = self._local.pop(update_id, None)
            self._raw.pop(update_id, None)
            if update is None and update_id in self._stored_only.get(chat_id, ()):
                update = await self._read_back(chat_id, update_id)
            elif update is None:
                update = await self._recovered(chat_id, update_id)
                if update is None:
                    return True
            token = _CURRENT.set(ticket)
            started = time.perf_counter()
            self._in_hand.add(update_id)
            try:
                await self.app.process_update(update)
            finally:
                _CURRENT.reset(token)
                if ticket.replies and not ticket.unsent:  # sent: forget them
                    self._sent.append(update_id)
                    self._flush_soon()
                self._in_hand.discard(update_id)
                if self.metrics is not None:
                    self.metrics.step_seconds.observe(time.perf_counter() - started)
                    self.metrics.updates.labels("processed").inc()
        if not ticket.done:
            await self._mark_done(update_id)
        return True

    async def _read_back(self, chat_id: int, update_id: int) -> Update | None:
        """Load an update this instance stored but did not keep in memory (a burst)."""
        ids = self._stored_only[chat_id]
        ids.discard(update_id)
        if not ids:
            del self._stored_only[chat_id]
        found = await self.db.run(
            lambda raw: inbox.stored_update(raw, bot_id=self.bot_id, update_id=update_id)
        )
        return None if found is None else Update.de_json(found[0], self.app.bot)

    async def _recovered(self, chat_id: int, update_id: int) -> Update | None:
        """Load an update stored before a crash (or by another instance); count the attempt."""
        found = await self.db.run(
            lambda raw: inbox.stored_update(raw, bot_id=self.bot_id, update_id=update_id)
        )
        if found is None:
            return None
        payload, attempts = found
        if attempts >= inbox.MAX_ATTEMPTS:
            log.error("update %s given up after %s interrupted attempts", update_id, attempts)
            if self.metrics is not None:
                self.metrics.updates.labels("given_up").inc()
            await self._mark_done(update_id)
            if self.apologise is not None and chat_id:
                await self.apologise(chat_id)
            return None
        await self.db.run(
            lambda raw: inbox.count_attempt(raw, bot_id=self.bot_id, update_id=update_id)
        )
        log.info("update %s recovered from the inbox (attempt %s)", update_id, attempts + 1)
        return Update.de_json(payload, self.app.bot)

    async def _mark_done(self, update_id: int) -> None:
        def done(raw: Raw) -> None:
            inbox.mark_done(raw, bot_id=self.bot_id, update_id=update_id, now=self.clock())
            raw.commit()

        await self.db.run(done)

    # --- between instances (PostgreSQL) ---------------------------------------------------

    def _notes(self, chat_id: int) -> list[str]:
        """The wake-ups that would tell a chat's holder of the updates stored here for it
        (with their JSON, so it need not read them back); none on SQLite."""
        if self._channel is None:
            return []  # SQLite, or not listening: the holder's sweep finds them
        return [
            wakeups.note(self.bot_id, chat_id, update_id, self._raw.get(update_id))
            for update_id, update in self._local.items()
            if chat_of(update) == chat_id
        ] + [
            wakeups.note(self.bot_id, chat_id, update_id, None)
            for update_id in sorted(self._stored_only.get(chat_id, ()))
        ]

    def _hand_over(self, chat_id: int) -> None:
        """Forget the updates stored here for a chat another instance holds (it was told):
        a round-robin load balancer costs the holder no sweep's delay and this one no
        memory."""
        for update_id in [u for u, update in self._local.items() if chat_of(update) == chat_id]:
            self._local.pop(update_id, None)
            self._raw.pop(update_id, None)
        self._stored_only.pop(chat_id, None)

    def _woken(self, payload: str) -> None:
        """Another instance stored an update for a chat: process it if we hold that chat."""
        found = wakeups.read(payload)
        if found is None or found.bot_id != self.bot_id or self._stopping:
            return
        until = self._held.get(found.chat_id)
        if until is None or until <= self.clock():
            return  # not ours (any more): the sweep of whoever holds it finds the row
        if (
            found.raw is not None
            and found.update_id not in self._local
            and len(self._local) < self.max_local
        ):
            with contextlib.suppress(ValueError, TypeError, KeyError, AttributeError):
                update = Update.de_json(found.raw, self.app.bot)
                if update is not None:
                    self._local[found.update_id] = update
        self.wake(found.chat_id)

    async def listen_forever(self) -> None:
        """On PostgreSQL, wake chats when other instances say updates wait for them (LISTEN);
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

    # --- sweeping --------------------------------------------------------------------------

    async def sweep(self) -> int:
        """Wake every chat with waiting updates that nobody else holds; return how many."""
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
        if self._purged_at is None or now - self._purged_at >= PURGE_EVERY:
            self._purged_at = now
            removed = await self.db.run(lambda raw: inbox.purge_done(raw, now=now))
            if removed:
                log.info("inbox: %s done updates purged", removed)
        return woken

    def _flush_soon(self) -> None:
        """Forget sent replies FLUSH_AFTER from now, with whatever else was sent meanwhile: one
        write for a burst's many turns, and a crash repeats only replies that recent."""
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = asyncio.create_task(self._flush_later(), name="inbox:sent")

    async def _flush_later(self) -> None:
        await asyncio.sleep(FLUSH_AFTER)
        try:
            await self.flush_sent()
        except Exception:
            log.exception("forgetting sent replies failed; the sweep tries again")

    async def flush_sent(self) -> None:
        """Forget the replies sent since the last flush (one trip for all of them). A crash
        before it repeats them: the replies of the last FLUSH_AFTER seconds, at most."""
        if not self._sent:
            return
        sent, self._sent = self._sent, []
        try:
            await self.db.run(lambda raw: inbox.mark_sent(raw, bot_id=self.bot_id, update_ids=sent))
        except Exception:
            self._sent.extend(sent)
            raise

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
        """Finish the updates in hand, start no more, and give up every claim."""
        self._stopping = True
        tasks = [w.task for w in self._chats.values() if w.task is not None]
        if tasks:
            await asyncio.wait(tasks)
        with contextlib.suppress(Exception):
            await self.flush_sent()
        held = list(self._held)
        self._held.clear()
        for chat_id in held:
            with contextlib.suppress(Exception):
                await self.db.run(partial(self._release, chat_id))

    def _release(self, chat_id: int, raw: Raw) -> None:
        inbox.release_chat(raw, bot_id=self.bot_id, chat_id=chat_id, holder=self.holder)


def _id_of(raw: object) -> object:
    return raw.get("update_id") if isinstance(raw, dict) else None
