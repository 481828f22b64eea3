"""The inbox: Telegram updates stored before they are acknowledged, processed chat by chat.

An update is inserted (and committed) before Telegram is told it arrived: before the webhook
answers 200, before the next getUpdates moves the offset past it. Processing marks it done in
the transaction of its effects. A chat's rows are processed by whichever instance holds the
chat's claim (`chat_claim`), one at a time and in `update_id` order; different chats go in
parallel on any instance. A redelivered update hits the primary key and is not stored again.

An update's JSON is sealed while it waits (`models.sealed`: the column type) and dropped when
it is marked done; the row's ids stay KEEP_DONE for de-duplication.

These run on hot paths (every update), so they are statements compiled once per dialect and
run on the DBAPI cursor (`models.db.Raw`), like the interview's quick statements.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col

from models.db import Prepared, Raw
from models.tables import ChatClaim, InboxUpdate
from models.types import UTCDateTime

# Telegram keeps an unconfirmed update for 24 hours; a done row is kept twice that long, so a
# late redelivery still finds it and is ignored.
KEEP_DONE = dt.timedelta(hours=48)
# Processing runs a row may be cut short by a crash before it is given up (and apologised for).
MAX_ATTEMPTS = 3


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

_BUILDERS: dict[str, Callable[[str], Any]] = {
    "ingest": _ingest,
    "claim": _claim,
    "pending_ids": lambda _d: _PENDING_IDS,
    "payload": lambda _d: _PAYLOAD,
    "done": lambda _d: _DONE,
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
_PREPARED: dict[tuple[str, str], Prepared] = {}


def _prepared(name: str, dialect: sa.Dialect) -> Prepared:
    key = (name, dialect.name)
    found = _PREPARED.get(key)
    if found is None:
        found = _PREPARED[key] = Prepared(_BUILDERS[name](dialect.name), dialect)
    return found


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


# In repr() a lone surrogate shows as \udXXX and a NUL as \x00: one C-speed look at the whole
# update tells whether the walk below is needed (almost never).
_SUSPECT = re.compile(r"\\ud[89a-f]|\\x00")


def storable(value: Any) -> Any:
    """Return JSON every database keeps: a lone surrogate or a NUL (which PostgreSQL refuses
    in JSONB) becomes U+FFFD, which the interview then refuses as broken text."""
    if not _SUSPECT.search(repr(value)):
        return value
    return _replaced(value)


def _replaced(value: Any) -> Any:
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value) if _UNSTORABLE.search(value) else value
    if isinstance(value, dict):
        return {_replaced(k): _replaced(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replaced(v) for v in value]
    return value


@dataclass(frozen=True)
class Received:
    """An update as it arrived: its id, its chat (0 when it has none) and its JSON; the
    channel it came by and, where that channel's chat is not a number, its address there."""

    update_id: int
    chat_id: int
    payload: dict[str, Any]
    channel: str = "telegram"
    chat_ref: str | None = None


def ingest(raw: Raw, *, bot_id: int, updates: list[Received], now: dt.datetime) -> list[int]:
    """Store updates and commit; return the ids that were new (a redelivery is skipped)."""
    statement = _prepared("ingest", raw.dialect)

    def values(update: Received) -> dict[str, Any]:
        return {
            "bot_id": bot_id,
            "update_id": update.update_id,
            "chat_id": update.chat_id,
            "payload": update.payload,
            "now": now,
            "channel": update.channel,
            "chat_ref": update.chat_ref,
        }

    if len(updates) == 1:  # a webhook's update, or a quiet poll's: committed on its own
        (update,) = updates
        return [update.update_id] if raw.write_one(statement, values(update)) == 1 else []
    new = [u.update_id for u in updates if raw.run(statement, values(u)) == 1]
    raw.commit()
    return new


def claim_chat(
    raw: Raw, *, bot_id: int, chat_id: int, holder: str, now: dt.datetime, lease: dt.timedelta
) -> bool:
    """Take (or renew) the chat's claim for `holder` and commit; False when another holds it."""
    rows = raw.fetch(
        _prepared("claim", raw.dialect),
        {"bot_id": bot_id, "chat_id": chat_id, "holder": holder, "until": now + lease, "now": now},
    )
    raw.commit()
    return bool(rows)


def release_chat(raw: Raw, *, bot_id: int, chat_id: int, holder: str) -> None:
    """Give the chat's claim up (another instance may take the chat at once) and commit."""
    raw.run(
        _prepared("release", raw.dialect), {"bot_id": bot_id, "chat_id": chat_id, "holder": holder}
    )
    raw.commit()


def pending_ids(raw: Raw, *, bot_id: int, chat_id: int, limit: int = 20) -> list[int]:
    """Return the chat's unprocessed update ids, oldest first (read only)."""
    rows = raw.read(
        _prepared("pending_ids", raw.dialect),
        {"bot_id": bot_id, "chat_id": chat_id, "limit": limit},
    )
    return [int(row[0]) for row in rows]


def stored_update(raw: Raw, *, bot_id: int, update_id: int) -> tuple[dict[str, Any], int] | None:
    """Return an update's stored JSON and how many processing runs it has had."""
    rows = raw.fetch(_prepared("payload", raw.dialect), {"bot_id": bot_id, "update_id": update_id})
    raw.rollback()
    return (rows[0][0], int(rows[0][1])) if rows else None


def mark_done(
    raw: Raw, *, bot_id: int, update_id: int, now: dt.datetime, reply: list[Any] | None = None
) -> bool:
    """Mark an update done inside the caller's transaction (its JSON dropped), with the
    replies its turn is to send (`reply`, sealed, cleared by `mark_sent`); False when it
    already was done."""
    values = {"bot_id": bot_id, "update_id": update_id, "now": now, "reply": reply}
    return raw.run(_prepared("done", raw.dialect), values) == 1


def mark_sent(raw: Raw, *, bot_id: int, update_ids: list[int]) -> None:
    """Forget the replies of these updates (they were sent) and commit."""
    if len(update_ids) == 1:
        raw.run(_prepared("sent", raw.dialect), {"bot_id": bot_id, "update_id": update_ids[0]})
    elif update_ids:
        ids = update_ids if raw.dialect.name == "postgresql" else json.dumps(update_ids)
        raw.run(_prepared("sent_all", raw.dialect), {"bot_id": bot_id, "ids": ids})
    raw.commit()


@dataclass(frozen=True)
class Unsent:
    """A done update whose replies a crash (or a failed send) left unsent."""

    update_id: int
    chat_id: int
    reply: list[Any]
    chat_ref: str | None = None  # the channel's own address of the chat (WeChat: the openid)


def unsent(
    raw: Raw,
    *,
    bot_id: int,
    holder: str,
    now: dt.datetime,
    chat_id: int | None = None,
    limit: int = 100,
) -> list[Unsent]:
    """Return the unsent replies of chats nobody else holds (of one chat, when given)."""
    values: dict[str, Any] = {"bot_id": bot_id, "holder": holder, "now": now, "limit": limit}
    if chat_id is not None:
        values["chat_id"] = chat_id
    name = "unsent" if chat_id is None else "unsent_of_chat"
    rows = raw.fetch(_prepared(name, raw.dialect), values)
    raw.rollback()
    return [Unsent(int(u), int(c), list(r), ref) for u, c, r, ref in rows if r is not None]


def count_attempt(raw: Raw, *, bot_id: int, update_id: int) -> None:
    """Count a processing run of a recovered update and commit (a crash may end it)."""
    raw.run(_prepared("attempt", raw.dialect), {"bot_id": bot_id, "update_id": update_id})
    raw.commit()


def waiting_chats(
    raw: Raw, *, bot_id: int, holder: str, now: dt.datetime, limit: int = 100
) -> list[int]:
    """Return chats with unprocessed updates that nobody else holds, oldest first."""
    rows = raw.fetch(
        _prepared("waiting_chats", raw.dialect),
        {"bot_id": bot_id, "holder": holder, "now": now, "limit": limit},
    )
    raw.rollback()
    return [int(row[0]) for row in rows]


def backlog(raw: Raw, *, bot_id: int) -> tuple[int, dt.datetime | None]:
    """Return how many updates wait, and when the oldest of them arrived."""
    rows = raw.fetch(_prepared("pending_count", raw.dialect), {"bot_id": bot_id})
    raw.rollback()
    count, oldest = rows[0] if rows else (0, None)
    return int(count or 0), oldest


def purge_done(raw: Raw, *, now: dt.datetime) -> int:
    """Delete updates done longer ago than KEEP_DONE and commit; return how many."""
    removed = raw.run(_prepared("purge", raw.dialect), {"before": now - KEEP_DONE})
    raw.commit()
    return removed
