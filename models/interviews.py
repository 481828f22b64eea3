"""Where a turn reads and writes an applicant's interview: one protocol, two stores.

`models.fast_store.FastStore` runs statements compiled once on a DBAPI cursor: a turn that
only moves the interview on is one UPDATE checked against the row's version. `OrmStore` runs
in a SQLModel session and can carry other writes in the same transaction (a submitted filing,
its outbox rows). Both mark the inbox row the turn answers as done in the turn's transaction,
and both refuse to overwrite an interview another writer moved on: `save` returns None, and
the caller takes the turn again from what is stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import inbox, inbox_statements
from models.tables import Applicant, Filing, InboxUpdate, Interview
from rules.enums import InterviewStatus

T = TypeVar("T")
InboxKey = tuple[int, int]  # (bot id, update id)
# Writes made in the turn's transaction besides the interview (ORM store only); given the
# session, the applicant id and the interview id.
Extra = Callable[[Session, int, int], Any]
# What a turn is to send, given what its extra writes returned (None without any): a JSON plan
# stored on its inbox row with the done mark and cleared once sent (`models.inbox`).
Replies = Callable[[Any], list[Any] | None]


@dataclass(frozen=True)
class Content:
    """What an interview row holds of the conversation."""

    question: str
    answers: dict[str, Any]
    history: list[Any]
    flow: dict[str, Any]
    language: str


@dataclass(frozen=True)
class Stored:
    """An applicant and their latest interview (if any), as a turn found them."""

    applicant_id: int
    interview_id: int | None
    status: InterviewStatus | None
    content: Content | None
    version: int
    purge_after: dt.datetime | None = None


@dataclass(frozen=True)
class Write:
    """What a turn stores: the interview's next content and status."""

    content: Content
    status: InterviewStatus = InterviewStatus.ACTIVE
    purge_after: dt.datetime | None = None
    new_interview: bool = False  # a new row; the stored one stays as it is (or is purged)
    purge_previous: bool = False  # wipe the stored row's answers (a cancel that expired)
    inbox: InboxKey | None = None  # the update this turn answers, marked done with it
    reply: Replies | None = None  # its replies, stored with the done mark (with `inbox` only)


@dataclass(frozen=True)
class Saved:
    """The stored result of a turn."""

    applicant_id: int
    interview_id: int
    version: int
    extra: Any = None  # what the extra writes returned


class InterviewStore(Protocol):
    """Read and write an applicant's interview."""

    def load(self, channel: str, external_id: str) -> Stored | None:
        """Return the applicant and their latest interview; None for a stranger."""

    def accepts(self, stored: Stored | None, write: Write, extra: Extra | None) -> bool:
        """Say whether this store can make the write."""

    def last_filing_answers(self, applicant_id: int) -> dict[str, Any] | None:
        """Return the answers of the applicant's latest filing (None: they have none)."""

    def save(
        self,
        channel: str,
        external_id: str,
        display_name: str | None,
        stored: Stored | None,
        write: Write,
        now: dt.datetime,
        extra: Extra | None = None,
    ) -> Saved | None:
        """Store the turn and commit; None (nothing written) when the interview moved on, the
        applicant appeared meanwhile, or the inbox row was already done."""


# --- the fast store ---------------------------------------------------------------------------


class OrmStore:
    """A SQLModel session: any write, with other rows in the same transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def load(self, channel: str, external_id: str) -> Stored | None:
        applicant = self.session.exec(
            select(Applicant).where(
                Applicant.channel == channel, Applicant.external_id == external_id
            )
        ).first()
        if applicant is None:
            return None
        assert applicant.id is not None
        interview = self.session.exec(
            select(Interview)
            .where(Interview.applicant_id == applicant.id)
            .order_by(col(Interview.id).desc())
            .limit(1)
            .with_for_update()
        ).first()
        if interview is None:
            return Stored(applicant.id, None, None, None, 0)
        assert interview.id is not None
        content = Content(
            interview.question,
            dict(interview.answers),
            list(interview.history),
            dict(interview.flow),
            interview.language,
        )
        return Stored(
            applicant.id,
            interview.id,
            interview.status,
            content,
            interview.version,
            interview.purge_after,
        )

    def accepts(self, stored: Stored | None, write: Write, extra: Extra | None) -> bool:
        return True

    def last_filing_answers(self, applicant_id: int) -> dict[str, Any] | None:
        data = self.session.exec(
            select(Filing.data)
            .where(Filing.applicant_id == applicant_id)
            .order_by(col(Filing.id).desc())
            .limit(1)
        ).first()
        return dict(data) if data else None

    def save(
        self,
        channel: str,
        external_id: str,
        display_name: str | None,
        stored: Stored | None,
        write: Write,
        now: dt.datetime,
        extra: Extra | None = None,
    ) -> Saved | None:
        """Write the turn with the effects' rows (`extra`) in one transaction; None (nothing
        written) when the interview moved on, the applicant appeared meanwhile, or the inbox
        row was already done."""
        session = self.session
        try:
            applicant = self._applicant(channel, external_id, display_name, stored, write, now)
            previous = (
                session.get(Interview, stored.interview_id)
                if stored is not None and stored.interview_id is not None
                else None
            )
            if previous is not None and previous.version != stored.version:  # type: ignore[union-attr]
                session.rollback()
                return None
            interview = self._written(applicant, previous, write, now)
            session.flush()
            assert applicant.id is not None
            assert interview.id is not None
            if write.inbox is not None and not _mark_done(session, write.inbox, now):
                session.rollback()
                return None
            result = extra(session, applicant.id, interview.id) if extra is not None else None
            if write.inbox is not None and write.reply is not None:
                _set_reply(session, write.inbox, write.reply(result))
            session.commit()
        except sa.exc.IntegrityError:  # the applicant was created meanwhile by another writer
            session.rollback()
            return None
        except BaseException:
            session.rollback()
            raise
        return Saved(applicant.id, interview.id, interview.version, result)

    def _applicant(
        self,
        channel: str,
        external_id: str,
        display_name: str | None,
        stored: Stored | None,
        write: Write,
        now: dt.datetime,
    ) -> Applicant:
        """The stored applicant, or a new one (flushed: IntegrityError when another writer
        created it meanwhile)."""
        if stored is not None:
            found = self.session.get(Applicant, stored.applicant_id)
            assert found is not None
            return found
        applicant = Applicant(
            channel=channel,
            external_id=external_id,
            display_name=display_name,
            language=write.content.language,
            created_at=now,
        )
        self.session.add(applicant)
        self.session.flush()
        return applicant

    def _written(
        self, applicant: Applicant, previous: Interview | None, write: Write, now: dt.datetime
    ) -> Interview:
        """The interview as the turn leaves it (the previous one, or a new one beside it with
        the previous purged when asked), and the applicant's language, added to the session."""
        session = self.session
        assert applicant.id is not None
        if previous is not None and write.purge_previous:
            previous.answers, previous.history, previous.flow = {}, [], {}
            previous.status, previous.purge_after = InterviewStatus.DONE, None
            previous.version += 1
            session.add(previous)
        if previous is None or write.new_interview:
            interview = Interview(applicant_id=applicant.id, question="", created_at=now)
        else:
            interview = previous
        content = write.content
        interview.question = content.question
        interview.answers = dict(content.answers)
        interview.history = list(content.history)
        interview.flow = dict(content.flow)
        interview.language = content.language
        interview.status = write.status
        interview.purge_after = write.purge_after
        interview.updated_at = now
        if interview is previous:
            interview.version += 1
        session.add(interview)
        applicant.language = content.language
        session.add(applicant)
        return interview


def _mark_done(session: Session, key: InboxKey, now: dt.datetime) -> bool:
    return mark_inbox_done(session, key, now)


def mark_inbox_done(
    session: Session, key: InboxKey, now: dt.datetime, reply: list[Any] | None = None
) -> bool:
    """Mark an update done in the session's transaction, with the replies its handling is to
    send (cleared once sent); False when it was done already (handled elsewhere). Raises
    `models.inbox.StoreFirst` (nothing written) when an update answered first is behind an
    earlier message of its chat."""
    inbox.in_order(key)
    prepared = inbox_statements.prepared("done", session.get_bind().dialect)
    result = session.connection().exec_driver_sql(
        prepared.sql,
        prepared.params({"bot_id": key[0], "update_id": key[1], "now": now, "reply": reply}),
    )
    return bool(result.rowcount == 1)


def _set_reply(session: Session, key: InboxKey, reply: list[Any] | None) -> None:
    if reply is None:
        return
    prepared = inbox_statements.prepared("set_reply", session.get_bind().dialect)
    session.connection().exec_driver_sql(
        prepared.sql, prepared.params({"bot_id": key[0], "update_id": key[1], "reply": reply})
    )


def inbox_done(session: Session, key: InboxKey) -> bool:
    """Say whether the inbox row of an update is done."""
    row = session.get(InboxUpdate, (key[0], key[1]))
    return row is not None and row.done_at is not None
