"""The database as the bot uses it: an engine, and where each statement runs.

On SQLite the short statements of the hot path (an update stored in the inbox, a quick
interview turn) run on the event loop itself, on one connection that never waits for a lock:
they take ~30 µs, less than a hop to a worker thread (~90 µs). A locked file makes such a call
fail at once (`busy_timeout = 0`), and it is run again in a worker thread, where it may wait.
That connection does not checkpoint the WAL either (a checkpoint of 1,000 pages stalled a
commit ~4 ms): every CHECKPOINT_EVERY commits a passive checkpoint runs in a worker thread.

On PostgreSQL the same statements run on the loop too, on one connection with
`lock_timeout = 1ms` and `statement_timeout = 100ms` (issue 16: a worker thread cost more than
the local round trips of a turn): a statement that would wait for a row lock or run long fails
at once and is run again in a worker thread on a pooled connection, where it may wait. A lost
connection (the server restarted, a proxy dropped it) is replaced and the work run again once;
pooled connections are not pinged on every checkout, only after they sat idle
(`models.db.IDLE_PING_AFTER`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa

from models import inbox
from models.db import Raw, make_engine

log = logging.getLogger(__name__)
T = TypeVar("T")


INLINE = frozenset({"sqlite", "postgresql"})  # dialects whose hot path runs on the loop
# On the loop's PostgreSQL connection: never wait for a lock, never run long.
PG_LOOP_SETTINGS = ("SET lock_timeout = '1ms'", "SET statement_timeout = '100ms'")


def _broken(raw: Raw) -> bool:
    """True when the DBAPI connection under `raw` is closed or lost (psycopg: `broken`)."""
    dbapi = raw.dbapi
    return bool(getattr(dbapi, "closed", False) or getattr(dbapi, "broken", False))


class Database:
    """An engine plus, on SQLite, the event loop's own connection."""

    CHECKPOINT_EVERY = 250  # commits on the loop's connection (each writes 2–4 pages)

    def __init__(
        self,
        url: str | None = None,
        *,
        engine: sa.Engine | None = None,
        inline: bool | None = None,
    ) -> None:
        self.engine = engine if engine is not None else make_engine(url or "")
        self.sqlite = self.engine.dialect.name == "sqlite"
        self.inline = inline if inline is not None else self.engine.dialect.name in INLINE
        self.one_trip = True  # single statements without BEGIN/COMMIT round trips (`Raw`)
        self.turn_commit = "off"  # an interview turn's commit on PostgreSQL (`Raw`)
        self.counts: Counter[str] = Counter()
        self._conn: sa.Connection | None = None
        self._raw: Raw | None = None
        self._commits = 0
        self._checkpoint: asyncio.Future[None] | None = None
        inbox.flush_at_checkout(self.engine)

    def loop_connection(self) -> Raw:
        """Return the SQLite connection used on the event loop (never waits for a lock)."""
        if self._raw is None or self._conn is None or self._conn.closed:
            self._conn = self.engine.connect()
            if self.sqlite:
                self._conn.exec_driver_sql("PRAGMA busy_timeout = 0")
                self._conn.exec_driver_sql("PRAGMA wal_autocheckpoint = 0")
            else:
                for statement in PG_LOOP_SETTINGS:
                    self._conn.exec_driver_sql(statement)
            self._conn.commit()
            self._raw = Raw(self._conn, one_trip=self.one_trip, turn_commit=self.turn_commit)
        return self._raw

    def _drop_loop_connection(self) -> None:
        """Forget the loop's connection after it was lost (the next call opens another)."""
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.invalidate()
            with contextlib.suppress(Exception):
                self._conn.close()
        self._conn, self._raw = None, None

    def _lost(self, conn: sa.Connection) -> None:
        """A connection was lost: discard it and every pooled one opened before (they most
        likely went with it: a server restart), as SQLAlchemy does for its own statements."""
        self.counts["reconnects"] += 1
        with contextlib.suppress(Exception):
            conn.invalidate()
        self.engine.dispose(close=False)

    def pooled(self, work: Callable[[Raw], T]) -> T:
        """Run `work` on a pooled connection (in the calling thread); once more on a new
        connection when the first was found lost."""
        for attempt in (1, 2):
            with self.engine.connect() as conn:
                raw = Raw(conn, one_trip=self.one_trip, turn_commit=self.turn_commit)
                try:
                    return work(raw)
                except BaseException as exc:
                    if _broken(raw):
                        self._lost(conn)
                        if attempt == 1 and isinstance(exc, raw.errors.Error):
                            log.warning("database connection lost (%s); reconnecting", exc)
                            continue
                        raise
                    raw.rollback()
                    raise
        raise AssertionError("unreachable")

    async def run(self, work: Callable[[Raw], T], *, stores_update: bool = False) -> T:
        """Run `work` (which commits or rolls back itself): on the loop when SQLite is free,
        otherwise in a worker thread. `work` must be safe to run again after a rollback.
        An update in hand not stored yet (`models.inbox.Unstored`) is stored first, unless
        `work` writes it itself (`stores_update`: an interview turn)."""
        if self.inline:
            raw = self.loop_connection()
            try:
                if not stores_update:
                    inbox.flush_unstored(raw)
                result = work(raw)
            except raw.errors.OperationalError as exc:  # locked, slow or lost: off the loop
                if _broken(raw):
                    self.counts["reconnects"] += 1
                    self._drop_loop_connection()
                    log.warning("database connection lost on the loop (%s); reconnecting", exc)
                else:
                    raw.rollback()
                    self.counts["busy"] += 1
                    log.debug("database busy on the loop, retrying in a thread: %s", exc)
            except BaseException:
                if _broken(raw):
                    self._drop_loop_connection()
                else:
                    raw.rollback()
                raise
            else:
                if self.sqlite:
                    self._checkpoint_soon()
                return result
        return await asyncio.to_thread(self.pooled, work)

    def _checkpoint_soon(self) -> None:
        self._commits += 1
        if self._commits < self.CHECKPOINT_EVERY or self._checkpoint is not None:
            return
        self._commits = 0
        self._checkpoint = asyncio.ensure_future(asyncio.to_thread(self._run_checkpoint))
        self._checkpoint.add_done_callback(self._checkpoint_done)

    def _run_checkpoint(self) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def _checkpoint_done(self, future: asyncio.Future[None]) -> None:
        self._checkpoint = None
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:
            log.warning("WAL checkpoint failed: %s", error)
        else:
            self.counts["checkpoints"] += 1

    async def settle(self) -> None:
        """Wait for a checkpoint in progress (before closing)."""
        if self._checkpoint is not None:
            await asyncio.wait([self._checkpoint])

    def close_loop_connection(self) -> None:
        """Close the loop's connection, keeping the engine's pool: the connection is not given
        back to the pool, whose other users must not get the loop's settings."""
        if self._conn is not None:
            self._drop_loop_connection()

    def close(self) -> None:
        """Close the loop's connection and the engine's pool."""
        if self._conn is not None:
            self._conn.close()
            self._conn, self._raw = None, None
        self.engine.dispose()
