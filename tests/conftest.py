"""Shared fixtures: the example pack, a calendar, and migrated databases (SQLite, PostgreSQL)."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from models import migrate, sealed
from models.db import make_engine, normalize_url
from rules.pack import Pack, load_pack
from rules.workdays import WorkdayCalendar

# The data key of the whole run (issue 26): this process seals with it, and every `beian` a test
# starts inherits it (a test of the key file or of a missing key takes it out of its process's
# environment itself).
TEST_DATA_KEY = "dGVzdHMtb25seSBkYXRhIGtleSwgMzIgYnl0ZXMhISE="
os.environ["BEIAN_DATA_KEY"] = TEST_DATA_KEY
TEST_KEYRING = sealed.Keyring(
    sealed.parse_keys(TEST_DATA_KEY, origin="tests"), origin="BEIAN_DATA_KEY"
)
sealed.install(TEST_KEYRING)


@pytest.fixture(autouse=True)
def _test_keyring() -> Iterator[None]:
    """Each test starts with the run's keyring installed, whatever the test before installed."""
    sealed.install(TEST_KEYRING)
    yield
    sealed.install(TEST_KEYRING)


@pytest.fixture(autouse=True)
def _bot_api_refusals() -> Iterator[None]:
    """Fail a test whose bot got a call refused by the local Bot API server (a text too long,
    a button's data too big, an edit of nothing…) unless the test provoked it on purpose."""
    module = sys.modules.get("tests.fakes.bot_api")
    before = len(module.FakeBotAPI.started) if module is not None else 0
    yield
    module = sys.modules.get("tests.fakes.bot_api")
    if module is None:
        return
    servers = module.FakeBotAPI.started[before:]
    del module.FakeBotAPI.started[before:]
    refused = [found for server in servers for found in server.unexpected_refusals()]
    assert not refused, f"the Bot API refused: {refused}"


@pytest.fixture(scope="session")
def pack() -> Pack:
    return load_pack("example")


@pytest.fixture(scope="session")
def cal(pack: Pack) -> WorkdayCalendar:
    return WorkdayCalendar(pack.calendar)


def _postgres_url_or_skip() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    if os.environ.get("BEIAN_REQUIRE_POSTGRES") == "1":
        pytest.fail("BEIAN_REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
    pytest.skip("PostgreSQL tests need TEST_DATABASE_URL (CI sets it)")


@pytest.fixture
def postgres_schema_url() -> Iterator[str]:
    """Yield a URL whose search_path is a fresh, empty schema; drop the schema afterwards."""
    base = normalize_url(_postgres_url_or_skip())
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Yield the URL of an empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'beian.db'}"
    return str(request.getfixturevalue("postgres_schema_url"))


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    """Yield an engine on a database migrated to head."""
    migrate.upgrade(db_url)
    eng = make_engine(db_url)
    yield eng
    eng.dispose()
