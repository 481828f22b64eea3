"""Collaborators of the inbox processor (`bot.chat_inbox`): the group commit that stores
arriving messages, the batch that forgets sent replies, and the messages kept in memory until
processed."""

from __future__ import annotations

import asyncio
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
