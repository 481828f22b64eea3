"""PostgreSQL's planner statistics kept by beian (`models.planner_stats`): the inbox's sweep
analyzes a hot table once it changed past autovacuum's threshold (the CI's server runs without
autovacuum), not again until it changes again; with them, the turn's statement finds a chat's
waiting messages in the partial index, not by reading every done row of the bot."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from bot.inbox_upkeep import Upkeep
from models import migrate, planner_stats
from models.database import Database
from models.fast_store import _prepared

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def db(postgres_schema_url: str) -> Iterator[Database]:
    migrate.upgrade(postgres_schema_url)
    database = Database(postgres_schema_url)
    yield database
    database.close()


def _done_rows(engine: sa.Engine, count: int, first: int = 1) -> None:
    """`count` updates of bot 7 done, from 100 chats; the connection closed, so its backend
    hands its row counts to the statistics at once."""
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO inbox (bot_id, update_id, chat_id, payload, received_at, done_at, "
                "attempts, channel) SELECT 7, g, g % 100, '{}', now(), now(), 0, 'telegram' "
                "FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) g"
            ),
            {"first": first, "last": first + count - 1},
        )
    engine.dispose()


def _analyzed(engine: sa.Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.text(
                    "SELECT analyze_count FROM pg_stat_user_tables "
                    "WHERE relid = CAST(:table AS regclass)"
                ),
                {"table": table},
            ).scalar_one()
        )


def _due_soon(db: Database, seconds: float = 5.0) -> list[str]:
    """`planner_stats.due`, asked until it names a table (a backend's counts reach the
    statistics within a moment of its end)."""
    deadline = time.monotonic() + seconds
    while True:
        names = db.pooled(planner_stats.due)
        if names or time.monotonic() > deadline:
            return names
        time.sleep(0.1)


@pytest.mark.postgres
def test_a_table_changed_past_the_threshold_is_analyzed_once(db: Database) -> None:
    engine = db.engine
    _done_rows(engine, 40)  # fewer than autovacuum's 50 rows: not yet
    time.sleep(0.5)
    assert db.pooled(planner_stats.due) == []
    _done_rows(engine, 400, first=41)
    assert _due_soon(db) == ["inbox"]
    assert db.pooled(planner_stats.refresh) == ["inbox"]
    assert _analyzed(engine, "inbox") == 1
    assert db.pooled(planner_stats.due) == []  # counted afresh from this ANALYZE
    assert db.pooled(planner_stats.refresh) == []
    assert _analyzed(engine, "inbox") == 1
    _done_rows(engine, 30, first=1000)  # under 50 + 10 % of 440 rows: not again
    time.sleep(0.5)
    assert db.pooled(planner_stats.due) == []


@pytest.mark.postgres
def test_the_inbox_sweep_analyzes_at_most_every_check(db: Database) -> None:
    engine, upkeep = db.engine, Upkeep(db)
    _done_rows(engine, 400)
    assert _due_soon(db) == ["inbox"]
    asyncio.run(upkeep.run(NOW))
    assert _analyzed(engine, "inbox") == 1
    _done_rows(engine, 400, first=401)
    assert _due_soon(db) == ["inbox"]
    asyncio.run(upkeep.run(NOW + planner_stats.CHECK_EVERY / 2))  # checked just now
    assert _analyzed(engine, "inbox") == 1
    asyncio.run(upkeep.run(NOW + planner_stats.CHECK_EVERY))
    assert _analyzed(engine, "inbox") == 2


def test_sqlite_has_nothing_to_analyze(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/beian.db"
    migrate.upgrade(url)
    db = Database(url)
    try:
        assert db.pooled(planner_stats.due) == []
        assert db.pooled(planner_stats.refresh) == []
    finally:
        db.close()


def _generic_plan(engine: sa.Engine) -> str:
    """The plan PostgreSQL keeps for the turn's statement of an update answered first (its
    generic plan: the one a prepared statement runs from its sixth use)."""
    sql = _prepared("advance_stored", postgresql.psycopg.dialect()).sql  # type: ignore[attr-defined]
    names: list[str] = []

    def numbered(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    text = re.sub(r"%\((\w+)\)s", numbered, sql)
    with engine.connect() as conn:
        conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        conn.exec_driver_sql("PREPARE turn AS " + text)
        nulls = ", ".join(["NULL"] * len(names))
        return "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN EXECUTE turn({nulls})"))


@pytest.mark.postgres
def test_with_statistics_the_turn_reads_a_chats_waiting_rows_by_the_partial_index(
    db: Database,
) -> None:
    _done_rows(db.engine, 5000)
    assert _due_soon(db) == ["inbox"]
    db.pooled(planner_stats.refresh)
    plan = _generic_plan(db.engine)
    # The earlier-message check: the chat's waiting rows, not the bot's rows by primary key.
    assert re.search(r"Index (Only )?Scan using ix_inbox_pending on inbox inbox_1\b", plan), plan
    assert "Seq Scan on inbox" not in plan, plan


@pytest.mark.postgres
def test_a_table_the_role_does_not_own_is_left_to_autovacuum(
    db: Database, postgres_schema_url: str
) -> None:
    """No ANALYZE that PostgreSQL would skip (with a warning, every 10 s) and no log line
    saying the statistics were refreshed when they were not."""
    role = f"beian_t_{uuid.uuid4().hex[:8]}"
    schema = re.search(r"search_path%3D(\w+)", postgres_schema_url)
    assert schema is not None
    with db.engine.begin() as conn:
        conn.execute(sa.text(f'CREATE ROLE "{role}" LOGIN'))
        conn.execute(sa.text(f'GRANT USAGE ON SCHEMA "{schema.group(1)}" TO "{role}"'))
        conn.execute(
            sa.text(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema.group(1)}" TO "{role}"')
        )
    url = sa.engine.make_url(postgres_schema_url).set(username=role)
    other = Database(url.render_as_string(hide_password=False))
    try:
        _done_rows(db.engine, 400)
        assert _due_soon(db) == ["inbox"]  # the owner would analyze it
        assert other.pooled(planner_stats.due) == []
        assert other.pooled(planner_stats.refresh) == []
    finally:
        other.close()
        with db.engine.begin() as conn:
            conn.execute(sa.text(f'DROP OWNED BY "{role}"'))
            conn.execute(sa.text(f'DROP ROLE "{role}"'))


@pytest.mark.postgres
def test_a_table_locked_by_a_vacuum_is_left_for_later_without_holding_the_sweep(
    db: Database,
) -> None:
    _done_rows(db.engine, 400)
    assert _due_soon(db) == ["inbox"]
    with db.engine.connect() as vacuum:  # what a VACUUM or another ANALYZE holds
        vacuum.execute(sa.text("LOCK TABLE inbox IN SHARE UPDATE EXCLUSIVE MODE"))
        began = time.monotonic()
        assert db.pooled(planner_stats.refresh) == []
        assert time.monotonic() - began < 2.0  # waited LOCK_WAIT, not for the lock's end
        vacuum.rollback()
    assert _analyzed(db.engine, "inbox") == 0
    assert db.pooled(planner_stats.refresh) == ["inbox"]
    assert _analyzed(db.engine, "inbox") == 1
