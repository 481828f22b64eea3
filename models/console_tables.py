"""The bureau's desk's tables (issue 28; apart from `models.tables`, which re-exports them):
its sign-in links and sessions, the ID numbers revealed, and the queue and outcomes derived
from the filings (`bot.console.derived`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.types import JSONType, enum_column_type
from models.types import timestamp_field as _ts
from rules.enums import FilingStatus, SubjectType


class ConsoleLogin(SQLModel, table=True):
    """A one-time sign-in link to the bureau's desk (issue 28): valid 15 minutes, used once."""

    __tablename__ = "console_login"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)  # sha256 of the token: never the token
    reviewer_id: int = Field(sa_type=sa.BigInteger)  # the reviewer's Telegram user id
    expires_at: dt.datetime = _ts()
    used_at: dt.datetime | None = _ts(nullable=True)
    created_at: dt.datetime = _ts()


class ConsoleSession(SQLModel, table=True):
    """A signed-in reviewer at the desk: the cookie holds a random key, this row its hash."""

    __tablename__ = "console_session"

    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(max_length=64, unique=True)
    reviewer_id: int = Field(sa_type=sa.BigInteger, index=True)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)  # csrf, lang, flash
    created_at: dt.datetime = _ts()
    seen_at: dt.datetime = _ts()  # idle for 8 hours: the session ends


class ConsoleReveal(SQLModel, table=True):
    """A masked ID number shown at the desk: who, which filing and field, when."""

    __tablename__ = "console_reveal"

    id: int | None = Field(default=None, primary_key=True)
    filing_id: int = Field(foreign_key="filing.id", index=True)
    reviewer_id: int = Field(sa_type=sa.BigInteger)
    field: str = Field(max_length=200)
    at: dt.datetime = _ts()


_FILTERED = ("local", "subject_type", "step")


class FilingQueue(SQLModel, table=True):
    """A filing as the desk's queue sorts, filters and searches it (issue 28), derived from
    the filing by `bot.console.derived` — a narrow row, so that a search scans little. Never
    personal data: an individual's name is not copied into `unit`."""

    __tablename__ = "filing_queue"
    __table_args__ = (
        # The filters' columns after the sort's: a filter and its count read the index only.
        sa.Index("ix_filing_queue_needs_due", "needs", "due_key", "filing_id", *_FILTERED),
        sa.Index("ix_filing_queue_due", "due_key", "filing_id", *_FILTERED),
        sa.Index("ix_filing_queue_status_due", "status", "due_key", "filing_id", *_FILTERED),
    )

    filing_id: int = Field(foreign_key="filing.id", primary_key=True)
    needs: bool  # the bureau has an action to take
    due_on: dt.date | None = None  # the running deadline (None: no clock runs)
    due_key: dt.date  # what the queue sorts by: the deadline, else 9999-12-31 (last)
    due_kind: str | None = Field(default=None, max_length=20)
    local: bool  # the step in progress is this city's bureau's
    step: int
    bureau: str = Field(max_length=200)
    bureau_en: str = Field(default="", max_length=200)  # its English name (the desk in English)
    status: FilingStatus = Field(sa_type=enum_column_type(FilingStatus))
    subject_type: SubjectType = Field(sa_type=enum_column_type(SubjectType))
    site_name: str = Field(max_length=200)
    unit: str = Field(max_length=200)
    domains: str = Field(max_length=1000)
    psb_number: str | None = Field(default=None, max_length=40)
    search: str = Field(max_length=2000)  # lower-cased: site name, domains, unit, 公安备案号
    # Each pair of adjacent characters of `search`, marked (ab␟): a trigram index then finds
    # words of two characters too (云帆), which trigrams of the text alone cannot.
    pairs: str = Field(max_length=8000)


class FilingOutcome(SQLModel, table=True):
    """A bureau outcome and the days from the submission before it (the desk's chart); derived
    from `lifecycle_event` with the queue columns."""

    __tablename__ = "filing_outcome"
    __table_args__ = (sa.Index("ix_filing_outcome_kind_days", "outcome", "days"),)

    event_id: int = Field(foreign_key="lifecycle_event.id", primary_key=True)
    filing_id: int = Field(foreign_key="filing.id", index=True)
    outcome: str = Field(max_length=32)
    days: int
    decided_on: dt.date
