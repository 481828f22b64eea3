"""Data functions: each takes a keyword-only session and leaves committing to the caller."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, col, select

from models.filings import add_version
from models.tables import Applicant, Filing, Interview, LifecycleEvent
from rules.enums import FilingStatus, InterviewStatus
from rules.events import PREPARE
from rules.filing_life import steps_of_route


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
    question: str,
    answers: dict[str, Any],
    history: list[Any],
    now: dt.datetime,
    flow: dict[str, Any] | None = None,
    language: str | None = None,
) -> Interview:
    """Store the interview's new state (JSON columns are replaced, not mutated in place)."""
    interview.question = question
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
    """Insert a prepared filing (confirmed answers, documents to make; nothing is sent to a
    bureau yet) with its first audit event."""
    filing.status = FilingStatus.PREPARED
    filing.created_at = filing.updated_at = now
    if not filing.steps:  # one state per bureau of the route, the first in progress
        filing.steps = [s.to_json() for s in steps_of_route(filing.route)]
        filing.current_step = 1
    session.add(filing)
    session.flush()
    assert filing.id is not None
    session.add(
        LifecycleEvent(
            filing_id=filing.id,
            actor=actor,
            from_status=None,
            to_status=FilingStatus.PREPARED,
            at=now,
            event=PREPARE,
        )
    )
    add_version(session, filing, kind="created", actor=actor, now=now)
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
