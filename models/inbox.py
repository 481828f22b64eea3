"""The inbox: Telegram updates stored before they are acknowledged, processed chat by chat.

An update is inserted (and committed) before Telegram is told it arrived: before the webhook
answers 200, before the next getUpdates moves the offset past it. Processing marks it done in
the transaction of its effects. A chat's rows are processed by whichever instance holds the
chat's claim (`chat_claim`), one at a time and in `update_id` order; different chats go in
parallel on any instance. A redelivered update hits the primary key and is not stored again.

An update's JSON is sealed while it waits (`models.sealed`: the column type) and dropped when
it is marked done; the row's ids stay KEEP_DONE for de-duplication.

These run on hot paths (every update), so they are statements compiled once per dialect
(`models.inbox_statements`) and run on the DBAPI cursor (`models.db.Raw`), like the
interview's quick statements.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import threading
import weakref
from collections.abc import Awaitable, Callable
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from models.db import Raw
from models.inbox_statements import prepared as _prepared

# Telegram keeps an unconfirmed update for 24 hours; a done row is kept twice that long, so a
# late redelivery still finds it and is ignored.
KEEP_DONE = dt.timedelta(hours=48)
# Processing runs a row may be cut short by a crash before it is given up (and apologised for).
MAX_ATTEMPTS = 3


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


# In repr() a lone surrogate shows as \udXXX and a NUL as \x00: one C-speed look at the whole
# update tells whether the walk below is needed (almost never).
_SUSPECT = re.compile(r"\\ud[89a-f]|\\x00")


def storable(value: Any) -> Any:
    """Return JSON every database keeps: a lone surrogate or a NUL (which PostgreSQL refuses
    in JSONB) becomes U+FFFD, which the interview then refuses as broken text."""
    if not _SUSPECT.search(repr(value)):
        return value
    return _replaced(value)


def _replaced(value: Any) -> Any:
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value) if _UNSTORABLE.search(value) else value
    if isinstance(value, dict):
        return {_replaced(k): _replaced(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replaced(v) for v in value]
    return value


@dataclass(frozen=True)
class Received:
    """An update as it arrived: its id, its chat (0 when it has none) and its JSON; the
    channel it came by and, where that channel's chat is not a number, its address there."""

    update_id: int
    chat_id: int
    payload: dict[str, Any]
    channel: str = "telegram"
    chat_ref: str | None = None


def _values(bot_id: int, update: Received, now: dt.datetime) -> dict[str, Any]:
    return {
        "bot_id": bot_id,
        "update_id": update.update_id,
        "chat_id": update.chat_id,
        "payload": update.payload,
        "now": now,
        "channel": update.channel,
        "chat_ref": update.chat_ref,
    }


def ingest(raw: Raw, *, bot_id: int, updates: list[Received], now: dt.datetime) -> list[int]:
    """Store updates and commit; return the ids that were new (a redelivery is skipped)."""
    statement = _prepared("ingest", raw.dialect)
    if len(updates) == 1:  # a webhook's update, or a quiet poll's: committed on its own
        (update,) = updates
        stored = raw.write_one(statement, _values(bot_id, update, now)) == 1
        return [update.update_id] if stored else []
    new = [u.update_id for u in updates if raw.run(statement, _values(bot_id, u, now)) == 1]
    raw.commit()
    return new


def ingest_one(
    raw: Raw, *, bot_id: int, update: Received, now: dt.datetime, limit: int = 20
) -> tuple[bool, list[int]]:
    """Store one update and commit; return whether it was new and its chat's waiting ids,
    oldest first (as `pending_ids` would right after). On PostgreSQL one round trip for
    both: a webhook's step saves the read its processing would start with."""
    values = _values(bot_id, update, now)
    if raw.dialect.name == "postgresql":
        rows = raw.fetch_one(_prepared("ingest_waiting", raw.dialect), {**values, "limit": limit})
        new = int(rows[0][0]) == 1
        waiting = {int(i) for i in rows[0][1] or ()}
        if new:
            waiting.add(update.update_id)
        return new, sorted(waiting)[:limit]
    # SQLite: both in one transaction, so that work run again after a failed read (a busy
    # database: `Database.run`) finds the update not stored yet, not a duplicate.
    new = raw.run(_prepared("ingest", raw.dialect), values) == 1
    rows = raw.fetch(
        _prepared("pending_ids", raw.dialect),
        {"bot_id": bot_id, "chat_id": update.chat_id, "limit": limit},
    )
    raw.commit()
    return new, [int(row[0]) for row in rows]


def claim_chat(
    raw: Raw, *, bot_id: int, chat_id: int, holder: str, now: dt.datetime, lease: dt.timedelta
) -> bool:
    """Take (or renew) the chat's claim for `holder` and commit; False when another holds it."""
    rows = raw.fetch_one(
        _prepared("claim", raw.dialect),
        {"bot_id": bot_id, "chat_id": chat_id, "holder": holder, "until": now + lease, "now": now},
    )
    return bool(rows)


def release_chat(raw: Raw, *, bot_id: int, chat_id: int, holder: str) -> None:
    """Give the chat's claim up (another instance may take the chat at once) and commit."""
    raw.write_one(
        _prepared("release", raw.dialect), {"bot_id": bot_id, "chat_id": chat_id, "holder": holder}
    )


def pending_ids(raw: Raw, *, bot_id: int, chat_id: int, limit: int = 20) -> list[int]:
    """Return the chat's unprocessed update ids, oldest first (read only)."""
    rows = raw.read(
        _prepared("pending_ids", raw.dialect),
        {"bot_id": bot_id, "chat_id": chat_id, "limit": limit},
    )
    return [int(row[0]) for row in rows]


def stored_update(raw: Raw, *, bot_id: int, update_id: int) -> tuple[dict[str, Any], int] | None:
    """Return an update's stored JSON and how many processing runs it has had."""
    rows = raw.read(_prepared("payload", raw.dialect), {"bot_id": bot_id, "update_id": update_id})
    return (rows[0][0], int(rows[0][1])) if rows else None


def mark_done(
    raw: Raw, *, bot_id: int, update_id: int, now: dt.datetime, reply: list[Any] | None = None
) -> bool:
    """Mark an update done inside the caller's transaction (its JSON dropped), with the
    replies its turn is to send (`reply`, sealed, cleared by `mark_sent`); False when it
    already was done. The update in hand not stored yet (`Unstored`) is written done."""
    values = {"bot_id": bot_id, "update_id": update_id, "now": now, "reply": reply}
    in_order((bot_id, update_id))
    found = unstored()
    if found is None or found.key != (bot_id, update_id):
        return raw.run(_prepared("done", raw.dialect), values) == 1
    values.update(unstored_values(found))
    if raw.run(_prepared("done_unstored", raw.dialect), values) != 1:
        return False
    raw.after_commit(found.set_stored)
    return True


def finish(
    raw: Raw, *, bot_id: int, update_id: int, now: dt.datetime, record: Unstored | None = None
) -> None:
    """Mark an update done on its own (one no turn marked) and commit; `record`: the update
    was answered before it was stored, and is written done now unless stored meanwhile."""
    values = {"bot_id": bot_id, "update_id": update_id, "now": now, "reply": None}
    if record is None or record.stored:
        raw.write_one(_prepared("done", raw.dialect), values)
        return
    values.update(unstored_values(record))
    raw.write_one(_prepared("done_unstored", raw.dialect), values)
    record.set_stored()


def mark_sent(raw: Raw, *, bot_id: int, update_ids: list[int]) -> None:
    """Forget the replies of these updates (they were sent) and commit."""
    if len(update_ids) == 1:
        values = {"bot_id": bot_id, "update_id": update_ids[0]}
        raw.write_one(_prepared("sent", raw.dialect), values)
    elif update_ids:
        ids = update_ids if raw.dialect.name == "postgresql" else json.dumps(update_ids)
        raw.write_one(_prepared("sent_all", raw.dialect), {"bot_id": bot_id, "ids": ids})
    else:
        raw.commit()


@dataclass(frozen=True)
class Unsent:
    """A done update whose replies a crash (or a failed send) left unsent."""

    update_id: int
    chat_id: int
    reply: list[Any]
    chat_ref: str | None = None  # the channel's own address of the chat (WeChat: the openid)


def unsent(
    raw: Raw,
    *,
    bot_id: int,
    holder: str,
    now: dt.datetime,
    chat_id: int | None = None,
    limit: int = 100,
) -> list[Unsent]:
    """Return the unsent replies of chats nobody else holds (of one chat, when given)."""
    values: dict[str, Any] = {"bot_id": bot_id, "holder": holder, "now": now, "limit": limit}
    if chat_id is not None:
        values["chat_id"] = chat_id
    name = "unsent" if chat_id is None else "unsent_of_chat"
    rows = raw.read(_prepared(name, raw.dialect), values)
    return [Unsent(int(u), int(c), list(r), ref) for u, c, r, ref in rows if r is not None]


def count_attempt(raw: Raw, *, bot_id: int, update_id: int) -> None:
    """Count a processing run of a recovered update and commit (a crash may end it)."""
    raw.write_one(_prepared("attempt", raw.dialect), {"bot_id": bot_id, "update_id": update_id})


def waiting_chats(
    raw: Raw, *, bot_id: int, holder: str, now: dt.datetime, limit: int = 100
) -> list[int]:
    """Return chats with unprocessed updates that nobody else holds, oldest first."""
    rows = raw.read(
        _prepared("waiting_chats", raw.dialect),
        {"bot_id": bot_id, "holder": holder, "now": now, "limit": limit},
    )
    return [int(row[0]) for row in rows]


def backlog(raw: Raw, *, bot_id: int) -> tuple[int, dt.datetime | None]:
    """Return how many updates wait, and when the oldest of them arrived."""
    rows = raw.read(_prepared("pending_count", raw.dialect), {"bot_id": bot_id})
    count, oldest = rows[0] if rows else (0, None)
    return int(count or 0), oldest


def purge_done(raw: Raw, *, now: dt.datetime) -> int:
    """Delete updates done longer ago than KEEP_DONE and commit; return how many."""
    return raw.write_one(_prepared("purge", raw.dialect), {"before": now - KEEP_DONE})


# --- answered before stored ------------------------------------------------------------------


class Unstored:
    """An update answered before it is stored (`bot.answer_first`: one update of a quiet chat
    held here). Its turn writes its row done in the turn's own transaction (`mark_done`;
    PostgreSQL: `models.fast_store._advance_stored`): one commit a step instead of two. Any
    other work on the database while it is in hand stores it first (`flush_unstored`;
    `flush_at_checkout` for pooled connections), so every other path finds its row as it
    always did. It is acknowledged (the webhook's 200, the next getUpdates offset) only once
    `stored`."""

    def __init__(self, bot_id: int, row: Received, arrived: dt.datetime) -> None:
        self.bot_id, self.row, self.arrived = bot_id, row, arrived
        self.key = (bot_id, row.update_id)
        self.stored = False  # its row is committed (waiting, or done with its turn)
        # PostgreSQL: stored by its handler's first other work or first message sent
        # (`flush`), behind an earlier message of its chat (another instance stored it,
        # `requeue`: processed again after it) or done already (a redelivery, `repeated`):
        # the handler is stopped (`StoreFirst`). `closed`: its handling ended.
        self.requeue = self.repeated = self.closed = False
        self.flush: Callable[[], Awaitable[Any]] | None = None
        self._loop = asyncio.get_running_loop()
        self.loop_thread = threading.get_ident()
        self.settled: asyncio.Future[None] = self._loop.create_future()  # stored, or given up

    def set_stored(self) -> None:
        """Note that its row is committed (from any thread)."""
        if self.stored:
            return
        self.stored = True
        if threading.get_ident() == self.loop_thread:
            self.settle()
        else:
            self._loop.call_soon_threadsafe(self.settle)

    def settle(self, *_: Any) -> None:
        """Wake whoever waits on `settled` (stored; or its chat's work ended without it)."""
        if not self.settled.done():
            self.settled.set_result(None)


_UNSTORED: ContextVar[Unstored | None] = ContextVar("beian_inbox_unstored", default=None)


class StoreFirst(Exception):  # noqa: N818 (an instruction, not an error)
    """Stops the handler of an update answered before it was stored (PostgreSQL) once it is
    found behind an earlier message of its chat, which another instance stored (the inbox
    processes that message first, then this one again: `bot.chat_inbox`), or done already (a
    redelivery: nothing more to do). Raised before the handler writes or sends anything."""


def in_order(key: tuple[int, int]) -> None:
    """Raise `StoreFirst` when the update in hand, `key`, is to wait for an earlier message of
    its chat or was done already: called where a handler marks its update done."""
    found = _UNSTORED.get()
    if found is None or found.key != key or found.closed:
        return
    if found.requeue:
        raise StoreFirst(f"update {key[1]} is behind an earlier message of its chat")
    if found.repeated:
        raise StoreFirst(f"update {key[1]} was answered before (a redelivery)")


async def before_effect() -> None:
    """Store the update in hand answered first (PostgreSQL) before its handler's first message
    goes out, checked as any other work stores it (`StoreFirst`); called by the channels'
    senders (`bot.tg.effects`, `bot.wx.api`)."""
    found = _UNSTORED.get()
    if found is None or found.closed:
        return
    if not found.stored and found.flush is not None:
        await found.flush()  # (raises StoreFirst itself when it is to wait)
    in_order(found.key)


def unstored() -> Unstored | None:
    """Return the update in hand that is not stored yet (None when there is none)."""
    found = _UNSTORED.get()
    return None if found is None or found.stored else found


def hold_unstored(record: Unstored | None) -> Token[Unstored | None]:
    """Make `record` the update in hand for what runs in this context (tasks and threads
    started from it included); `release_unstored` ends it."""
    return _UNSTORED.set(record)


def release_unstored(token: Token[Unstored | None], record: Unstored | None = None) -> None:
    """End what `hold_unstored` began; `record`'s handling is over (no more checks)."""
    _UNSTORED.reset(token)
    if record is not None:
        record.closed = True


def unstored_values(record: Unstored) -> dict[str, Any]:
    row = record.row
    return {
        "chat_id": row.chat_id,
        "channel": row.channel,
        "chat_ref": row.chat_ref,
        "arrived": record.arrived,
    }


def flush_unstored(raw: Raw) -> None:
    """Store the update in hand that is not stored yet (waiting, committed), before other
    work: a path that does not write it done with its turn finds its row as always. Raise
    `StoreFirst` when it is found behind an earlier message of its chat (PostgreSQL)."""
    found = _UNSTORED.get()
    if found is None:
        return
    if not found.stored:
        store_unstored(raw, found, check=True)
    in_order(found.key)


def store_unstored(raw: Raw, record: Unstored, *, check: bool = False) -> None:
    """Store an update answered first as waiting (committed) unless it is stored already;
    `check` (its handler's own work, PostgreSQL): note whether an earlier message of its chat
    waits (`requeue`)."""
    if record.stored:
        return
    values = _values(record.bot_id, record.row, record.arrived)
    if raw.dialect.name == "postgresql":
        rows = raw.fetch_one(_prepared("ingest_waiting", raw.dialect), {**values, "limit": 1})
        if check:
            _checked(record, rows[0])
    else:
        raw.write_one(_prepared("ingest", raw.dialect), values)
    record.set_stored()


def _checked(record: Unstored, row: tuple[Any, ...]) -> None:
    """Note from `ingest_waiting`'s row whether the update was done already or is behind an
    earlier waiting message of its chat (a flag once set stays: every later check stops it)."""
    _stored, waiting, done_before = row
    if done_before:
        record.repeated = True
    elif waiting and int(waiting[0]) < record.row.update_id:
        record.requeue = True


_FLUSHING: weakref.WeakSet[sa.Engine] = weakref.WeakSet()


def flush_at_checkout(engine: sa.Engine) -> None:
    """Make every connection checked out of `engine`'s pool store the update in hand first
    (`flush_unstored`): ORM sessions and worker threads (which inherit the context)."""
    if engine in _FLUSHING:
        return
    _FLUSHING.add(engine)
    dialect = engine.dialect
    postgresql = dialect.name == "postgresql"

    def hook(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        found = _UNSTORED.get()
        if found is None or found.closed:
            return
        if not found.stored and (postgresql or threading.get_ident() != found.loop_thread):
            # (SQLite: on the event loop only reads check connections out — every write of an
            # inbox row runs in a worker thread or on `Database.run`'s connection, which never
            # waits for a lock — and a write here could hold the whole loop for busy_timeout.)
            _store_on(dbapi_connection, found)
        in_order(found.key)  # (PostgreSQL: stopped here; the pool closes this connection)

    def _store_on(dbapi_connection: Any, found: Unstored) -> None:
        cursor = dbapi_connection.cursor()
        values = _values(found.bot_id, found.row, found.arrived)
        try:
            if postgresql:  # its handler's work: in order (`in_order`)
                rows = _prepared("ingest_waiting", dialect).fetch(cursor, {**values, "limit": 1})
                _checked(found, rows[0])
            else:
                _prepared("ingest", dialect).run(cursor, values)
        finally:
            cursor.close()
        dbapi_connection.commit()
        found.set_stored()

    sa.event.listen(engine, "checkout", hook)


def known(raw: Raw, *, bot_id: int, update_id: int, chat_id: int) -> bool:
    """Say whether the update is stored already (a redelivery) or a message of its chat waits
    (read only): either way it is to be stored before it is answered."""
    values = {"bot_id": bot_id, "update_id": update_id, "chat_id": chat_id}
    return bool(raw.read(_prepared("known", raw.dialect), values)[0][0])
