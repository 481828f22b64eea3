"""The WeChat channel end to end: `beian serve --channel wechat` in a subprocess, driven by
WeChat's side of the callback (signed posts, plain and safe mode) against the stand-in API
(tests/fakes/wechat.py), which records what the person was sent and refuses what WeChat
refuses. The tests that store and recover (the interview, the kills, both channels in one
process) run on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.wx.protocol import account_number, chat_number
from models.db import make_engine
from tests.dialogs.transcripts import GOVERNMENT
from tests.fakes.driver import BEIAN, _migrated_copy
from tests.fakes.wechat import (
    AES_KEY,
    APP_ID,
    APP_SECRET,
    TOKEN,
    FakeWeChat,
    Poster,
    event_xml,
    other_xml,
    signature,
    text_xml,
)

ALICE = "oAlice0000000000000000000001"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class WeChatBot:
    """`beian serve --channel wechat` on a port of its own, pointed at the stand-in."""

    def __init__(
        self,
        fake: FakeWeChat,
        workdir: Path,
        *,
        safe: bool,
        instance: str,
        database_url: str | None = None,
    ) -> None:
        self.fake, self.workdir, self.safe, self.instance = fake, workdir, safe, instance
        self.database_url = database_url or f"sqlite:///{workdir / 'bot.db'}"
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = workdir / "wechat.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/wechat"

    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "BEIAN_TODAY": "2026-11-28",
            "BEIAN_PACK": "example",
            "BEIAN_REMIND_EVERY": "3600",  # reminders: tests/bot/test_wechat_outbound.py
            "WECHAT_TOKEN": TOKEN,
            "WECHAT_APP_ID": APP_ID,
            "WECHAT_APP_SECRET": APP_SECRET,
            "WECHAT_API_BASE_URL": self.fake.base_url,
            "WECHAT_PUBLIC_URL": self.url,
        }
        env.pop("TELEGRAM_BOT_TOKEN", None)
        if self.safe:
            env["WECHAT_AES_KEY"] = AES_KEY
        return env

    def start(self, instance: str | None = None) -> WeChatBot:
        database = self.workdir / "bot.db"
        if self.database_url.startswith("sqlite") and not database.exists():
            _migrated_copy(database)  # PostgreSQL: `serve` migrates it first
        env = {**self.env(), "BEIAN_INSTANCE": instance or self.instance}
        menus = len(self.fake.menus)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(BEIAN), "serve", "--channel", "wechat", "--listen", f"127.0.0.1:{self.port}"],
                cwd=self.workdir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        end = time.monotonic() + 60
        while time.monotonic() < end and len(self.fake.menus) <= menus:
            assert self.process.poll() is None, self.output()
            time.sleep(0.05)
        assert len(self.fake.menus) > menus, self.output()
        return self

    def stop(self) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(60)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(30)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def inbox_rows(self) -> int:
        engine = make_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return int(conn.execute(sa.text("SELECT count(*) FROM inbox")).scalar_one())
        finally:
            engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The bot's database: a SQLite file, or an empty PostgreSQL schema (TEST_DATABASE_URL)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bot.db'}"
    return str(request.getfixturevalue("postgres_schema_url"))


@pytest.fixture
def fake() -> Iterator[FakeWeChat]:
    server = FakeWeChat().start()
    yield server
    server.stop()


def _says(
    fake: FakeWeChat, poster: Poster, openid: str, xml: str, expect: str | tuple[str, ...]
) -> str:
    """Post one callback; wait until what came back holds every expected part."""
    before = len(fake.texts_to(openid))
    status, body = poster.post(xml)
    assert (status, body) == (200, "success")
    parts = (expect,) if isinstance(expect, str) else expect
    end = time.monotonic() + 60
    while time.monotonic() < end:
        new = "\n".join(fake.texts_to(openid)[before:])
        if all(p in new for p in parts):
            return new
        time.sleep(0.02)
    raise AssertionError(f"expected {parts} in {fake.texts_to(openid)[before:]}")


def _interview(fake: FakeWeChat, poster: Poster, openid: str) -> str:
    _says(fake, poster, openid, event_xml(openid, "subscribe"), "备案")
    last = ""
    for said, expect in GOVERNMENT:
        last = _says(fake, poster, openid, text_xml(openid, said, poster.next_id()), expect)
    return last


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "safe-mode"])
def test_a_whole_interview_ends_with_the_documents_behind_signed_links(
    fake: FakeWeChat, tmp_path: Path, safe: bool, database: str
) -> None:
    bot = WeChatBot(fake, tmp_path, safe=safe, instance="wx-a", database_url=database).start()
    try:
        poster = Poster(bot.url, safe=safe)
        last = _interview(fake, poster, ALICE)
        links = re.findall(r"http://127\.0\.0\.1:\d+/wechat/files/\S+", last)
        assert len(links) == 5, last  # two filing forms, the pledge, the checklist, the guide
        assert "「文件」" in last  # the menu item the documents text names exists
        with urllib.request.urlopen(links[0], timeout=10) as response:
            assert response.read().startswith(b"%PDF")
        forged = re.sub(r"/([0-9a-f]{32})/", "/" + "0" * 32 + "/", links[0])
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(forged, timeout=10)
        assert refused.value.code == 404
        # /status from the menu: the filing as it is now
        status = _says(fake, poster, ALICE, event_xml(ALICE, "CLICK", "status"), "示例市图书馆")
        assert "Traceback" not in status
        documents = _says(fake, poster, ALICE, event_xml(ALICE, "CLICK", "documents"), "/files/")
        assert len(re.findall(r"/wechat/files/", documents)) == 5
        # the bureau records the submission and the initial review's pass (from the command
        # line, as the console does): the applicant is told on WeChat
        before = len(fake.texts_to(ALICE))
        for event in ("submitted", "initial-passed"):
            done = subprocess.run(
                [str(BEIAN), "filings", "record", "1", event, "--on", "2026-11-28"],
                cwd=tmp_path, env=bot.env(), capture_output=True, text=True, timeout=120,
                check=False,
            )  # fmt: skip
            assert done.returncode == 0, done.stdout + done.stderr
        end = time.monotonic() + 60
        while time.monotonic() < end and "初审" not in "".join(fake.texts_to(ALICE)[before:]):
            time.sleep(0.05)
        assert "初审" in "".join(fake.texts_to(ALICE)[before:])
    finally:
        assert bot.stop() == 0
    assert "Traceback" not in bot.output()
    assert fake.menus and len(fake.menus[-1]["button"]) == 3
    # the texts name the menu's items by place in English: 进度 first, 文件 second
    assert [b["name"] for b in fake.menus[-1]["button"][:2]] == ["进度", "文件"]
    assert not [r for r in fake.refusals if r[0] != "custom" or r[1] not in (42001,)]


def test_bad_input_is_refused_or_answered_politely(fake: FakeWeChat, tmp_path: Path) -> None:
    bot = WeChatBot(fake, tmp_path, safe=False, instance="wx-a").start()
    try:
        poster = Poster(bot.url)
        _says(fake, poster, ALICE, event_xml(ALICE, "subscribe"), "备案")
        rows = bot.inbox_rows()
        # a wrong signature: 403, nothing stored
        assert poster.post(text_xml(ALICE, "事业单位", 1), token="notTheToken")[0] == 403
        # WeChat's check of the URL: its echostr back when signed with our Token, else 403
        timestamp, nonce = str(int(time.time())), "n1"
        check = f"{bot.url}?timestamp={timestamp}&nonce={nonce}&echostr=E42&signature="
        with urllib.request.urlopen(check + signature(TOKEN, timestamp, nonce), timeout=10) as r:
            assert r.read() == b"E42"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(check + signature("other", timestamp, nonce), timeout=10)
        assert refused.value.code == 403
        # a replay: WeChat's signature, but of a request two hours old
        assert poster.post(text_xml(ALICE, "事业单位", 2), at=time.time() - 7200)[0] == 403
        assert bot.inbox_rows() == rows
        # malformed XML, an XML bomb, a voice note: asked to type the answer
        broken = f"<xml><FromUserName><![CDATA[{ALICE}]]></FromUserName><MsgType>text"
        before = len(fake.texts_to(ALICE))
        assert poster.post("", body=broken.encode()) == (200, "success")
        assert "请先回答" in fake.wait_for(ALICE, before + 1)[before]
        bomb = (
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            f"<xml><FromUserName><![CDATA[{ALICE}]]></FromUserName><Content>&b;</Content></xml>"
        )
        before = len(fake.texts_to(ALICE))
        assert poster.post("", body=bomb.encode()) == (200, "success")
        assert "请先回答" in fake.wait_for(ALICE, before + 1)[before]
        _says(fake, poster, ALICE, other_xml(ALICE, "voice", poster.next_id()), "请先回答")
        # the same MsgId twice (WeChat's retry): answered once
        before = len(fake.texts_to(ALICE))
        msg_id = poster.next_id()
        assert poster.say(ALICE, "事业单位", msg_id) == (200, "success")
        assert poster.say(ALICE, "事业单位", msg_id) == (200, "success")
        fake.wait_for(ALICE, before + 1)
        _says(fake, poster, ALICE, text_xml(ALICE, "外地", poster.next_id()), "哪个城市")
        answered = [t for t in fake.texts_to(ALICE)[before:] if "网站系统在哪里维护" in t]
        assert len(answered) == 1
        # an expired access token: wechatpy fetches a new one and the reply still goes
        fake.expire_tokens()
        _says(fake, poster, ALICE, text_xml(ALICE, "上海", poster.next_id()), "服务器放在哪里")
        assert ("custom", 42001) in fake.refusals
    finally:
        assert bot.stop() == 0
    assert "Traceback" not in bot.output()


def test_safe_mode_refuses_a_message_sealed_with_another_key(
    fake: FakeWeChat, tmp_path: Path
) -> None:
    bot = WeChatBot(fake, tmp_path, safe=True, instance="wx-a").start()
    try:
        rows = bot.inbox_rows()
        wrong = Poster(bot.url, safe=True, aes_key="Z" * 42 + "A")
        assert wrong.post(text_xml(ALICE, "你好", wrong.next_id()))[0] == 403
        plain_only = Poster(bot.url, safe=False)  # signed, but safe mode is what we expect
        assert plain_only.post(text_xml(ALICE, "你好", 7))[0] == 200  # WeChat's compatible mode
        assert bot.inbox_rows() == rows + 1
    finally:
        assert bot.stop() == 0
    assert "Traceback" not in bot.output()


def test_a_message_stored_before_a_kill_9_is_answered_after_the_restart(
    fake: FakeWeChat, tmp_path: Path, database: str
) -> None:
    """The 200 comes after the row is committed: a process killed before it answered the
    message (here: the chat was held by the instance that is restarted) answers it after."""
    bot = WeChatBot(fake, tmp_path, safe=False, instance="wx-a", database_url=database).start()
    engine = make_engine(database)
    try:
        until = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        with engine.begin() as conn:  # the chat is held by "wx-b" (a process about to die)
            conn.execute(
                sa.text(
                    "INSERT INTO chat_claim (bot_id, chat_id, holder, lease_until) "
                    "VALUES (:b, :c, 'wx-b', :u)"
                ),
                {"b": account_number(APP_ID), "c": chat_number(ALICE), "u": until},
            )
        poster = Poster(bot.url)
        assert poster.post(event_xml(ALICE, "subscribe")) == (200, "success")
        bot.kill()  # kill -9 after the 200
        assert fake.texts_to(ALICE) == []
        bot.start(instance="wx-b")  # the holder restarted: takes its chats back at once
        fake.wait_for(ALICE, 1)
        assert poster.post(text_xml(ALICE, "事业单位", poster.next_id())) == (200, "success")
        fake.wait_for(ALICE, 2)
    finally:
        engine.dispose()
        bot.stop()
    welcome = [t for t in fake.texts_to(ALICE) if "备案" in t]
    assert welcome
    assert "Traceback" not in bot.output()


def test_telegram_and_wechat_in_one_process_on_one_database(
    fake: FakeWeChat, tmp_path: Path, database: str
) -> None:
    from tests.fakes.bot_api import FakeBotAPI
    from tests.fakes.driver import TOKEN as TELEGRAM_TOKEN
    from tests.fakes.driver import Person

    telegram = FakeBotAPI(TELEGRAM_TOKEN).start()
    bot = WeChatBot(fake, tmp_path, safe=False, instance="both", database_url=database)
    if database.startswith("sqlite"):
        _migrated_copy(tmp_path / "bot.db")
    env = {
        **bot.env(),
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_API_BASE_URL": telegram.base_url,
        "BEIAN_METRICS_LISTEN": "127.0.0.1:0",
    }
    with bot.log.open("ab") as log:
        process = subprocess.Popen(
            [str(BEIAN), "serve", "--channel", "telegram,wechat",
             "--wechat-listen", f"127.0.0.1:{bot.port}"],
            cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        telegram.wait_until(lambda: telegram.calls_of("deleteWebhook") or process.poll(), 60)
        end = time.monotonic() + 60
        while not fake.menus and time.monotonic() < end and process.poll() is None:
            time.sleep(0.05)
        assert process.poll() is None, bot.output()
        Person(telegram, 4242).says("/start", "备案")
        _says(fake, Poster(bot.url), ALICE, event_xml(ALICE, "subscribe"), "备案")
        Person(telegram, 4242).says("事业单位", "网站系统在哪里维护")
        _says(fake, Poster(bot.url), ALICE, text_xml(ALICE, "个人", 77), "维护")
        engine = make_engine(database)
        try:
            with engine.connect() as conn:
                channels = conn.execute(
                    sa.text("SELECT channel, external_id FROM applicant ORDER BY channel")
                ).all()
                inbox = conn.execute(
                    sa.text("SELECT channel, count(*) FROM inbox GROUP BY channel ORDER BY 1")
                ).all()
        finally:
            engine.dispose()
        assert [tuple(r) for r in channels] == [("telegram", "4242"), ("wechat", ALICE)]
        assert [tuple(r) for r in inbox] == [("telegram", 2), ("wechat", 2)]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0, bot.output()
        telegram.stop()
    assert "Traceback" not in bot.output()


def test_replies_of_a_turn_killed_while_sending_are_sent_after_the_restart(
    fake: FakeWeChat, tmp_path: Path, database: str
) -> None:
    """The turn's replies are stored with its commit: a kill -9 while WeChat has not yet
    answered the send loses none of them; the restarted process sends them, once."""
    bot = WeChatBot(fake, tmp_path, safe=False, instance="wx-a", database_url=database).start()
    try:
        poster = Poster(bot.url)
        fake.hang.add(ALICE)
        assert poster.post(event_xml(ALICE, "subscribe")) == (200, "success")
        end = time.monotonic() + 60
        while fake.held == 0 and time.monotonic() < end:
            time.sleep(0.02)
        assert fake.held == 1  # the welcome is on its way: the turn was committed
        bot.kill()
        fake.hang.discard(ALICE)
        assert fake.texts_to(ALICE) == []
        bot.start()  # the same instance: it takes its chats back at once
        welcome = fake.wait_for(ALICE, 1)[0]
        assert "备案" in welcome
        _says(fake, poster, ALICE, text_xml(ALICE, "事业单位", poster.next_id()), "维护")
    finally:
        assert bot.stop() == 0
    assert sum("第1/7步" in t for t in fake.texts_to(ALICE)) == 1  # the welcome, once
    assert "Traceback" not in bot.output()
