"""A stolen database reveals no one (issue 26, item 3): a whole applicant's run through `beian
serve` — the individual persona's interview, the documents, the reviewer's return, the
resubmission, both reviews and the certificate — then the database's raw bytes (SQLite: the
file, its WAL and shared memory after a kill -9; PostgreSQL: every row of every table as text)
hold none of the persona's ID numbers, mobiles, e-mail address or names, in any common
encoding. The operator's views open them. And an altered value in the database costs the
applicant an apology and the log one line, not a traceback."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot import keys
from models import sealed
from models.db import make_engine
from tests.bot.test_filing_life_e2e import _interview, _newest, _press, _wait_text
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.driver import BEIAN, TOKEN, BotProcess

APPLICANT, REVIEWER = 8201, 9201
# The individual persona (tests/dialogs/transcripts.py INDIVIDUAL) and the contact they name.
SECRETS = (
    "330106198506120015",  # their ID number
    "13800138000",  # their mobile
    "xiaoji@example.cn",  # their e-mail address
    "林小𠮷",  # their name
    "330102199001010020",  # the emergency contact's ID number
    "13900139000",  # the emergency contact's mobile
    "林大𠮷",  # the emergency contact's name
    "示例市示例区㵘水街3号2单元501室",  # their home address
)


def forms(text: str) -> list[bytes]:
    """`text` as a file may hold it: UTF-8, JSON's \\u escapes, UTF-16 both ways, GB18030."""
    escaped = json.dumps(text).strip('"')
    return [
        text.encode(),
        escaped.encode(),
        escaped.lower().encode(),
        text.encode("utf-16-le"),
        text.encode("utf-16-be"),
        text.encode("gb18030"),
    ]


def revealed(blob: bytes) -> list[str]:
    """Return the secrets `blob` holds in any of their forms."""
    return [s for s in SECRETS if any(form in blob for form in forms(s))]


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    server = FakeBotAPI(TOKEN).start()
    yield server
    server.stop()


def _a_whole_run(fake: FakeBotAPI) -> None:
    """The persona's interview and the filing's life to its certificate."""
    _interview(fake, APPLICANT)
    _press(fake, APPLICANT, APPLICANT, "已在备案系统提交")
    _wait_text(fake, REVIEWER, "【已在备案系统提交】")
    _press(fake, REVIEWER, REVIEWER, "退回整改")
    _press(fake, REVIEWER, REVIEWER, "网站名称与ICP备案不一致")
    _wait_text(fake, APPLICANT, "退回整改，原因：网站名称与ICP备案不一致")
    _press(fake, APPLICANT, APPLICANT, "整改后重新提交")
    _wait_text(fake, REVIEWER, "【整改后重新提交】")
    _press(fake, REVIEWER, REVIEWER, "初审通过")
    _wait_text(fake, APPLICANT, "（含当日）携带盖章（签字）材料")
    _press(fake, REVIEWER, REVIEWER, "收到材料")
    _wait_text(fake, APPLICANT, "收到材料，应最迟于")
    _press(fake, REVIEWER, REVIEWER, "复审通过")
    prompt = _wait_text(fake, REVIEWER, "请回复公安备案号")
    fake.push(fake.text_update(REVIEWER, "京公网安备11010502030143号 SL-2026-001", reply_to=prompt))
    _wait_text(fake, APPLICANT, "公安备案号：京公网安备11010502030143号")
    # What arrived in the chat held the numbers in full (the documents, the summary): the run
    # did carry them through the database.
    assert fake.calls_of("sendDocument", APPLICANT)


def _beian(workdir: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BEIAN), *args], env=env, cwd=workdir, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _operators_views_open_it(workdir: Path, env: dict[str, str]) -> None:
    shown = json.loads(_beian(workdir, env, "filings", "show", "1", "--json"))
    assert shown["status"] == "certified"
    answers = json.dumps(shown["answers"], ensure_ascii=False)
    assert SECRETS[0] in answers and SECRETS[1] in answers and SECRETS[2] in answers
    assert shown["events"][2]["reason"] == "网站名称与ICP备案不一致"
    out = workdir / "export"
    _beian(workdir, env, "filings", "export", "1", "--out", str(out))
    pdfs = sorted(out.glob("*.pdf"))
    assert pdfs and all(p.read_bytes().startswith(b"%PDF") for p in pdfs)
    assert SECRETS[0] in (out / "filing-1.json").read_text(encoding="utf-8")


def test_the_sqlite_file_and_its_wal_hold_no_one_after_a_whole_run(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    # The key from the key file made at the first start (BEIAN_DATA_KEY unset).
    bot = BotProcess(
        fake, tmp_path, env={"BEIAN_REVIEWERS": str(REVIEWER), "BEIAN_DATA_KEY": None}
    ).start()
    try:
        _a_whole_run(fake)
    finally:
        bot.kill()  # no shutdown: the WAL stays as it was, uncheckpointed
    files = {p.name: p.read_bytes() for p in tmp_path.glob("bot.db*")}
    assert {"bot.db", "bot.db-wal"} <= set(files) and len(files["bot.db-wal"]) > 0
    for name, blob in files.items():
        assert revealed(blob) == [], f"{name} holds {revealed(blob)}"
    key_file = tmp_path / "beian.key"
    assert keys.file_mode(key_file) == 0o600
    (key,) = keys.read_file(key_file)
    log = bot.output()
    assert sealed.encode_key(key) not in log and sealed.encode_key(key)[:20] not in log
    assert f"created the data key {sealed.key_id(key)}" in log
    env = {k: v for k, v in bot.env().items() if k != "BEIAN_DATA_KEY"}
    _operators_views_open_it(tmp_path, env)
    with sqlite3.connect(tmp_path / "bot.db") as db:  # processed updates: their ids only
        rows = db.execute("SELECT done_at IS NOT NULL, payload FROM inbox").fetchall()
    assert sum(done for done, _ in rows) > 30
    for done, payload in rows:  # one killed in its turn, if any, waits sealed
        assert payload == "{}" if done else payload.startswith('{"k":"'), (done, payload)


@pytest.mark.postgres
def test_postgresql_rows_hold_no_one_after_a_whole_run(
    fake: FakeBotAPI, tmp_path: Path, postgres_schema_url: str
) -> None:
    env: dict[str, str | None] = {
        "BEIAN_REVIEWERS": str(REVIEWER),
        "DATABASE_URL": postgres_schema_url,
    }
    bot = BotProcess(fake, tmp_path, env=env).start()
    try:
        _a_whole_run(fake)
    finally:
        assert bot.stop() == 0, bot.output()
    engine = make_engine(postgres_schema_url)
    rows: list[str] = []
    with engine.connect() as conn:
        tables = conn.execute(
            sa.text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        ).scalars()
        for table in list(tables):
            rows += [str(r[0]) for r in conn.execute(sa.text(f'SELECT t::text FROM "{table}" t'))]
    engine.dispose()
    blob = "\n".join(rows).encode("utf-8", "surrogatepass")
    assert "小𠮷的笔记".encode() in blob  # the rows were read: the site's name stays searchable
    assert revealed(blob) == [], f"the rows hold {revealed(blob)}"
    assert "BEIAN_DATA_KEY" in os.environ
    _operators_views_open_it(tmp_path, bot.env())
    engine = make_engine(postgres_schema_url)
    with engine.connect() as conn:  # processed updates: their ids only
        rows = conn.execute(sa.text("SELECT done_at IS NOT NULL, payload FROM inbox")).all()
    engine.dispose()
    assert sum(done for done, _ in rows) > 30
    for done, payload in rows:  # stopped gracefully: every update was processed
        assert done and payload == {}, (done, payload)


def test_an_altered_interview_costs_an_apology_and_one_log_line(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    bot = BotProcess(fake, tmp_path).start()
    try:
        for text in ("/start", "个人网站", "1"):
            fake.push(fake.text_update(APPLICANT, text))
        _wait_text(fake, APPLICANT, "第3/7步")  # the answer to the third update: all done
    finally:
        assert bot.stop() == 0, bot.output()
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    with engine.begin() as conn:
        stored: Any = conn.execute(sa.text("SELECT answers FROM interview")).scalar_one()
        envelope = json.loads(stored)
        v = envelope["v"]
        envelope["v"] = v[:12] + ("A" if v[12] != "A" else "B") + v[13:]
        conn.execute(sa.text("UPDATE interview SET answers = :a"), {"a": json.dumps(envelope)})
    engine.dispose()
    before = _newest(fake, APPLICANT)
    bot = BotProcess(fake, tmp_path).start()
    try:
        fake.push(fake.text_update(APPLICANT, "1"))
        _wait_text(fake, APPLICANT, "抱歉，处理你的消息时出了问题", after=before)
    finally:
        assert bot.stop() == 0, bot.output()
    log = bot.output()
    failed = [line for line in log.splitlines() if "failed: interview.answers" in line]
    assert len(failed) == 1, log
    assert "does not open: it was altered" in failed[0]
    assert "Traceback" not in log
