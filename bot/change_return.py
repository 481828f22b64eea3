"""A reported change returned by the bureau: the filing stays certified with its number, and
its answers go back to what the bureau has — those of the version before the change — in the
filing and in the interview the applicant reopens with /change, so that the change can be
reported again (the interview kept the returned change as its answers: 「没有任何信息改变」)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from models.filings import add_version, history
from models.tables import Filing, Interview
from rules.answers import FilingAnswers
from rules.enums import FilingStatus
from rules.filing_life import Decision
from rules.filing_state import FilingState
from rules.lifecycle import FilingEvent
from rules.pack import Pack

CHANGE_RETURNED = "change_returned"  # the version written when a change's return undoes it


def returned_change(event: str | None, before: FilingState, after: FilingState) -> bool:
    """Say whether a decision returned a reported change (a return that took a step back from
    已报告变更 to 已备案; an accepted change takes it there too)."""
    return event == FilingEvent.RETURN and any(
        b.status is FilingStatus.CHANGE_REPORTED and a.status is FilingStatus.CERTIFIED
        for b, a in zip(before.steps, after.steps, strict=False)
    )


def undo_returned_change(
    session: Session,
    filing: Filing,
    *,
    actor: str,
    reason: str | None,
    now: dt.datetime,
    pack: Pack,
) -> None:
    """Put the filing's answers (and its interview's) back to the version before its last
    change, and its route (a step never submitted that the change moved moves back), and keep
    that as a version of its own."""
    # bot.changes needs bot.filing_actions, which needs this
    from bot.changes import reroute, take_answers

    assert filing.id is not None
    versions = history(session, filing.id)
    changed = [v for v in versions if v.kind == "changed"]
    prior = next((v for v in versions if changed and v.number == changed[-1].number - 1), None)
    if prior is None:
        return
    try:
        restored = FilingAnswers.model_validate(prior.answers)
        take_answers(filing, restored, now)
        reroute(filing, restored, pack)
    except ValidationError:  # kept before today's checks: the answers as they were
        filing.data = dict(prior.answers)
    session.add(filing)
    undone: list[dict[str, Any]] = [
        {"field": c["field"], "old": c["new"], "new": c["old"]} for c in changed[-1].changes
    ]
    interview = session.get(Interview, filing.interview_id) if filing.interview_id else None
    if interview is not None:
        answers = dict(interview.answers)
        for change in undone:
            if change["field"] in answers:
                answers[change["field"]] = change["new"]
        interview.answers = answers
        session.add(interview)
    add_version(session, filing, kind=CHANGE_RETURNED, actor=actor, now=now, changes=undone,
                reason=reason)  # fmt: skip


def undo_if_returned(
    session: Session,
    filing: Filing,
    before: FilingState,
    decision: Decision,
    now: dt.datetime,
    pack: Pack,
) -> None:
    """Undo the change a decision returned, if it returned one (see the module)."""
    if returned_change(decision.event, before, decision.state):
        undo_returned_change(session, filing, actor=decision.actor, reason=decision.reason,
                             now=now, pack=pack)  # fmt: skip
