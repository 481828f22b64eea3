"""The queue's columns, derived from each filing and kept up to date lazily.

A filing's running deadline, bureau, unit, domains and search text live in `queue_*` columns
of `filing` so that the queue can sort, filter and page 100,000 filings with indexes. They are
derived here, not by every writer: a filing whose `version` moved past its `queue_version`
(any change through the ORM moves it) is found through a partial index and derived again
before the desk reads. The update keeps `version` (a Core statement, not the ORM), so it never
makes an action's optimistic lock fail, and it writes only while the version is the one read.
The outcomes of the dashboard's chart (`filing_outcome`) are derived with them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.db import session_scope
from models.filings import state_of
from models.tables import Filing, FilingOutcome, LifecycleEvent
from rules.enums import FilingStatus
from rules.filing_life import Role, next_actions, next_deadline
from rules.pack import Pack
from rules.workdays import WorkdayCalendar

_SHANGHAI = ZoneInfo("Asia/Shanghai")
BATCH = 500
S = FilingStatus
# The bureau's outcomes the chart counts days to (a change's review is not a submission's).
OUTCOMES = (S.INITIAL_REVIEW_PASSED, S.RETURNED, S.MATERIALS_RECEIVED, S.CERTIFIED)
_SUBMISSIONS = (S.SUBMITTED, S.RESUBMITTED)
# Which clock a deadline is, by the status it runs in (rules.filing_life.next_deadline).
DUE_KINDS = {
    S.PREPARED: "filing",
    S.SUBMITTED: "initial_review",
    S.RESUBMITTED: "initial_review",
    S.INITIAL_REVIEW_PASSED: "materials",
    S.MATERIALS_RECEIVED: "re_review",
}
_STALE = sa.or_(
    col(Filing.queue_version).is_(None), col(Filing.queue_version) != col(Filing.version)
)


def derive(filing: Filing, pack: Pack, calendar: WorkdayCalendar) -> dict[str, Any]:
    """Return the queue columns of `filing` as it is now."""
    state = state_of(filing)
    data = filing.data or {}
    site = data.get("website") or {}
    domains = [str(d) for d in site.get("domains") or []]
    # An individual's name is personal data (encrypted at rest): never copied out of `data`.
    individual = str(data.get("subject_type") or filing.subject_type) == "individual"
    unit = "" if individual else str((data.get("subject") or {}).get("name") or "")
    due = next_deadline(state, pack, calendar)
    needs = bool(next_actions(state, Role.REVIEWER, True)) and state.status is not S.CANCELLED
    search = " ".join([filing.site_name, *domains, unit, filing.psb_number or ""]).lower()
    return {
        "queue_needs": needs,
        "queue_due_on": due[1] if due else None,
        "queue_due_kind": DUE_KINDS.get(state.step.status) if due else None,
        "queue_local": state.step.local,
        "queue_bureau": state.step.bureau.zh[:200],
        "queue_unit": unit[:200],
        "queue_domains": " ".join(domains)[:1000],
        "queue_search": search[:2000],
    }


def outcomes(events: Iterable[LifecycleEvent]) -> list[FilingOutcome]:
    """Return a filing's outcomes with the days from the (re)submission before each."""
    found = []
    submitted: dt.date | None = None
    for event in events:
        day = event.at.astimezone(_SHANGHAI).date()
        if event.to_status in _SUBMISSIONS:
            submitted = day
        elif (
            event.to_status in OUTCOMES
            and event.from_status is not S.CHANGE_REPORTED
            and submitted is not None
            and event.id is not None
        ):
            found.append(
                FilingOutcome(
                    event_id=event.id,
                    filing_id=event.filing_id,
                    outcome=event.to_status.value,
                    days=(day - submitted).days,
                    decided_on=day,
                )
            )
    return found


def refresh(engine: sa.Engine, pack: Pack, calendar: WorkdayCalendar, limit: int = 0) -> int:
    """Derive the queue columns of every filing that changed since they were derived (at most
    `limit` when given); return how many were written."""
    done = 0
    while not limit or done < limit:
        size = min(BATCH, limit - done) if limit else BATCH
        with session_scope(engine) as session:
            stale = list(
                session.exec(select(Filing).where(_STALE).order_by(col(Filing.id)).limit(size))
            )
            if not stale:
                break
            done += _write(session, stale, pack, calendar)
        if len(stale) < size:
            break
    return done


def _write(session: Session, stale: list[Filing], pack: Pack, calendar: WorkdayCalendar) -> int:
    ids = [f.id for f in stale if f.id is not None]
    events: dict[int, list[LifecycleEvent]] = {i: [] for i in ids}
    for event in session.exec(
        select(LifecycleEvent)
        .where(col(LifecycleEvent.filing_id).in_(ids))
        .order_by(col(LifecycleEvent.filing_id), col(LifecycleEvent.id))
    ):
        events[event.filing_id].append(event)
    written = 0
    for filing in stale:
        assert filing.id is not None
        values = derive(filing, pack, calendar)
        moved = session.execute(
            sa.update(Filing)
            .where(col(Filing.id) == filing.id, col(Filing.version) == filing.version)
            .values(queue_version=filing.version, **values)
            .execution_options(synchronize_session=False)
        )
        if not moved.rowcount:  # type: ignore[attr-defined]
            continue  # changed meanwhile: derived again next time
        session.execute(sa.delete(FilingOutcome).where(col(FilingOutcome.filing_id) == filing.id))
        for outcome in outcomes(events[filing.id]):
            session.add(outcome)
        written += 1
    session.flush()
    session.expunge_all()
    return written
