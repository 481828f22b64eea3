"""What rendering takes and gives, as plain data (importing this loads no PDF library)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from rules.enums import DocumentKind
from rules.pack import Pack
from rules.workdays import WorkdayCalendar

ALL_KINDS: tuple[DocumentKind, ...] = tuple(DocumentKind)


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
    items: list[ChangeItem] = Field(min_length=1, max_length=30)


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


@dataclass(frozen=True)
class RenderedDocument:
    """A finished PDF and what a caller reports about it."""

    kind: DocumentKind
    filename: str
    pdf: bytes
    pages: int
    missing_glyphs: tuple[str, ...] = ()
