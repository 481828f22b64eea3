"""Documents deliveries (outbox rows of kind `documents`): render once, store, send, close.

`prepare_documents` renders the set from the filing's stored answers the first time and stores
the PDFs (with their ids in the row's payload, in the same transaction); a delivery resumed
after a crash finds them and sends them again without rendering. The channel sends; then
`finish_delivery` closes the row. These run in a worker thread (they wait on the database and
on the render pool).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlmodel import Session, col, select

from dialogs.model import Context
from documents.model import (
    Cancellation,
    ChangeReport,
    DocumentContext,
    RenderedDocument,
    document_jobs,
)
from models import outbox
from models.db import session_scope
from models.filings import state_of
from models.tables import Filing, GeneratedDocument, OutboxMessage
from rules.answers import FilingAnswers
from rules.enums import DocumentKind, OutboxStatus, SubjectType
from rules.events import Cancel, Event
from rules.filing_state import StepState, route_steps
from rules.pack import Pack
from rules.routing import route_of
from rules.text import Lang

RenderSet = Callable[
    [tuple[DocumentKind, ...], FilingAnswers, DocumentContext], list[RenderedDocument]
]
MAX_ATTEMPTS = 5
DOCUMENTS = "documents"  # the outbox kind of a documents delivery


@dataclass(frozen=True)
class StoredDocument:
    """A rendered PDF as kept for a filing."""

    id: int
    kind: DocumentKind
    filename: str
    pdf: bytes


@dataclass(frozen=True)
class DocumentSet:
    """What a documents delivery sends: the PDFs, then the texts that follow them."""

    delivery_id: int
    filing_id: int
    chat_id: int | None
    lang: Lang
    documents: list[StoredDocument]
    after: list[str] = field(default_factory=list)
    attempts: int = 1
    individual: bool = False  # a person signs what a unit stamps (the captions say which)


DELIVERY_LEASE = dt.timedelta(minutes=10)  # rendering and sending a set takes seconds


# The drafts an applicant receives on confirming (and again when their answers change).
DRAFT_KINDS: tuple[DocumentKind, ...] = (
    DocumentKind.FILING_FORM,
    DocumentKind.RESPONSIBILITY,
    DocumentKind.CHECKLIST,
    DocumentKind.GUIDE,
)


def add_delivery(
    session: Session,
    filing: Filing,
    *,
    key: str,
    kinds: tuple[DocumentKind, ...] | list[DocumentKind],
    chat_id: int | None,
    now: dt.datetime,
    holder: str | None,
    **payload: Any,
) -> int | None:
    """Write a documents delivery of `filing` (rendered after the commit). `holder`: the
    instance that sends it right away (claimed by it); without one the sweep sends it."""
    return outbox.add(
        session,
        OutboxMessage(
            kind=DOCUMENTS,
            dedupe_key=f"{DOCUMENTS}:{filing.id}:{key}",
            filing_id=filing.id,
            applicant_id=filing.applicant_id,
            chat_id=chat_id,
            due_at=now,
            payload={"kinds": [k.value for k in kinds], **payload},
            claimed_by=holder,
            lease_until=now + DELIVERY_LEASE if holder else None,
            attempts=1 if holder else 0,
            created_at=now,
        ),
    )


def document_context(
    ctx: Context, filing: Filing, lang: Lang = "zh", payload: dict[str, Any] | None = None
) -> DocumentContext:
    """Return what the documents of `filing` need besides its answers: dates only of what
    happened (a prepared filing is not submitted yet), its 公安备案号 once issued, and the
    change or cancellation a delivery is for (`payload["change"]`, `payload["cancellation"]`)."""
    payload = payload or {}
    change = payload.get("change")
    cancellation = payload.get("cancellation")
    return DocumentContext(
        pack=ctx.pack,
        today=ctx.today,
        calendar=ctx.calendar,
        submitted_on=filing.submitted_at.date() if filing.submitted_at else None,
        filing_number=filing.psb_number,
        change=ChangeReport.model_validate(change) if change else None,
        cancellation=Cancellation.model_validate(cancellation) if cancellation else None,
        lang=lang,
        orders=_step_orders(filing, ctx),
    )


def addressees(steps: Sequence[StepState], pack: Pack) -> list[str]:
    """The bureaus a written statement is handed to, by their Chinese names: this city's as
    the pack names it now (a step keeps the name it had when it was made)."""
    return [pack.bureau.name.zh if s.local else s.bureau.zh for s in steps][:10]


def _step_orders(filing: Filing, ctx: Context) -> tuple[tuple[str, int], ...]:
    """The filing's step numbers by bureau, for the documents to number its route's bureaus
    as /status does; none (the route's own) when they would not number them apart (a route
    out of this city's scope, partly beside the filing's steps)."""
    orders = tuple((s.key, s.order) for s in state_of(filing).steps)
    try:
        route = route_steps(route_of(FilingAnswers.model_validate(filing.data), ctx.pack))
    except ValidationError:
        return ()
    mapped = [dict(orders).get(s.key, s.order) for s in route]
    return orders if len(set(mapped)) == len(mapped) else ()


def prepare_documents(
    engine: sa.Engine, delivery_id: int, render_set: RenderSet, ctx: Context, now: dt.datetime
) -> DocumentSet | None:
    """Return the delivery's documents, rendering and storing them the first time; None when
    the row is no longer pending."""
    with session_scope(engine) as session:
        row = session.get(OutboxMessage, delivery_id)
        if row is None or row.status is not OutboxStatus.PENDING or row.filing_id is None:
            return None
        filing = session.get(Filing, row.filing_id)
        assert filing is not None
        assert filing.id is not None
        payload = dict(row.payload)
        ids = [int(i) for i in payload.get("documents", [])]
        lang: Lang = "en" if payload.get("lang") == "en" else "zh"
        kinds = tuple(DocumentKind(k) for k in payload.get("kinds", []))
        if ids:
            stored = list(
                session.exec(select(GeneratedDocument).where(col(GeneratedDocument.id).in_(ids)))
            )
        else:
            answers = FilingAnswers.model_validate(filing.data)
            rendered = render_set(kinds, answers, document_context(ctx, filing, lang, payload))
            stored = []
            for doc in rendered:
                kept = GeneratedDocument(
                    filing_id=filing.id,
                    kind=doc.kind,
                    filename=doc.filename,
                    sha256=sha256(doc.pdf).hexdigest(),
                    pages=doc.pages,
                    size=len(doc.pdf),
                    content=doc.pdf,
                    created_at=now,
                )
                session.add(kept)
                stored.append(kept)
            session.flush()
            payload["documents"] = [d.id for d in stored]
            outbox.update_payload(session, delivery_id, payload)
        order = {d.id: i for i, d in enumerate(stored)}
        documents = [
            StoredDocument(d.id, d.kind, d.filename, d.content)
            for d in sorted(stored, key=lambda d: order[d.id])
            if d.id is not None
        ]
        return DocumentSet(
            delivery_id=delivery_id,
            filing_id=filing.id or 0,
            chat_id=row.chat_id,
            lang=lang,
            documents=documents,
            after=[str(text) for text in payload.get("after", [])],
            attempts=row.attempts,
            individual=is_individual(filing),
        )


def is_individual(filing: Filing) -> bool:
    """Say whether a person (not a unit) runs the filing's site: they sign, a unit stamps."""
    return (filing.data or {}).get("subject_type") == SubjectType.INDIVIDUAL.value


def finish_delivery(
    engine: sa.Engine,
    delivery_id: int,
    now: dt.datetime,
    *,
    status: OutboxStatus = OutboxStatus.SENT,
    error: str | None = None,
) -> None:
    """Close a delivery as sent (or failed, with why)."""
    with session_scope(engine) as session:
        outbox.finish(session, delivery_id, status=status, now=now, error=error)


def retry_delivery(
    engine: sa.Engine, delivery_id: int, attempts: int, now: dt.datetime, error: str
) -> bool:
    """Give a failed delivery back for a later try; False (and failed) after MAX_ATTEMPTS."""
    with session_scope(engine) as session:
        if attempts >= MAX_ATTEMPTS:
            outbox.finish(session, delivery_id, status=OutboxStatus.FAILED, now=now, error=error)
            return False
        backoff = dt.timedelta(seconds=min(300, 5 * 2**attempts))
        outbox.retry_later(session, delivery_id, at=now + backoff, error=error)
        return True


def claim_deliveries(
    engine: sa.Engine,
    worker: str,
    now: dt.datetime,
    *,
    skip: set[int],
    limit: int = 20,
    recovering: bool = False,
) -> list[int]:
    """Claim due documents deliveries (crashed or retried ones); return their ids.

    `recovering` (at start-up, before any update is processed): also those this instance
    held when it stopped."""
    with session_scope(engine) as session:
        rows = outbox.claim_due(
            session,
            worker=worker,
            now=now,
            limit=limit,
            kinds=(DOCUMENTS,),
            exclude=skip,
            include_own=recovering,
        )
        return [r.id for r in rows if r.id is not None]


def render_in_process(
    kinds: tuple[DocumentKind, ...], answers: FilingAnswers, ctx: DocumentContext
) -> list[RenderedDocument]:
    """Render in this process (the terminal channel; the bot uses its pool)."""
    from documents.render import render

    return [render(kind, answers, c) for kind, c in document_jobs(kinds, answers, ctx)]


def undelivered(engine: sa.Engine, applicant_id: int) -> list[int]:
    """Return the applicant's documents deliveries still pending (a crash or a failed write)."""
    with session_scope(engine) as session:
        rows = session.exec(
            select(OutboxMessage.id).where(
                OutboxMessage.applicant_id == applicant_id,
                OutboxMessage.kind == DOCUMENTS,
                OutboxMessage.status == OutboxStatus.PENDING,
            )
        )
        return [int(i) for i in rows if i is not None]


def cancellation_statement(
    session: Session,
    filing: Filing,
    event: Event,
    chat: int | None,
    now: dt.datetime,
    holder: str | None,
    lang: Lang,
    *,
    filed: tuple[StepState, ...],
    pack: Pack,
) -> int | None:
    """A cancellation's written statement, the one the bureau asks for: its delivery's id
    (None for any other event, and for a filing never submitted: no bureau to hand it to),
    addressed to the bureaus it was `filed` with."""
    if not isinstance(event, Cancel) or not filed:
        return None
    return add_delivery(
        session,
        filing,
        key="cancellation",
        kinds=(DocumentKind.CANCELLATION,),
        chat_id=chat,
        now=now,
        holder=holder,
        lang=lang,
        cancellation={
            "on": event.on.isoformat(),
            "reason": event.reason[:500],
            "to": addressees(filed, pack),
        },
    )
