"""Data functions: each takes a keyword-only session and leaves committing to the caller."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from models.tables import (
    Applicant,
    Filing,
    Interview,
    LifecycleEvent,
    ProcessedUpdate,
    Reminder,
)
from rules.enums import FilingStatus, InterviewStatus, ReminderStatus


def get_or_create_applicant(
    *, session: Session, channel: str, external_id: str, display_name: str | None = None
) -> Applicant:
    """Return the applicant known on `channel` as `external_id`, creating it on first contact."""
    found = session.exec(
        select(Applicant).where(Applicant.channel == channel, Applicant.external_id == external_id)
    ).first()
    if found is not None:
        return found
    applicant = Applicant(channel=channel, external_id=external_id, display_name=display_name)
    session.add(applicant)
    session.flush()
    return applicant


def active_interview(*, session: Session, applicant_id: int) -> Interview | None:
    """Return the applicant's interview still being answered, if any."""
    return session.exec(
        select(Interview)
        .where(
            Interview.applicant_id == applicant_id,
            Interview.status == InterviewStatus.ACTIVE,
        )
        .order_by(col(Interview.id).desc())
    ).first()


def latest_interview(*, session: Session, applicant_id: int) -> Interview | None:
    """Return the applicant's most recent interview in any status (locked for update)."""
    return session.exec(
        select(Interview)
        .where(Interview.applicant_id == applicant_id)
        .order_by(col(Interview.id).desc())
        .limit(1)
        .with_for_update()
    ).first()


def save_interview(
    *,
    session: Session,
    interview: Interview,
    state: str,
    answers: dict[str, Any],
    history: list[Any],
    now: dt.datetime,
    flow: dict[str, Any] | None = None,
    language: str | None = None,
) -> Interview:
    """Store the interview's new state (JSON columns are replaced, not mutated in place)."""
    interview.state = state
    interview.answers = dict(answers)
    interview.history = list(history)
    if flow is not None:
        interview.flow = dict(flow)
    if language is not None:
        interview.language = language
    interview.updated_at = now
    interview.version += 1
    session.add(interview)
    session.flush()
    return interview


def create_filing(*, session: Session, filing: Filing, actor: str, now: dt.datetime) -> Filing:
    """Insert a submitted filing with its first audit event."""
    filing.status = FilingStatus.SUBMITTED
    filing.submitted_at = filing.created_at = filing.updated_at = now
    session.add(filing)
    session.flush()
    assert filing.id is not None
    session.add(
        LifecycleEvent(
            filing_id=filing.id,
            actor=actor,
            from_status=None,
            to_status=FilingStatus.SUBMITTED,
            at=now,
        )
    )
    session.flush()
    return filing


def record_transition(
    *,
    session: Session,
    filing: Filing,
    to_status: FilingStatus,
    actor: str,
    now: dt.datetime,
    reason: str | None = None,
) -> LifecycleEvent:
    """Move a filing to `to_status` and write the audit event; a stale version raises."""
    assert filing.id is not None
    event = LifecycleEvent(
        filing_id=filing.id,
        actor=actor,
        from_status=filing.status,
        to_status=to_status,
        reason=reason,
        at=now,
    )
    filing.status = to_status
    filing.updated_at = now
    session.add(filing)
    session.add(event)
    session.flush()  # raises sqlalchemy.orm.exc.StaleDataError if another writer got there first
    return event


def events_of(*, session: Session, filing_id: int) -> list[LifecycleEvent]:
    """Return a filing's audit trail, oldest first."""
    return list(
        session.exec(
            select(LifecycleEvent)
            .where(LifecycleEvent.filing_id == filing_id)
            .order_by(col(LifecycleEvent.id))
        )
    )


def schedule_reminder(*, session: Session, reminder: Reminder) -> Reminder:
    """Add an outbox row unless one with the same dedupe key exists; return the stored row."""
    existing = session.exec(
        select(Reminder).where(Reminder.dedupe_key == reminder.dedupe_key)
    ).first()
    if existing is not None:
        return existing
    session.add(reminder)
    session.flush()
    return reminder


def claim_due_reminders(
    *,
    session: Session,
    worker: str,
    now: dt.datetime,
    lease: dt.timedelta = dt.timedelta(minutes=5),
    limit: int = 50,
) -> list[Reminder]:
    """Lease due reminders to `worker`; rows another worker holds are skipped, not waited for."""
    due = (
        select(Reminder.id)
        .where(
            Reminder.status == ReminderStatus.PENDING,
            Reminder.due_at <= now,
            sa.or_(col(Reminder.lease_until).is_(None), col(Reminder.lease_until) < now),
        )
        .order_by(col(Reminder.due_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(session.exec(due))
    if not ids:
        return []
    session.execute(
        sa.update(Reminder)
        .where(col(Reminder.id).in_(ids))
        .values(claimed_by=worker, lease_until=now + lease, attempts=Reminder.attempts + 1)
    )
    session.flush()
    session.expire_all()
    return list(
        session.exec(select(Reminder).where(col(Reminder.id).in_(ids)).order_by(col(Reminder.id)))
    )


def mark_reminder(
    *, session: Session, reminder: Reminder, status: ReminderStatus, now: dt.datetime
) -> None:
    """Close a claimed reminder as sent, cancelled or failed."""
    reminder.status = status
    reminder.lease_until = None
    if status is ReminderStatus.SENT:
        reminder.sent_at = now
    session.add(reminder)
    session.flush()


def mark_update_processed(
    *, session: Session, bot_id: int, update_id: int, now: dt.datetime
) -> bool:
    """Record a Telegram update id; return False when it was already processed.

    One INSERT … ON CONFLICT DO NOTHING (SQLite and PostgreSQL): no read first, and two
    instances racing on one id cannot both win.
    """
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    statement: Any = (
        insert(ProcessedUpdate)
        .values(bot_id=bot_id, update_id=update_id, processed_at=now)
        .on_conflict_do_nothing(index_elements=["bot_id", "update_id"])
        .returning(sa.literal_column("update_id"))
    )
    return session.execute(statement).first() is not None
