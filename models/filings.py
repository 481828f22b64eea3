"""A filing's life in the database: its state read for a decision, a decision applied.

`apply_decision` writes what `rules.filing_life.decide` returned in the caller's transaction:
the steps and status (with optimistic locking on `filing.version`: a second writer that read
the same version fails with StaleDataError and changes nothing), the audit row, an outbox row
per notice (`notice`: sent after the commit by the channel) and the reminders scheduled
(`reminder` rows, unique per filing, step, kind and due date) or cancelled.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from models import outbox
from models.tables import (
    Applicant,
    Filing,
    FilingVersion,
    LifecycleEvent,
    OutboxMessage,
    PhotoReading,
    Reviewer,
    ReviewerInvite,
)
from rules.enums import FilingStatus, OutboxStatus
from rules.filing_life import (
    Audience,
    Decision,
    FilingState,
    Notice,
    ReminderChange,
    StepState,
    steps_of_route,
)
from rules.reminders import APPLICANT, send_moment, series
from rules.workdays import WorkdayCalendar

NOTICE = "notice"  # outbox kind of a filing's notice (to the applicant, or a reviewers' card)
REMINDER = "reminder"  # outbox kind of a reminder (sent by the reminders dispatcher)
_SHANGHAI = ZoneInfo("Asia/Shanghai")
INVITE_VALID = dt.timedelta(hours=24)


def state_of(filing: Filing) -> FilingState:
    """Return what a decision needs of `filing` (its steps from its route when it has none)."""
    steps = tuple(StepState.from_json(s) for s in filing.steps) or steps_of_route(filing.route)
    if not filing.steps and steps:  # a filing stored before its steps were kept
        steps = (StepState(**{**steps[0].__dict__, "status": filing.status}), *steps[1:])
    return FilingState(steps, filing.current_step, filing.connection_date)


def _first(steps: tuple[StepState, ...]) -> StepState:
    return steps[0]


def apply_decision(
    session: Session,
    filing: Filing,
    decision: Decision,
    *,
    now: dt.datetime,
    applicant_chat: int | None,
    review_chats: list[int],
    calendar: WorkdayCalendar,
    today: dt.date | None = None,
) -> LifecycleEvent:
    """Write `decision` for `filing` in the caller's transaction (see the module)."""
    assert filing.id is not None
    _take_state(filing, decision, now)
    event = LifecycleEvent(filing_id=filing.id, actor=decision.actor, at=now,
                           from_status=decision.from_status, to_status=decision.to_status,
                           reason=decision.reason, event=decision.event,
                           data=decision.data)  # fmt: skip
    session.add(filing)
    session.add(event)
    session.flush()  # StaleDataError here when another writer moved the filing first
    assert event.id is not None
    for i, notice in enumerate(decision.notices):
        chats = [applicant_chat] if notice.to is Audience.APPLICANT else review_chats
        for chat in chats:
            if chat is not None:
                add_notice(session, filing, notice, chat, event_id=event.id, now=now, index=i)
    schedule_reminders(session, filing, decision.reminders, calendar=calendar, now=now,
                       applicant_chat=applicant_chat, today=today)  # fmt: skip
    return event


def _take_state(filing: Filing, decision: Decision, now: dt.datetime) -> None:
    """Copy the decision's steps onto the filing's row (its columns keep the first step's)."""
    state = decision.state
    filing.steps = [s.to_json() for s in state.steps]
    filing.current_step = state.current
    filing.status = state.status
    filing.updated_at = now
    first = _first(state.steps)
    stamps = {"submitted_at": first.submitted_on, "certified_at": first.certified_on,
              "initial_review_passed_at": first.initial_passed_on,
              "materials_received_at": first.materials_received_on}  # fmt: skip
    for name, day in stamps.items():  # the columns keep the first step's dates, as moments
        setattr(filing, name, _moment(day) if day else None)
    certified = [s for s in state.steps if s.psb_number]
    if certified:
        filing.psb_number = certified[0].psb_number
        filing.certificate_number = certified[0].certificate_number
    if decision.to_status.value == "cancelled":
        filing.cancelled_at = now


def add_notice(
    session: Session,
    filing: Filing,
    notice: Notice,
    chat: int,
    *,
    event_id: int,
    now: dt.datetime,
    index: int = 0,
) -> None:
    """Write one notice of an audit event as an outbox row for `chat` (sent after the commit
    by whichever bot instance claims it first)."""
    outbox.add(
        session,
        OutboxMessage(
            kind=NOTICE,
            dedupe_key=f"{NOTICE}:{event_id}:{index}:{chat}",
            filing_id=filing.id,
            applicant_id=filing.applicant_id,
            chat_id=chat,
            due_at=now,
            payload={
                "to": notice.to.value,
                "kind": notice.kind,
                "text": notice.text.model_dump(),
                "step": notice.step,
                "event": event_id,
                "attach": list(notice.attach),
            },
            created_at=now,
        ),
    )


def schedule_reminders(
    session: Session,
    filing: Filing,
    changes: tuple[ReminderChange, ...] | list[ReminderChange],
    *,
    calendar: WorkdayCalendar,
    now: dt.datetime,
    applicant_chat: int | None,
    today: dt.date | None = None,
) -> None:
    """Write (or cancel) the reminder rows of each series a decision names: one row per
    reminder, unique per (filing, step, kind, due date, phase), so planning a series again
    never duplicates it. An applicant with no chat to remind (the terminal) gets none."""
    assert filing.id is not None
    today = today or now.astimezone(_SHANGHAI).date()  # none planned for a day gone by
    for change in changes:
        if change.due is None:
            stop_reminders(session, filing.id, change.kind, change.step)
            continue
        for reminder in series(change.kind, change.step, change.due, calendar, today=today):
            chat = applicant_chat if reminder.to == APPLICANT else None
            if reminder.to == APPLICANT and chat is None:
                continue
            outbox.add(
                session,
                OutboxMessage(
                    kind=REMINDER,
                    dedupe_key=(
                        f"{REMINDER}:{filing.id}:{reminder.step}:{reminder.kind}:"
                        f"{reminder.due}:{reminder.phase}"
                    ),
                    filing_id=filing.id,
                    applicant_id=filing.applicant_id,
                    chat_id=chat,
                    due_at=send_moment(reminder.send_on),
                    payload=reminder.to_json(),
                    created_at=now,
                ),
                revive=True,  # stopped before (an amendment, a return): wanted again
            )


def _moment(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12, 0), _SHANGHAI).astimezone(dt.UTC)


def _pending_reminders(session: Session, filing_id: int) -> list[OutboxMessage]:
    return list(
        session.exec(
            select(OutboxMessage).where(
                OutboxMessage.filing_id == filing_id,
                OutboxMessage.kind == REMINDER,
                OutboxMessage.status == OutboxStatus.PENDING,
            )
        )
    )


def stop_reminders(session: Session, filing_id: int, kind: str, step: int | None = None) -> None:
    """Cancel a filing's pending reminders of `kind` (of one step, or every step: the
    applicant said it is done)."""
    for row in _pending_reminders(session, filing_id):
        same_step = step is None or int(row.payload.get("step", 0)) == step
        if row.payload.get("kind") == kind and same_step:
            row.status = OutboxStatus.CANCELLED
            session.add(row)


def deadline_dates(session: Session, filing_id: int) -> list[tuple[str, int, dt.date]]:
    """Return the deadlines a filing's pending reminders are about: (kind, step, date)."""
    found = {
        (str(p["kind"]), int(p.get("step", 1)), dt.date.fromisoformat(str(p["due"])))
        for p in (row.payload for row in _pending_reminders(session, filing_id))
        if p.get("due")
    }
    return sorted(found, key=lambda d: (d[2], d[1], d[0]))


def filings_of(session: Session, applicant_id: int) -> list[Filing]:
    """Return an applicant's filings, newest first."""
    return list(
        session.exec(
            select(Filing)
            .where(Filing.applicant_id == applicant_id)
            .order_by(col(Filing.id).desc())
        )
    )


def applicant_by_channel(session: Session, channel: str, external_id: str) -> Applicant | None:
    """Return the applicant a channel knows by `external_id`."""
    return session.exec(
        select(Applicant).where(Applicant.channel == channel, Applicant.external_id == external_id)
    ).first()


# --- reviewers -------------------------------------------------------------------------------


def reviewer_ids(session: Session) -> set[int]:
    """Return the Telegram ids of active reviewers (the table is the one list: BEIAN_REVIEWERS
    only seeds it, `models.reviewers.seed_reviewers`)."""
    stored = session.exec(select(Reviewer.telegram_chat_id).where(col(Reviewer.active))).all()
    return {int(i) for i in stored}


def add_reviewer(session: Session, telegram_id: int, name: str, now: dt.datetime) -> Reviewer:
    """Register (or re-activate) a reviewer."""
    found = session.exec(select(Reviewer).where(Reviewer.telegram_chat_id == telegram_id)).first()
    if found is None:
        found = Reviewer(telegram_chat_id=telegram_id, name=name, created_at=now)
    found.name, found.active = name or found.name, True
    session.add(found)
    session.flush()
    return found


def remove_reviewer(session: Session, telegram_id: int) -> bool:
    """Deactivate a reviewer; False when there is none with that id."""
    found = session.exec(select(Reviewer).where(Reviewer.telegram_chat_id == telegram_id)).first()
    if found is None or not found.active:
        return False
    found.active = False
    session.add(found)
    return True


def create_invite(session: Session, name: str, now: dt.datetime) -> str:
    """Create a one-time reviewer invite; return its code (only its hash is stored)."""
    code = secrets.token_urlsafe(18)
    session.add(
        ReviewerInvite(
            code_hash=_hash(code), name=name, expires_at=now + INVITE_VALID, created_at=now
        )
    )
    return code


def redeem_invite(
    session: Session, code: str, telegram_id: int, display_name: str, now: dt.datetime
) -> Reviewer | None:
    """Use an invite once, within 24 h: its opener becomes a reviewer; None when it is not valid."""
    invite = session.exec(
        select(ReviewerInvite).where(ReviewerInvite.code_hash == _hash(code))
    ).first()
    if invite is None or invite.used_at is not None or invite.expires_at <= now:
        return None
    invite.used_at, invite.used_by = now, telegram_id
    session.add(invite)
    return add_reviewer(session, telegram_id, invite.name or display_name, now)


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def add_version(
    session: Session,
    filing: Filing,
    *,
    kind: str,
    actor: str,
    now: dt.datetime,
    changes: list[dict[str, Any]] | None = None,
    reason: str | None = None,
    changed_on: dt.date | None = None,
) -> FilingVersion:
    """Keep the filing's answers as they are now as its next version (who, when, why, what)."""
    assert filing.id is not None
    last = session.exec(
        select(FilingVersion.number)
        .where(FilingVersion.filing_id == filing.id)
        .order_by(col(FilingVersion.number).desc())
    ).first()
    version = FilingVersion(
        filing_id=filing.id,
        number=(last or 0) + 1,
        kind=kind,
        actor=actor,
        reason=reason,
        changed_on=changed_on,
        changes=changes or [],
        answers=dict(filing.data),
        at=now,
    )
    session.add(version)
    return version


def history(session: Session, filing_id: int) -> list[FilingVersion]:
    """Return a filing's versions, oldest first."""
    return list(
        session.exec(
            select(FilingVersion)
            .where(FilingVersion.filing_id == filing_id)
            .order_by(col(FilingVersion.number))
        )
    )


def filing_json(session: Session, filing: Filing) -> dict[str, Any]:
    """Return a filing as `beian filings show --json` prints it (with its audit trail)."""
    events = session.exec(
        select(LifecycleEvent)
        .where(LifecycleEvent.filing_id == filing.id)
        .order_by(col(LifecycleEvent.id))
    ).all()
    return {
        "id": filing.id,
        "status": filing.status.value,
        "site_name": filing.site_name,
        "subject_type": filing.subject_type.value,
        "current_step": filing.current_step,
        "steps": [s.to_json() for s in state_of(filing).steps],
        "psb_number": filing.psb_number,
        "certificate_number": filing.certificate_number,
        "created_at": filing.created_at.isoformat(),
        "answers": filing.data,
        "history": [
            {
                "version": v.number,
                "kind": v.kind,
                "at": v.at.isoformat(),
                "actor": v.actor,
                "reason": v.reason,
                "changed_on": v.changed_on.isoformat() if v.changed_on else None,
                "changes": list(v.changes),
            }
            for v in history(session, filing.id or 0)
        ],
        "events": [
            {
                "at": e.at.isoformat(),
                "actor": e.actor,
                "from": e.from_status.value if e.from_status else None,
                "to": e.to_status.value,
                "reason": e.reason,
                "event": e.event,  # rules.events: which event (None: an older row not known)
                "data": e.data,  # the event's own data (None: not kept before issue 27)
            }
            for e in events
        ],
    }


def list_filings(
    session: Session, status: str | None = None, bureau: str | None = None
) -> list[Filing]:
    """Return filings, newest first, optionally of one status and one kind of bureau in
    progress (`local`: this city's step; `outside`: a bureau elsewhere). A reported change
    is waiting on a certified step, which need not be the one in progress (a two-bureau
    filing whose second step is still to submit): `change_reported` finds it on any step."""
    query = select(Filing).order_by(col(Filing.id).desc())
    reported = status == FilingStatus.CHANGE_REPORTED.value
    if reported:  # the filing's own status, or a step before the one in progress
        query = query.where((col(Filing.status) == status) | (col(Filing.current_step) > 1))
    elif status:
        query = query.where(Filing.status == status)
    rows = list(session.exec(query))
    if reported:
        rows = [f for f in rows if any(s.status is FilingStatus.CHANGE_REPORTED
                                       for s in state_of(f).steps)]  # fmt: skip
    if bureau:
        want_local = bureau == "local"
        rows = [f for f in rows if state_of(f).step.local == want_local]
    return rows


def pending_notice_ids(session: Session, filing_id: int) -> tuple[int, ...]:
    """Return the filing's notices not sent yet (those just written among them)."""
    rows = session.exec(
        select(OutboxMessage.id).where(
            OutboxMessage.filing_id == filing_id,
            OutboxMessage.kind == "notice",
            OutboxMessage.status == OutboxStatus.PENDING,
        )
    ).all()
    return tuple(int(i) for i in rows if i is not None)


def record_photo_reading(
    session: Session,
    *,
    channel: str,
    external_id: str,
    sha256: str,
    kind: str | None,
    outcome: str,
) -> None:
    """Write the audit row of a photo read: its hash, never the photo nor what it showed."""
    applicant = applicant_by_channel(session, channel, external_id)
    session.add(
        PhotoReading(
            channel=channel,
            applicant_id=applicant.id if applicant is not None else None,
            sha256=sha256,
            kind=kind,
            outcome=outcome,
        )
    )
