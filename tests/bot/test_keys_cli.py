"""The data key from the operator's side (issue 26, item 3): `beian keys show / rotate /
generate`, the key file made 0600 at the first start, and a key that is missing, not a key, the
wrong one, or a value altered in the database: one line and exit 1, never a traceback, never
the key."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot import keys
from models import migrate, sealed
from models.db import make_engine, session_scope
from models.repo import create_filing, get_or_create_applicant
from models.tables import Filing
from rules.enums import Location, SubjectType
from tests.fakes.driver import BEIAN

NOW = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.UTC)
ID_NUMBER = "330106198506120015"
MOBILE = "13800138000"


def _env(tmp_path: Path, **extra: str | None) -> dict[str, str]:
    """`beian`'s environment: the test's database, no BEIAN_DATA_KEY unless given."""
    merged: dict[str, str | None] = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'beian.db'}",
        "BEIAN_DATA_KEY": None,
        **extra,
    }
    return {k: v for k, v in merged.items() if v is not None}


def _beian(tmp_path: Path, *args: str, **env: str | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BEIAN), *args],
        env=_env(tmp_path, **env),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _one_line(done: subprocess.CompletedProcess[str], *fragments: str) -> str:
    assert done.returncode == 1, (done.stdout, done.stderr)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def _a_filing(url: str) -> int:
    """A filing with an ID number and a mobile, sealed with the keyring installed now."""
    migrate.upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as s:
        applicant = get_or_create_applicant(session=s, channel="telegram", external_id="7")
        filing = create_filing(
            session=s,
            filing=Filing(
                applicant_id=applicant.id or 0,
                subject_type=SubjectType.INDIVIDUAL,
                maintenance=Location.LOCAL,
                server=Location.LOCAL,
                route={
                    "steps": [
                        {
                            "order": 1,
                            "where": "local",
                            "bureau": {"zh": "示例市公安局", "en": "PSB"},
                        }
                    ]
                },
                data={"subject": {"id_number": ID_NUMBER, "mobile": MOBILE}},
                site_name="小𠮷的笔记",
            ),
            actor="applicant:1",
            now=NOW,
        )
        found = filing.id or 0
    engine.dispose()
    return found


def test_the_key_file_is_made_0600_at_the_first_start_and_never_shown(tmp_path: Path) -> None:
    done = _beian(tmp_path, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    path = tmp_path / "beian.key"  # beside the SQLite database (its data folder)
    assert keys.file_mode(path) == 0o600
    (key,) = keys.read_file(path)
    kid = sealed.key_id(key)
    written = sealed.encode_key(key)
    assert f"created the data key {kid}" in done.stderr and "back it up" in done.stderr
    assert written not in done.stderr + done.stdout
    text = path.read_text(encoding="utf-8")
    assert "Back it up apart from the database" in text

    again = _beian(tmp_path, "db", "upgrade")
    assert again.returncode == 0 and "created" not in again.stderr
    assert keys.read_file(path) == [key]  # the same key, every start

    shown = _beian(tmp_path, "keys", "show")
    assert shown.returncode == 0, shown.stderr
    assert f"the key file {path} (mode 0600)" in shown.stdout and f"key {kid}" in shown.stdout
    assert written not in shown.stdout + shown.stderr
    as_json = json.loads(_beian(tmp_path, "keys", "show", "--json").stdout)
    assert as_json["source"] == "file" and as_json["keys"][0]["id"] == kid
    assert written not in json.dumps(as_json)

    other = _beian(tmp_path, "keys", "show", BEIAN_KEY_FILE=str(tmp_path / "elsewhere.key"))
    assert other.returncode == 0 and "none yet" in other.stdout
    assert not (tmp_path / "elsewhere.key").exists()  # `show` makes no key


def test_a_key_that_is_missing_empty_not_a_key_or_the_wrong_one_is_one_line(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'beian.db'}"
    _a_filing(url)  # sealed under the tests' key (BEIAN_DATA_KEY of tests/conftest.py)
    theirs = sealed.active().current

    bad = "bm90IGEga2V5"
    line = _one_line(_beian(tmp_path, "filings", "list", BEIAN_DATA_KEY=bad),
                     "BEIAN_DATA_KEY", "not a data key", "9 bytes")  # fmt: skip
    assert bad not in line
    _one_line(_beian(tmp_path, "filings", "list", BEIAN_DATA_KEY="  "), "set but empty")
    _one_line(
        _beian(tmp_path, "filings", "show", "1"),
        "no data key",
        f"sealed under key {theirs}",
        "BEIAN_DATA_KEY is not set",
    )
    assert not (tmp_path / "beian.key").exists()  # no key made up for sealed data
    wrong = sealed.encode_key(sealed.new_key())
    _one_line(
        _beian(tmp_path, "filings", "show", "1", BEIAN_DATA_KEY=wrong),
        f"sealed under key {theirs}",
        "which BEIAN_DATA_KEY does not hold",
    )
    right = os.environ["BEIAN_DATA_KEY"]
    shown = _beian(tmp_path, "filings", "show", "1", "--json", BEIAN_DATA_KEY=right)
    assert shown.returncode == 0, shown.stderr
    answers = json.loads(shown.stdout)["answers"]  # the operator's view opens the answers
    assert answers["subject"]["id_number"] == ID_NUMBER


def test_the_bot_and_the_chat_do_not_start_with_a_bad_key(tmp_path: Path) -> None:
    for args in (["serve"], ["chat", "--as", "x"]):
        done = subprocess.run(
            [str(BEIAN), *args],
            env=_env(
                tmp_path,
                BEIAN_DATA_KEY="short",
                TELEGRAM_BOT_TOKEN="123456789:TESTtokenForTheLocalFakeBotApiServer0",
                TELEGRAM_API_BASE_URL="http://127.0.0.1:9",
            ),
            cwd=tmp_path,
            input="",
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "BEIAN_DATA_KEY: the key is not a data key" in lines[0], (
            args,
            done.stderr,
        )


def test_an_altered_value_is_one_line_from_the_cli(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'beian.db'}"
    filing_id = _a_filing(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        envelope = json.loads(conn.execute(sa.text("SELECT data FROM filing")).scalar_one())
        v = envelope["v"]
        envelope["v"] = v[:10] + ("A" if v[10] != "A" else "B") + v[11:]
        conn.execute(sa.text("UPDATE filing SET data = :d"), {"d": json.dumps(envelope)})
    engine.dispose()
    right = os.environ["BEIAN_DATA_KEY"]
    _one_line(
        _beian(tmp_path, "filings", "show", str(filing_id), BEIAN_DATA_KEY=right),
        "beian: filing.data: a value sealed under key",
        "it was altered",
    )


def test_keys_rotate_from_the_command_line(tmp_path: Path) -> None:
    assert _beian(tmp_path, "db", "upgrade").returncode == 0
    path = tmp_path / "beian.key"
    (old,) = keys.read_file(path)
    sealed.install(sealed.Keyring([old]))
    filing_id = _a_filing(f"sqlite:///{tmp_path / 'beian.db'}")

    done = _beian(tmp_path, "keys", "rotate")
    assert done.returncode == 0, done.stderr
    (new,) = keys.read_file(path)
    assert new != old and keys.file_mode(path) == 0o600
    out = done.stdout
    assert f"new key {sealed.key_id(new)} written to {path}" in out
    assert f"key {sealed.key_id(old)} removed from {path}" in out
    assert "back the key file up now" in out and "VACUUM" in out
    assert sealed.encode_key(new) not in out + done.stderr
    assert sealed.encode_key(old) not in out + done.stderr

    shown = json.loads(_beian(tmp_path, "keys", "show", "--json").stdout)
    assert [(k["id"], k["seals"]) for k in shown["keys"]] == [(sealed.key_id(new), True)]
    assert shown["keys"][0]["values"] >= 3 and shown["unknown_keys"] == {}
    answers = json.loads(_beian(tmp_path, "filings", "show", str(filing_id), "--json").stdout)
    assert answers["answers"]["subject"]["mobile"] == MOBILE

    # BEIAN_DATA_KEY: one key, everything under it: nothing to rotate, said so.
    only = sealed.encode_key(new)
    _one_line(_beian(tmp_path, "keys", "rotate", BEIAN_DATA_KEY=only), "nothing to rotate")
    # NEW,OLD: everything sealed under NEW, the operator told to drop OLD.
    newer = sealed.new_key()
    both = f"{sealed.encode_key(newer)},{only}"
    done = _beian(tmp_path, "keys", "rotate", BEIAN_DATA_KEY=both)
    assert done.returncode == 0, done.stderr
    assert f"remove {sealed.key_id(new)} from BEIAN_DATA_KEY" in done.stdout
    assert keys.read_file(path) == [new]  # the key file is not BEIAN_DATA_KEY's business


def test_keys_generate_prints_a_new_key_each_time(tmp_path: Path) -> None:
    first = _beian(tmp_path, "keys", "generate").stdout.strip()
    second = _beian(tmp_path, "keys", "generate").stdout.strip()
    assert first != second
    assert len(sealed.parse_keys(first, origin="x")[0]) == 32


@pytest.mark.parametrize(
    "line",
    [
        "BEIAN_DATA_KEY=dGVzdHMtb25seSBkYXRhIGtleSwgMzIgYnl0ZXMhISE=",
        "key dGVzdHMtb25seSBkYXRhIGtleSwgMzIgYnl0ZXMhISE in a traceback",
    ],
)
def test_a_key_never_reaches_the_log(line: str) -> None:
    from bot.logs import mask

    assert "<key>" in mask(line) and "dGVzdHMtb25seS" not in mask(line)
