"""A turn's replies are stored with it: kill -9 between the commit and the send loses none.

The Bot API stand-in holds a send unanswered (`FakeBotAPI.hang`: it never reaches the person)
and the bot is killed while it waits: the turn is committed, its inbox row done, its replies
not sent. Before replies were stored with the turn they were lost (and a reviewer's recovered
press was answered as "already handled"); now the restarted bot sends them, once, in their
order. Each test runs on SQLite (one bot, polling) and on PostgreSQL with two webhook
instances (issue 26 item 7): the one holding the chat is killed, the other runs on, and the
killed one restarted under its own BEIAN_INSTANCE takes its chats and leases back at once.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from models import migrate
from models.db import make_engine
from models.tables import ChatClaim, InboxUpdate
from tests.bot.test_filing_life_e2e import (
    APPLICANT,
    REVIEWER,
    _press,
    _submitted,
    _wait_text,
)
from tests.dialogs.transcripts import SUBMITTING
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.driver import BEIAN, TOKEN, BotProcess


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    server = FakeBotAPI(TOKEN).start()
    yield server
    server.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Stand:
    """The bot under test: one polling process on SQLite, or on PostgreSQL two webhook
    instances, "a" and "b" (Telegram posts to the one started last; either may take a chat),
    of which the one holding the chat is killed."""

    def __init__(self, fake: FakeBotAPI, tmp_path: Path, url: str | None) -> None:
        self.fake, self.tmp_path = fake, tmp_path
        self.url = url or f"sqlite:///{tmp_path / 'bot.db'}"
        self.postgres = url is not None
        self.env = {"BEIAN_REVIEWERS": str(REVIEWER)}
        self.ports = {"a": _free_port(), "b": _free_port()}
        self.bots: dict[str, BotProcess] = {}

    def _process(self, name: str) -> BotProcess:
        if not self.postgres:
            return BotProcess(self.fake, self.tmp_path, env=self.env)
        port = self.ports[name]
        hook = f"http://127.0.0.1:{port}/telegram/hook"
        args = ["--webhook-url", hook, "--listen", f"127.0.0.1:{port}", "--secret-token", "s3"]
        env = {**self.env, "DATABASE_URL": self.url, "BEIAN_INSTANCE": name}
        return BotProcess(self.fake, self.tmp_path, webhook=args, env=env, log_name=f"{name}.log")

    def start(self) -> Stand:
        if self.postgres:
            migrate.upgrade(self.url)
            self.bots["b"] = self._process("b").start()
        self.bots["a"] = self._process("a").start()  # last: Telegram's webhook points at it
        return self

    def holder(self, chat: int) -> str:
        """The instance holding the chat's claim (either may take a chat: a sweep may be
        first), the one to kill while its send to that chat hangs."""
        if not self.postgres:
            return "a"
        engine = make_engine(self.url)
        try:
            with Session(engine) as session:
                claim = session.exec(select(ChatClaim).where(ChatClaim.chat_id == chat)).one()
                return claim.holder
        finally:
            engine.dispose()

    def kill(self, chat: int) -> str:
        name = self.holder(chat)
        self.bots[name].kill()
        return name

    def restart(self, name: str) -> None:
        self.bots[name] = self._process(name).start()

    def kill_and_restart(self, chat: int) -> float:
        """Kill the holder of `chat` (the other instance runs on), then start it again under
        its own name; return when."""
        name = self.kill(chat)
        restarted = time.monotonic()
        self.restart(name)
        return restarted

    def stop(self) -> str:
        outputs = []
        for bot in self.bots.values():
            assert bot.stop() == 0, bot.output()
            outputs.append(bot.output())
        return "\n".join(outputs)

    def _rows(self) -> list[InboxUpdate]:
        engine = make_engine(self.url)
        try:
            with Session(engine) as session:
                rows = list(session.exec(select(InboxUpdate)))
                for row in rows:
                    session.expunge(row)
                return rows
        finally:
            engine.dispose()

    def row(self, update_id: int) -> InboxUpdate:
        return next(r for r in self._rows() if r.update_id == update_id)

    def unsent(self) -> int:
        return sum(r.reply is not None for r in self._rows())

    def quiet(self, received: int) -> bool:
        """Say whether `received` updates arrived, were handled and their replies sent."""
        rows = self._rows()
        done = [r for r in rows if r.done_at is not None and r.reply is None]
        return len(rows) >= received and len(done) == len(rows)

    def show(self, filing_id: int = 1) -> dict[str, Any]:
        done = subprocess.run(
            [str(BEIAN), "filings", "show", str(filing_id), "--json"],
            env={
                "DATABASE_URL": self.url,
                "PATH": "/usr/bin:/bin",
                "BEIAN_DATA_KEY": os.environ["BEIAN_DATA_KEY"],  # the bots' (tests/conftest.py)
            },
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        shown: dict[str, Any] = json.loads(done.stdout)
        return shown


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def stand(request: pytest.FixtureRequest, fake: FakeBotAPI, tmp_path: Path) -> Iterator[Stand]:
    url = request.getfixturevalue("postgres_schema_url") if request.param == "postgres" else None
    found = Stand(fake, tmp_path, url)
    yield found
    for bot in found.bots.values():
        if bot.process is not None and bot.process.poll() is None:
            bot.kill()


def _around(text: str, word: str) -> str:
    """What a log says around `word` (its first traceback, whole, for the failure's message)."""
    at = text.find(word)
    return text[max(0, at - 500) : at + 4000]


def _texts(fake: FakeBotAPI, user: int) -> list[str]:
    """What reached the person (refused calls did not)."""
    calls = fake.calls_of("sendMessage", user)
    return [str(c.params.get("text", "")) for c in calls if c.status == 200]


def _markup(call: Any) -> str:
    return str(call.params.get("reply_markup") or "")


def _after(fake: FakeBotAPI, since: float, chat: int) -> list[Any]:
    return [c for c in fake.calls if c.at > since and str(c.params.get("chat_id")) == str(chat)]


def _settled(stand: Stand) -> None:
    """Wait until every sent reply is forgotten; then a second's sweeps may send nothing."""
    stand.fake.wait_until(lambda: stand.unsent() == 0, 30)
    time.sleep(1.0)


def test_a_reply_cut_short_by_kill_9_is_sent_once_after_the_restart(stand: Stand) -> None:
    fake, user = stand.fake, 5201
    stand.start()
    fake.push(fake.text_update(user, "/start"))
    fake.wait_until(lambda: any("第1/7步" in t for t in _texts(fake, user)), 30)
    fake.wait_until(lambda: stand.quiet(1), 30)  # replies sent before are forgotten
    fake.hang("sendMessage", chat_id=user)
    answer = fake.push(fake.text_update(user, "企叶"))
    fake.wait_until(lambda: fake.hung, 30)  # committed; its reply on the way, never to arrive
    name = stand.kill(user)
    row = stand.row(answer["update_id"])
    assert row.done_at is not None and row.reply, "the turn was stored with its replies"
    assert not any("第2/7步" in t for t in _texts(fake, user))
    stand.restart(name)
    try:
        fake.wait_until(lambda: any("第2/7步" in t for t in _texts(fake, user)), 30)
        _settled(stand)
    finally:
        output = stand.stop()
    assert sum("第2/7步" in t for t in _texts(fake, user)) == 1
    assert stand.row(answer["update_id"]).reply is None
    assert "Traceback" not in output, _around(output, "Traceback")


def test_a_confirmation_killed_before_its_first_reply_gets_documents_then_status(
    stand: Stand,
) -> None:
    """The row of issue 26: 4 of 4 interrupted applicants never got the status message with
    已在备案系统提交. Now: the confirmation's message, each PDF once, then the status."""
    fake, user = stand.fake, 5202
    said = ["/start", *(s for s, _ in SUBMITTING["enterprise"])]
    stand.start()
    for text in said[:-1]:
        fake.push(fake.text_update(user, text))
    fake.wait_until(lambda: stand.quiet(len(said) - 1), 90)
    fake.hang("sendMessage", chat_id=user)
    fake.push(fake.text_update(user, said[-1]))  # 确认
    fake.wait_until(lambda: fake.hung, 60)
    restarted = stand.kill_and_restart(user)
    assert [c for c in fake.calls_of("sendDocument", user) if c.at < restarted] == []
    try:
        fake.wait_until(
            lambda: any(
                "已在备案系统提交" in _markup(c) for c in fake.calls_of("sendMessage", user)
            ),
            90,
        )
        _settled(stand)
    finally:
        output = stand.stop()
    documents = fake.calls_of("sendDocument", user)
    names = [next(iter(c.files.values()))[0] for c in documents]
    assert len(names) == len(set(names)) == 5  # each once (a two-city route has a fifth)
    after = [c for c in fake.calls_of("sendMessage", user) if c.at > restarted]
    status = [c for c in after if "已在备案系统提交" in _markup(c)]
    assert len(status) == 1
    assert status[0].at > max(c.at for c in documents)  # the status follows the PDFs
    first = [c for c in after if c.at < min(d.at for d in documents)]
    assert len(first) == 1 and first[0].params.get("text"), "the confirmation message, once"
    assert "Traceback" not in output, _around(output, "Traceback")


def test_a_reviewer_s_press_cut_short_by_kill_9_is_not_answered_again_as_a_refusal(
    stand: Stand,
) -> None:
    """The row of issue 26: reviewers told 「已由 reviewer:<themselves> 处理」 after their own
    success — the press was applied, the process died before marking its update done, and the
    recovered update was refused. Now the update is done with the action's commit; the notice
    to the applicant still arrives, once."""
    fake = stand.fake
    stand.start()
    _submitted(fake)
    fake.wait_until(lambda: stand.quiet(0), 30)
    fake.hang("answerCallbackQuery")  # the press's answer, after the action's commit
    _press(fake, REVIEWER, REVIEWER, "初审通过")
    fake.wait_until(lambda: fake.hung, 30)
    restarted = stand.kill_and_restart(REVIEWER)
    try:
        _wait_text(fake, APPLICANT, "（含当日）携带盖章（签字）材料")
        _settled(stand)
    finally:
        output = stand.stop()
    said = [str(c.params.get("text", "")) for c in _after(fake, restarted, REVIEWER)]
    said += [
        str(c.params.get("text", ""))
        for c in fake.calls_of("answerCallbackQuery")
        if c.at > restarted
    ]
    assert not [s for s in said if "处理过" in s or "已由" in s], said
    told = [
        c
        for c in fake.calls_of("sendMessage", APPLICANT)
        if "（含当日）携带盖章（签字）材料" in str(c.params.get("text"))
    ]
    assert len(told) == 1
    events = [(e["from"], e["to"]) for e in stand.show()["events"]]
    assert events.count(("submitted", "initial_review_passed")) == 1
    assert "Traceback" not in output, _around(output, "Traceback")


def _certify_typed(stand: Stand, *, kill: bool) -> float:
    """Pass, materials, 复审通过 and the 公安备案号 typed in reply; with `kill`, the bot dies
    before the reviewer's ✔ arrives and is started again. Return when it was restarted."""
    fake = stand.fake
    _press(fake, REVIEWER, REVIEWER, "初审通过")
    _wait_text(fake, APPLICANT, "（含当日）携带盖章（签字）材料")
    _press(fake, REVIEWER, REVIEWER, "收到材料")
    _wait_text(fake, APPLICANT, "收到材料，应最迟于")
    _press(fake, REVIEWER, REVIEWER, "复审通过")
    prompt = _wait_text(fake, REVIEWER, "请回复公安备案号")
    fake.wait_until(lambda: stand.quiet(0), 30)
    if kill:
        fake.hang("sendMessage", chat_id=REVIEWER)  # the ✔ after the commit
    fake.push(fake.text_update(REVIEWER, "京公网安备11010502030143号", reply_to=prompt))
    if not kill:
        return 0.0
    fake.wait_until(lambda: fake.hung, 30)
    return stand.kill_and_restart(REVIEWER)


def test_a_typed_psb_number_cut_short_by_kill_9_is_certified_once_and_confirmed_once(
    stand: Stand,
) -> None:
    """复审通过 with the 公安备案号 typed in reply: the process dies before its ✔ reaches the
    reviewer. After the restart the reviewer gets the ✔ (stored with the action), is not told
    the filing was handled already, and the applicant's 🎉 notice arrives once."""
    fake = stand.fake
    stand.start()
    _submitted(fake)
    restarted = _certify_typed(stand, kill=True)
    try:
        _wait_text(fake, APPLICANT, "公安备案号：京公网安备11010502030143号")
        fake.wait_until(
            lambda: any(
                "✔" in str(c.params.get("text")) for c in _after(fake, restarted, REVIEWER)
            ),
            30,
        )
        _settled(stand)
    finally:
        output = stand.stop()
    said = [str(c.params.get("text", "")) for c in _after(fake, restarted, REVIEWER)]
    assert not [s for s in said if "处理过" in s or "已由" in s], said
    assert sum(s.startswith("✔") for s in said) == 1
    certified = [
        c
        for c in fake.calls_of("sendMessage", APPLICANT)
        if "公安备案号：京公网安备11010502030143号" in str(c.params.get("text"))
    ]
    assert len(certified) == 1
    shown = stand.show()
    assert shown["status"] == "certified"
    assert [e["to"] for e in shown["events"]].count("certified") == 1
    assert "Traceback" not in output, _around(output, "Traceback")


def test_a_change_confirmation_cut_short_by_kill_9_is_recorded_once_and_told_once(
    stand: Stand,
) -> None:
    """The row of issue 26: 1 of 5 never got 「变更已记录」, reviewer cards waited out a
    5-minute lease. Now the change is recorded once, the applicant told once, the card sent
    once — right after the restart."""
    fake = stand.fake
    stand.start()
    _submitted(fake)
    _certify_typed(stand, kill=False)
    _wait_text(fake, APPLICANT, "公安备案号：京公网安备11010502030143号")
    _press(fake, APPLICANT, APPLICANT, "信息变更")
    _wait_text(fake, APPLICANT, "信息变更：这份备案的信息已重新打开")
    for text in ("/edit IP", "替换", "47.96.10.21", "完成", "确认"):
        fake.push(fake.text_update(APPLICANT, text))
    _wait_text(fake, APPLICANT, "变更内容（原 → 新）")
    fake.push(fake.text_update(APPLICANT, "11月28日 更换服务器"))
    _wait_text(fake, APPLICANT, "变更日期：2026年11月28日")
    fake.wait_until(lambda: stand.quiet(0), 30)
    fake.hang("sendMessage", chat_id=APPLICANT)
    _press(fake, APPLICANT, APPLICANT, "1. 确认报告变更")
    fake.wait_until(lambda: fake.hung, 30)
    stand.kill_and_restart(APPLICANT)
    try:
        _wait_text(fake, APPLICANT, "已记录变更")
        _wait_text(fake, REVIEWER, "【变更报告")
        _settled(stand)
    finally:
        output = stand.stop()
    told = [
        c
        for c in fake.calls_of("sendMessage", APPLICANT)
        if "已记录变更" in str(c.params.get("text"))
    ]
    assert len(told) == 1
    cards = [
        c
        for c in fake.calls_of("sendMessage", REVIEWER)
        if "【变更报告" in str(c.params.get("text"))
    ]
    assert len(cards) == 1  # by whichever instance claimed the notice first, once
    shown = stand.show()
    assert [e["to"] for e in shown["events"]].count("change_reported") == 1
    assert "Traceback" not in output, _around(output, "Traceback")


def test_a_reply_whose_send_failed_is_sent_again_once(fake: FakeBotAPI, tmp_path: Path) -> None:
    """A send that fails (Telegram's 500, a time-out) may or may not have reached the person:
    the turn's replies stay stored and the sweep sends them once more — never lost."""
    stand, user = Stand(fake, tmp_path, None).start(), 5203
    try:
        fake.push(fake.text_update(user, "/start"))
        fake.wait_until(lambda: any("第1/7步" in t for t in _texts(fake, user)), 30)
        fake.wait_until(lambda: stand.quiet(1), 30)
        fake.fail("sendMessage", 500, chat_id=user)
        fake.push(fake.text_update(user, "企叶"))
        fake.wait_until(lambda: any("第2/7步" in t for t in _texts(fake, user)), 30)
        _settled(stand)
    finally:
        output = stand.stop()
    assert sum("第2/7步" in t for t in _texts(fake, user)) == 1
    assert "its replies resent" in output
