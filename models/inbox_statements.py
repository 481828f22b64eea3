"""The inbox's statements (`models.inbox`), compiled once per dialect: they run on hot paths
(every update), on the DBAPI cursor (`models.db.Raw`)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col

from models.db import Statements
from models.tables import ChatClaim, InboxUpdate
from models.types import UTCDateTime

_PAYLOAD_TYPE = InboxUpdate.__table__.c.payload.type  # type: ignore[attr-defined]
REPLY_TYPE = InboxUpdate.__table__.c.reply.type  # type: ignore[attr-defined]


def _insert(dialect: str, model: Any) -> Any:
    return (sqlite_insert if dialect == "sqlite" else postgresql_insert)(model)


def _ingest(dialect: str) -> Any:
    return (
        _insert(dialect, InboxUpdate)
        .values(
            bot_id=sa.bindparam("bot_id"),
            update_id=sa.bindparam("update_id"),
            chat_id=sa.bindparam("chat_id"),
            payload=sa.bindparam("payload", type_=_PAYLOAD_TYPE),  # sealed (models.sealed)
            received_at=sa.bindparam("now", type_=UTCDateTime()),
            done_at=None,
            attempts=0,
            channel=sa.bindparam("channel"),
            chat_ref=sa.bindparam("chat_ref"),
        )
        .on_conflict_do_nothing(index_elements=["bot_id", "update_id"])
    )


def _ingest_waiting(dialect: str) -> Any:
    """PostgreSQL: one update stored and its chat's waiting ids read in the same round trip
    (the statement's snapshot precedes the insert: the new row is not among them), and
    whether it was done already (a redelivery)."""
    stored = _ingest(dialect).returning(col(InboxUpdate.update_id)).cte("stored")
    waiting = _PENDING_IDS.subquery("waiting")
    return sa.select(
        sa.select(sa.func.count()).select_from(stored).scalar_subquery(),
        sa.select(sa.func.array_agg(waiting.c.update_id)).scalar_subquery(),
        sa.exists().where(
            col(InboxUpdate.bot_id) == sa.bindparam("bot_id"),
            col(InboxUpdate.update_id) == sa.bindparam("update_id"),
            col(InboxUpdate.done_at).is_not(None),
        ),
    )


def _done_unstored(dialect: str) -> Any:
    """An update answered before it was stored (`models.inbox.Unstored`) written done, with
    its replies, in its turn's transaction; or, when it was stored meanwhile (a flush), marked
    done like `_DONE`. No row is touched when it is done already (a redelivery)."""
    insert = _insert(dialect, InboxUpdate).values(
        bot_id=sa.bindparam("bot_id"),
        update_id=sa.bindparam("update_id"),
        chat_id=sa.bindparam("chat_id"),
        payload=DROPPED,
        received_at=sa.bindparam("arrived", type_=UTCDateTime()),
        done_at=sa.bindparam("now", type_=UTCDateTime()),
        attempts=0,
        channel=sa.bindparam("channel"),
        chat_ref=sa.bindparam("chat_ref"),
        reply=sa.bindparam("reply", type_=REPLY_TYPE),  # sealed (models.sealed)
    )
    return insert.on_conflict_do_update(
        index_elements=["bot_id", "update_id"],
        set_={
            "done_at": insert.excluded.done_at,
            "payload": DROPPED,
            "reply": insert.excluded.reply,
        },
        where=col(InboxUpdate.done_at).is_(None),
    )


def done_with(made: Any) -> Any:
    """PostgreSQL: the update's row marked done with its turn's replies (sealed), while it
    waits and only if the data-modifying CTE `made` wrote a row: the done mark of a turn in
    one statement (`models.fast_store._advance_done`, `models.first_contact`)."""
    return (
        sa.update(InboxUpdate)
        .where(
            col(InboxUpdate.bot_id) == sa.bindparam("bot_id", type_=sa.BigInteger),
            col(InboxUpdate.update_id) == sa.bindparam("update_id", type_=sa.BigInteger),
            col(InboxUpdate.done_at).is_(None),
            sa.exists(sa.select(made.c.id)),
        )
        .values(
            done_at=sa.bindparam("now", type_=UTCDateTime()),
            payload=DROPPED,
            reply=sa.bindparam("reply", type_=REPLY_TYPE),  # sealed (models.sealed)
        )
        .returning(col(InboxUpdate.update_id))
        .cte("done")
    )


# Whether an update is to be stored before it is answered (`bot.answer_first`): it is stored
# already (a redelivery), or a message of its chat waits (answered first, in order).
_KNOWN = sa.select(
    sa.or_(
        sa.exists().where(
            col(InboxUpdate.bot_id) == sa.bindparam("bot_id"),
            col(InboxUpdate.update_id) == sa.bindparam("update_id"),
        ),
        sa.exists().where(
            col(InboxUpdate.bot_id) == sa.bindparam("bot_id"),
            col(InboxUpdate.chat_id) == sa.bindparam("chat_id"),
            col(InboxUpdate.done_at).is_(None),
        ),
    )
)


def _claim(dialect: str) -> Any:
    insert = _insert(dialect, ChatClaim).values(
        bot_id=sa.bindparam("bot_id"),
        chat_id=sa.bindparam("chat_id"),
        holder=sa.bindparam("holder"),
        lease_until=sa.bindparam("until", type_=UTCDateTime()),
    )
    return insert.on_conflict_do_update(
        index_elements=["bot_id", "chat_id"],
        set_={"holder": insert.excluded.holder, "lease_until": insert.excluded.lease_until},
        where=sa.or_(
            col(ChatClaim.holder) == insert.excluded.holder,
            col(ChatClaim.lease_until) < sa.bindparam("now", type_=UTCDateTime()),
        ),
    ).returning(col(ChatClaim.holder))


_PENDING_IDS = (
    sa.select(col(InboxUpdate.update_id))
    .where(
        col(InboxUpdate.bot_id) == sa.bindparam("bot_id"),
        col(InboxUpdate.chat_id) == sa.bindparam("chat_id"),
        col(InboxUpdate.done_at).is_(None),
    )
    .order_by(col(InboxUpdate.update_id))
    .limit(sa.bindparam("limit"))
)
_PAYLOAD = sa.select(col(InboxUpdate.payload), col(InboxUpdate.attempts)).where(
    col(InboxUpdate.bot_id) == sa.bindparam("bot_id"),
    col(InboxUpdate.update_id) == sa.bindparam("update_id"),
)
# A processed update keeps its ids (a redelivery is refused) and loses its JSON: the empty
# object, written as SQL (no sealing, nothing to hide), reads back as {} (`models.sealed`).
DROPPED: sa.ColumnElement[Any] = sa.literal_column("'{}'")
_DONE = (
    sa.update(InboxUpdate)
    .where(
        col(InboxUpdate.bot_id) == sa.bindparam("bot_id"),
        col(InboxUpdate.update_id) == sa.bindparam("update_id"),
        col(InboxUpdate.done_at).is_(None),
    )
    .values(
        done_at=sa.bindparam("now", type_=UTCDateTime()),
        payload=DROPPED,
        reply=sa.bindparam("reply", type_=REPLY_TYPE),  # sealed (models.sealed)
    )
)
_SENT = (
    sa.update(InboxUpdate)
    .where(
        col(InboxUpdate.bot_id) == sa.bindparam("bot_id"),
        col(InboxUpdate.update_id) == sa.bindparam("update_id"),
        col(InboxUpdate.reply).is_not(None),
    )
    .values(reply=None)
)


def _sent_all(dialect: str) -> Any:
    """Clear the replies of many updates in one statement (one round trip): their ids as an
    array on PostgreSQL, as a JSON list read by `json_each` on SQLite."""
    if dialect == "postgresql":
        ids: Any = sa.any_(sa.bindparam("ids", type_=ARRAY(sa.BigInteger)))
        chosen = col(InboxUpdate.update_id) == ids
    else:
        listed: Any = sa.select(sa.column("value")).select_from(
            sa.func.json_each(sa.bindparam("ids"))
        )
        chosen = col(InboxUpdate.update_id).in_(listed)
    return (
        sa.update(InboxUpdate)
        .where(col(InboxUpdate.bot_id) == sa.bindparam("bot_id"), chosen)
        .where(col(InboxUpdate.reply).is_not(None))
        .values(reply=None)
    )


_SET_REPLY = (
    sa.update(InboxUpdate)
    .where(
        col(InboxUpdate.bot_id) == sa.bindparam("bot_id"),
        col(InboxUpdate.update_id) == sa.bindparam("update_id"),
    )
    .values(reply=sa.bindparam("reply", type_=REPLY_TYPE))
)


def _unsent(one_chat: bool) -> Any:
    """Done rows whose replies are not sent, of chats nobody else holds (a crash's; another
    instance's after its claim ran out), oldest first."""
    where = [
        col(InboxUpdate.bot_id) == sa.bindparam("bot_id"),
        col(InboxUpdate.reply).is_not(None),
        sa.or_(
            col(ChatClaim.chat_id).is_(None),
            col(ChatClaim.holder) == sa.bindparam("holder"),
            col(ChatClaim.lease_until) < sa.bindparam("now", type_=UTCDateTime()),
        ),
    ]
    if one_chat:
        where.append(col(InboxUpdate.chat_id) == sa.bindparam("chat_id"))
    return (
        sa.select(
            col(InboxUpdate.update_id),
            col(InboxUpdate.chat_id),
            col(InboxUpdate.reply),
            col(InboxUpdate.chat_ref),
        )
        .select_from(InboxUpdate)
        .outerjoin(
            ChatClaim,
            sa.and_(
                col(ChatClaim.bot_id) == col(InboxUpdate.bot_id),
                col(ChatClaim.chat_id) == col(InboxUpdate.chat_id),
            ),
        )
        .where(*where)
        .order_by(col(InboxUpdate.update_id))
        .limit(sa.bindparam("limit"))
    )


_ATTEMPT = (
    sa.update(InboxUpdate)
    .where(
        col(InboxUpdate.bot_id) == sa.bindparam("bot_id"),
        col(InboxUpdate.update_id) == sa.bindparam("update_id"),
    )
    .values(attempts=col(InboxUpdate.attempts) + 1)
)
_RELEASE = sa.delete(ChatClaim).where(
    col(ChatClaim.bot_id) == sa.bindparam("bot_id"),
    col(ChatClaim.chat_id) == sa.bindparam("chat_id"),
    col(ChatClaim.holder) == sa.bindparam("holder"),
)
_WAITING_CHATS = (
    sa.select(col(InboxUpdate.chat_id))
    .select_from(InboxUpdate)
    .outerjoin(
        ChatClaim,
        sa.and_(
            col(ChatClaim.bot_id) == col(InboxUpdate.bot_id),
            col(ChatClaim.chat_id) == col(InboxUpdate.chat_id),
        ),
    )
    .where(
        col(InboxUpdate.bot_id) == sa.bindparam("bot_id"),
        col(InboxUpdate.done_at).is_(None),
        sa.or_(
            col(ChatClaim.chat_id).is_(None),
            col(ChatClaim.holder) == sa.bindparam("holder"),
            col(ChatClaim.lease_until) < sa.bindparam("now", type_=UTCDateTime()),
        ),
    )
    .group_by(col(InboxUpdate.chat_id))
    .order_by(sa.func.min(col(InboxUpdate.update_id)))
    .limit(sa.bindparam("limit"))
)
_PENDING_COUNT = sa.select(sa.func.count(), sa.func.min(col(InboxUpdate.received_at))).where(
    col(InboxUpdate.bot_id) == sa.bindparam("bot_id"), col(InboxUpdate.done_at).is_(None)
)
_PURGE = sa.delete(InboxUpdate).where(
    col(InboxUpdate.done_at) < sa.bindparam("before", type_=UTCDateTime())
)

prepared = Statements(
    {
        "ingest": _ingest,
        "ingest_waiting": _ingest_waiting,
        "claim": _claim,
        "pending_ids": lambda _d: _PENDING_IDS,
        "payload": lambda _d: _PAYLOAD,
        "done": lambda _d: _DONE,
        "done_unstored": _done_unstored,
        "known": lambda _d: _KNOWN,
        "sent": lambda _d: _SENT,
        "sent_all": _sent_all,
        "set_reply": lambda _d: _SET_REPLY,
        "unsent": lambda _d: _unsent(False),
        "unsent_of_chat": lambda _d: _unsent(True),
        "attempt": lambda _d: _ATTEMPT,
        "release": lambda _d: _RELEASE,
        "waiting_chats": lambda _d: _WAITING_CHATS,
        "pending_count": lambda _d: _PENDING_COUNT,
        "purge": lambda _d: _PURGE,
    }
)
