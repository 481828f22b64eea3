"""`beian serve` on PostgreSQL answers a quiet chat's message before it is stored
(`bot.answer_first`) and still keeps the chat's order: a message another instance stored just
before (its wake-up not here yet) is answered first, then this one, each reply once."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlmodel import Session, col, select

from bot.tg import ui
from models import inbox, migrate
from models.db import Raw, make_engine
from models.tables import InboxUpdate
from rules.pack import Pack
from tests.bot.test_instances import _expected, _free_port, fake  # noqa: F401 (a fixture)
from tests.fakes.bot_api import BOT_USER, FakeBotAPI
from tests.fakes.driver import BotProcess

USER = 9301
AGAIN = "processed after an earlier message of its chat"


async def _post(url: str, update: dict[str, Any]) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=update, headers=headers) as response,
    ):
        assert response.status == 200


@pytest.mark.postgres
def test_a_message_answered_first_waits_for_one_stored_just_before_it(
    fake: FakeBotAPI,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
    pack: Pack,
    postgres_schema_url: str,
) -> None:
    migrate.upgrade(postgres_schema_url)
    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    args = ["--webhook-url", url, "--listen", f"127.0.0.1:{port}", "--secret-token", "s3cret"]
    env = {"DATABASE_URL": postgres_schema_url, "BEIAN_INSTANCE": "a"}
    bot = BotProcess(fake, tmp_path, webhook=args, env=env).start()
    engine = make_engine(postgres_schema_url)
    said = ["/start"]
    try:
        asyncio.run(_post(url, fake.text_update(USER, "/start")))
        fake.wait_until(lambda: fake.calls_of("sendMessage", USER))
        # The sweep (every 0.5 s) may find the earlier message before the later one arrives;
        # a round is tried again until the later one was answered first and stopped.
        for answer in ("企业", "本市", "本市"):
            earlier, later = fake.text_update(USER, "/help"), fake.text_update(USER, answer)
            said += ["/help", answer]
            with engine.connect() as conn:  # stored by another instance, not announced yet
                received = inbox.Received(earlier["update_id"], USER, earlier)
                inbox.ingest(Raw(conn), bot_id=BOT_USER["id"], updates=[received],
                             now=dt.datetime.now(dt.UTC))  # fmt: skip
            asyncio.run(_post(url, later))
            expected = _expected(pack, said)[1]
            count = len(expected)
            fake.wait_until(lambda n=count: len(fake.calls_of("sendMessage", USER)) >= n)
            if AGAIN in bot.log.read_text():
                break
        time.sleep(0.5)  # (nothing more may come)
        sent = sorted(fake.calls_of("sendMessage", USER), key=lambda c: c.at)
        assert [c.params["text"] for c in sent] == expected  # in order, each once
        with Session(engine) as session:
            waiting = session.exec(select(InboxUpdate).where(col(InboxUpdate.done_at).is_(None)))
            assert waiting.all() == []
    finally:
        engine.dispose()
        assert bot.stop() == 0, bot.output()
    output = bot.output()
    assert AGAIN in output, output  # the path under test was taken
    assert "Traceback" not in output
    assert ui.SORRY.get("zh") not in [c.params["text"] for c in sent]
