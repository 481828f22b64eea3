"""The fast store: an interview turn on statements compiled once (`models.db.Prepared`) on a
DBAPI cursor. A turn that only moves the interview on is one UPDATE checked against the row's
version (on first contact, an INSERT of the applicant and of the interview), and the inbox row
it answers is marked done in the same transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col

from models import first_contact, inbox, inbox_statements
from models.db import Raw, Statements
from models.interviews import Content, Extra, Saved, Stored, Write
from models.tables import Applicant, InboxUpdate, Interview
from models.types import JSONType, UTCDateTime

_COLUMNS = Interview.__table__.c  # type: ignore[attr-defined]
# Each value bound with its column's type: the answers and the flow are sealed on the way in
# (models.sealed), as the ORM seals them.
_CONTENT = {
    "question": sa.bindparam("question"),
    "answers": sa.bindparam("answers", type_=_COLUMNS.answers.type),
    "history": sa.bindparam("history", type_=JSONType),
    "flow": sa.bindparam("flow", type_=_COLUMNS.flow.type),
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
        col(Interview.question),
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


def _advance_done(_dialect: str) -> Any:
    """PostgreSQL: the turn's two writes in one statement, so it commits alone in one round
    trip (BEGIN, two UPDATEs and COMMIT were four). The interview moves only while its inbox
    row waits; the row is marked done only if the interview moved. Returns (moved, done).

    Its commit does not wait for the disk (`synchronous_commit` set for its own transaction
    from `Raw.turn_commit`, "off" unless a bench puts it back): its update is already stored
    and acknowledged (the inbox insert commits synced, as every other write does). Should the
    database server crash within ~0.6 s of the turn (3 × `wal_writer_delay`) before a later
    commit flushes the log, the turn is lost and its update, still waiting in the inbox, is
    taken again: the reply may be sent twice, nothing is lost. That is SQLite's durability for
    the same commit (WAL, `synchronous=NORMAL`), and one disk flush less per step (issue 16)."""
    waiting = sa.exists().where(
        col(InboxUpdate.bot_id) == sa.bindparam("bot_id"),
        col(InboxUpdate.update_id) == sa.bindparam("update_id"),
        col(InboxUpdate.done_at).is_(None),
    )
    moved = _ADVANCE.where(waiting).returning(col(Interview.id)).cte("moved")
    done = inbox_statements.done_with(moved)
    return sa.select(
        sa.select(sa.func.count()).select_from(moved).scalar_subquery(),
        sa.select(sa.func.count()).select_from(done).scalar_subquery(),
        # This statement's commit only is not waited for on disk (`Raw.turn_commit`).
        sa.func.set_config("synchronous_commit", sa.bindparam("turn_commit"), True),
    )


def _advance_stored(_dialect: str) -> Any:
    """PostgreSQL: the turn of an update answered before it was stored (`bot.answer_first`),
    with the update's row written done, in one statement whose commit is synced (it is what
    the sender is told: the webhook's 200 waits for it). The interview moves only when the
    update is not done already (a redelivery) and no earlier message of its chat waits (another
    instance stored one: it goes first). Returns (moved, done)."""
    table = InboxUpdate.__table__.c  # type: ignore[attr-defined]
    same = (
        col(InboxUpdate.bot_id) == sa.bindparam("bot_id"),
        col(InboxUpdate.done_at).is_(None),
    )
    done_before = sa.exists().where(
        col(InboxUpdate.bot_id) == sa.bindparam("bot_id"),
        col(InboxUpdate.update_id) == sa.bindparam("update_id"),
        col(InboxUpdate.done_at).is_not(None),
    )
    earlier = sa.exists().where(
        *same,
        col(InboxUpdate.chat_id) == sa.bindparam("chat_id"),
        col(InboxUpdate.update_id) < sa.bindparam("update_id"),
    )
    moved = _ADVANCE.where(~done_before, ~earlier).returning(col(Interview.id)).cte("moved")

    def typed(name: str, column: str) -> Any:  # a SELECT list's parameter has no type of its own
        return sa.cast(sa.bindparam(name, type_=table[column].type), table[column].type)

    row = sa.select(
        typed("bot_id", "bot_id"),
        typed("update_id", "update_id"),
        typed("chat_id", "chat_id"),
        inbox_statements.DROPPED,
        typed("arrived", "received_at"),
        typed("now", "done_at"),
        sa.literal(0),
        typed("channel", "channel"),
        typed("chat_ref", "chat_ref"),
        typed("reply", "reply"),  # sealed
    ).where(sa.exists(sa.select(moved.c.id)))
    names = ["bot_id", "update_id", "chat_id", "payload", "received_at", "done_at",
             "attempts", "channel", "chat_ref", "reply"]  # fmt: skip
    insert = postgresql_insert(InboxUpdate).from_select(names, row)
    done = (
        insert.on_conflict_do_update(
            index_elements=["bot_id", "update_id"],
            set_={
                "done_at": insert.excluded.done_at,
                "payload": inbox_statements.DROPPED,
                "reply": insert.excluded.reply,
            },
            where=col(InboxUpdate.done_at).is_(None),
        )
        .returning(col(InboxUpdate.update_id))
        .cte("done")
    )
    return sa.select(
        sa.select(sa.func.count()).select_from(moved).scalar_subquery(),
        sa.select(sa.func.count()).select_from(done).scalar_subquery(),
    )


_prepared = Statements(
    {
        "advance": lambda _d: _ADVANCE,
        "advance_done": _advance_done,
        "advance_stored": _advance_stored,
        "set_language": lambda _d: _SET_LANGUAGE,
        "find": lambda _d: _FIND,
        "new_applicant": _new_applicant,
        "new_interview": lambda _d: _NEW_INTERVIEW,
        "create_done": first_contact.create_done,
    }
)


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
        # The read ends its transaction: the write checks the version anyway.
        rows = self.raw.read(
            _prepared("find", self.raw.dialect), {"channel": channel, "external_id": external_id}
        )
        return _stored_of(rows[0]) if rows else None

    def last_filing_answers(self, applicant_id: int) -> dict[str, Any] | None:
        # Asked only for a turn that starts another interview, which `accepts` leaves to the
        # ORM store whenever there was one before (and without one there is no filing).
        return None

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
        """Write the turn: one versioned UPDATE (or the applicant's and interview's INSERTs)
        and the inbox row marked done, one commit; None when another writer moved first."""
        assert self.accepts(stored, write, extra)
        raw = self.raw
        one_trip = stored is not None and self._one_trip(stored, write)
        if not one_trip and raw.dialect.name == "postgresql":
            inbox.flush_unstored(raw)  # answered first: stored now, checked for order
        elif write.inbox is not None:
            inbox.in_order(write.inbox)  # (behind an earlier message: stopped, nothing written)
        try:
            values = {**_content_values(write.content), "now": now}
            values["status"] = write.status.value
            values["purge_after"] = write.purge_after
            if stored is not None and stored.interview_id is not None:
                if one_trip:  # PostgreSQL: advance and mark in one statement
                    return self._advance_and_mark(stored, write, values)
                saved = self._advance(stored, write, values)
            elif raw.one_trip and raw.dialect.name == "postgresql" and write.inbox is not None:
                # PostgreSQL: create and mark in one statement (`models.first_contact`)
                return self._create_and_mark(channel, external_id, display_name, stored, write,
                                             values)  # fmt: skip
            else:
                saved = self._create(channel, external_id, display_name, stored, write, values)
            if saved is None:
                raw.rollback()
                return None
            reply = write.reply(None) if write.inbox is not None and write.reply else None
            if write.inbox is not None and not inbox.mark_done(
                raw, bot_id=write.inbox[0], update_id=write.inbox[1], now=now, reply=reply
            ):
                raw.rollback()
                return None
            raw.commit()
        except BaseException:
            raw.rollback()
            raise
        return saved

    def _one_trip(self, stored: Stored, write: Write) -> bool:
        """Say whether the turn can be one statement: PostgreSQL, an update from the inbox,
        the language unchanged."""
        return (
            self.raw.one_trip
            and self.raw.dialect.name == "postgresql"
            and write.inbox is not None
            and stored.interview_id is not None
            and stored.content is not None
            and write.content.language == stored.content.language
        )

    def _create_and_mark(
        self,
        channel: str,
        external_id: str,
        display_name: str | None,
        stored: Stored | None,
        write: Write,
        values: dict[str, Any],
    ) -> Saved | None:
        """The applicant (unless stored), the interview and the inbox row marked done, in one
        statement that commits; None when nothing was written (the applicant created
        meanwhile by another writer, or the update done already)."""
        raw = self.raw
        assert write.inbox is not None
        params = {
            **values,
            "channel": channel,
            "external_id": external_id,
            "display_name": display_name,
            "applicant_id": stored.applicant_id if stored is not None else None,
            "bot_id": write.inbox[0],
            "update_id": write.inbox[1],
            "reply": write.reply(None) if write.reply is not None else None,
            "turn_commit": raw.turn_commit,
        }
        applicant_id, interview_id, _done, _ = raw.fetch_one(
            _prepared("create_done", raw.dialect), params
        )[0]
        if interview_id is None:
            return None
        return Saved(int(applicant_id), int(interview_id), 1)

    def _advance_and_mark(
        self, stored: Stored, write: Write, values: dict[str, Any]
    ) -> Saved | None:
        """Advance the interview and mark its update done in one statement (it commits)."""
        raw = self.raw
        assert write.inbox is not None
        assert stored.interview_id is not None
        params = {
            **values,
            "interview_id": stored.interview_id,
            "expected_version": stored.version,
            "bot_id": write.inbox[0],
            "update_id": write.inbox[1],
            "reply": write.reply(None) if write.reply is not None else None,
        }
        record = inbox.unstored()
        if record is not None and record.key == write.inbox:  # answered first: stored now
            params.update(inbox.unstored_values(record))
            rows = raw.fetch_one(_prepared("advance_stored", raw.dialect), params)
            if int(rows[0][0]) == 1:
                record.set_stored()  # (done by it, or by whoever answered it meanwhile)
        else:
            params["turn_commit"] = raw.turn_commit
            rows = raw.fetch_one(_prepared("advance_done", raw.dialect), params)
        # Not moved: another version, the update answered already, or (answered first) an
        # earlier message of its chat waits: nothing was written; the ORM's turn stores the
        # update first (`models.inbox.flush_at_checkout`), in order. Moved but not marked
        # (its row marked meanwhile): the turn counts.
        if int(rows[0][0]) != 1:
            return None
        return Saved(stored.applicant_id, stored.interview_id, stored.version + 1)

    def _advance(self, stored: Stored, write: Write, values: dict[str, Any]) -> Saved | None:
        """The versioned UPDATE of a stored interview (and the applicant's language when it
        changed); None when another writer moved it first."""
        raw = self.raw
        assert stored.interview_id is not None
        assert stored.content is not None
        params = {**values, "interview_id": stored.interview_id,
                  "expected_version": stored.version}  # fmt: skip
        if raw.run(_prepared("advance", raw.dialect), params) != 1:
            return None
        if write.content.language != stored.content.language:
            raw.run(
                _prepared("set_language", raw.dialect),
                {"applicant_id": stored.applicant_id, "language": write.content.language},
            )
        return Saved(stored.applicant_id, stored.interview_id, stored.version + 1)

    def _create(
        self,
        channel: str,
        external_id: str,
        display_name: str | None,
        stored: Stored | None,
        write: Write,
        values: dict[str, Any],
    ) -> Saved | None:
        """A new interview (and a new applicant when none is stored); None when the
        applicant was created meanwhile by another writer."""
        raw = self.raw
        if stored is None:
            rows = raw.fetch(
                _prepared("new_applicant", raw.dialect),
                {
                    "channel": channel,
                    "external_id": external_id,
                    "display_name": display_name,
                    "language": write.content.language,
                    "now": values["now"],
                },
            )
            if not rows:  # created meanwhile by another writer
                return None
            applicant_id = int(rows[0][0])
        else:
            applicant_id = stored.applicant_id
        rows = raw.fetch(
            _prepared("new_interview", raw.dialect), {**values, "applicant_id": applicant_id}
        )
        return Saved(applicant_id, int(rows[0][0]), 1)


# --- the ORM store ----------------------------------------------------------------------------
