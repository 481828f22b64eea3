"""Filings made as the bot makes them (the examples' answers, renamed), moved on through the
chat's own `act`: for the desk's tests, its screenshots and its benchmark."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from bot.composition import context_factory
from bot.filing_actions import Reviewers, act
from bot.settings import Settings
from bot.submission import filing_from
from dialogs.model import Context
from models.db import session_scope
from models.filings import add_reviewer, reviewer_ids
from models.repo import create_filing, get_or_create_applicant
from models.tables import GeneratedDocument
from rules.answers import FilingAnswers
from rules.enums import DocumentKind
from rules.filing_life import Actor, Role, make_event
from rules.lifecycle import FilingEvent as E
from rules.pack import load_pack

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]"
    b"/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def context(today: dt.date) -> Context:
    """Return the example pack's context on a frozen day."""
    settings = Settings(beian_today=today, _env_file=None)  # type: ignore[call-arg]
    return context_factory(settings, load_pack("example"))()


def answers(kind: str, site: str, domain: str, unit: str | None = None) -> dict[str, Any]:
    """Return an example's answers with another site (and unit) name."""
    raw: dict[str, Any] = yaml.safe_load((EXAMPLES / f"{kind}.yaml").read_text(encoding="utf-8"))
    raw["website"]["name"] = site
    raw["website"]["domains"] = [domain]
    if unit is not None and kind != "individual":
        raw["subject"]["name"] = unit
    return raw


def make_filing(
    engine: sa.Engine,
    ctx: Context,
    raw: dict[str, Any],
    *,
    applicant: str,
    now: dt.datetime,
    channel: str = "telegram",
    document: bool = True,
) -> int:
    """Store a prepared filing of `raw` for the applicant (as a confirmation does)."""
    parsed = FilingAnswers.model_validate(raw)
    with session_scope(engine) as session:
        who = get_or_create_applicant(session=session, channel=channel, external_id=applicant)
        filing = filing_from(parsed, ctx, who.id or 0, 0)
        filing.interview_id = None
        filing = create_filing(session=session, filing=filing, actor=f"applicant:{who.id}", now=now)
        if document:
            session.add(
                GeneratedDocument(
                    filing_id=filing.id or 0,
                    kind=DocumentKind.FILING_FORM,
                    filename=f"备案表-{parsed.website.name}.pdf",
                    sha256="0" * 64,
                    pages=1,
                    size=len(PDF),
                    content=PDF,
                    created_at=now,
                )
            )
        return filing.id or 0


def move(
    engine: sa.Engine,
    ctx: Context,
    filing_id: int,
    event: E,
    *,
    at: dt.datetime,
    reviewer: int | None = None,
    applicant: str = "",
    **kwargs: Any,
) -> None:
    """Move a filing on through `act`, by its applicant or a reviewer, at a moment."""
    who = Actor(Role.REVIEWER, str(reviewer)) if reviewer else Actor(Role.APPLICANT, applicant)
    with session_scope(engine) as session:  # the bureau has reviewers: the one acting, or one
        known = reviewer_ids(session)
        if (reviewer or 9101) not in known and (reviewer or not known):
            add_reviewer(session, reviewer or 9101, "审核", at)
    outcome = act(
        engine,
        filing_id,
        make_event(event, who, at.date(), **kwargs),
        ctx=ctx,
        clock=lambda: at,
        reviewers=Reviewers(),
        applicant_external_id=applicant or None,
    )
    assert outcome.refusal is None, outcome.refusal
