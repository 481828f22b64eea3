"""Collaborators of the inbox processor (`bot.chat_inbox`): the group commit that stores
arriving messages, the batch that forgets sent replies, and the messages kept in memory until
processed."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Generic, TypeVar

from models import inbox, wakeups
from models.database import Database
from models.db import Raw

log = logging.getLogger(__name__)

Item = TypeVar("Item")
FLUSH_AFTER = 0.05  # seconds from a sent reply to its row's reply cleared (with others)


@dataclass
class Ticket:
    """The inbox row a message in hand came from; `done` once its turn marked it."""

    key: tuple[int, int]  # (bot id, update id)
    done: bool = False
    replies: bool = False  # its turn stored replies with the done mark: cleared once sent
    unsent: bool = False  # sending them failed (a time-out): left stored, sent again once


_CURRENT: ContextVar[Ticket | None] = ContextVar("beian_inbox_ticket", default=None)


def current_ticket() -> Ticket | None:
    """Return the inbox row of the message being handled (None outside the inbox)."""
    return _CURRENT.get()


@dataclass
class _ChatWork:
    task: asyncio.Task[None] | None = None
    more: bool = False  # woken again while working: look once more before stopping
    # The chat's waiting ids, read with the insert that woke it (`GroupCommit.insert_one`):
    # its first look needs no trip of its own.
    waiting: list[int] | None = None


@dataclass
class Claims:
    """The chats this instance holds (`models.inbox.claim_chat`) and until when: taken when a
    chat is first processed here, renewed when half the lease is gone, given up on drain."""

    db: Database
    bot_id: int
    holder: str
    lease_of: Callable[[], dt.timedelta]  # the processor's lease (a test may shorten it)
    held: dict[int, dt.datetime] = field(default_factory=dict)  # chat -> our claim's end

    def holds(self, chat_id: int, now: dt.datetime) -> bool:
        """Say whether our claim on the chat is still running."""
        until = self.held.get(chat_id)
        return until is not None and until > now

    def renewal_due(self, chat_id: int, now: dt.datetime) -> bool:
        """Say whether the chat must be claimed (again) before its next message."""
        until = self.held.get(chat_id)
        return until is None or until - now <= self.lease_of() / 2

    def claim(self, chat_id: int, now: dt.datetime, raw: Raw) -> bool:
        """Take or renew the chat's claim; remember until when it is ours (or that it is not)."""
        lease = self.lease_of()
        held = inbox.claim_chat(
            raw, bot_id=self.bot_id, chat_id=chat_id, holder=self.holder, now=now, lease=lease
        )
        if held:
            self.held[chat_id] = now + lease
        else:
            self.held.pop(chat_id, None)
        return held

    async def still_held(self, chat_id: int, now: dt.datetime) -> bool:
        """Renew the chat's claim when half of it is gone; False when another instance took
        the chat meanwhile (an overloaded instance's batch outlived its lease)."""
        if not self.renewal_due(chat_id, now):
            return True
        return await self.db.run(partial(self.claim, chat_id, now))

    def forget_ended(self, now: dt.datetime, busy: Callable[[int], bool]) -> None:
        """Forget the claims that ran out on chats not being worked on."""
        for chat_id, until in list(self.held.items()):
            if until <= now and not busy(chat_id):
                del self.held[chat_id]

    async def release_all(self) -> None:
        """Give every claim up (another instance may take the chats at once)."""
        held = list(self.held)
        self.held.clear()
        for chat_id in held:
            with contextlib.suppress(Exception):
                await self.db.run(partial(self._release, chat_id))

    def _release(self, chat_id: int, raw: Raw) -> None:
        inbox.release_chat(raw, bot_id=self.bot_id, chat_id=chat_id, holder=self.holder)


@dataclass
class GroupCommit:
    """Insert inbox rows and commit before answering. On SQLite on the loop with nothing else
    being written: one insert and commit in the caller's very step; otherwise rows that arrive
    while a commit is written share the next one."""

    db: Database
    bot_id: int
    clock: Callable[[], dt.datetime]
    _arrived: list[tuple[inbox.Received, asyncio.Future[bool]]] = field(default_factory=list)
    _storing: asyncio.Task[None] | None = None

    async def insert(self, rows: list[inbox.Received]) -> set[int]:
        """Store rows (committed when this returns); return the ids that were new."""
        if self.db.inline and self._storing is None:
            return set(await self.db.run(partial(self._ingest, rows, self.clock())))
        loop = asyncio.get_running_loop()
        waiting: list[asyncio.Future[bool]] = []
        for row in rows:
            stored: asyncio.Future[bool] = loop.create_future()
            self._arrived.append((row, stored))
            waiting.append(stored)
        if self._storing is None:
            self._storing = asyncio.create_task(self._store_arrived(), name="inbox:store")
        fresh = await asyncio.gather(*waiting)
        return {row.update_id for row, new in zip(rows, fresh, strict=True) if new}

    def alone(self) -> bool:
        """Say whether a row stored now is stored in the caller's very step (on the loop's
        connection, no batch being written)."""
        return self.db.inline and self._storing is None

    async def insert_one(self, row: inbox.Received) -> tuple[bool, list[int]]:
        """Store one row (committed when this returns); return whether it was new and its
        chat's waiting ids (read in the same trip on PostgreSQL)."""
        return await self.db.run(partial(self._ingest_one, row, self.clock()))

    def _ingest_one(
        self, row: inbox.Received, now: dt.datetime, raw: Raw
    ) -> tuple[bool, list[int]]:
        return inbox.ingest_one(raw, bot_id=self.bot_id, update=row, now=now)

    def _ingest(self, rows: list[inbox.Received], now: dt.datetime, raw: Raw) -> list[int]:
        return inbox.ingest(raw, bot_id=self.bot_id, updates=rows, now=now)

    async def _store_arrived(self) -> None:
        """Store what arrived, a batch per commit, until nothing waits."""
        try:
            while self._arrived:
                batch, self._arrived = self._arrived, []
                rows = [row for row, _ in batch]
                try:
                    new = set(await self.db.run(partial(self._ingest, rows, self.clock())))
                except Exception as exc:
                    for _, stored in batch:
                        if not stored.done():
                            stored.set_exception(exc)
                    continue
                for row, stored in batch:  # an id twice in a batch: new once
                    if not stored.done():
                        stored.set_result(row.update_id in new)
                    new.discard(row.update_id)
        finally:
            self._storing = None


@dataclass
class SentReplies:
    """The rows whose stored replies were sent here: cleared FLUSH_AFTER after the first of
    them, with whatever else was sent meanwhile (one write for a burst's many turns; a crash
    repeats only replies that recent)."""

    db: Database
    bot_id: int
    ids: list[int] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    def __contains__(self, key: int) -> bool:
        return key in self.ids

    def add(self, key: int) -> None:
        """Note a row whose replies were sent; clear it soon."""
        self.ids.append(key)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._later(), name="inbox:sent")

    async def _later(self) -> None:
        await asyncio.sleep(FLUSH_AFTER)
        try:
            await self.flush()
        except Exception:
            log.exception("forgetting sent replies failed; the sweep tries again")

    async def flush(self) -> None:
        """Clear the replies sent since the last flush (one trip for all of them)."""
        if not self.ids:
            return
        sent, self.ids = self.ids, []
        try:
            await self.db.run(lambda raw: inbox.mark_sent(raw, bot_id=self.bot_id, update_ids=sent))
        except Exception:
            self.ids.extend(sent)
            raise


@dataclass
class Kept(Generic[Item]):
    """The messages stored here and not processed yet, parsed (a turn need not read its row
    back) with their JSON (to hand over to another instance); past the processor's limit
    only their ids, read back from the database when processed."""

    items: dict[int, Item] = field(default_factory=dict)
    raw: dict[int, dict[str, Any]] = field(default_factory=dict)
    stored_only: dict[int, set[int]] = field(default_factory=dict)  # chat -> ids

    def keep(self, row: inbox.Received, item: Item, limit: int) -> None:
        """Keep a message just stored (its id only, past `limit` messages in memory)."""
        if len(self.items) < limit:
            self.items[row.update_id] = item
            self.raw[row.update_id] = row.payload
        else:
            self.stored_only.setdefault(row.chat_id, set()).add(row.update_id)

    def take(self, key: int) -> Item | None:
        """Return a kept message and forget it (None when not in memory)."""
        self.raw.pop(key, None)
        return self.items.pop(key, None)

    def only_stored(self, chat_id: int, key: int) -> bool:
        """Say whether this instance stored a message without keeping it (and forget that)."""
        ids = self.stored_only.get(chat_id)
        if ids is None or key not in ids:
            return False
        ids.discard(key)
        if not ids:
            del self.stored_only[chat_id]
        return True

    def notes(self, bot_id: int, chat_id: int, chat_of: Callable[[Item], int]) -> list[str]:
        """The wake-ups that tell a chat's holder of the messages stored here for it (with
        their JSON, so it need not read them back)."""
        return [
            wakeups.note(bot_id, chat_id, key, self.raw.get(key))
            for key, item in self.items.items()
            if chat_of(item) == chat_id
        ] + [
            wakeups.note(bot_id, chat_id, key, None)
            for key in sorted(self.stored_only.get(chat_id, ()))
        ]

    def forget_chat(self, chat_id: int, chat_of: Callable[[Item], int]) -> None:
        """Forget the messages kept for a chat (another instance holds it, and was told)."""
        for key in [k for k, item in self.items.items() if chat_of(item) == chat_id]:
            self.take(key)
        self.stored_only.pop(chat_id, None)
