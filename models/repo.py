"""Data functions: each takes a keyword-only session and leaves committing to the caller."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from models.db import Prepared, Raw
from models.tables import (
    Applicant,
    Filing,
    Interview,
    LifecycleEvent,
    ProcessedUpdate,
    Reminder,
)
from models.types import JSONType, UTCDateTime
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
    recent_updates: list[Any] | None = None,
) -> Interview:
    """Store the interview's new state (JSON columns are replaced, not mutated in place)."""
    interview.state = state
    interview.answers = dict(answers)
    interview.history = list(history)
    if flow is not None:
        interview.flow = dict(flow)
    if recent_updates is not None:
        interview.recent_updates = list(recent_updates)
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
    prepared = _prepared("record_update", session.get_bind().dialect)
    result = session.connection().exec_driver_sql(
        prepared.sql, prepared.params({"bot_id": bot_id, "update_id": update_id, "at": now})
    )
    return result.rowcount == 1


# The interview step's hot path (`bot/conversation.py` quick turns) runs these statements on the
# DBAPI connection: compiled once per dialect, no ORM unit of work, no read before writing.
# An interview's conversation columns, bound to the names `InterviewContent.values` gives.
_CONTENT = {
    "state": sa.bindparam("new_state"),
    "answers": sa.bindparam("new_answers", type_=JSONType),
    "history": sa.bindparam("new_history", type_=JSONType),
    "flow": sa.bindparam("new_flow", type_=JSONType),
    "recent_updates": sa.bindparam("new_recent", type_=JSONType),
    "language": sa.bindparam("new_language"),
}
_ADVANCE = (
    sa.update(Interview)
    .where(
        col(Interview.id) == sa.bindparam("interview_id"),
        col(Interview.version) == sa.bindparam("expected_version"),
        col(Interview.status) == InterviewStatus.ACTIVE,
    )
    .values(
        **_CONTENT,
        updated_at=sa.bindparam("now", type_=UTCDateTime()),
        version=col(Interview.version) + 1,
    )
)
_SET_LANGUAGE = (
    sa.update(Applicant)
    .where(col(Applicant.id) == sa.bindparam("applicant_id"))
    .values(language=sa.bindparam("new_language"))
)


def _insert_if_new(dialect: str, model: Any, keys: list[str], **values: Any) -> Any:
    """INSERT … ON CONFLICT (keys) DO NOTHING, in the dialect's spelling."""
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    return insert(model).values(**values).on_conflict_do_nothing(index_elements=keys)


def _record_update_statement(dialect: str) -> Any:
    return _insert_if_new(
        dialect,
        ProcessedUpdate,
        ["bot_id", "update_id"],
        bot_id=sa.bindparam("bot_id"),
        update_id=sa.bindparam("update_id"),
        processed_at=sa.bindparam("at", type_=UTCDateTime()),
    )


_FIND = (
    sa.select(
        col(Applicant.id),
        col(Interview.id),
        col(Interview.status),
        col(Interview.state),
        col(Interview.answers),
        col(Interview.history),
        col(Interview.flow),
        col(Interview.language),
        col(Interview.version),
        col(Interview.recent_updates),
    )
    .select_from(Applicant)
    .outerjoin(Interview, col(Interview.applicant_id) == col(Applicant.id))
    .where(
        col(Applicant.channel) == sa.bindparam("channel"),
        col(Applicant.external_id) == sa.bindparam("external_id"),
    )
    .order_by(col(Interview.id).desc())
    .limit(1)
)
_NEW_INTERVIEW = (
    sa.insert(Interview)
    .values(
        **_CONTENT,
        applicant_id=sa.bindparam("applicant_id"),
        status=InterviewStatus.ACTIVE,
        version=1,
        created_at=sa.bindparam("now", type_=UTCDateTime()),
        updated_at=sa.bindparam("now", type_=UTCDateTime()),
        purge_after=None,
    )
    .returning(col(Interview.id))
)


def _new_applicant_statement(dialect: str) -> Any:
    return _insert_if_new(
        dialect,
        Applicant,
        ["channel", "external_id"],
        channel=sa.bindparam("channel"),
        external_id=sa.bindparam("external_id"),
        display_name=sa.bindparam("display_name"),
        language=sa.bindparam("new_language"),
        created_at=sa.bindparam("now", type_=UTCDateTime()),
    ).returning(col(Applicant.id))


_PREPARED: dict[tuple[str, str], Prepared] = {}


def _prepared(name: str, dialect: sa.Dialect) -> Prepared:
    key = (name, dialect.name)
    if key not in _PREPARED:
        builders: dict[str, Callable[[], Any]] = {
            "record_update": lambda: _record_update_statement(dialect.name),
            "advance": lambda: _ADVANCE,
            "set_language": lambda: _SET_LANGUAGE,
            "find": lambda: _FIND,
            "new_applicant": lambda: _new_applicant_statement(dialect.name),
            "new_interview": lambda: _NEW_INTERVIEW,
        }
        statement = builders[name]()
        _PREPARED[key] = Prepared(statement, dialect)
    return _PREPARED[key]


@dataclass(frozen=True)
class InterviewContent:
    """What an interview row holds of the conversation (its JSON columns and language)."""

    state: str
    answers: dict[str, Any]
    history: list[Any]
    flow: dict[str, Any]
    language: str
    recent_updates: list[Any]

    def values(self) -> dict[str, Any]:
        """Return the statement values the quick statements bind them to."""
        return {
            "new_state": self.state,
            "new_answers": self.answers,
            "new_history": self.history,
            "new_flow": self.flow,
            "new_language": self.language,
            "new_recent": self.recent_updates,
        }


def advance_interview(
    raw: Raw,
    *,
    interview_id: int,
    expected_version: int,
    content: InterviewContent,
    now: dt.datetime,
) -> bool:
    """Store an active interview's next state if it is still at `expected_version`.

    Returns False, writing nothing, when another writer moved it on (or closed it) since it
    was read: the caller reloads it and takes the step again.
    """
    touched = raw.run(
        _prepared("advance", raw.dialect),
        {
            "interview_id": interview_id,
            "expected_version": expected_version,
            "now": now,
            **content.values(),
        },
    )
    return touched == 1


def set_applicant_language(raw: Raw, *, applicant_id: int, language: str) -> None:
    """Remember the language an applicant chose (/lang)."""
    values = {"applicant_id": applicant_id, "new_language": language}
    raw.run(_prepared("set_language", raw.dialect), values)


@dataclass(frozen=True)
class StoredInterview:
    """An applicant's latest interview as stored, read in one query for a quick turn."""

    applicant_id: int
    interview_id: int | None  # None: the applicant has no interview yet
    active: bool
    state: str
    answers: dict[str, Any]
    history: list[Any]
    flow: dict[str, Any]
    language: str
    version: int
    recent_updates: list[Any]


def find_interview(raw: Raw, *, channel: str, external_id: str) -> StoredInterview | None:
    """Return the applicant's latest interview (or that it has none); None for a stranger."""
    rows = raw.fetch(
        _prepared("find", raw.dialect), {"channel": channel, "external_id": external_id}
    )
    if not rows:
        return None
    (
        applicant_id,
        interview_id,
        status,
        state,
        answers,
        history,
        flow,
        language,
        version,
        recent,
    ) = rows[0]
    return StoredInterview(
        applicant_id=applicant_id,
        interview_id=interview_id,
        active=status is InterviewStatus.ACTIVE,
        state=state or "",
        answers=answers or {},
        history=history or [],
        flow=flow or {},
        language=language or "zh",
        version=version or 0,
        recent_updates=recent or [],
    )


def add_applicant(
    raw: Raw,
    *,
    channel: str,
    external_id: str,
    display_name: str | None,
    language: str,
    now: dt.datetime,
) -> int | None:
    """Insert a new applicant; return its id, or None when it exists (another writer won)."""
    rows = raw.fetch(
        _prepared("new_applicant", raw.dialect),
        {
            "channel": channel,
            "external_id": external_id,
            "display_name": display_name,
            "new_language": language,
            "now": now,
        },
    )
    return int(rows[0][0]) if rows else None


def add_interview(
    raw: Raw, *, applicant_id: int, content: InterviewContent, now: dt.datetime
) -> int:
    """Insert an active interview at version 1 with its first state; return its id."""
    rows = raw.fetch(
        _prepared("new_interview", raw.dialect),
        {"applicant_id": applicant_id, "now": now, **content.values()},
    )
    return int(rows[0][0])
