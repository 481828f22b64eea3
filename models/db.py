"""Engine and session set-up: SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

import contextlib
import errno
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.sql.compiler import SQLCompiler
from sqlmodel import Session

DEFAULT_DATABASE_URL = "sqlite:///data/beian.db"
T = TypeVar("T")
_PG_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE (psycopg is imported only for PostgreSQL)


def normalize_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


# How long a new connection to a fresh SQLite file keeps trying to switch it to WAL while
# another connection holds it (seconds): SQLite answers a journal-mode change that meets a
# lock with "database is locked" at once, without its busy handler (instances starting at
# the same moment on a new file, issue 26's key test in CI).
WAL_SWITCH_WAIT = 5.0


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=5000")
    _switch_to_wal(cursor)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _switch_to_wal(cursor: Any) -> None:
    """Put the database in WAL mode (kept in the file: once done, every later connection
    only reads it), retrying while another connection's lock refuses the switch."""
    import sqlite3

    deadline = time.monotonic() + WAL_SWITCH_WAIT
    pause = 0.005
    while True:
        try:
            mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() in {"wal", "memory"}:
                return
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def _private_file(path: Path) -> None:
    """Make the database's folder (0700) and keep its files readable by their owner only.
    Only regular files are touched: a URL naming a folder or a device (/dev/zero) is refused
    (OSError, one line), never chmod-ed."""
    if (path.exists() or path.is_symlink()) and not path.is_file():
        raise OSError(errno.EINVAL, "not a database file (a folder, a device or a FIFO)", str(path))
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        # The WAL and shared-memory files come and go with another process's connections:
        # one removed between the look and the chmod is no error (SQLite makes them anew
        # with the database file's mode).
        with contextlib.suppress(FileNotFoundError):
            if name.is_file() and (name == path or not name.is_symlink()):
                name.chmod(0o600)


def make_engine(url: str = DEFAULT_DATABASE_URL, **kwargs: Any) -> sa.Engine:
    """Build an engine; for SQLite, create the file's folder and set per-connection pragmas."""
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _private_file(Path(parsed.database))
        engine = sa.create_engine(url, **kwargs)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = sa.create_engine(url, **kwargs)
    sa.event.listen(engine, "checkin", _checked_in)
    sa.event.listen(engine, "checkout", _ping_if_idle)
    return engine


# A pooled connection is pinged at checkout only when it sat unused this long (seconds): a
# server restart or an idle timeout while the bot was quiet is found before the work starts,
# and a busy bot pays no round trip per checkout (`pool_pre_ping` pinged every time: issue
# 16). A connection lost while in use fails its work once; `Database` and SQLAlchemy discard
# it and the pool, and the work runs again or its inbox row is retried.
IDLE_PING_AFTER = 10.0


def _checked_in(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    since = record.info.get("idle_since")
    if since is None or time.monotonic() - since < IDLE_PING_AFTER:
        return
    try:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
        dbapi_connection.rollback()
    except Exception as exc:  # the pool opens a new connection and tries again
        raise sa.exc.DisconnectionError(f"idle connection lost: {exc}") from exc


class Prepared:
    """A Core statement compiled once for one dialect, run with `exec_driver_sql`.

    For the few statements of the interview's hot path: per execution SQLAlchemy spends more
    time on a statement (cache key, parameter and result set-up) than SQLite spends running
    it. The parameters still go through each column type's own bind processor (JSON, UTC
    datetimes, enums), so the rows written are the ones the ORM would write.
    """

    def __init__(self, statement: sa.ClauseElement, dialect: sa.Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        self.sql = compiled.string
        required = {bind.key: None for bind in compiled.binds.values() if bind.required}
        defaults: dict[str, Any] = dict(compiled.construct_params(required) or {})
        processors: dict[str, Callable[[Any], Any]] = {}
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None and name in defaults:
                processors[name] = processor
        # Literal values (a status, a `+ 1`) are processed once here; values given per call
        # are processed on each call.
        self._fixed = {
            name: processors[name](value) if name in processors else value
            for name, value in defaults.items()
            if name not in required
        }
        self._processors = processors
        self._order = tuple(compiled.positiontup or ()) if compiled.positional else None
        # What a SELECT or RETURNING gives back, through each column type (JSON, enums…).
        returned = getattr(statement, "selected_columns", None)
        if returned is None and getattr(statement, "_returning", None):
            returned = statement.exported_columns  # type: ignore[attr-defined]
        self._results = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in (returned or ())
        ]

    def params(self, values: dict[str, Any]) -> Any:
        """Return the DBAPI parameters for `values`, each processed by its column's type."""
        processors = self._processors
        merged = dict(self._fixed)
        for name, value in values.items():
            processor = processors.get(name)
            merged[name] = value if processor is None else processor(value)
        if self._order is None:
            return merged
        return tuple([merged[name] for name in self._order])

    def run(self, cursor: Any, values: dict[str, Any]) -> int:
        """Run the statement on a DBAPI cursor with `values`; return the rows it touched."""
        cursor.execute(self.sql, self.params(values))
        return int(cursor.rowcount)

    def fetch(self, cursor: Any, values: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Run a SELECT (or a statement with RETURNING); return its rows, values typed."""
        cursor.execute(self.sql, self.params(values))
        processors = self._results
        return [
            tuple(
                value if proc is None or value is None else proc(value)
                for proc, value in zip(processors, row, strict=True)
            )
            for row in cursor.fetchall()
        ]


class Statements:
    """Named statements, each built for a dialect and compiled (`Prepared`) on first use."""

    def __init__(self, builders: dict[str, Callable[[str], Any]]) -> None:
        self._builders = builders
        self._compiled: dict[tuple[str, str], Prepared] = {}

    def __call__(self, name: str, dialect: sa.Dialect) -> Prepared:
        """Return the statement `name` compiled for `dialect`."""
        key = (name, dialect.name)
        found = self._compiled.get(key)
        if found is None:
            found = self._compiled[key] = Prepared(self._builders[name](dialect.name), dialect)
        return found


class Raw:
    """A DBAPI connection and its dialect, for prepared statements on the hot path.

    Statements run in the DBAPI's own transaction (begun implicitly by the first write), which
    `commit` or `rollback` ends; errors are the DBAPI's own, not SQLAlchemy's wrappers.
    """

    def __init__(
        self, conn: sa.Connection, *, one_trip: bool = True, turn_commit: str = "off"
    ) -> None:
        self.dialect = conn.dialect
        self.one_trip = one_trip  # False: `read`/`write_one` as before issue 16 (benches)
        # PostgreSQL's `synchronous_commit` for an interview turn's one statement
        # (`models.fast_store`); "on" as before (benches). Every other commit is synced.
        self.turn_commit = turn_commit
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        self._dbapi = dbapi
        self.dbapi: Any = dbapi
        self._cursor = dbapi.cursor()
        self.errors: Any = conn.dialect.loaded_dbapi
        self._after_commit: list[Callable[[], None]] = []

    def run(self, prepared: Prepared, values: dict[str, Any]) -> int:
        """Run `prepared` with `values`; return the rows it touched."""
        return prepared.run(self._cursor, values)

    def fetch(self, prepared: Prepared, values: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Run `prepared` with `values`; return its rows."""
        return prepared.fetch(self._cursor, values)

    def _idle_postgresql(self) -> bool:
        """True on PostgreSQL outside a transaction: one statement may then run on its own
        (autocommit), without the BEGIN and COMMIT/ROLLBACK round trips psycopg adds."""
        if not self.one_trip or self.dialect.name != "postgresql":
            return False
        info = getattr(self._dbapi, "info", None)
        return info is not None and info.transaction_status == _PG_IDLE

    def _alone(self, call: Callable[[], T], end: Callable[[], None]) -> T:
        """Run one statement on its own: in autocommit on idle PostgreSQL (one round trip:
        psycopg would add a BEGIN and a COMMIT or ROLLBACK), else then `end` the transaction."""
        if not self._idle_postgresql():
            result = call()
            end()
            return result
        self._dbapi.autocommit = True
        try:
            return call()
        finally:
            with contextlib.suppress(Exception):  # a lost connection is the caller's error
                self._dbapi.autocommit = False

    def read(self, prepared: Prepared, values: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Run a SELECT and end its transaction (one round trip on PostgreSQL; three before)."""
        return self._alone(lambda: prepared.fetch(self._cursor, values), self.rollback)

    def write_one(self, prepared: Prepared, values: dict[str, Any]) -> int:
        """Run one statement and commit it; return the rows it touched."""
        return self._alone(lambda: prepared.run(self._cursor, values), self.commit)

    def fetch_one(self, prepared: Prepared, values: dict[str, Any]) -> list[tuple[Any, ...]]:
        """Run one statement with RETURNING (or a SELECT around data-modifying CTEs) and commit
        it; return its rows."""
        return self._alone(lambda: prepared.fetch(self._cursor, values), self.commit)

    def after_commit(self, call: Callable[[], None]) -> None:
        """Call `call` once the transaction commits (never if it is rolled back)."""
        self._after_commit.append(call)

    def commit(self) -> None:
        """Commit the transaction."""
        self._dbapi.commit()
        if self._after_commit:
            calls, self._after_commit = self._after_commit, []
            for call in calls:
                call()

    def rollback(self) -> None:
        """Roll the transaction back."""
        self._after_commit.clear()
        self._dbapi.rollback()


@contextmanager
def session_scope(engine: sa.Engine) -> Iterator[Session]:
    """Open a session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
