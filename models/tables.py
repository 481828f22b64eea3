"""The database tables (SQLModel). The bureau's desk's own tables are in
`models.console_tables`, re-exported here."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.console_tables import ConsoleLogin as ConsoleLogin
from models.console_tables import ConsoleReveal as ConsoleReveal
from models.console_tables import ConsoleSession as ConsoleSession
from models.console_tables import FilingOutcome as FilingOutcome
from models.console_tables import FilingQueue as FilingQueue
from models.sealed import SealedBytes, SealedJSON, SealedText
from models.types import JSONType, UTCDateTime, enum_column_type
from models.types import timestamp_field as _ts
from rules.enums import (
    DocumentKind,
    FilingStatus,
    InterviewStatus,
    Location,
    OutboxStatus,
    SubjectType,
)


class Applicant(SQLModel, table=True):
    """A person or unit's web admin talking to beian on one channel."""

    __table_args__ = (sa.UniqueConstraint("channel", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)  # "telegram" | "terminal"
    external_id: str = Field(max_length=64)  # Telegram user id, or the terminal's --as name
    # The Telegram name (sealed: it is most often a person's name).
    display_name: str | None = Field(
        default=None, sa_type=SealedText("applicant.display_name", 200)
    )
    language: str = Field(default="zh", max_length=8)
    created_at: dt.datetime = _ts()


class Interview(SQLModel, table=True):
    """An applicant's conversation: where it is and what has been answered."""

    id: int | None = Field(default=None, primary_key=True)
    applicant_id: int = Field(foreign_key="applicant.id", index=True)
    status: InterviewStatus = Field(
        default=InterviewStatus.ACTIVE, sa_type=enum_column_type(InterviewStatus)
    )
    question: str = Field(max_length=64)  # the id of the question being asked
    # Sealed (models.sealed): the answers, and the flow, which holds text being typed.
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=SealedJSON("interview.answers"))
    history: list[Any] = Field(default_factory=list, sa_type=JSONType)  # question ids only
    # The conversation's own state besides the question: stage, pending aside, edit mode.
    flow: dict[str, Any] = Field(default_factory=dict, sa_type=SealedJSON("interview.flow"))
    language: str = Field(default="zh", max_length=8)
    version: int = Field(default=1)
    created_at: dt.datetime = _ts()
    updated_at: dt.datetime = _ts()
    purge_after: dt.datetime | None = _ts(nullable=True)


_FILING_VERSION = sa.Column("version", sa.Integer, nullable=False)
_STALE = sa.text("queue_version IS NULL OR queue_version <> version")


class Filing(SQLModel, table=True):
    """One website's filing, from submission through certification and changes."""

    id: int | None = Field(default=None, primary_key=True)
    applicant_id: int = Field(foreign_key="applicant.id", index=True)
    interview_id: int | None = Field(default=None, foreign_key="interview.id")
    subject_type: SubjectType = Field(sa_type=enum_column_type(SubjectType))
    maintenance: Location = Field(sa_type=enum_column_type(Location))
    server: Location = Field(sa_type=enum_column_type(Location))
    maintenance_city: str | None = Field(default=None, max_length=100)
    server_city: str | None = Field(default=None, max_length=100)
    route: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    # One state per bureau of the route (rules.filing_life.StepState.to_json), in route order;
    # `status` is the status of the step in progress, `current_step` its order.
    steps: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    current_step: int = Field(default=1)
    connection_date: dt.date | None = None
    data: dict[str, Any] = Field(default_factory=dict, sa_type=SealedJSON("filing.data"))
    status: FilingStatus = Field(
        default=FilingStatus.PREPARED, sa_type=enum_column_type(FilingStatus), index=True
    )
    site_name: str = Field(default="", max_length=200)
    icp_number: str | None = Field(default=None, max_length=40)
    psb_number: str | None = Field(default=None, max_length=40)  # 公安备案号, once issued
    certificate_number: str | None = Field(default=None, max_length=64)
    submitted_at: dt.datetime | None = _ts(nullable=True)
    initial_review_passed_at: dt.datetime | None = _ts(nullable=True)
    materials_received_at: dt.datetime | None = _ts(nullable=True)
    certified_at: dt.datetime | None = _ts(nullable=True)
    cancelled_at: dt.datetime | None = _ts(nullable=True)
    created_at: dt.datetime = _ts()
    updated_at: dt.datetime = _ts()
    # Optimistic locking: SQLAlchemy adds "AND version = :old" to every UPDATE and raises
    # StaleDataError when another instance changed the row first.
    version: int = Field(default=1, sa_column=_FILING_VERSION)
    # The version the desk's queue row (`filing_queue`) was derived from (issue 28): a filing
    # whose `version` moved past it is derived again before the desk reads.
    queue_version: int | None = None

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": _FILING_VERSION}
    __table_args__ = (
        sa.Index(
            "ix_filing_queue_stale",
            "id",
            sqlite_where=_STALE,
            postgresql_where=_STALE,
        ),
    )


class LifecycleEvent(SQLModel, table=True):
    """An audit record: which event moved a filing from which status to which, by whom, when,
    why, with the event's data."""

    __tablename__ = "lifecycle_event"

    id: int | None = Field(default=None, primary_key=True)
    filing_id: int = Field(foreign_key="filing.id", index=True)
    actor: str = Field(max_length=100)  # "applicant:12", "reviewer:3", "system"
    from_status: FilingStatus | None = Field(
        default=None, sa_type=enum_column_type(FilingStatus), nullable=True
    )
    to_status: FilingStatus = Field(sa_type=enum_column_type(FilingStatus))
    # Typed by a reviewer or an applicant: it may name a person or quote a number (sealed).
    reason: str | None = Field(default=None, sa_type=SealedText("lifecycle_event.reason", 2000))
    at: dt.datetime = _ts()
    # Which event it was (rules.events: a lifecycle trigger's value, "prepare", "record_icon")
    # and its own data (a return's reasons, the number certified, …); an event that keeps the
    # status (a second change, the icon) is told apart by it. NULL: an older row not known.
    event: str | None = Field(default=None, max_length=40)
    data: dict[str, Any] | None = Field(
        default=None, sa_type=SealedJSON("lifecycle_event.data"), nullable=True
    )


class FilingVersion(SQLModel, table=True):
    """A version of a filing's answers: the first (as submitted), each amendment and change —
    who made it, when, why, and what changed (dotted paths of the answers schema)."""

    __tablename__ = "filing_version"

    id: int | None = Field(default=None, primary_key=True)
    filing_id: int = Field(foreign_key="filing.id", index=True)
    number: int  # 1 for the answers as first confirmed
    kind: str = Field(max_length=16)  # "created" | "amended" | "changed"
    actor: str = Field(max_length=100)
    reason: str | None = Field(default=None, sa_type=SealedText("filing_version.reason", 2000))
    changed_on: dt.date | None = None  # a change: the day it happened (the clock's start)
    # [{field, old, new}] and the answers after it: sealed.
    changes: list[Any] = Field(default_factory=list, sa_type=SealedJSON("filing_version.changes"))
    answers: dict[str, Any] = Field(
        default_factory=dict, sa_type=SealedJSON("filing_version.answers")
    )
    at: dt.datetime = _ts()


class OutboxMessage(SQLModel, table=True):
    """An outbox row: a delivery due at a moment, claimed by one sender, sent once.

    Written in the same transaction as what causes it (a confirmed submission's documents, a
    reviewer's card, a reminder), so a crash loses none: an unsent row is sent after restart.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        sa.UniqueConstraint("dedupe_key"),
        sa.Index(
            "ix_outbox_pending_due",
            "due_at",
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    dedupe_key: str = Field(max_length=200)
    filing_id: int | None = Field(default=None, foreign_key="filing.id", index=True)
    applicant_id: int | None = Field(default=None, foreign_key="applicant.id")
    chat_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    due_at: dt.datetime = Field(sa_type=UTCDateTime)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=SealedJSON("outbox.payload"))
    status: OutboxStatus = Field(
        default=OutboxStatus.PENDING, sa_type=enum_column_type(OutboxStatus)
    )
    claimed_by: str | None = Field(default=None, max_length=100)
    lease_until: dt.datetime | None = _ts(nullable=True)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=500)
    sent_at: dt.datetime | None = _ts(nullable=True)
    created_at: dt.datetime = _ts()
    # The channel that sends it: the applicant's (a notice, reminder or documents for them:
    # "telegram" or "wechat"), "telegram" for everything to reviewers (`models.outbox.add`).
    channel: str = Field(
        default="telegram", max_length=16, sa_column_kwargs={"server_default": "telegram"}
    )


class Reviewer(SQLModel, table=True):
    """Bureau staff (or the bureau's group chat) who act on filings."""

    id: int | None = Field(default=None, primary_key=True)
    telegram_chat_id: int = Field(sa_type=sa.BigInteger, unique=True)
    name: str = Field(max_length=100)
    bureau: str = Field(default="", max_length=200)
    active: bool = Field(default=True)
    created_at: dt.datetime = _ts()
    # How they were registered: "db" (`beian reviewers add`, an invite) or "BEIAN_REVIEWERS"
    # (seeded from the setting: it only adds ids never registered, see bot.reviewers).
    source: str = Field(default="db", max_length=20, sa_column_kwargs={"server_default": "db"})


class UnreachableChat(SQLModel, table=True):
    """A chat the bot was refused (403) when it sent a reviewers' card there: a reviewer who
    never wrote to the bot or blocked it, a review group the bot was removed from. Cleared by
    the next card that gets through; `beian reviewers list` shows it."""

    __tablename__ = "unreachable_chat"

    chat_id: int = Field(
        sa_type=sa.BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    role: str = Field(max_length=20)  # "reviewer", "review_chat", "supervisor" or "chat"
    since: dt.datetime = _ts()  # the first refusal since the chat was last reached
    last_at: dt.datetime = _ts()
    failures: int = Field(default=1)
    error: str = Field(default="", max_length=200)  # Telegram's description, e.g. "Forbidden: …"


class GeneratedDocument(SQLModel, table=True):
    """A PDF rendered for a filing, kept so it can be sent again without re-rendering; or a
    Word copy made when the applicant asked for one (`format` docx)."""

    __tablename__ = "generated_document"

    id: int | None = Field(default=None, primary_key=True)
    filing_id: int = Field(foreign_key="filing.id", index=True)
    kind: DocumentKind = Field(sa_type=enum_column_type(DocumentKind))
    filename: str = Field(max_length=255)
    # "pdf" or "docx" (migration 0011): /documents and the resend send the PDFs only.
    format: str = Field(default="pdf", max_length=8, sa_column_kwargs={"server_default": "pdf"})
    sha256: str = Field(max_length=64)
    pages: int  # 0 for a Word copy: Word lays out its pages when it opens the file
    size: int
    content: bytes = Field(sa_type=SealedBytes("generated_document.content"))
    created_at: dt.datetime = _ts()


class InboxUpdate(SQLModel, table=True):
    """A Telegram update as received, stored before it is acknowledged to Telegram.

    Processing marks it done in the same transaction as its effects; a row never done is
    processed again after a crash. The primary key makes a redelivered update a no-op.
    """

    __tablename__ = "inbox"
    __table_args__ = (
        sa.Index(
            "ix_inbox_pending",
            "bot_id",
            "chat_id",
            "update_id",
            sqlite_where=sa.text("done_at IS NULL"),
            postgresql_where=sa.text("done_at IS NULL"),
        ),
        # Done rows only (for the purge): an insert writes no entry here, and marking a row
        # done writes one instead of moving one (two B-tree pages less per update on SQLite).
        sa.Index(
            "ix_inbox_done_at",
            "done_at",
            sqlite_where=sa.text("done_at IS NOT NULL"),
            postgresql_where=sa.text("done_at IS NOT NULL"),
        ),
        # Done rows whose replies are not sent yet: a crash's leftovers (empty when steady).
        sa.Index(
            "ix_inbox_unsent",
            "bot_id",
            "chat_id",
            "update_id",
            sqlite_where=sa.text("reply IS NOT NULL"),
            postgresql_where=sa.text("reply IS NOT NULL"),
        ),
    )

    bot_id: int = Field(sa_type=sa.BigInteger, primary_key=True)
    update_id: int = Field(sa_type=sa.BigInteger, primary_key=True)
    chat_id: int = Field(sa_type=sa.BigInteger)  # 0 for updates without a chat
    # The update's JSON, sealed while it waits; `{}` once processed (only the ids are kept,
    # to refuse a redelivery).
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=SealedJSON("inbox.payload"))
    received_at: dt.datetime = _ts()
    done_at: dt.datetime | None = _ts(nullable=True)
    attempts: int = Field(default=0)  # processing runs cut short by a crash
    # What the turn is to send (a plan, `bot.tg.replies`), stored with the done mark and
    # cleared once sent; set on a done row only after a crash cut the sending short.
    reply: list[Any] | None = Field(default=None, sa_type=SealedJSON("inbox.reply"), nullable=True)
    # Where the row came from ("telegram", "wechat") and, where that channel's chat is not a
    # number, its address there (WeChat: the person's openid; `chat_id` is then a hash of it).
    channel: str = Field(
        default="telegram", max_length=16, sa_column_kwargs={"server_default": "telegram"}
    )
    chat_ref: str | None = Field(default=None, max_length=64)


class ChatClaim(SQLModel, table=True):
    """Which instance processes a chat's inbox rows now: one at a time, in update order."""

    __tablename__ = "chat_claim"

    bot_id: int = Field(sa_type=sa.BigInteger, primary_key=True)
    chat_id: int = Field(sa_type=sa.BigInteger, primary_key=True)
    holder: str = Field(max_length=100)
    lease_until: dt.datetime = Field(sa_type=UTCDateTime)


class ReviewerInvite(SQLModel, table=True):
    """A one-time `/start review-<code>` link that makes whoever opens it a reviewer."""

    __tablename__ = "reviewer_invite"

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(max_length=64, unique=True)  # sha256 of the code: never the code
    name: str = Field(max_length=100)
    expires_at: dt.datetime = _ts()
    used_at: dt.datetime | None = _ts(nullable=True)
    used_by: int | None = Field(default=None, sa_type=sa.BigInteger)
    created_at: dt.datetime = _ts()


class SendSlot(SQLModel, table=True):
    """The bot-wide send schedule every instance shares (issue 16): for each key ("all", or
    "g<chat>" for a group) the theoretical time (Unix seconds) after which its next message
    may go. One row per key; `bot.tg.ratelimit` moves it on with one statement per send."""

    __tablename__ = "send_slot"

    bot_id: int = Field(sa_type=sa.BigInteger, primary_key=True)
    key: str = Field(max_length=40, primary_key=True)
    next_at: float = Field(sa_type=sa.Float(precision=53))


class PhotoReading(SQLModel, table=True):
    """A photo of a licence or an ID card that was read (issue 30): only its SHA-256, never
    the photo (deleted once read) nor what it showed; which kind it was and how it went."""

    __tablename__ = "photo_reading"

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    applicant_id: int | None = Field(default=None, foreign_key="applicant.id", index=True)
    sha256: str = Field(max_length=64)
    kind: str | None = Field(default=None, max_length=20)  # business_license | id_card
    outcome: str = Field(max_length=20)  # "read", or why not ("refused", "timed_out"…)
    at: dt.datetime = _ts()
