"""Alembic, driven from code: `beian db upgrade` and the tests use these."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from models import sealed
from models.db import make_engine, normalize_url

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x62656961  # "beia": the advisory lock instances migrate under (PostgreSQL)


def alembic_config(url: str) -> Config:
    """Return an Alembic config for the database at `url`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


@lru_cache(maxsize=1)
def head_revision() -> str:
    """Return the newest migration's id, read from the migration files (no Alembic import)."""
    revisions: dict[str, str | None] = {}
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        found = re.search(r"^revision: str = '([^']+)'", text, re.M)
        down = re.search(r"^down_revision:.*?= (?:'([^']+)'|None)", text, re.M)
        if found:
            revisions[found.group(1)] = down.group(1) if down else None
    parents = {down for down in revisions.values() if down}
    heads = [rev for rev in revisions if rev not in parents]
    assert len(heads) == 1, f"migrations must have one head, found {heads}"
    return heads[0]


def current_revision(url: str) -> str | None:
    """Return the revision the database at `url` is at (None when it has no schema yet)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return None
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    finally:
        engine.dispose()


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` up to `revision` (nothing to do at the head is a read,
    not a 0.5 s import of Alembic: every `beian serve` and `beian chat` starts with this)."""
    if revision == "head" and current_revision(url) == head_revision():
        return
    from alembic import command

    if make_url(normalize_url(url)).get_backend_name() != "postgresql":
        command.upgrade(alembic_config(url), revision)  # SQLite: the file's own write lock
        return
    # Several instances may start at once: one migrates, the others wait, then find the head.
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
            try:
                command.upgrade(alembic_config(url), revision)
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")
    finally:
        engine.dispose()


_CHILD = """
import os, sys
from models import sealed
from models.migrate import upgrade
given = sys.stdin.read()
if given:
    sealed.install(sealed.Keyring(sealed.parse_keys(given, origin="keys"), origin="keys"))
upgrade(os.environ["BEIAN_MIGRATE_URL"])
"""


def upgrade_apart(url: str, keyring: sealed.Keyring | None = None) -> None:
    """Migrate the database at `url` to the head in a child process, so that a long-running
    process (`beian serve`) never holds Alembic, Mako and Pygments (~10 MB it would keep for
    nothing); at the head this is the same read as `upgrade`'s. The child gets the data keys
    on its standard input (a migration may seal rows: not in its environment, not in argv).
    The child's errors go to stderr, and a failure is raised here."""
    if current_revision(url) == head_revision():
        return
    env = {**os.environ, "BEIAN_MIGRATE_URL": url}  # not argv: `ps` would show a password
    keys = keyring.written() if keyring is not None else ""
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _CHILD], env=env, input=keys, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"migrating {display_url(url)} failed (exit {done.returncode})")


def downgrade(url: str, revision: str = "base") -> None:
    """Migrate the database at `url` down to `revision`."""
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def display_url(url: str) -> str:
    """Return `url` with any password hidden, for messages."""
    return make_url(normalize_url(url)).render_as_string(hide_password=True)
