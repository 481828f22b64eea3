"""A confirmed interview becomes a filing: its row, its audit event, its documents to deliver.

All three are written in the turn's transaction. The documents are rendered after the commit
(from the stored answers) by whoever delivers the outbox row, so a crash while they render or
while they are sent loses nothing: the row is delivered again after the restart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, select

from bot.deliveries import DOCUMENTS
from dialogs.model import Context, Step, Submit
from models import outbox
from models.repo import create_filing
from models.tables import Filing, OutboxMessage
from rules.answers import FilingAnswers
from rules.enums import DocumentKind
from rules.routing import route_filing

# The documents an applicant receives on submission (the change report comes with changes).
SUBMISSION_KINDS: tuple[DocumentKind, ...] = (
    DocumentKind.FILING_FORM,
    DocumentKind.RESPONSIBILITY,
    DocumentKind.CHECKLIST,
    DocumentKind.GUIDE,
)
DELIVERY_LEASE = dt.timedelta(minutes=10)  # rendering and sending a set takes seconds


@dataclass(frozen=True)
class Submitted:
    """What a submission turn wrote: the filing and the delivery of its documents."""

    filing_id: int
    delivery_id: int


def route_json(answers: FilingAnswers, ctx: Context) -> dict[str, object]:
    """Return the filing's route in its domain shape (both languages)."""
    route = route_filing(
        answers.maintenance, answers.server, ctx.pack, answers.maintenance_city, answers.server_city
    )
    return {
        "in_scope": route.in_scope,
        "steps": [
            {"order": s.order, "where": s.where.value, "bureau": s.bureau.model_dump()}
            for s in route.steps
        ],
        "advice": route.advice.model_dump(),
    }


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
        route=route_json(answers, ctx),
        connection_date=answers.connection_date,
        data=answers.model_dump(mode="json"),
        site_name=answers.website.name,
        icp_number=answers.website.icp_number,
    )


def _amended(
    session: Session, submit: Submit, interview_id: int, now: dt.datetime
) -> Filing | None:
    """The interview's own filing with the fixed answers (its status stays: the applicant
    resubmits in the filing system, then says so); None when it has none."""
    filing = session.exec(select(Filing).where(Filing.interview_id == interview_id)).first()
    if filing is None:
        return None
    answers = submit.answers
    filing.data = answers.model_dump(mode="json")
    filing.site_name = answers.website.name
    filing.icp_number = answers.website.icp_number
    filing.connection_date = answers.connection_date
    filing.updated_at = now
    session.add(filing)
    session.flush()
    return filing


def submission_writer(ctx: Context, holder: str, chat_id: int | None):  # type: ignore[no-untyped-def]
    """Return the effect writer of a submission turn for this context and channel."""

    def write(
        session: Session, step: Step, applicant_id: int, interview_id: int, now: dt.datetime
    ) -> Submitted | None:
        submit = next((e for e in step.effects if isinstance(e, Submit)), None)
        if submit is None:
            return None
        amended = _amended(session, submit, interview_id, now) if submit.amends else None
        filing = amended or create_filing(
            session=session,
            filing=filing_from(submit.answers, ctx, applicant_id, interview_id),
            actor=f"applicant:{applicant_id}",
            now=now,
        )
        assert filing.id is not None
        key = f"amend:{now.isoformat()}" if amended is not None else "submission"
        delivery = outbox.add(
            session,
            OutboxMessage(
                kind=DOCUMENTS,
                dedupe_key=f"{DOCUMENTS}:{filing.id}:{key}",
                filing_id=filing.id,
                applicant_id=applicant_id,
                chat_id=chat_id,
                due_at=now,
                payload={
                    "kinds": [k.value for k in SUBMISSION_KINDS],
                    "lang": step.state.lang,
                    "after": [r.text for r in step.replies[1:]],
                },
                claimed_by=holder,
                lease_until=now + DELIVERY_LEASE,
                attempts=1,
                created_at=now,
            ),
        )
        assert delivery is not None
        return Submitted(filing.id, delivery)

    return write
