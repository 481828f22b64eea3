"""Where the hot path's statements run, and what happens when the database goes away.

On PostgreSQL the loop's connection never waits (a row lock sends the work to a worker thread)
and a lost connection — here killed by `pg_terminate_backend`, as a server restart would — is
replaced and the work run again, on the loop's connection and on pooled ones alike.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import models.db
from bot.settings import Settings
from bot.tg.app import database_of
from models.database import Database
from models.db import Prepared, Raw, make_engine, session_scope


@pytest.fixture
def named_url(postgres_schema_url: str) -> tuple[str, str]:
    """A URL whose connections carry a name of their own (to kill just those), with a table."""
    name = f"beian_kill_{uuid.uuid4().hex[:8]}"
    url = f"{postgres_schema_url}&application_name={name}"
    setup = make_engine(postgres_schema_url)
    with setup.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (id integer PRIMARY KEY, n integer NOT NULL)"))
        conn.execute(sa.text("INSERT INTO t VALUES (1, 0)"))
    setup.dispose()
    return url, name


def _kill(url: str, name: str) -> int:
    """Terminate every connection named `name`; return how many."""
    admin = make_engine(url.replace(f"application_name={name}", "application_name=admin"))
    with admin.begin() as conn:
        killed = conn.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
                "WHERE application_name = :name"
            ),
            {"name": name},
        ).scalar_one()
    admin.dispose()
    return int(killed)


def _bump(raw: Raw) -> int:
    cursor = raw.dbapi.cursor()
    cursor.execute("UPDATE t SET n = n + 1 WHERE id = 1 RETURNING n")
    (n,) = cursor.fetchone()
    cursor.close()
    raw.commit()
    return int(n)


@pytest.mark.postgres
def test_a_lost_loop_connection_is_replaced_and_the_work_done(
    named_url: tuple[str, str],
) -> None:
    url, name = named_url
    db = Database(url)
    assert db.inline  # the hot path runs on the loop on PostgreSQL too

    async def main() -> list[int]:
        first = await db.run(_bump)
        assert _kill(url, name) >= 1
        return [first, await db.run(_bump), await db.run(_bump)]

    try:
        assert asyncio.run(main()) == [1, 2, 3]  # nothing lost, nothing done twice
        assert db.counts["reconnects"] == 1
    finally:
        db.close()


@pytest.mark.postgres
def test_a_lost_pooled_connection_is_replaced_and_the_work_done(
    named_url: tuple[str, str],
) -> None:
    url, name = named_url
    db = Database(url, inline=False)
    try:
        assert db.pooled(_bump) == 1
        assert _kill(url, name) >= 1
        assert db.pooled(_bump) == 2
        assert db.counts["reconnects"] == 1
    finally:
        db.close()


@pytest.mark.postgres
def test_a_row_lock_sends_the_loops_work_to_a_thread_and_the_loop_runs_on(
    named_url: tuple[str, str],
) -> None:
    url, _ = named_url
    db = Database(url)
    holder = make_engine(url).connect()
    holder.execute(sa.text("SELECT n FROM t WHERE id = 1 FOR UPDATE"))  # held until commit
    ticks: list[float] = []

    async def main() -> int:
        await db.run(lambda raw: raw.rollback())  # the loop's connection is open and set

        async def ticker() -> None:
            for _ in range(10):
                ticks.append(asyncio.get_running_loop().time())
                await asyncio.sleep(0.02)

        release = threading.Timer(0.3, holder.commit)
        release.start()
        bumped, _ = await asyncio.gather(db.run(_bump), ticker())
        release.join()
        return bumped

    try:
        assert asyncio.run(main()) == 1
        assert db.counts["busy"] == 1  # failed at once on the loop, then waited in a thread
        assert len(ticks) == 10 and ticks[-1] - ticks[0] < 0.3 + 0.2  # the loop was free
    finally:
        holder.close()
        db.close()


def _count(engine: sa.Engine) -> Any:
    with session_scope(engine) as session:
        return session.execute(sa.text("SELECT count(*) FROM t")).scalar_one()


@pytest.mark.postgres
def test_an_idle_pooled_connection_is_pinged_before_use(
    named_url: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, name = named_url
    engine = make_engine(url, pool_size=1)
    try:
        assert _count(engine) == 1  # the pool holds one connection now
        monkeypatch.setattr(models.db, "IDLE_PING_AFTER", 1e9)  # never idle long enough
        assert _kill(url, name) == 1
        with pytest.raises(sa.exc.OperationalError):
            _count(engine)  # not pinged: the dead connection fails the work
        assert _count(engine) == 1  # SQLAlchemy threw it away: the next one is new
        monkeypatch.setattr(models.db, "IDLE_PING_AFTER", 0.0)  # every checkout is "idle"
        assert _kill(url, name) == 1
        assert _count(engine) == 1  # pinged at checkout, replaced before the work
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_one_trip_statements_commit_alone_and_leave_later_work_transactional(
    named_url: tuple[str, str],
) -> None:
    """`Raw.write_one` commits its statement without a transaction of its own, `Raw.read` ends
    with none open; the work after them is a transaction again (its rollback undoes it)."""
    url, _ = named_url
    engine = make_engine(url)
    insert = Prepared(sa.text("INSERT INTO t VALUES (:id, 0)"), engine.dialect)
    count = Prepared(sa.select(sa.func.count()).select_from(sa.table("t")), engine.dialect)
    try:
        with engine.connect() as conn:
            raw = Raw(conn)
            assert raw.write_one(insert, {"id": 2}) == 1
            assert raw.read(count, {}) == [(2,)]
            assert raw.dbapi.info.transaction_status == 0  # idle: nothing left open
            assert raw.dbapi.autocommit is False
            raw.run(insert, {"id": 3})
            raw.run(insert, {"id": 4})
            raw.rollback()
        assert _count(engine) == 2  # 2 committed alone; 3 and 4 rolled back together
    finally:
        engine.dispose()


def test_beian_db_inline_chooses_where_the_hot_path_runs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    chosen = {
        mode: database_of(Settings(database_url=url, beian_db_inline=mode))
        for mode in ("auto", "on", "off")
    }
    try:
        assert {mode: db.inline for mode, db in chosen.items()} == {
            "auto": True,
            "on": True,
            "off": False,
        }
    finally:
        for db in chosen.values():
            db.close()


def test_a_wal_file_gone_while_the_engine_is_made_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process's last connection removes the -wal and -shm files when it closes: one
    gone between the look and the chmod made `make_engine` raise (FileNotFoundError, seen
    when instances started at once). The files that are there are still made the owner's."""
    path = tmp_path / "data" / "beian.db"
    first = make_engine(f"sqlite:///{path}")
    with first.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
    first.dispose()  # the last connection: -wal and -shm removed
    path.chmod(0o644)
    real_is_file = Path.is_file

    def looks_there(self: Path) -> bool:
        return self.name.endswith(("-wal", "-shm")) or real_is_file(self)

    monkeypatch.setattr(Path, "is_file", looks_there)  # seen there, gone by the chmod
    engine = make_engine(f"sqlite:///{path}")
    engine.dispose()
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("where", ["folder", "fifo"])
def test_a_database_url_naming_a_folder_or_a_device_is_refused_and_left_as_it_was(
    tmp_path: Path, where: str
) -> None:
    """`DATABASE_URL=sqlite:////dev/zero` chmod-ed the device to 0600 (as root, for every
    user) and a folder to 0600 (no longer enterable) before failing with a traceback. (A
    FIFO stands for the device here: a test that chmod-ed /dev/zero when failing would break
    the machine it runs on.)"""
    import os
    import stat

    path = tmp_path / f"{where}.db"
    if where == "folder":
        path.mkdir(mode=0o755)
    else:
        os.mkfifo(path, 0o644)
    before = stat.S_IMODE(path.stat().st_mode)
    with pytest.raises(OSError, match="not a database file"):
        make_engine(f"sqlite:///{path}")
    assert stat.S_IMODE(path.stat().st_mode) == before
