"""May an applicant reopen a filing's answers (/change a certified one, /amend a returned one
or one not submitted yet), and the interview that reopens them.

The chat works on an applicant's newest interview. A filing whose interview is not the
newest — the applicant started another site with /new since, or filed it — was out of reach:
`/change` said 「还没有已确认的备案」 and 信息变更 「不能修改」, for good. Now, when nothing would
be lost (the newer interview is done, deleted, or holds no answer yet), the filing's
interview is brought forward: copied as the newest, the filing pointing to the copy. A newer
interview with answers in it comes first: the refusal says so and how to finish or drop it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.db import session_scope
from models.filings import applicant_by_channel, state_of
from models.repo import latest_interview
from models.tables import Filing, Interview
from rules.enums import FilingStatus, InterviewStatus
from rules.filing_life import (
    amendable,
    change_since,
    changeable,
    not_amendable,
    not_changeable,
)
from rules.text import Text, t


@dataclass(frozen=True)
class Reopening:
    """May an applicant reopen a filing's answers: why not (None: they may), and for a change
    the earliest day it may be dated."""

    refusal: Text | None
    since: dt.date | None = None
    returned: bool | None = None  # an amendment: its filing was returned (else not submitted)


NO_FILING_YET = t(
    "还没有已确认的备案。发送 /start 开始填写。", "No confirmed filing yet. Send /start to begin."
)
NOT_AMENDABLE = t(
    "这份备案现在不能修改（只有尚未提交或被退回时才可以；备案完成后请用 /change 报告变更）。",
    "This filing cannot be fixed now (only before it is submitted or when returned; once "
    "certified, report a change with /change).",
)
NEWER_UNDER_WAY = t(
    "你还有一份没有完成的新填写。请先完成它（确认提交），"
    "或发送 /cancel 并选择删除，再来修改这份备案。",
    "You have a newer interview not finished. Finish it (confirm it), or send /cancel and "
    "delete it, then come back to this filing.",
)
NEWER_KEPT = t(
    "你有一份已取消、保留中的新填写。发送 /start 继续它；不要了的，继续后发送 /cancel 并选择删除。"
    "之后再来修改这份备案。",
    "You have a newer interview, cancelled and kept. Send /start to go on with it; if you do "
    "not want it, go on and send /cancel, then delete it. Then come back to this filing.",
)


def reopening(
    engine: sa.Engine, channel: str, external_id: str, reopen: str, filing_id: int | None = None
) -> Reopening:
    """Say whether an applicant may reopen a filing's answers (`reopen`: "change" a certified
    one, "amend" one returned or not submitted yet): it is theirs, in that state, and no newer
    interview holds answers; its interview is then their newest (brought forward if need be).
    Without `filing_id`: the filing of their newest interview, else their newest filing."""
    with session_scope(engine) as session:
        applicant = applicant_by_channel(session, channel, external_id)
        if applicant is None or applicant.id is None:
            return Reopening(NO_FILING_YET)
        latest = latest_interview(session=session, applicant_id=applicant.id)
        filing = _target(session, applicant.id, latest, filing_id)
        if filing is None or filing.applicant_id != applicant.id:
            return Reopening(NO_FILING_YET)
        state = state_of(filing)
        if reopen == "change" and not changeable(state):
            return Reopening(not_changeable(state.status))
        if reopen != "change" and not amendable(state):
            return Reopening(not_amendable(state))
        if filing.interview_id is None:  # recorded from the command line: no interview
            return Reopening(NOT_AMENDABLE)
        if latest is not None and latest.id != filing.interview_id:
            busy = _busy(latest, dt.datetime.now(dt.UTC))
            if busy is not None:
                return Reopening(busy)
            _bring_forward(session, filing, latest)
        if reopen == "change":
            return Reopening(None, change_since(state))
        return Reopening(None, returned=state.step.status is FilingStatus.RETURNED)


def _target(
    session: Session, applicant_id: int, latest: Interview | None, filing_id: int | None
) -> Filing | None:
    """The filing asked for; else the one of the newest interview; else the newest filing."""
    if filing_id is not None:
        return session.get(Filing, filing_id)
    if latest is not None:
        found = session.exec(select(Filing).where(Filing.interview_id == latest.id)).first()
        if found is not None:
            return found
    return session.exec(
        select(Filing).where(Filing.applicant_id == applicant_id).order_by(col(Filing.id).desc())
    ).first()


def _busy(latest: Interview, now: dt.datetime) -> Text | None:
    """Why the newest interview must not be left behind (None: nothing in it would be lost)."""
    if latest.status is InterviewStatus.DONE or not latest.answers:
        return None
    if latest.status is InterviewStatus.CANCELLED:
        purge = latest.purge_after
        if purge is not None and (purge if purge.tzinfo else purge.replace(tzinfo=dt.UTC)) <= now:
            return None  # deleted: waiting for the purge
        return NEWER_KEPT
    return NEWER_UNDER_WAY


def _bring_forward(session: Session, filing: Filing, latest: Interview) -> None:
    """Make the filing's interview the applicant's newest: a copy of it, the filing pointing
    to the copy. The one it passes gets a new version, so that a turn remembered on it (in
    this process or another) is taken again from the database."""
    own = session.get(Interview, filing.interview_id)
    assert own is not None
    now = dt.datetime.now(dt.UTC)
    copy = Interview(
        applicant_id=own.applicant_id,
        status=own.status,
        question=own.question,
        answers=dict(own.answers),
        history=list(own.history),
        flow=dict(own.flow),
        language=own.language,
        created_at=now,
        updated_at=now,
    )
    session.add(copy)
    session.flush()
    filing.interview_id = copy.id
    session.add(filing)
    latest.version += 1
    latest.updated_at = now
    session.add(latest)
