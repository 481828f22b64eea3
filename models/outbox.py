"""The outbox: deliveries written with what causes them, claimed by one sender, sent once.

A row is added in the transaction of its cause (with a dedupe key, so planning twice adds it
once). A sender claims due rows with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so two
senders never take the same row; SQLite has one writer), sends, and marks them sent. A crash
between sending and marking may send a row twice, never lose it: its lease runs out and it is
claimed again. The row that a turn creates for immediate delivery is claimed at birth by the
instance that will deliver it right after the commit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from models.tables import Applicant, OutboxMessage
from rules.enums import OutboxStatus

LEASE = dt.timedelta(minutes=5)


def for_applicant(message: OutboxMessage) -> bool:
    """Say whether a row goes to its filing's applicant (documents, or a notice or reminder
    `to` them) rather than to reviewers."""
    return message.kind == "documents" or (message.payload or {}).get("to") == "applicant"


def add(session: Session, message: OutboxMessage, *, revive: bool = False) -> int | None:
    """Add a row unless one with its dedupe key exists; return its id (None when it existed).
    A row for the applicant goes by the applicant's channel (Telegram or WeChat). `revive`:
    a cancelled row of that key is pending again, as `message` says (a reminder planned
    again after its series was stopped: the same filing, step, kind, due day and phase)."""
    if message.applicant_id is not None and for_applicant(message):
        applicant = session.get(Applicant, message.applicant_id)
        if applicant is not None and applicant.channel == "wechat":
            message.channel = "wechat"
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    values = {
        column.name: getattr(message, column.name)
        for column in OutboxMessage.__table__.columns  # type: ignore[attr-defined]
        if column.name != "id"
    }
    statement = insert(OutboxMessage).values(**values)
    if revive:
        fresh = ("status", "due_at", "payload", "chat_id", "channel", "created_at", "attempts",
                 "claimed_by", "lease_until", "last_error", "sent_at")  # fmt: skip
        statement = statement.on_conflict_do_update(
            index_elements=["dedupe_key"],
            set_={name: statement.excluded[name] for name in fresh},
            where=col(OutboxMessage.status) == OutboxStatus.CANCELLED,
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=["dedupe_key"])
    row = session.execute(statement.returning(col(OutboxMessage.id))).first()
    return int(row[0]) if row else None


def claim_due(
    session: Session,
    *,
    worker: str,
    now: dt.datetime,
    lease: dt.timedelta = LEASE,
    limit: int = 50,
    kinds: tuple[str, ...] | None = None,
    exclude: set[int] | None = None,
    include_own: bool = False,
    channel: str = "telegram",
    due_before: dt.datetime | None = None,
) -> list[OutboxMessage]:
    """Lease due rows to `worker` (rows another live lease holds are skipped, not waited for).

    `include_own`: also rows whose lease `worker` itself holds — at start-up, when they were
    left by this instance's previous life (a crash), not by a delivery in progress.
    `due_before`: only rows due by then (a sweep leaves the newest to their writer)."""
    free = [col(OutboxMessage.lease_until).is_(None), col(OutboxMessage.lease_until) < now]
    if include_own:
        free.append(col(OutboxMessage.claimed_by) == worker)
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.due_at <= (now if due_before is None else due_before),
            OutboxMessage.channel == channel,
            sa.or_(*free),
        )
        .order_by(col(OutboxMessage.due_at), col(OutboxMessage.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if kinds is not None:
        due = due.where(col(OutboxMessage.kind).in_(kinds))
    if exclude:  # rows this sender is delivering right now
        due = due.where(col(OutboxMessage.id).not_in(exclude))
    ids = [int(i) for i in session.exec(due) if i is not None]
    if not ids:
        return []
    session.execute(
        sa.update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(ids))
        .values(
            claimed_by=worker, lease_until=now + lease, attempts=col(OutboxMessage.attempts) + 1
        )
    )
    session.flush()
    session.expire_all()
    return list(
        session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.id).in_(ids))
            .order_by(col(OutboxMessage.due_at), col(OutboxMessage.id))
        )
    )


def release_own(session: Session, *, worker: str, kinds: tuple[str, ...]) -> int:
    """Give back the leases `worker` holds on pending rows of `kinds` (at start-up: they were
    taken by this instance's previous life, cut short by a crash, and would otherwise wait out
    the lease); return how many."""
    result = session.execute(
        sa.update(OutboxMessage)
        .where(
            col(OutboxMessage.claimed_by) == worker,
            col(OutboxMessage.status) == OutboxStatus.PENDING,
            col(OutboxMessage.kind).in_(kinds),
            col(OutboxMessage.lease_until).is_not(None),
        )
        .values(lease_until=None)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def finish(
    session: Session,
    message_id: int,
    *,
    status: OutboxStatus,
    now: dt.datetime,
    error: str | None = None,
) -> None:
    """Close a claimed row as sent, cancelled or failed."""
    values: dict[str, Any] = {"status": status, "lease_until": None}
    if status is OutboxStatus.SENT:
        values["sent_at"] = now
    if error is not None:
        values["last_error"] = error[:500]
    session.execute(
        sa.update(OutboxMessage).where(col(OutboxMessage.id) == message_id).values(**values)
    )


def retry_later(
    session: Session, message_id: int, *, at: dt.datetime, error: str | None = None
) -> None:
    """Give a claimed row back, due again at `at` (a transient failure)."""
    session.execute(
        sa.update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id)
        .values(
            due_at=at,
            lease_until=None,
            claimed_by=None,
            last_error=error[:500] if error else None,
        )
    )


def update_payload(session: Session, message_id: int, payload: dict[str, Any]) -> None:
    """Replace a row's payload (e.g. the ids of the documents it rendered)."""
    session.execute(
        sa.update(OutboxMessage).where(col(OutboxMessage.id) == message_id).values(payload=payload)
    )
