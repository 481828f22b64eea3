"""Reminder rows in the outbox as the dispatcher moves them (issues 13, 25): claimed in a
batch, then each one leased for its send.

A batch is claimed in one statement (`claim_rows`). Then each row's sending lease is taken just
before its Bot API call (`SendingLease`, a statement compiled once, `models.db.Prepared`): an
UPDATE that holds only while the row is still the worker's, still pending (no event cancelled
it) and its filing at the version it was judged on.
"""

from __future__ import annotations

import datetime as dt
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


def _due(now: dt.datetime, worker: str | None, own: bool) -> Any:
    """Pending reminder rows due by `now` that no live lease holds (`own`: or `worker` holds)."""
    free = [col(OutboxMessage.lease_until).is_(None), col(OutboxMessage.lease_until) < now]
    if own and worker is not None:
        free.append(col(OutboxMessage.claimed_by) == worker)
    return (
        sa.select(col(OutboxMessage.id))
        .where(
            col(OutboxMessage.status) == OutboxStatus.PENDING,
            col(OutboxMessage.due_at) <= now,
            col(OutboxMessage.kind) == REMINDER,
            sa.or_(*free),
        )
        .order_by(col(OutboxMessage.due_at), col(OutboxMessage.id))
    )


def claim_rows(
    session: Any, worker: str, now: dt.datetime, *, limit: int = BATCH, own: bool = False
) -> list[Any]:
    """Lease up to `limit` due reminder rows to `worker` in one statement (`UPDATE … WHERE id
    IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING …`, on the partial index of pending rows'
    due time); `own`: also those it held when it stopped. Returns (id, filing_id, chat_id,
    payload, attempts) rows."""
    due = _due(now, worker, own).limit(limit).with_for_update(skip_locked=True)
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


class SendingLease:
    """The statement one reminder's send is preceded by, its own transaction on a pooled
    connection (call it from a worker thread)."""

    def __init__(self, engine: sa.Engine, worker: str) -> None:
        self.engine, self.worker = engine, worker
        self._take = Prepared(_TAKE, engine.dialect)

    def _write(self, prepared: Prepared, values: dict[str, Any]) -> int:
        with self.engine.connect() as conn:
            return Raw(conn).write_one(prepared, values)

    def take(self, row_id: int, filing_id: int, version: int, until: dt.datetime) -> bool:
        """Lease a claimed row for its send until `until`; False when it is no longer this
        worker's, no longer pending (an event cancelled it), or its filing moved on from
        `version`."""
        values = {"row_id": row_id, "worker": self.worker, "filing_id": filing_id,
                  "version": version, "until": until}  # fmt: skip
        return self._write(self._take, values) == 1
