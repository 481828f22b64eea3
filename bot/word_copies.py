"""Word copies of a filing's forms, made when the applicant asks for them (issue 31).

Not part of the documents delivery: most applicants need only the PDFs, so the .docx are made
on demand — from the filing's answers as they are now, with the same document context as the
PDFs — in the render pool, and kept beside the PDFs (`generated_document.format` docx: the
record of what was sent, `beian filings export`). A copy made again with the same content is
not kept twice (the bytes are the same: `documents.word` dates the package by its day).
These run in a worker thread (they wait on the database and on the render pool).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from hashlib import sha256
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import col, select

from bot.deliveries import document_context, is_individual
from dialogs.model import Context
from documents.model import DocumentContext
from models.db import session_scope
from models.tables import Applicant, Filing, GeneratedDocument
from rules.answers import FilingAnswers
from rules.enums import DocumentKind
from rules.text import Lang

if TYPE_CHECKING:
    from documents.word import WordDocument

WriteWord = Callable[
    [tuple[DocumentKind, ...], FilingAnswers, DocumentContext], "list[WordDocument]"
]
DOCX = "docx"


@dataclass(frozen=True)
class WordCopies:
    """What the applicant is sent: the .docx (kind, file name, content), and for the captions
    their language and whether a person signs what a unit stamps."""

    documents: list[tuple[DocumentKind, str, bytes]]
    lang: Lang
    individual: bool


def word_copies(
    engine: sa.Engine, filing_id: int, write: WriteWord, ctx: Context, now: dt.datetime
) -> WordCopies | None:
    """Make the filing's Word copies and keep those not kept yet; None for no such filing."""
    from documents.word import WORD_KINDS

    with session_scope(engine) as session:
        filing = session.get(Filing, filing_id)
        if filing is None or filing.id is None:
            return None
        applicant = session.get(Applicant, filing.applicant_id)
        lang: Lang = "en" if applicant is not None and applicant.language == "en" else "zh"
        answers = FilingAnswers.model_validate(filing.data)
        written = write(WORD_KINDS, answers, document_context(ctx, filing, lang))
        kept = {
            (d.filename, d.sha256)
            for d in session.exec(
                select(GeneratedDocument).where(
                    GeneratedDocument.filing_id == filing.id,
                    col(GeneratedDocument.format) == DOCX,
                )
            )
        }
        for doc in written:
            digest = sha256(doc.docx).hexdigest()
            if (doc.filename, digest) in kept:
                continue
            session.add(
                GeneratedDocument(
                    filing_id=filing.id,
                    kind=doc.kind,
                    filename=doc.filename,
                    format=DOCX,
                    sha256=digest,
                    pages=0,
                    size=len(doc.docx),
                    content=doc.docx,
                    created_at=now,
                )
            )
        return WordCopies(
            documents=[(d.kind, d.filename, d.docx) for d in written],
            lang=lang,
            individual=is_individual(filing),
        )


def write_in_process(
    kinds: tuple[DocumentKind, ...], answers: FilingAnswers, ctx: DocumentContext
) -> list[WordDocument]:
    """Write Word copies in this process (the terminal, `beian chat --word`; the bot uses its
    pool)."""
    from documents.model import document_jobs
    from documents.word import render_docx

    return [render_docx(kind, answers, c) for kind, c in document_jobs(kinds, answers, ctx)]
