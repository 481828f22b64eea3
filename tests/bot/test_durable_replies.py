"""A turn's replies are stored with it: kill -9 between the commit and the send loses none.

The Bot API stand-in holds a send unanswered (`FakeBotAPI.hang`: it never reaches the person)
and the bot is killed while it waits: the turn is committed, its inbox row done, its replies
not sent. Before replies were stored with the turn they were lost; now the restarted bot sends
them, once, in their order: a question's reply, and a confirmation's message, documents and the
filing's status with its buttons after them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from models.db import make_engine
from models.tables import InboxUpdate
from tests.bot.test_filing_life_e2e import (
    APPLICANT,
    REVIEWER,
    _press,
    _show,
    _submitted,
    _wait_text,
)
from tests.dialogs.transcripts import SUBMITTING
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.driver import TOKEN, BotProcess


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    server = FakeBotAPI(TOKEN).start()
    yield server
    server.stop()


def _row(tmp_path: Path, update_id: int) -> InboxUpdate:
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    try:
        with Session(engine) as session:
            row = session.exec(select(InboxUpdate).where(InboxUpdate.update_id == update_id)).one()
            session.expunge(row)
            return row
    finally:
        engine.dispose()


def _unsent(tmp_path: Path) -> int:
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    try:
        with Session(engine) as session:
            return len(
                session.exec(select(InboxUpdate).where(InboxUpdate.reply.is_not(None))).all()
            )  # type: ignore[union-attr]
    finally:
        engine.dispose()


def _texts(fake: FakeBotAPI, user: int) -> list[str]:
    return [str(c.params.get("text", "")) for c in fake.calls_of("sendMessage", user)]


def test_a_reply_cut_short_by_kill_9_is_sent_once_after_the_restart(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    user = 5201
    bot = BotProcess(fake, tmp_path).start()
    fake.push(fake.text_update(user, "/start"))
    fake.wait_until(lambda: any("第1/7步" in t for t in _texts(fake, user)), 30)
    fake.wait_until(lambda: _unsent(tmp_path) == 0, 30)
    fake.hang("sendMessage", chat_id=user)
    answer = fake.push(fake.text_update(user, "企叶"))
    fake.wait_until(lambda: fake.hung, 30)  # committed; its reply on the way, never to arrive
    bot.kill()
    row = _row(tmp_path, answer["update_id"])
    assert row.done_at is not None and row.reply, "the turn was stored with its replies"
    assert not any("第2/7步" in t for t in _texts(fake, user))
    bot = BotProcess(fake, tmp_path).start()
    try:
        fake.wait_until(lambda: any("第2/7步" in t for t in _texts(fake, user)), 30)
        fake.wait_until(lambda: _unsent(tmp_path) == 0, 30)  # sent, then forgotten
        time.sleep(1.0)  # a second sweep would send it again, were it not forgotten
    finally:
        assert bot.stop() == 0, bot.output()
    assert sum("第2/7步" in t for t in _texts(fake, user)) == 1
    assert _row(tmp_path, answer["update_id"]).reply is None
    assert "Traceback" not in bot.output()


def _markup(call: Any) -> str:
    return str(call.params.get("reply_markup") or "")


def test_a_confirmation_killed_before_its_first_reply_gets_documents_then_status(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    """The row of issue 26: 4 of 4 interrupted applicants never got the status message with
    已在备案系统提交. Now: the confirmation's message, each PDF once, then the status."""
    user = 5202
    said = ["/start", *(s for s, _ in SUBMITTING["enterprise"])]
    bot = BotProcess(fake, tmp_path).start()
    for text in said[:-1]:
        fake.push(fake.text_update(user, text))
    fake.wait_until(
        lambda: any("确认无误" in _markup(c) for c in fake.calls_of("sendMessage", user)), 60
    )
    # Replies in flight at a kill may be repeated; those sent before are forgotten at once.
    fake.wait_until(lambda: _unsent(tmp_path) == 0, 30)
    fake.hang("sendMessage", chat_id=user)
    fake.push(fake.text_update(user, said[-1]))  # 确认
    fake.wait_until(lambda: fake.hung, 60)
    bot.kill()
    assert fake.calls_of("sendDocument", user) == []
    restarted = time.monotonic()
    bot = BotProcess(fake, tmp_path).start()
    try:
        fake.wait_until(
            lambda: any(
                "已在备案系统提交" in _markup(c) for c in fake.calls_of("sendMessage", user)
            ),
            90,
        )
        fake.wait_until(lambda: _unsent(tmp_path) == 0, 30)
        time.sleep(1.0)
    finally:
        assert bot.stop() == 0, bot.output()
    documents = fake.calls_of("sendDocument", user)
    names = [next(iter(c.files.values()))[0] for c in documents]
    assert len(names) == len(set(names)) == 5  # each once (a two-city route has a fifth)
    after = [c for c in fake.calls_of("sendMessage", user) if c.at > restarted]
    status = [c for c in after if "已在备案系统提交" in _markup(c)]
    assert len(status) == 1
    assert status[0].at > max(c.at for c in documents)  # the status follows the PDFs
    first = [c for c in after if c.at < min(d.at for d in documents)]
    assert len(first) == 1 and first[0].params.get("text"), "the confirmation message, once"
    assert "Traceback" not in bot.output()


def _after(fake: FakeBotAPI, since: float, chat: int) -> list[Any]:
    return [c for c in fake.calls if c.at > since and str(c.params.get("chat_id")) == str(chat)]


def test_a_reviewer_s_press_cut_short_by_kill_9_is_not_answered_again_as_a_refusal(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    """The row of issue 26: reviewers told 「已由 reviewer:<themselves> 处理」 after their own
    success — the press was applied, the process died before marking its update done, and the
    recovered update was refused. Now the update is done with the action's commit; the notice
    to the applicant still arrives, once."""
    env = {"BEIAN_REVIEWERS": str(REVIEWER)}
    bot = BotProcess(fake, tmp_path, env=env).start()
    _submitted(fake)
    fake.wait_until(lambda: _unsent(tmp_path) == 0, 30)
    fake.hang("answerCallbackQuery")  # the press's answer, after the action's commit
    _press(fake, REVIEWER, REVIEWER, "初审通过")
    fake.wait_until(lambda: fake.hung, 30)
    bot.kill()
    restarted = time.monotonic()
    bot = BotProcess(fake, tmp_path, env=env).start()
    try:
        _wait_text(fake, APPLICANT, "（含当日）携带盖章（签字）材料")
        fake.wait_until(lambda: _unsent(tmp_path) == 0, 30)
        time.sleep(1.0)
    finally:
        assert bot.stop() == 0, bot.output()
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
    events = [(e["from"], e["to"]) for e in _show(tmp_path)["events"]]
    assert events.count(("submitted", "initial_review_passed")) == 1
    assert "Traceback" not in bot.output()


def test_a_typed_psb_number_cut_short_by_kill_9_is_certified_once_and_confirmed_once(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    """复审通过 with the 公安备案号 typed in reply: the process dies before its ✔ reaches the
    reviewer. After the restart the reviewer gets the ✔ (stored with the action), is not told
    the filing was handled already, and the applicant's 🎉 notice arrives once."""
    env = {"BEIAN_REVIEWERS": str(REVIEWER)}
    bot = BotProcess(fake, tmp_path, env=env).start()
    _submitted(fake)
    _press(fake, REVIEWER, REVIEWER, "初审通过")
    _wait_text(fake, APPLICANT, "（含当日）携带盖章（签字）材料")
    _press(fake, REVIEWER, REVIEWER, "收到材料")
    _wait_text(fake, APPLICANT, "收到材料，应最迟于")
    _press(fake, REVIEWER, REVIEWER, "复审通过")
    prompt = _wait_text(fake, REVIEWER, "请回复公安备案号")
    fake.wait_until(lambda: _unsent(tmp_path) == 0, 30)
    fake.hang("sendMessage", chat_id=REVIEWER)  # the ✔ after the commit
    fake.push(fake.text_update(REVIEWER, "京公网安备11010502030143号", reply_to=prompt))
    fake.wait_until(lambda: fake.hung, 30)
    bot.kill()
    restarted = time.monotonic()
    bot = BotProcess(fake, tmp_path, env=env).start()
    try:
        _wait_text(fake, APPLICANT, "公安备案号：京公网安备11010502030143号")
        fake.wait_until(
            lambda: any(
                "✔" in str(c.params.get("text")) for c in _after(fake, restarted, REVIEWER)
            ),
            30,
        )
        fake.wait_until(lambda: _unsent(tmp_path) == 0, 30)
        time.sleep(1.0)
    finally:
        assert bot.stop() == 0, bot.output()
    said = [str(c.params.get("text", "")) for c in _after(fake, restarted, REVIEWER)]
    assert not [s for s in said if "处理过" in s or "已由" in s], said
    assert sum(s.startswith("✔") for s in said) == 1
    certified = [
        c
        for c in fake.calls_of("sendMessage", APPLICANT)
        if "公安备案号：京公网安备11010502030143号" in str(c.params.get("text"))
    ]
    assert len(certified) == 1
    shown = _show(tmp_path)
    assert shown["status"] == "certified"
    assert [e["to"] for e in shown["events"]].count("certified") == 1
