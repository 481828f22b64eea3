"""Reviewers seeded from the settings, and the chats the bot could not reach (issue 26).

The `reviewer` table is the one list of reviewers the bot, the CLI and any later channel
read. BEIAN_REVIEWERS only seeds it: an id with no row at all gets one, so an id removed
with `beian reviewers remove` (a row kept inactive) is not added back by the setting.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.tables import Reviewer, UnreachableChat

SEEDED = "BEIAN_REVIEWERS"  # Reviewer.source of a seeded row


def seed_reviewers(session: Session, ids: list[int], now: dt.datetime) -> list[int]:
    """Register each id that was never registered (idempotent); return the ids added."""
    if not ids:
        return []
    known = set(
        session.exec(
            select(Reviewer.telegram_chat_id).where(col(Reviewer.telegram_chat_id).in_(ids))
        ).all()
    )
    added = [i for i in dict.fromkeys(ids) if i not in known]
    for telegram_id in added:
        session.add(Reviewer(telegram_chat_id=telegram_id, name="", source=SEEDED, created_at=now))
    session.flush()
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
