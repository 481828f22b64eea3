"""PostgreSQL: a first contact's writes in one statement (`models.fast_store.FastStore.save`).

A new applicant's first turn wrote the applicant, its interview and its inbox row's done mark
in a transaction: BEGIN, three statements and COMMIT, five round trips (of ten in the step;
the first contact was the PostgreSQL step's slow tail, bench `bench_pg_step`'s p99). One
statement with data-modifying CTEs commits alone in one. As `advance_done` does for a turn,
its commit is not waited for on disk (the update it answers is stored, synced, before: should
the database server lose the turn, the update is taken again), and each write happens only
while the inbox row waits: the applicant (unless one is given, or another writer created it
meanwhile: then nothing is written and the turn is taken again), its interview, and the row
marked done only if the interview was created. SQLite keeps the transaction (its statements
are not trips).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlmodel import col

from models import inbox_statements
from models.tables import Applicant, InboxUpdate, Interview
from models.types import JSONType, UTCDateTime

_APPLICANT = Applicant.__table__.c  # type: ignore[attr-defined]
_INTERVIEW = Interview.__table__.c  # type: ignore[attr-defined]


def _typed(name: str, column: Any, type_: Any = None) -> Any:
    """A parameter in a SELECT list, cast to its column's type (and processed by it: the
    sealed columns seal it)."""
    kind = type_ if type_ is not None else column.type
    return sa.cast(sa.bindparam(name, type_=kind), kind)


def _locked() -> Any:
    """The update's inbox row while it waits, locked first: another writer marking it done
    meanwhile (two instances after a claim ran out) makes it empty once that writer commits,
    and then nothing at all is written (each write below depends on it; the statement's own
    snapshot would still see the row waiting)."""
    return (
        sa.select(sa.literal(1).label("one"))
        .select_from(InboxUpdate)
        .where(
            col(InboxUpdate.bot_id) == sa.bindparam("bot_id", type_=sa.BigInteger),
            col(InboxUpdate.update_id) == sa.bindparam("update_id", type_=sa.BigInteger),
            col(InboxUpdate.done_at).is_(None),
        )
        .with_for_update()
        .cte("locked")
    )


def _applicant(given: Any, waiting: Any) -> Any:
    """The applicant's id: the one given, or a new applicant's (none when another writer
    created it meanwhile), while the update waits."""
    new_applicant = (
        postgresql_insert(Applicant)
        .from_select(
            ["channel", "external_id", "display_name", "language", "created_at"],
            sa.select(
                _typed("channel", _APPLICANT.channel),
                _typed("external_id", _APPLICANT.external_id),
                _typed("display_name", _APPLICANT.display_name),  # sealed
                _typed("language", _APPLICANT.language),
                _typed("now", _APPLICANT.created_at, UTCDateTime()),
            ).where(given.is_(None), waiting),
        )
        .on_conflict_do_nothing(index_elements=["channel", "external_id"])
        .returning(col(Applicant.id))
        .cte("new_applicant")
    )
    return sa.union_all(
        sa.select(new_applicant.c.id),
        sa.select(sa.cast(given, sa.Integer)).where(given.is_not(None), waiting),
    ).cte("who")


def _interview(who: Any) -> Any:
    """The new interview of the applicant `who` names (none when it names none)."""
    names = ["applicant_id", "status", "question", "answers", "history", "flow", "language",
             "version", "created_at", "updated_at", "purge_after"]  # fmt: skip
    return (
        sa.insert(Interview)
        .from_select(
            names,
            sa.select(
                who.c.id,
                _typed("status", _INTERVIEW.status),
                _typed("question", _INTERVIEW.question),
                _typed("answers", _INTERVIEW.answers),  # sealed
                _typed("history", _INTERVIEW.history, JSONType),
                _typed("flow", _INTERVIEW.flow),  # sealed
                _typed("language", _INTERVIEW.language),
                sa.literal(1),
                _typed("now", _INTERVIEW.created_at, UTCDateTime()),
                _typed("now", _INTERVIEW.updated_at, UTCDateTime()),
                _typed("purge_after", _INTERVIEW.purge_after, UTCDateTime()),
            ),
        )
        .returning(col(Interview.id), col(Interview.applicant_id))
        .cte("created")
    )


def create_done(_dialect: str) -> Any:
    """Returns (applicant id, interview id, rows marked done): the ids are NULL when nothing
    was written."""
    waiting = sa.exists(sa.select(_locked().c.one))
    created = _interview(_applicant(sa.bindparam("applicant_id", type_=sa.Integer), waiting))
    done = inbox_statements.done_with(created)
    return sa.select(
        sa.select(created.c.applicant_id).scalar_subquery(),
        sa.select(created.c.id).scalar_subquery(),
        sa.select(sa.func.count()).select_from(done).scalar_subquery(),
        # Its commit is not waited for on disk (`Raw.turn_commit`), as a quick turn's: the
        # update is stored already (synced), and taken again should the server lose the turn.
        sa.func.set_config("synchronous_commit", sa.bindparam("turn_commit"), True),
    )
