"""Reminder rows in the outbox as the dispatcher moves them (issues 13, 26): claimed in a batch,
then each one leased for its send and marked sent on its own.

A batch is claimed in one statement (`claim_rows`). Then each row is bracketed by two short
statements (`SendingLease`, compiled once, `models.db.Prepared`): its sending lease just before
its Bot API call — an UPDATE that holds only while the row is still the worker's, still pending
and its filing at the version it was judged on — and its mark right after the call returns
(committed with the sender's next lease). A crash thus repeats at most the sends in flight and
just returned, one per sender, never a whole batch. They are given as work for
`models.database.Database.run`: on the event loop's own connection when the database is free (a
hop to a worker thread cost more than the statement), else in a worker thread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from models import outbox
from models.db import Prepared, Raw
from models.filings import REMINDER
from models.tables import Filing, OutboxMessage
from models.types import UTCDateTime
from rules.enums import OutboxStatus

BATCH = 100
_ROW = (
    col(OutboxMessage.id),
    col(OutboxMessage.filing_id),
    col(OutboxMessage.chat_id),
    col(OutboxMessage.payload),
    col(OutboxMessage.attempts),
)


def _due(now: dt.datetime, worker: str | None, own: bool, channel: str = "telegram") -> Any:
    """Pending reminder rows of `channel` due by `now` that no live lease holds (`own`: or
    `worker` holds)."""
    free = [col(OutboxMessage.lease_until).is_(None), col(OutboxMessage.lease_until) < now]
    if own and worker is not None:
        free.append(col(OutboxMessage.claimed_by) == worker)
    return (
        sa.select(col(OutboxMessage.id))
        .where(
            col(OutboxMessage.status) == OutboxStatus.PENDING,
            col(OutboxMessage.due_at) <= now,
            col(OutboxMessage.kind) == REMINDER,
            col(OutboxMessage.channel) == channel,
            sa.or_(*free),
        )
        .order_by(col(OutboxMessage.due_at), col(OutboxMessage.id))
    )


def claim_rows(
    session: Any,
    worker: str,
    now: dt.datetime,
    *,
    limit: int = BATCH,
    own: bool = False,
    channel: str = "telegram",
) -> list[Any]:
    """Lease up to `limit` due reminder rows to `worker` in one statement (`UPDATE … WHERE id
    IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING …`, on the partial index of pending rows'
    due time); `own`: also those it held when it stopped. Returns (id, filing_id, chat_id,
    payload, attempts) rows."""
    due = _due(now, worker, own, channel).limit(limit).with_for_update(skip_locked=True)
    statement = (
        sa.update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(due.scalar_subquery()))
        .values(
            claimed_by=worker,
            lease_until=now + outbox.LEASE,
            attempts=col(OutboxMessage.attempts) + 1,
        )
        .returning(*_ROW)
    )
    return list(session.execute(statement).all())


def due_rows(session: Any, now: dt.datetime, worker: str | None) -> list[Any]:
    """The rows `claim_rows` would lease to `worker` (with `own`) at `now`, all of them, leasing
    nothing: (id, filing_id, chat_id, payload, attempts)."""
    ids = _due(now, worker, own=True).subquery()
    statement = (
        sa.select(*_ROW)
        .where(col(OutboxMessage.id).in_(sa.select(ids.c.id)))
        .order_by(col(OutboxMessage.due_at), col(OutboxMessage.id))
    )
    return list(session.execute(statement).all())


_TAKE = (
    sa.update(OutboxMessage)
    .where(
        col(OutboxMessage.id) == sa.bindparam("row_id"),
        col(OutboxMessage.status) == OutboxStatus.PENDING,
        col(OutboxMessage.claimed_by) == sa.bindparam("worker"),
        sa.exists().where(
            col(Filing.id) == sa.bindparam("filing_id"),
            col(Filing.version) == sa.bindparam("version"),
        ),
    )
    .values(lease_until=sa.bindparam("until", type_=UTCDateTime()))
)
_SENT = (
    sa.update(OutboxMessage)
    .where(col(OutboxMessage.id) == sa.bindparam("row_id"))
    .values(
        status=OutboxStatus.SENT,
        sent_at=sa.bindparam("now", type_=UTCDateTime()),
        lease_until=None,
    )
)


class SendingLease:
    """The statements each reminder's send is bracketed by, as work for `Database.run` (on the
    event loop's connection when the database is free, else in a worker thread): its lease
    just before, its mark right after — taken with the next send's lease, in one transaction,
    when the same sender goes on (one commit per reminder instead of two)."""

    def __init__(self, engine: sa.Engine, worker: str) -> None:
        self.engine, self.worker = engine, worker
        self._take = Prepared(_TAKE, engine.dialect)
        self._sent = Prepared(_SENT, engine.dialect)

    def taking(
        self,
        row_id: int,
        filing_id: int,
        version: int,
        until: dt.datetime,
        *,
        sent: tuple[int, dt.datetime] | None = None,
    ) -> Callable[[Raw], bool]:
        """The work that leases a claimed row for its send until `until` (first marking
        `sent`, the row this sender sent last, and when); it says False when the row is no
        longer this worker's, no longer pending (an event cancelled it), or its filing moved on
        from `version`."""
        values = {"row_id": row_id, "worker": self.worker, "filing_id": filing_id,
                  "version": version, "until": until}  # fmt: skip

        def work(raw: Raw) -> bool:
            if sent is None:
                return raw.write_one(self._take, values) == 1
            raw.run(self._sent, {"row_id": sent[0], "now": sent[1]})
            taken = raw.run(self._take, values) == 1
            raw.commit()
            return taken

        return work

    def marking(self, row_id: int, now: dt.datetime) -> Callable[[Raw], int]:
        """The work that marks a row sent (its Bot API call returned), on its own."""
        return lambda raw: raw.write_one(self._sent, {"row_id": row_id, "now": now})
