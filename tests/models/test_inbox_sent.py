"""Clearing sent replies (`models.inbox.mark_sent`): many rows in one statement, on SQLite and
PostgreSQL alike — only the rows named, and only their stored replies."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from models import inbox
from models.db import Raw

BOT = 7
NOW = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(minutes=10)  # past the lease of any claim: every unsent row shows


def _done_with_replies(engine: sa.Engine, ids: list[int]) -> None:
    with engine.connect() as conn:
        raw = Raw(conn)
        received = [inbox.Received(i, 100 + i, {"update_id": i}) for i in ids]
        inbox.ingest(raw, bot_id=BOT, updates=received, now=NOW)
        for i in ids:
            reply = [{"op": "replies", "replies": [{"text": f"回复 {i}"}]}]
            assert inbox.mark_done(raw, bot_id=BOT, update_id=i, now=NOW, reply=reply)
        raw.commit()


def _unsent(engine: sa.Engine) -> dict[int, list[object]]:
    with engine.connect() as conn:
        rows = inbox.unsent(Raw(conn), bot_id=BOT, holder="probe", now=LATER)
    return {row.update_id: row.reply for row in rows}


def test_many_sent_replies_are_cleared_at_once_and_only_theirs(engine: sa.Engine) -> None:
    _done_with_replies(engine, [1, 2, 3, 4, 5])
    assert set(_unsent(engine)) == {1, 2, 3, 4, 5}
    with engine.connect() as conn:
        inbox.mark_sent(Raw(conn), bot_id=BOT, update_ids=[2, 4, 5])
        inbox.mark_sent(Raw(conn), bot_id=BOT + 1, update_ids=[1, 3])  # another bot's ids
    left = _unsent(engine)
    assert set(left) == {1, 3}
    assert left[3] == [{"op": "replies", "replies": [{"text": "回复 3"}]}]
    with engine.connect() as conn:
        inbox.mark_sent(Raw(conn), bot_id=BOT, update_ids=[3])  # one alone
        inbox.mark_sent(Raw(conn), bot_id=BOT, update_ids=[])  # none: nothing to do
    assert set(_unsent(engine)) == {1}
