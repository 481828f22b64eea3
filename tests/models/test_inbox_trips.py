"""Round trips of the inbox on the hot path (issue 26's PostgreSQL step): one update stored
with its chat's waiting ids in one statement (`models.inbox.ingest_one`), and reads that do
not end a transaction with a ROLLBACK, which makes psycopg discard every statement it had
prepared on the connection (each was then parsed and planned again on every use)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from models import inbox
from models.database import Database
from models.db import Raw

BOT = 7
NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


def _received(update_id: int, chat_id: int) -> inbox.Received:
    return inbox.Received(update_id, chat_id, {"update_id": update_id, "text": "企业"})


def test_one_update_is_stored_with_its_chats_waiting_ids(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        raw = Raw(conn)
        earlier = [_received(1, 42), _received(2, 42), _received(3, 43)]
        inbox.ingest(raw, bot_id=BOT, updates=earlier, now=NOW)
        inbox.finish(raw, bot_id=BOT, update_id=1, now=NOW)  # done: no longer waiting

        def one(update: inbox.Received, bot_id: int = BOT) -> tuple[bool, list[int]]:
            return inbox.ingest_one(raw, bot_id=bot_id, update=update, now=NOW)

        assert one(_received(4, 42)) == (True, [2, 4])  # the chat's others, oldest first
        assert one(_received(4, 42)) == (False, [2, 4])  # a redelivery: not new, still waits
        assert one(_received(5, 44)) == (True, [5])  # a chat with nothing else waiting
        assert one(_received(2, 42), bot_id=BOT + 1) == (True, [2])  # another bot's ids
    with engine.connect() as conn:  # committed: seen from another connection
        raw = Raw(conn)
        assert inbox.pending_ids(raw, bot_id=BOT, chat_id=42) == [2, 4]
        assert inbox.stored_update(raw, bot_id=BOT, update_id=4) == (
            {"update_id": 4, "text": "企业"},
            0,
        )


def test_waiting_ids_read_with_the_insert_stop_at_the_limit(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        raw = Raw(conn)
        inbox.ingest(raw, bot_id=BOT, updates=[_received(i, 42) for i in range(1, 4)], now=NOW)
        new, waiting = inbox.ingest_one(raw, bot_id=BOT, update=_received(9, 42), now=NOW, limit=2)
    assert (new, waiting) == (True, [1, 2])  # the oldest first; the rest on the next look


@pytest.mark.postgres
def test_the_loop_connection_keeps_its_prepared_statements_through_reads(
    postgres_schema_url: str,
) -> None:
    """psycopg prepares a statement on its 5th use and discards them all on a ROLLBACK: the
    inbox's reads (a sweep's every half second, a new chat's unsent replies) ran in a
    transaction ended by one, so the hot statements were never prepared for long."""
    from models import migrate

    migrate.upgrade(postgres_schema_url)
    db = Database(postgres_schema_url)
    try:
        raw = db.loop_connection()
        for i in range(1, 8):  # past psycopg's threshold: prepared on the server
            inbox.ingest_one(raw, bot_id=BOT, update=_received(i, 42), now=NOW)
        assert _prepared_here(raw) >= 1
        # What the processor and its sweep read between two updates:
        inbox.waiting_chats(raw, bot_id=BOT, holder="here", now=NOW)
        inbox.unsent(raw, bot_id=BOT, holder="here", now=NOW, chat_id=42)
        inbox.unsent(raw, bot_id=BOT, holder="here", now=NOW)
        inbox.stored_update(raw, bot_id=BOT, update_id=3)
        inbox.backlog(raw, bot_id=BOT)
        assert inbox.claim_chat(
            raw, bot_id=BOT, chat_id=42, holder="here", now=NOW, lease=dt.timedelta(seconds=30)
        )
        inbox.count_attempt(raw, bot_id=BOT, update_id=3)
        inbox.finish(raw, bot_id=BOT, update_id=3, now=NOW)
        inbox.mark_sent(raw, bot_id=BOT, update_ids=[1, 2])
        inbox.release_chat(raw, bot_id=BOT, chat_id=42, holder="here")
        assert _prepared_here(raw) >= 1  # none of them discarded what was prepared
    finally:
        db.close()


def _prepared_here(raw: Raw) -> int:
    """Count the statements prepared on this connection (`pg_prepared_statements` is per
    session), without a transaction of its own."""
    dbapi = raw.dbapi
    dbapi.autocommit = True
    try:
        row = dbapi.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()
    finally:
        dbapi.autocommit = False
    return int(row[0])
