"""The database as the bot uses it: an engine, and where each statement runs.

On SQLite the short statements of the hot path (an update stored in the inbox, a quick
interview turn) run on the event loop itself, on one connection that never waits for a lock:
they take ~30 µs, less than a hop to a worker thread (~90 µs). A locked file makes such a call
fail at once (`busy_timeout = 0`), and it is run again in a worker thread, where it may wait.
That connection does not checkpoint the WAL either (a checkpoint of 1,000 pages stalled a
commit ~4 ms): every CHECKPOINT_EVERY commits a passive checkpoint runs in a worker thread.
On PostgreSQL everything runs in worker threads on pooled connections.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa

from models.db import Raw, make_engine

log = logging.getLogger(__name__)
T = TypeVar("T")


class Database:
    """An engine plus, on SQLite, the event loop's own connection."""

    CHECKPOINT_EVERY = 250  # commits on the loop's connection (each writes 2–4 pages)

    def __init__(self, url: str | None = None, *, engine: sa.Engine | None = None) -> None:
        self.engine = engine if engine is not None else make_engine(url or "")
        self.inline = self.engine.dialect.name == "sqlite"
        self.counts: Counter[str] = Counter()
        self._conn: sa.Connection | None = None
        self._raw: Raw | None = None
        self._commits = 0
        self._checkpoint: asyncio.Future[None] | None = None

    def loop_connection(self) -> Raw:
        """Return the SQLite connection used on the event loop (never waits for a lock)."""
        if self._raw is None or self._conn is None or self._conn.closed:
            self._conn = self.engine.connect()
            self._conn.exec_driver_sql("PRAGMA busy_timeout = 0")
            self._conn.exec_driver_sql("PRAGMA wal_autocheckpoint = 0")
            self._conn.commit()
            self._raw = Raw(self._conn)
        return self._raw

    def pooled(self, work: Callable[[Raw], T]) -> T:
        """Run `work` on a pooled connection (in the calling thread)."""
        with self.engine.connect() as conn:
            raw = Raw(conn)
            try:
                return work(raw)
            except BaseException:
                raw.rollback()
                raise

    async def run(self, work: Callable[[Raw], T]) -> T:
        """Run `work` (which commits or rolls back itself): on the loop when SQLite is free,
        otherwise in a worker thread. `work` must be safe to run again after a rollback."""
        if self.inline:
            raw = self.loop_connection()
            try:
                result = work(raw)
            except raw.errors.OperationalError as exc:  # locked: wait for it off the loop
                raw.rollback()
                self.counts["busy"] += 1
                log.debug("database busy on the loop, retrying in a thread: %s", exc)
            except BaseException:
                raw.rollback()
                raise
            else:
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

    def close(self) -> None:
        """Close the loop's connection and the engine's pool."""
        if self._conn is not None:
            self._conn.close()
            self._conn, self._raw = None, None
        self.engine.dispose()
