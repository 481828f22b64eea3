"""PostgreSQL's planner statistics for the hot path's tables, kept by beian itself.

The steps look a chat's waiting messages up in partial indexes (`ix_inbox_pending`,
`ix_inbox_unsent`): a handful of rows, whatever the inbox's size. PostgreSQL plans a prepared
statement once for good (its generic plan, from the sixth run) with what it knows of the tables
then. Before a table's first ANALYZE it knows nothing, and the primary key (bot_id, update_id)
costs the same as the partial index for a table of a few rows: the plan it kept read every
done row of the bot, at every step (0.4 ms at 1,400 rows, growing until the purge; bench
`bench_pg_step`, 2026-12-06). Autovacuum analyzes a table once 50 rows and 10 % of it changed,
but only where it runs: it is off on the CI's server, and some operators turn it off.

So the inbox's sweep asks PostgreSQL, at most every CHECK_EVERY, which of TABLES changed that
much since their last ANALYZE (autovacuum's default rule: 50 rows and 10 %, not the server's
own settings) and analyzes those. Where autovacuum runs, beian mostly gets there first (it
looks every 10 s, autovacuum every minute): one ANALYZE per threshold either way. A fresh
ANALYZE makes every connection plan its prepared statements again, now with the row counts
and the partial indexes' sizes. ANALYZE reads a sample (30,000 rows at most) and blocks no
reader or writer; it waits at most LOCK_WAIT for a VACUUM or another ANALYZE of the table
(then it is left for later), and a table whose owner's rights the role does not have is left
to autovacuum (PostgreSQL would skip it with a warning).
SQLite: nothing (its planner prefers the index with more equality terms without statistics).
"""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa

from models.db import Prepared, Raw

log = logging.getLogger(__name__)

# The tables the steps and the sweeps read by partial index or by key, as they grow.
TABLES = ("inbox", "chat_claim", "outbox", "applicant", "interview")
CHECK_EVERY = dt.timedelta(seconds=10)
LOCK_WAIT = "50ms"  # the longest an ANALYZE waits for its table (the sweep waits for it)
# autovacuum_analyze_threshold and autovacuum_analyze_scale_factor's defaults.
BASE_ROWS, SHARE = 50, 0.1

_DUE = sa.text(
    "SELECT c.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
    "WHERE s.relid = ANY(CAST(:tables AS regclass[])) AND pg_has_role(c.relowner, 'USAGE') "
    "AND s.n_mod_since_analyze > :base + :share * GREATEST(c.reltuples, 0) ORDER BY c.relname"
).columns(relname=sa.String)
_VALUES = {"tables": list(TABLES), "base": BASE_ROWS, "share": SHARE}
_prepared: list[Prepared] = []


def due(raw: Raw) -> list[str]:
    """Return the TABLES that changed enough since their last ANALYZE (PostgreSQL; [] else)."""
    if raw.dialect.name != "postgresql":
        return []
    if not _prepared:
        _prepared.append(Prepared(_DUE, raw.dialect))
    return [str(row[0]) for row in raw.read(_prepared[0], _VALUES)]


def refresh(raw: Raw) -> list[str]:
    """ANALYZE the TABLES that are `due`, each in a transaction of its own, waiting at most
    LOCK_WAIT for the table (a VACUUM, another instance's ANALYZE: it is left to them, and
    the sweep is not held up); return the names of those analyzed."""
    analyzed = []
    for name in due(raw):
        assert name in TABLES
        try:
            with raw.dbapi.cursor() as cursor:  # utility statements: never prepared
                cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'", prepare=False)
                cursor.execute(f'ANALYZE "{name}"', prepare=False)
            raw.commit()
        except raw.errors.OperationalError as exc:  # the lock not had in time
            raw.rollback()
            log.debug("planner statistics of %s left for later: %s", name, exc)
            continue
        analyzed.append(name)
    if analyzed:
        log.debug("planner statistics refreshed: %s", ", ".join(analyzed))
    return analyzed


class Keeper:
    """Refreshes the statistics at most every CHECK_EVERY, off the event loop (an ANALYZE of
    a large table takes tens of milliseconds)."""

    def __init__(self) -> None:
        self._checked_at: dt.datetime | None = None

    def is_due(self, now: dt.datetime) -> bool:
        """True when the last check is CHECK_EVERY old (then it counts as done now)."""
        if self._checked_at is not None and now - self._checked_at < CHECK_EVERY:
            return False
        self._checked_at = now
        return True
