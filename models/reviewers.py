"""Reviewers seeded from the settings, and the chats the bot could not reach (issue 26).

The `reviewer` table is the one list of reviewers the bot, the CLI and any later channel
read. BEIAN_REVIEWERS only seeds it: an id with no row at all gets one, so an id removed
with `beian reviewers remove` (a row kept inactive) is not added back by the setting.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from models.tables import Reviewer, UnreachableChat

SEEDED = "BEIAN_REVIEWERS"  # Reviewer.source of a seeded row


def seed_reviewers(session: Session, ids: list[int], now: dt.datetime) -> list[int]:
    """Register each id that was never registered (idempotent, and safe when several
    instances start at once: a row another one inserted meanwhile is left alone); return the
    ids added."""
    if not ids:
        return []
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    added = []
    for telegram_id in dict.fromkeys(ids):
        statement = (
            insert(Reviewer)
            .values(
                telegram_chat_id=telegram_id,
                name="",
                bureau="",
                active=True,
                created_at=now,
                source=SEEDED,
            )
            .on_conflict_do_nothing(index_elements=["telegram_chat_id"])
            .returning(col(Reviewer.id))
        )
        if session.execute(statement).first() is not None:
            added.append(telegram_id)
    return added


def mark_unreachable(
    session: Session, chat_id: int, role: str, error: str, now: dt.datetime
) -> UnreachableChat:
    """Note that the bot was refused in `chat_id` (a first refusal, or one more)."""
    found = session.get(UnreachableChat, chat_id)
    if found is None:
        found = UnreachableChat(
            chat_id=chat_id, role=role, since=now, last_at=now, failures=0, error=""
        )
    found.role, found.last_at, found.error = role, now, error[:200]
    found.failures += 1
    session.add(found)
    session.flush()
    return found


def mark_reached(session: Session, chat_id: int) -> None:
    """Forget a chat's refusals: a message got through."""
    session.execute(sa.delete(UnreachableChat).where(col(UnreachableChat.chat_id) == chat_id))


def unreachable(session: Session) -> dict[int, UnreachableChat]:
    """Return the chats the bot is refused in, by chat id."""
    return {row.chat_id: row for row in session.exec(select(UnreachableChat)).all()}
