"""What rendering takes and gives, as plain data (importing this loads no PDF library)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rules.enums import DocumentKind
from rules.filing_state import bureau_key
from rules.pack import Pack
from rules.text import Lang
from rules.workdays import WorkdayCalendar

if TYPE_CHECKING:
    from rules.answers import FilingAnswers
    from rules.routing import RouteStep

ALL_KINDS: tuple[DocumentKind, ...] = tuple(DocumentKind)
# What `beian render` makes by default: a filing's forms and the change report; the
# cancellation statement only when asked for (a site being closed).
RENDERED_BY_DEFAULT: tuple[DocumentKind, ...] = tuple(
    k for k in DocumentKind if k is not DocumentKind.CANCELLATION
)


class ChangeItem(BaseModel):
    """One changed detail: which, from what, to what."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field(max_length=100)
    old: str = Field(max_length=1000)
    new: str = Field(max_length=1000)


class ChangeReport(BaseModel):
    """What changed after the filing number was issued."""

    model_config = ConfigDict(extra="forbid")

    changed_on: dt.date
    reason: str = Field(max_length=2000)
    items: list[ChangeItem] = Field(min_length=1, max_length=100)
    psb_number: str | None = Field(default=None, max_length=40)  # 公安备案号 (else the answers')
    # The bureaus it is handed to (their Chinese names): those the site is filed with; empty
    # (a delivery stored before): every bureau of the route
    to: list[str] = Field(default_factory=list, max_length=10)

    @field_validator("psb_number")
    @classmethod
    def _a_real_number(cls, value: str | None) -> str | None:
        from rules.codes import check_psb_number

        if value is None:
            return None
        result = check_psb_number(value)
        if not result.valid:
            raise ValueError(result.error.zh if result.error else "公安备案号无效")
        return result.normalized


class Cancellation(BaseModel):
    """A site closed (注销): when and why."""

    model_config = ConfigDict(extra="forbid")

    on: dt.date
    reason: str = Field(max_length=500)
    to: list[str] = Field(default_factory=list, max_length=10)  # as ChangeReport.to


@dataclass(frozen=True)
class DocumentContext:
    """What the documents need besides the answers: the city, the date, the filing's dates."""

    pack: Pack
    today: dt.date
    calendar: WorkdayCalendar = field(default_factory=WorkdayCalendar)
    submitted_on: dt.date | None = None
    initial_passed_on: dt.date | None = None
    materials_received_on: dt.date | None = None
    filing_number: str | None = None
    change: ChangeReport | None = None
    cancellation: Cancellation | None = None
    # The applicant's language: the guide and the checklist are written in it, and the file
    # names (ASCII for English); the forms stay Chinese (the bureau reads Chinese).
    lang: Lang = "zh"
    # The route step (1, 2) a filing form is addressed to; None: the first.
    step: int | None = None
    # The filing's own step numbers by bureau (`rules.filing_state.bureau_key`): after a
    # change moved the site, its steps' order is not the new route's (a certified step stays
    # first); empty: the route's.
    orders: tuple[tuple[str, int], ...] = ()

    def order_of(self, step: RouteStep) -> int:
        """Return a route step's number as the filing counts its steps."""
        return dict(self.orders).get(bureau_key(step.local, step.city, step.bureau), step.order)


@dataclass(frozen=True)
class RenderedDocument:
    """A finished PDF and what a caller reports about it."""

    kind: DocumentKind
    filename: str
    pdf: bytes
    pages: int
    missing_glyphs: tuple[str, ...] = ()


def document_jobs(
    kinds: tuple[DocumentKind, ...] | list[DocumentKind],
    answers: FilingAnswers,
    ctx: DocumentContext,
) -> list[tuple[DocumentKind, DocumentContext]]:
    """Return what to render for `kinds`: one filing form per bureau of a two-city route
    (each addressed to its bureau), every other document once."""
    from rules.routing import route_of

    route = route_of(answers, ctx.pack)
    jobs: list[tuple[DocumentKind, DocumentContext]] = []
    for kind in dict.fromkeys(kinds):
        if kind is DocumentKind.FILING_FORM and len(route.steps) > 1:
            jobs += [(kind, replace(ctx, step=ctx.order_of(s))) for s in route.steps]
        else:
            jobs.append((kind, ctx))
    return jobs
