"""Where a turn reads and writes an applicant's interview: one protocol, two stores.

`FastStore` runs statements compiled once (`models.db.Prepared`) on a DBAPI cursor: a turn
that only moves the interview on is one UPDATE checked against the row's version (on first
contact, an INSERT of the applicant and of the interview). `OrmStore` runs in a SQLModel
session and can carry other writes in the same transaction (a submitted filing, its outbox
rows). Both mark the inbox row the turn answers as done in the turn's transaction, and both
refuse to overwrite an interview another writer moved on: `save` returns None, and the caller
takes the turn again from what is stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from models import inbox
from models.db import Prepared, Raw
from models.tables import Applicant, InboxUpdate, Interview
from models.types import JSONType, UTCDateTime
from rules.enums import InterviewStatus

T = TypeVar("T")
InboxKey = tuple[int, int]  # (bot id, update id)
# Writes made in the turn's transaction besides the interview (ORM store only); given the
# session, the applicant id and the interview id.
Extra = Callable[[Session, int, int], Any]


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

_CONTENT = {
    "state": sa.bindparam("question"),
    "answers": sa.bindparam("answers", type_=JSONType),
    "history": sa.bindparam("history", type_=JSONType),
    "flow": sa.bindparam("flow", type_=JSONType),
    "language": sa.bindparam("language"),
}
_ADVANCE = (
    sa.update(Interview)
    .where(
        col(Interview.id) == sa.bindparam("interview_id"),
        col(Interview.version) == sa.bindparam("expected_version"),
    )
    .values(
        **_CONTENT,
        status=sa.bindparam("status"),
        purge_after=sa.bindparam("purge_after", type_=UTCDateTime()),
        updated_at=sa.bindparam("now", type_=UTCDateTime()),
        version=col(Interview.version) + 1,
    )
)
_SET_LANGUAGE = (
    sa.update(Applicant)
    .where(col(Applicant.id) == sa.bindparam("applicant_id"))
    .values(language=sa.bindparam("language"))
)
_FIND = (
    sa.select(
        col(Applicant.id),
        col(Interview.id),
        col(Interview.status),
        col(Interview.state),
        col(Interview.answers),
        col(Interview.history),
        col(Interview.flow),
        col(Interview.language),
        col(Interview.version),
        col(Interview.purge_after),
    )
    .select_from(Applicant)
    .outerjoin(Interview, col(Interview.applicant_id) == col(Applicant.id))
    .where(
        col(Applicant.channel) == sa.bindparam("channel"),
        col(Applicant.external_id) == sa.bindparam("external_id"),
    )
    .order_by(col(Interview.id).desc())
    .limit(1)
)
_NEW_INTERVIEW = (
    sa.insert(Interview)
    .values(
        **_CONTENT,
        applicant_id=sa.bindparam("applicant_id"),
        status=sa.bindparam("status"),
        version=1,
        created_at=sa.bindparam("now", type_=UTCDateTime()),
        updated_at=sa.bindparam("now", type_=UTCDateTime()),
        purge_after=sa.bindparam("purge_after", type_=UTCDateTime()),
    )
    .returning(col(Interview.id))
)


def _new_applicant(dialect: str) -> Any:
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    return (
        insert(Applicant)
        .values(
            channel=sa.bindparam("channel"),
            external_id=sa.bindparam("external_id"),
            display_name=sa.bindparam("display_name"),
            language=sa.bindparam("language"),
            created_at=sa.bindparam("now", type_=UTCDateTime()),
        )
        .on_conflict_do_nothing(index_elements=["channel", "external_id"])
        .returning(col(Applicant.id))
    )


_BUILDERS: dict[str, Callable[[str], Any]] = {
    "advance": lambda _d: _ADVANCE,
    "set_language": lambda _d: _SET_LANGUAGE,
    "find": lambda _d: _FIND,
    "new_applicant": _new_applicant,
    "new_interview": lambda _d: _NEW_INTERVIEW,
}
_PREPARED: dict[tuple[str, str], Prepared] = {}


def _prepared(name: str, dialect: sa.Dialect) -> Prepared:
    key = (name, dialect.name)
    found = _PREPARED.get(key)
    if found is None:
        found = _PREPARED[key] = Prepared(_BUILDERS[name](dialect.name), dialect)
    return found


def _content_values(content: Content) -> dict[str, Any]:
    return {
        "question": content.question,
        "answers": content.answers,
        "history": content.history,
        "flow": content.flow,
        "language": content.language,
    }


def _stored_of(row: tuple[Any, ...]) -> Stored:
    (
        applicant_id,
        interview_id,
        status,
        question,
        answers,
        history,
        flow,
        language,
        version,
        purge,
    ) = row
    if interview_id is None:
        return Stored(applicant_id, None, None, None, 0)
    content = Content(question or "", answers or {}, history or [], flow or {}, language or "zh")
    return Stored(applicant_id, interview_id, status, content, version, purge)


class FastStore:
    """Prepared statements on a DBAPI connection: at most one read and one write a turn."""

    def __init__(self, raw: Raw) -> None:
        self.raw = raw

    def load(self, channel: str, external_id: str) -> Stored | None:
        rows = self.raw.fetch(
            _prepared("find", self.raw.dialect), {"channel": channel, "external_id": external_id}
        )
        self.raw.rollback()  # end the read's transaction: the write checks the version anyway
        return _stored_of(rows[0]) if rows else None

    def accepts(self, stored: Stored | None, write: Write, extra: Extra | None) -> bool:
        if extra is not None or write.purge_previous:
            return False
        if stored is None or stored.interview_id is None:
            return True
        return not write.new_interview

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
        assert self.accepts(stored, write, extra)
        raw, dialect = self.raw, self.raw.dialect
        try:
            values = {**_content_values(write.content), "now": now}
            values["status"] = write.status.value
            values["purge_after"] = write.purge_after
            if stored is not None and stored.interview_id is not None:
                moved = raw.run(
                    _prepared("advance", dialect),
                    {
                        **values,
                        "interview_id": stored.interview_id,
                        "expected_version": stored.version,
                    },
                )
                if moved != 1:
                    raw.rollback()
                    return None
                applicant_id, interview_id = stored.applicant_id, stored.interview_id
                version = stored.version + 1
                assert stored.content is not None
                if write.content.language != stored.content.language:
                    raw.run(
                        _prepared("set_language", dialect),
                        {"applicant_id": applicant_id, "language": write.content.language},
                    )
            else:
                if stored is None:
                    rows = raw.fetch(
                        _prepared("new_applicant", dialect),
                        {
                            "channel": channel,
                            "external_id": external_id,
                            "display_name": display_name,
                            "language": write.content.language,
                            "now": now,
                        },
                    )
                    if not rows:  # created meanwhile by another writer
                        raw.rollback()
                        return None
                    applicant_id = int(rows[0][0])
                else:
                    applicant_id = stored.applicant_id
                rows = raw.fetch(
                    _prepared("new_interview", dialect), {**values, "applicant_id": applicant_id}
                )
                interview_id, version = int(rows[0][0]), 1
            if write.inbox is not None and not inbox.mark_done(
                raw, bot_id=write.inbox[0], update_id=write.inbox[1], now=now
            ):
                raw.rollback()
                return None
            raw.commit()
        except BaseException:
            raw.rollback()
            raise
        return Saved(applicant_id, interview_id, version)


# --- the ORM store ----------------------------------------------------------------------------


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
            interview.state,
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
        session = self.session
        try:
            if stored is None:
                applicant = Applicant(
                    channel=channel,
                    external_id=external_id,
                    display_name=display_name,
                    language=write.content.language,
                    created_at=now,
                )
                session.add(applicant)
                session.flush()
            else:
                found = session.get(Applicant, stored.applicant_id)
                assert found is not None
                applicant = found
            assert applicant.id is not None
            previous = (
                session.get(Interview, stored.interview_id)
                if stored is not None and stored.interview_id is not None
                else None
            )
            if previous is not None and previous.version != stored.version:  # type: ignore[union-attr]
                session.rollback()
                return None
            if previous is not None and write.purge_previous:
                previous.answers, previous.history, previous.flow = {}, [], {}
                previous.status, previous.purge_after = InterviewStatus.DONE, None
                previous.version += 1
                session.add(previous)
            if previous is None or write.new_interview:
                interview = Interview(applicant_id=applicant.id, state="", created_at=now)
            else:
                interview = previous
            content = write.content
            interview.state = content.question
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
            session.flush()
            assert interview.id is not None
            if write.inbox is not None and not _mark_done(session, write.inbox, now):
                session.rollback()
                return None
            result = extra(session, applicant.id, interview.id) if extra is not None else None
            session.commit()
        except sa.exc.IntegrityError:  # the applicant was created meanwhile by another writer
            session.rollback()
            return None
        except BaseException:
            session.rollback()
            raise
        return Saved(applicant.id, interview.id, interview.version, result)


def _mark_done(session: Session, key: InboxKey, now: dt.datetime) -> bool:
    prepared = inbox._prepared("done", session.get_bind().dialect)
    result = session.connection().exec_driver_sql(
        prepared.sql, prepared.params({"bot_id": key[0], "update_id": key[1], "now": now})
    )
    return bool(result.rowcount == 1)


def inbox_done(session: Session, key: InboxKey) -> bool:
    """Say whether the inbox row of an update is done."""
    row = session.get(InboxUpdate, (key[0], key[1]))
    return row is not None and row.done_at is not None
