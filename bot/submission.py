"""A confirmed interview becomes a filing: its row, its audit event, its documents to deliver.

All three are written in the turn's transaction. The documents are rendered after the commit
(from the stored answers) by whoever delivers the outbox row, so a crash while they render or
while they are sent loses nothing: the row is delivered again after the restart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pydantic import ValidationError
from sqlmodel import Session, col, select

from bot.changes import report_change_in, route_json, take_answers
from bot.deliveries import DRAFT_KINDS, add_delivery
from bot.filing_actions import Reviewers, plan_filing_reminders
from dialogs import texts_reopened as reopened
from dialogs.model import Context, Step, Submit
from models.filings import add_version, state_of
from models.repo import create_filing
from models.tables import Filing, Interview
from rules.answers import FilingAnswers
from rules.changes import apply_changes, diff
from rules.enums import FilingStatus
from rules.filing_life import Actor, Role
from rules.filing_state import changeable, route_steps, steps_of_route, unsubmitted
from rules.routing import route_of
from rules.text import Text, t

# The documents an applicant receives on submission (the change report comes with changes).
SUBMISSION_KINDS = DRAFT_KINDS


@dataclass(frozen=True)
class Submitted:
    """What a submission turn wrote: the filing and the delivery of its documents (a change:
    also its notices to send; or why it was refused, with nothing written)."""

    filing_id: int
    delivery_id: int | None
    notices: tuple[int, ...] = ()
    refusal: Text | None = None
    change: bool = False
    told: Text | None = None  # a change: what the applicant is told (the deadline, the route)
    forget: bool = False  # the writer changed the interview row (the conversation re-reads it)
    # An amendment: its first message, worded for the filing's status when it was written
    # (returned, or not submitted yet), in place of the interview's, which knows neither.
    first: Text | None = None


def filing_from(
    answers: FilingAnswers, ctx: Context, applicant_id: int, interview_id: int
) -> Filing:
    """Build the filing row of confirmed answers."""
    return Filing(
        applicant_id=applicant_id,
        interview_id=interview_id,
        subject_type=answers.subject_type,
        maintenance=answers.maintenance,
        server=answers.server,
        maintenance_city=answers.maintenance_city,
        server_city=answers.server_city,
        route=route_json(answers, ctx.pack),
        connection_date=answers.connection_date,
        data=answers.model_dump(mode="json"),
        site_name=answers.website.name,
        icp_number=answers.website.icp_number,
    )


def _amended(
    session: Session,
    submit: Submit,
    interview_id: int,
    actor: str,
    now: dt.datetime,
    ctx: Context,
) -> Filing | None:
    """The interview's own filing with the fixed answers (its status stays: the applicant
    resubmits in the filing system, then says so); None when it has none. A filing not yet
    submitted anywhere takes the route of its fixed answers (where it is filed may change)."""
    filing = session.exec(select(Filing).where(Filing.interview_id == interview_id)).first()
    if filing is None:
        return None
    before = dict(filing.data)
    take_answers(filing, submit.answers, now)
    if unsubmitted(state_of(filing)):
        filing.route = route_json(submit.answers, ctx.pack)
        filing.steps = [s.to_json() for s in steps_of_route(filing.route)]
    changes = [c.to_json() for c in diff(before, filing.data)]
    session.add(filing)
    add_version(session, filing, kind="amended", actor=actor, now=now, changes=changes)
    session.flush()
    return filing


def _changed(
    session: Session,
    submit: Submit,
    step: Step,
    ctx: Context,
    ids: tuple[int, int],
    now: dt.datetime,
    holder: str,
    reviewers: Reviewers,
) -> Submitted:
    """A change of the interview's certified filing, recorded (or refused, nothing written)."""
    applicant_id, interview_id = ids
    assert submit.change is not None
    filing = session.exec(
        select(Filing).where(Filing.interview_id == interview_id).order_by(col(Filing.id))
    ).first()
    if filing is None or filing.id is None:
        return _refused(session, interview_id, submit, 0, NO_FILING)
    answers = _merged(filing, submit, ctx)
    if isinstance(answers, Text):
        return _refused(session, interview_id, submit, filing.id, answers)
    outcome = report_change_in(
        session,
        filing,
        answers,
        on=submit.change.on,
        reason=submit.change.reason,
        who=Actor(Role.APPLICANT, str(applicant_id)),
        ctx=ctx,
        now=now,
        review_chat=reviewers.review_chat,
        lang=step.state.lang,
        holder=holder,
    )
    if outcome.refusal is not None:
        return _refused(session, interview_id, submit, filing.id, outcome.refusal)
    return Submitted(filing.id, outcome.delivery, outcome.notices, change=True, told=outcome.told)


NO_FILING = t("没有找到这份备案。", "No such filing.")
CHANGED_MEANWHILE = t(
    "备案信息在此期间有过其他变更，请重新发送 /change 再改一次。",
    "The filing changed meanwhile: send /change and make the change again.",
)


def _merged(filing: Filing, submit: Submit, ctx: Context) -> FilingAnswers | Text:
    """The filing's answers with what the applicant changed in the interview: a change made
    meanwhile elsewhere (an operator's) stays unless the applicant changed that field too."""
    assert submit.change is not None
    before = submit.change.before
    if before is None or before.model_dump(mode="json") == filing.data:
        return submit.answers
    edits = diff(before.model_dump(mode="json"), submit.answers.model_dump(mode="json"))
    checked = apply_changes(filing.data, {c.field: c.new for c in edits}, ctx.pack)
    if checked.answers is None:
        return CHANGED_MEANWHILE
    return checked.answers


ROUTE_FIXED = t(
    "这份备案已经向网安部门提交过，修改不能改变备案地点（维护地、服务器所在地）：没有保存这次修改。"
    "请在备案系统中按退回原因修改其他项目；备案地点确实变了的，请注销这份备案，再按新的地点重新备案。",
    "This filing was submitted to a bureau: an amendment cannot move where it is filed (the "
    "maintenance or the server location). Nothing of it was kept. Fix the other items as the "
    "return asks; if the site really moved, cancel this filing and file again where it is now.",
)


# A filing certified by one bureau: a move is reported as a change, not cancelled and filed again.
ROUTE_FIXED_CHANGE = t(
    "这份备案已经向网安部门提交过，修改不能改变备案地点（维护地、服务器所在地）：没有保存这次修改。"
    "请按退回原因修改其他项目；维护地或服务器确实搬了的，请发送 /change 报告变更。",
    "This filing was submitted to a bureau: an amendment cannot move where it is filed (the "
    "maintenance or the server location). Nothing of it was kept. Fix the other items as the "
    "return asks; if the maintenance or the server really moved, report it with /change.",
)


def _route_moved(session: Session, submit: Submit, interview_id: int, ctx: Context) -> int | None:
    """The filing an amendment would move to other bureaus though it was submitted to its
    own (its id), else None."""
    filing = session.exec(select(Filing).where(Filing.interview_id == interview_id)).first()
    if filing is None or filing.id is None or unsubmitted(state_of(filing)):
        return None
    now = [s.key for s in route_steps(route_of(submit.answers, ctx.pack))]
    try:  # the route of the answers as filed (a change may have moved it since the steps)
        filed = FilingAnswers.model_validate(filing.data)
    except ValidationError:  # kept before today's checks: its stored route
        was = [s.key for s in steps_of_route(filing.route or {})]
    else:
        was = [s.key for s in route_steps(route_of(filed, ctx.pack))]
    return None if now == was else filing.id


def _refused(
    session: Session, interview_id: int, submit: Submit, filing_id: int, why: Text
) -> Submitted:
    """A change (or an amendment) refused when it was written: the interview takes back the
    answers it had when it began (nothing of the refused edit stays)."""
    interview = session.get(Interview, interview_id)
    before = submit.change.interview_before if submit.change else submit.amend_before
    if interview is not None and before is not None:
        interview.answers = dict(before)
        session.add(interview)
    return Submitted(filing_id, None, refusal=why, forget=True)


def amended_text(filing: Filing) -> Text:
    """What an amendment's first message says: resubmit a returned filing, or submit one
    never submitted (the interview's text named both cases)."""
    state = state_of(filing)
    if state.step.status is FilingStatus.RETURNED:
        return reopened.AMENDED_RETURNED
    if unsubmitted(state):
        return reopened.AMENDED_UNSUBMITTED
    return reopened.AMENDED


def submission_writer(  # type: ignore[no-untyped-def]
    ctx: Context, holder: str, chat_id: int | None, reviewers: Reviewers | None = None
):
    """Return the effect writer of a submission turn for this context and channel."""

    def write(
        session: Session, step: Step, applicant_id: int, interview_id: int, now: dt.datetime
    ) -> Submitted | None:
        submit = next((e for e in step.effects if isinstance(e, Submit)), None)
        if submit is None:
            return None
        if submit.change is not None:
            ids = (applicant_id, interview_id)
            return _changed(session, submit, step, ctx, ids, now, holder, reviewers or Reviewers())
        actor = f"applicant:{applicant_id}"
        moved = _route_moved(session, submit, interview_id, ctx) if submit.amends else None
        if moved is not None:
            filing = session.get(Filing, moved)
            certified = filing is not None and changeable(state_of(filing))
            why = ROUTE_FIXED_CHANGE if certified else ROUTE_FIXED
            return _refused(session, interview_id, submit, moved, why)
        amended = (
            _amended(session, submit, interview_id, actor, now, ctx) if submit.amends else None
        )
        filing = amended or create_filing(
            session=session,
            filing=filing_from(submit.answers, ctx, applicant_id, interview_id),
            actor=actor,
            now=now,
        )
        assert filing.id is not None
        plan_filing_reminders(session, filing, ctx, now, chat_id)
        key = f"amend:{now.isoformat()}" if amended is not None else "submission"
        delivery = add_delivery(
            session,
            filing,
            key=key,
            kinds=SUBMISSION_KINDS,
            chat_id=chat_id,
            now=now,
            holder=holder,
            lang=step.state.lang,
            after=[r.text for r in step.replies[1:]],
        )
        assert delivery is not None
        return Submitted(filing.id, delivery, first=amended_text(filing) if amended else None)

    return write
