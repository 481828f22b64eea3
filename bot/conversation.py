"""One turn of an applicant's interview: load it, advance it, carry out its effects, store it.

Everything a turn writes (the interview's new state, a submitted filing with its audit event
and its documents) is committed in one transaction; if rendering fails nothing is stored and
the applicant can confirm again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from hashlib import sha256

import sqlalchemy as sa
from sqlmodel import Session

from bot.present import route_json
from dialogs.engine import begin, handle
from dialogs.model import (
    Cancel,
    Context,
    Input,
    InterviewState,
    NewInterview,
    Resume,
    Step,
    Submit,
)
from documents.render import DocumentContext, RenderedDocument
from models.db import session_scope
from models.repo import (
    create_filing,
    get_or_create_applicant,
    latest_interview,
    mark_update_processed,
    save_interview,
)
from models.tables import Applicant, Filing, GeneratedDocument, Interview
from rules.answers import FilingAnswers
from rules.enums import DocumentKind, InterviewStatus
from rules.routing import route_filing
from rules.text import Lang

KEEP_CANCELLED = dt.timedelta(days=30)

# The documents an applicant receives on submission (the change report comes with changes).
SUBMISSION_KINDS: tuple[DocumentKind, ...] = (
    DocumentKind.FILING_FORM,
    DocumentKind.RESPONSIBILITY,
    DocumentKind.CHECKLIST,
    DocumentKind.GUIDE,
)

RenderSet = Callable[
    [tuple[DocumentKind, ...], FilingAnswers, DocumentContext], list[RenderedDocument]
]


@dataclass(frozen=True)
class Turn:
    """What a channel shows after one input: the step, and the documents of a submission."""

    step: Step
    applicant_id: int
    documents: list[RenderedDocument] = field(default_factory=list)
    filing_id: int | None = None


def _restore(interview: Interview) -> InterviewState:
    return InterviewState.restore(
        question=interview.state or None,
        answers=interview.answers,
        history=interview.history,
        lang=interview.language,
        flow=interview.flow,
    )


def _expired(interview: Interview, now: dt.datetime) -> bool:
    return (
        interview.status is InterviewStatus.CANCELLED
        and interview.purge_after is not None
        and interview.purge_after <= now
    )


def _filing_from(
    answers: FilingAnswers, ctx: Context, applicant_id: int, interview_id: int
) -> Filing:
    route = route_filing(
        answers.maintenance,
        answers.server,
        ctx.pack,
        answers.maintenance_city,
        answers.server_city,
    )
    return Filing(
        applicant_id=applicant_id,
        interview_id=interview_id,
        subject_type=answers.subject_type,
        maintenance=answers.maintenance,
        server=answers.server,
        maintenance_city=answers.maintenance_city,
        server_city=answers.server_city,
        route=route_json(route, "zh"),  # the same shape as `beian route --json`
        connection_date=answers.connection_date,
        data=answers.model_dump(mode="json"),
        site_name=answers.website.name,
        icp_number=answers.website.icp_number,
    )


def _submit(
    session: Session,
    *,
    answers: FilingAnswers,
    ctx: Context,
    applicant: Applicant,
    interview: Interview,
    now: dt.datetime,
    render_set: RenderSet,
) -> tuple[Filing, list[RenderedDocument]]:
    assert applicant.id is not None
    assert interview.id is not None
    doc_ctx = DocumentContext(
        pack=ctx.pack, today=ctx.today, calendar=ctx.calendar, submitted_on=ctx.today
    )
    documents = render_set(SUBMISSION_KINDS, answers, doc_ctx)
    filing = create_filing(
        session=session,
        filing=_filing_from(answers, ctx, applicant.id, interview.id),
        actor=f"applicant:{applicant.id}",
        now=now,
    )
    assert filing.id is not None
    for doc in documents:
        session.add(
            GeneratedDocument(
                filing_id=filing.id,
                kind=doc.kind,
                filename=doc.filename,
                sha256=sha256(doc.pdf).hexdigest(),
                pages=doc.pages,
                size=len(doc.pdf),
                content=doc.pdf,
                created_at=now,
            )
        )
    return filing, documents


def take_turn(
    *,
    engine: sa.Engine,
    channel: str,
    external_id: str,
    inp: Input,
    ctx: Context,
    now: dt.datetime,
    render_set: RenderSet,
    lang: Lang = "zh",
    display_name: str | None = None,
    update_key: tuple[int, int] | None = None,
) -> Turn | None:
    """Advance the applicant's interview by one input and store the result.

    With `update_key` (bot id, update id) the update is recorded in the same transaction, and
    an update seen before returns None: a redelivered update changes nothing.
    """
    with session_scope(engine) as session:
        if update_key is not None and not mark_update_processed(
            session=session, bot_id=update_key[0], update_id=update_key[1], now=now
        ):
            return None
        applicant = get_or_create_applicant(
            session=session, channel=channel, external_id=external_id, display_name=display_name
        )
        assert applicant.id is not None
        interview = latest_interview(session=session, applicant_id=applicant.id)
        if interview is not None and _expired(interview, now):
            interview.answers, interview.history, interview.flow = {}, [], {}
            interview.status = InterviewStatus.DONE  # purged: the next message starts afresh
            session.add(interview)
            interview = None
        step = begin(ctx, lang) if interview is None else handle(_restore(interview), inp, ctx)
        if interview is None or any(isinstance(e, NewInterview) for e in step.effects):
            interview = Interview(
                applicant_id=applicant.id,
                state="",
                language=step.state.lang,
                created_at=now,
                updated_at=now,
            )
            session.add(interview)
            session.flush()
        documents: list[RenderedDocument] = []
        filing_id: int | None = None
        for effect in step.effects:
            if isinstance(effect, Submit):
                filing, documents = _submit(
                    session,
                    answers=effect.answers,
                    ctx=ctx,
                    applicant=applicant,
                    interview=interview,
                    now=now,
                    render_set=render_set,
                )
                filing_id = filing.id
                interview.status = InterviewStatus.DONE
            elif isinstance(effect, Cancel):
                interview.status = InterviewStatus.CANCELLED
                interview.purge_after = now if effect.delete else now + KEEP_CANCELLED
            elif isinstance(effect, Resume):
                interview.status = InterviewStatus.ACTIVE
                interview.purge_after = None
        state = step.state
        save_interview(
            session=session,
            interview=interview,
            state=state.question or "",
            answers=state.answers,
            history=state.history,
            flow=state.to_flow(),
            language=state.lang,
            now=now,
        )
        applicant.language = state.lang
        session.add(applicant)
    return Turn(step=step, applicant_id=applicant.id, documents=documents, filing_id=filing_id)


def render_in_process(
    kinds: tuple[DocumentKind, ...], answers: FilingAnswers, ctx: DocumentContext
) -> list[RenderedDocument]:
    """Render in this process (the terminal channel; the bot uses its pool)."""
    from documents.render import render

    return [render(kind, answers, ctx) for kind in kinds]
