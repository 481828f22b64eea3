"""The WeChat channel's own sends, in process with a frozen clock against the stand-in: a
reminder as a customer-service message while the 48-hour window is open, as a template
message once it has closed; a reviewer's outcome (recorded for the bureau) told to the
applicant; a reply too long for one message split where WeChat would refuse it."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlmodel import select

from bot.deliveries import render_in_process
from bot.filing_actions import act
from bot.settings import Settings
from bot.wx import protocol
from bot.wx.api import TEXT_LIMIT, split_text
from bot.wx.app import build_channel, wechat_config
from bot.wx.channel import WeChatChannel
from bot.wx.outbound import Outbound
from models import migrate
from models.database import Database
from models.db import session_scope
from models.tables import Filing, InboxUpdate, OutboxMessage
from rules.events import make_event
from rules.filing_life import Actor, Role
from rules.lifecycle import FilingEvent
from tests.dialogs.transcripts import GOVERNMENT
from tests.fakes.driver import _migrated_copy
from tests.fakes.wechat import APP_ID, APP_SECRET, TOKEN, FakeWeChat, event_xml, text_xml

ALICE = "oAlice0000000000000000000001"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


class Clock:
    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at


@pytest.fixture
def fake() -> Iterator[FakeWeChat]:
    server = FakeWeChat().start()
    yield server
    server.stop()


def _channel(fake: FakeWeChat, url: str, clock: Clock) -> tuple[WeChatChannel, Database]:
    if url.startswith("sqlite:///"):
        _migrated_copy(Path(url.removeprefix("sqlite:///")))
    else:
        migrate.upgrade(url)
    settings = Settings(
        database_url=url,
        beian_pack="example",
        wechat_token=SecretStr(TOKEN),
        wechat_app_id=APP_ID,
        wechat_app_secret=SecretStr(APP_SECRET),
        wechat_api_base_url=fake.base_url,
        wechat_public_url="https://beian.example.cn/wechat",
        wechat_reminder_template="TPL_REMINDER",
    )
    config = wechat_config(settings, ("127.0.0.1", 8080))
    db = Database(settings.database_url)
    return build_channel(settings, config, db, render_in_process, "wx-test", clock=clock), db


async def _say(channel: WeChatChannel, xml: str) -> None:
    incoming = protocol.read(xml.encode())
    assert incoming is not None
    assert await channel.accept(incoming)
    await channel.idle()


def test_reminders_go_as_messages_then_templates_and_a_reviewers_pass_is_told(
    fake: FakeWeChat, db_url: str
) -> None:
    clock = Clock(dt.datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI))
    channel, db = _channel(fake, db_url, clock)

    async def scenario() -> None:
        await _say(channel, event_xml(ALICE, "subscribe", created=1))
        for number, (said, _) in enumerate(GOVERNMENT, start=1):
            await _say(channel, text_xml(ALICE, said, 9000 + number))
        outbound = Outbound(channel, "TPL_REMINDER")
        assert "【接下来】" in "\n".join(fake.texts_to(ALICE))
        # 2026-11-29, 12:00 in Shanghai: the deadline (12-02) is 3 days away
        clock.at = dt.datetime(2026, 11, 29, 12, 5, tzinfo=SHANGHAI)
        before = len(fake.sent)
        assert await outbound.send_reminders() == 1
        reminder = fake.sent[before]
        assert (reminder.openid, reminder.kind) == (ALICE, "text")
        assert "2026年12月2日" in reminder.text
        # 2026-12-01: the person has not written for 48 hours — a template message
        fake.closed.add(ALICE)
        clock.at = dt.datetime(2026, 12, 1, 12, 5, tzinfo=SHANGHAI)
        before = len(fake.sent)
        assert await outbound.send_reminders() == 1
        template = fake.sent[before]
        assert (template.openid, template.kind) == (ALICE, "template")
        assert template.payload["template_id"] == "TPL_REMINDER"
        assert ("custom", 45015) in fake.refusals
        assert await outbound.send_reminders() == 0  # sent once
        fake.closed.discard(ALICE)
        # the bureau records the submission and the initial review's pass: the applicant is told
        with session_scope(db.engine) as session:
            filing = session.exec(select(Filing)).one()
            filing_id = filing.id
        assert filing_id is not None
        operator = Actor(Role.OPERATOR, "cli")
        ctx = channel.context()
        for event in (FilingEvent.SUBMIT, FilingEvent.PASS_INITIAL_REVIEW):
            outcome = act(db.engine, filing_id, make_event(event, operator, ctx.today), ctx=ctx,
                          clock=clock, reviewers=channel.reviewers)  # fmt: skip
            assert outcome.decision is not None, outcome.refusal
        before = len(fake.texts_to(ALICE))
        assert await outbound.send_notices() >= 1
        told = "\n".join(fake.texts_to(ALICE)[before:])
        assert "初审" in told
        with session_scope(db.engine) as session:
            rows = session.exec(select(OutboxMessage).where(OutboxMessage.channel == "wechat"))
            assert {r.status.value for r in rows if r.kind == "notice"} == {"sent"}

    try:
        asyncio.run(scenario())
    finally:
        db.close()


def test_a_long_text_is_split_within_wechats_limit() -> None:
    text = "\n".join(["这是一行很长的说明文字，" * 20] * 12)
    parts = split_text(text)
    assert len(parts) > 1
    assert all(0 < len(p.encode()) <= TEXT_LIMIT for p in parts)
    assert "".join(p.replace("\n", "") for p in parts) == text.replace("\n", "")
    one_line = "字" * 3000
    assert "".join(split_text(one_line)) == one_line
    assert all(len(p.encode()) <= TEXT_LIMIT for p in split_text(one_line))


def test_callbacks_arriving_together_are_stored_in_one_batch_and_a_repeat_once(
    fake: FakeWeChat, tmp_path: Path
) -> None:
    """With the database off the loop (PostgreSQL under load, BEIAN_DB_INLINE=off) callbacks
    that arrive while a commit is being written are stored together by the next one; the same
    MsgId twice is new once."""
    clock = Clock(dt.datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI))
    channel, db = _channel(fake, f"sqlite:///{tmp_path / 'bot.db'}", clock)
    channel.db = Database(f"sqlite:///{tmp_path / 'bot.db'}", inline=False)
    people = [f"oPerson{i:021d}" for i in range(6)]

    async def scenario() -> list[bool]:
        said = [protocol.read(text_xml(p, "你好", 500 + i).encode()) for i, p in enumerate(people)]
        said.append(protocol.read(text_xml(people[0], "你好", 500).encode()))  # WeChat's retry
        found = await asyncio.gather(*(channel.accept(m) for m in said if m is not None))
        await channel.idle()
        await channel.flush_sent()  # what the 50 ms batch would clear
        return list(found)

    try:
        assert asyncio.run(scenario()) == [True] * 6 + [False]
        with session_scope(channel.db.engine) as session:
            rows = session.exec(select(InboxUpdate).where(InboxUpdate.channel == "wechat")).all()
            assert sorted(r.update_id for r in rows) == list(range(500, 506))
            assert {r.chat_ref for r in rows} == set(people)
            assert all(r.done_at is not None and r.reply is None for r in rows)
        for person in people:  # each answered once
            assert sum("第1/7步" in t for t in fake.texts_to(person)) == 1
    finally:
        channel.db.close()
        db.close()
