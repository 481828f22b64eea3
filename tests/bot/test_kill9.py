"""kill -9 at random moments loses nothing Telegram was told arrived.

Three applicants type whole interviews while `beian serve` is killed (SIGKILL: no shutdown at
all) and started again, over and over, in polling and in webhook mode. Afterwards every update
is in the inbox and done, each applicant's filing holds exactly the answers the interview
engine gives for their transcript (a lost or repeated update would have put an answer in the
wrong field), and every applicant got their documents.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from dialogs.engine import begin, handle
from dialogs.model import Context, Input, Submit
from models import inbox, migrate
from models.db import make_engine
from models.tables import Applicant, Filing, InboxUpdate
from rules.pack import Pack
from rules.workdays import WorkdayCalendar
from tests.dialogs.transcripts import SUBMITTING
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.driver import TOKEN, BotProcess

KILLS = 15  # per mode: 30 random kill points in all, plus one during rendering
PEOPLE = {5101: "enterprise", 5102: "government", 5103: "individual"}
# The documents each receives: four, and a second filing form for a two-city route.
DOCUMENTS = {"enterprise": 5, "government": 5, "individual": 4}
TODAY = dt.date(2026, 11, 28)  # BotProcess sets BEIAN_TODAY to this day


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    server = FakeBotAPI(TOKEN).start()
    yield server
    server.stop()


def _scripts(fake: FakeBotAPI) -> dict[int, list[dict[str, Any]]]:
    return {
        user: [
            fake.text_update(user, text) for text in ["/start", *(s for s, _ in SUBMITTING[kind])]
        ]
        for user, kind in PEOPLE.items()
    }


def _interleaved(scripts: dict[int, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """One update of each person in turn, as several people typing at once would send them."""
    order: list[dict[str, Any]] = []
    for i in range(max(len(s) for s in scripts.values())):
        order += [s[i] for s in scripts.values() if i < len(s)]
    return sorted(order, key=lambda u: u["update_id"])


def _expected_answers(pack: Pack, kind: str) -> dict[str, Any]:
    ctx = Context(pack=pack, calendar=WorkdayCalendar(pack.calendar), today=TODAY)
    step = begin(ctx)
    for said, _ in SUBMITTING[kind]:
        step = handle(step.state, Input.typed(said), ctx)
    submit = next(e for e in step.effects if isinstance(e, Submit))
    return submit.answers.model_dump(mode="json")


def _documents_arrived(fake: FakeBotAPI) -> bool:
    """Every applicant has each of their documents (a two-city route has a fifth)."""
    return all(
        len({next(iter(c.files.values()))[0] for c in fake.calls_of("sendDocument", user)})
        >= DOCUMENTS[kind]
        for user, kind in PEOPLE.items()
    )


def _check_nothing_lost(
    fake: FakeBotAPI, tmp_path: Path, pack: Pack, pushed: list[int], url: str | None = None
) -> None:
    engine = make_engine(url or f"sqlite:///{tmp_path / 'bot.db'}")
    try:
        with Session(engine) as session:
            rows = {r.update_id: r for r in session.exec(select(InboxUpdate))}
            assert set(pushed) <= set(rows), "an update never reached the inbox"
            assert [u for u in pushed if rows[u].done_at is None] == []
            for user, kind in PEOPLE.items():
                filings = session.exec(
                    select(Filing)
                    .join(Applicant, col(Applicant.id) == col(Filing.applicant_id))
                    .where(Applicant.external_id == str(user))
                ).all()
                assert len(filings) == 1, (kind, len(filings))
                assert filings[0].data == _expected_answers(pack, kind), kind
    finally:
        engine.dispose()
    for user, kind in PEOPLE.items():
        names = {next(iter(c.files.values()))[0] for c in fake.calls_of("sendDocument", user)}
        assert len(names) == DOCUMENTS[kind], names  # (a resumed delivery may repeat them)


def test_kill_9_while_polling_loses_no_acknowledged_update(
    fake: FakeBotAPI, tmp_path: Path, pack: Pack
) -> None:
    rng = random.Random(20261201)
    updates = _interleaved(_scripts(fake))
    size = len(updates) // (KILLS + 1) + 1
    chunks = [updates[i : i + size] for i in range(0, len(updates), size)]
    acknowledged_at_kill = []
    for chunk in chunks[:-1]:
        bot = BotProcess(fake, tmp_path).start()
        for update in chunk:
            fake.push(update)
        _spare_a_third_interruption(fake, f"sqlite:///{tmp_path / 'bot.db'}")
        time.sleep(rng.uniform(0.0, 0.6))
        bot.kill()
        acknowledged_at_kill.append(fake.acknowledged)
    bot = BotProcess(fake, tmp_path).start()
    try:
        for update in chunks[-1]:
            fake.push(update)
        fake.wait_until(lambda: _documents_arrived(fake), 300)  # a loaded CI machine
    finally:
        assert bot.stop() == 0, bot.output()
    assert any(0 < a < updates[-1]["update_id"] for a in acknowledged_at_kill)  # killed mid-way
    _check_nothing_lost(fake, tmp_path, pack, [u["update_id"] for u in updates])
    assert "Traceback" not in bot.output()
    assert _orphaned_render_processes() == []  # the killed bots' render workers died with them


def _spare_a_third_interruption(fake: FakeBotAPI, url: str) -> None:
    """Before the next kill, let the bot finish any update that kill could make a poison one.

    An update recovered MAX_ATTEMPTS times and cut short again is given up with an apology
    by design (`tests/bot/test_inbox_processor.py`); on a loaded machine a bot killed within
    a second of its start may not finish the update it recovers first, and random kills can
    fall on it every time. This test is about kills losing nothing, not about that guard."""
    engine = make_engine(url)
    try:

        def twice_interrupted() -> list[int]:
            with Session(engine) as session:
                rows = session.exec(
                    select(InboxUpdate).where(
                        col(InboxUpdate.done_at).is_(None),
                        InboxUpdate.attempts >= inbox.MAX_ATTEMPTS - 1,
                    )
                ).all()
                return [r.update_id for r in rows]

        fake.wait_until(lambda: not twice_interrupted(), 120)
    finally:
        engine.dispose()


def _orphaned_render_processes() -> list[int]:
    """Return processes of a render pool whose bot is gone (adopted by init)."""
    orphans = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ")
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if b"multiprocessing.forkserver" in cmdline and ppid == 1:
            orphans.append(int(proc.name))
    return orphans


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Telegram(threading.Thread):
    """Posts updates to the webhook one after another, as Telegram does: an update that did
    not get 200 (the bot is down, or failed) is posted again until it does."""

    def __init__(self, url: str, updates: list[dict[str, Any]], pause: float) -> None:
        super().__init__(daemon=True)
        self.url, self.updates, self.pause = url, updates, pause
        self.confirmed: list[int] = []

    def run(self) -> None:
        asyncio.run(self._post_all())

    async def _post_all(self) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for update in self.updates:
                while True:
                    try:
                        async with session.post(self.url, json=update, headers=headers) as resp:
                            if resp.status == 200:
                                self.confirmed.append(update["update_id"])
                                break
                    except (aiohttp.ClientError, TimeoutError):
                        pass
                    await asyncio.sleep(0.05)
                await asyncio.sleep(self.pause)  # people type: updates come over some time


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_kill_9_in_webhook_mode_loses_no_update_that_got_200(
    fake: FakeBotAPI, tmp_path: Path, pack: Pack, database: str, request: pytest.FixtureRequest
) -> None:
    """On PostgreSQL a quiet chat's update is answered before it is stored (its row written
    with its turn, `bot.answer_first`): a kill between that commit and the 200, or before it,
    loses nothing either."""
    database_url = None
    if database == "postgres":
        database_url = str(request.getfixturevalue("postgres_schema_url"))
        migrate.upgrade(database_url)
    env = {"DATABASE_URL": database_url} if database_url else None
    rng = random.Random(17)
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    args = ["--webhook-url", url, "--listen", f"127.0.0.1:{port}", "--secret-token", "s3cret"]
    updates = _interleaved(_scripts(fake))
    telegram = Telegram(url, updates, pause=0.15)
    telegram.start()
    confirmed_at_kill = []
    for _ in range(KILLS):
        bot = BotProcess(fake, tmp_path, webhook=args, env=env).start()
        _spare_a_third_interruption(fake, database_url or f"sqlite:///{tmp_path / 'bot.db'}")
        time.sleep(rng.uniform(0.2, 1.2))
        bot.kill()
        confirmed_at_kill.append(len(telegram.confirmed))
    bot = BotProcess(fake, tmp_path, webhook=args, env=env).start()
    try:
        telegram.join(120)
        assert not telegram.is_alive()
        fake.wait_until(lambda: _documents_arrived(fake), 300)  # a loaded CI machine
    finally:
        assert bot.stop() == 0, bot.output()
    assert any(0 < c < len(updates) for c in confirmed_at_kill)  # killed mid-way
    assert telegram.confirmed == [u["update_id"] for u in updates]
    _check_nothing_lost(fake, tmp_path, pack, telegram.confirmed, database_url)


def test_a_confirmation_killed_while_its_documents_render_is_delivered_after_restart(
    fake: FakeBotAPI, tmp_path: Path, pack: Pack
) -> None:
    user = 5104
    said = ["/start", *(s for s, _ in SUBMITTING["enterprise"])]
    bot = BotProcess(fake, tmp_path).start()
    for text in said[:-1]:
        fake.push(fake.text_update(user, text))
    fake.wait_until(
        lambda: any(
            "确认无误" in str(c.params.get("reply_markup"))
            for c in fake.calls_of("sendMessage", user)
        ),
        60,
    )
    fake.push(fake.text_update(user, said[-1]))  # 确认
    fake.wait_until(lambda: fake.calls_of("sendChatAction", user), 60)  # rendering has begun
    bot.kill()
    assert fake.calls_of("sendDocument", user) == []
    bot = BotProcess(fake, tmp_path).start()
    try:
        documents = fake.wait_until(
            lambda: (d := fake.calls_of("sendDocument", user)) and len(d) >= 5 and d, 60
        )
    finally:
        assert bot.stop() == 0, bot.output()
    assert len(documents) == DOCUMENTS["enterprise"]
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    try:
        with Session(engine) as session:
            assert len(session.exec(select(Filing)).all()) == 1
            assert session.execute(
                sa.select(sa.func.count()).select_from(InboxUpdate)
            ).scalar() == len(said)
    finally:
        engine.dispose()
