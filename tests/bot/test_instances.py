"""Two webhook instances on one PostgreSQL database: each chat's updates in order, whichever
instance Telegram (or the load balancer) hands them to."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlmodel import Session, col, select

from bot.tg import ui
from dialogs.engine import begin, handle
from dialogs.model import Context, Input
from models import migrate
from models.db import make_engine
from models.tables import Applicant, InboxUpdate, Interview
from rules.pack import Pack
from rules.workdays import WorkdayCalendar
from tests.dialogs.transcripts import SUBMITTING
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.driver import TOKEN, BotProcess

PEOPLE = range(9101, 9107)  # six applicants
SAID = ["/start", *(s for s, _ in SUBMITTING["enterprise"].until("rep_email"))]  # up to the e-mail


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    server = FakeBotAPI(TOKEN).start()
    yield server
    server.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _expected(pack: Pack, said: list[str] = SAID) -> tuple[dict[str, Any], list[str]]:
    """Return the answers and, in order, the messages the bot sends for `said`."""
    ctx = Context(
        pack=pack,
        calendar=WorkdayCalendar(pack.calendar),
        today=dt.date(2026, 11, 28),
        reads_photos=True,  # as the bot on this install: its questions offer photos
    )
    step = begin(ctx)
    messages = [text for text, _ in ui.merge_replies(list(step.replies))]
    for text in said[1:]:
        step = handle(step.state, Input.typed(text), ctx)
        messages += [text for text, _ in ui.merge_replies(list(step.replies))]
    return step.state.answers, messages


async def _post_round_robin(urls: list[str], scripts: dict[int, list[dict[str, Any]]]) -> None:
    """Each person's messages one right after the other (no waiting for replies), every
    update to the next instance in turn; all people at once."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
    turn = iter(range(10**6))

    async def person(session: aiohttp.ClientSession, updates: list[dict[str, Any]]) -> None:
        for update in updates:
            url = urls[next(turn) % len(urls)]
            async with session.post(url, json=update, headers=headers) as response:
                assert response.status == 200

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(person(session, updates) for updates in scripts.values()))


@pytest.mark.postgres
def test_two_webhook_instances_keep_each_chats_order(
    fake: FakeBotAPI, tmp_path: Path, pack: Pack, postgres_schema_url: str
) -> None:
    migrate.upgrade(postgres_schema_url)
    bots, urls = [], []
    for name in ("a", "b"):
        port = _free_port()
        url = f"http://127.0.0.1:{port}/telegram/hook"
        args = ["--webhook-url", url, "--listen", f"127.0.0.1:{port}", "--secret-token", "s3cret"]
        env = {"DATABASE_URL": postgres_schema_url, "BEIAN_INSTANCE": name}
        bots.append(BotProcess(fake, tmp_path, webhook=args, env=env, log_name=f"{name}.log"))
        urls.append(url)
    for bot in bots:
        bot.start()
    scripts = {user: [fake.text_update(user, text) for text in SAID] for user in PEOPLE}
    fake.slow("sendMessage", 0.05, times=10_000)  # replies take a while: order is tested too
    try:
        asyncio.run(_post_round_robin(urls, scripts))
        engine = make_engine(postgres_schema_url)

        def all_done() -> bool:
            with Session(engine) as session:
                waiting = session.exec(
                    select(InboxUpdate).where(col(InboxUpdate.done_at).is_(None))
                ).all()
                return not waiting

        fake.wait_until(all_done, 60)
        expected, messages = _expected(pack)
        with Session(engine) as session:
            for user in PEOPLE:
                interview = session.exec(
                    select(Interview)
                    .join(Applicant, col(Applicant.id) == col(Interview.applicant_id))
                    .where(Applicant.external_id == str(user))
                ).one()
                assert interview.answers == expected, user
        engine.dispose()
        for user in PEOPLE:  # every reply, in the order of the messages it answers
            fake.wait_until(lambda u=user: len(fake.calls_of("sendMessage", u)) >= len(messages))
            sent = sorted(fake.calls_of("sendMessage", user), key=lambda c: c.at)
            assert [c.params["text"] for c in sent] == messages, user
    finally:
        for bot in bots:
            assert bot.stop() == 0, bot.output()
    outputs = [bot.output() for bot in bots]
    assert all("Traceback" not in out for out in outputs)
    assert all("refused" not in out or "duplicate" not in out for out in outputs)
