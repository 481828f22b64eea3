"""Telegram's limits over the local Bot API (issue 25 item 9, issue 26 item 8): the longest
answers the interview accepts reach the documents, a status whose button submits, /status and
/start; a change of 50 long domains is recorded and told; a double press is no error; what
Telegram refuses for good is failed at once, not retried. The server refuses every call over a
limit (the autouse check fails the test on any)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.bot.test_changes_e2e import _certified, _type
from tests.bot.test_filing_life_e2e import (
    APPLICANT,
    REVIEWER,
    _bot,
    _last_with_button,
    _newest,
    _press,
    _submitted,
    _wait_text,
    fake,  # noqa: F401 - the fixture
)
from tests.dialogs.longest import LONGEST, NEW_DOMAINS, SITE_NAME, in_messages
from tests.dialogs.transcripts import INDIVIDUAL
from tests.fakes import bot_api
from tests.fakes.bot_api import Call, FakeBotAPI
from tests.fakes.driver import Person, message_text


def _outbox(tmp_path: Path, kind: str) -> list[tuple[str, str | None, int | None]]:
    with sqlite3.connect(tmp_path / "bot.db") as db:
        rows = db.execute(
            "select status, last_error, chat_id from outbox where kind = ? order by id", (kind,)
        )
        return list(rows.fetchall())


def _texts(api: FakeBotAPI, chat: int, after: int = 0) -> list[str]:
    return [message_text(m) for m in api.chat_messages(chat) if m["message_id"] > after]


def test_the_longest_answers_reach_the_documents_and_a_status_that_submits(
    fake: FakeBotAPI,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    bot = _bot(fake, tmp_path, str(REVIEWER))
    try:
        person = Person(fake, APPLICANT)
        person.says("/start", "网站是以什么身份开办的")
        for said, expected in LONGEST[:-1]:
            person.says(said, expected)
        _last_with_button(fake, APPLICANT, "1. 确认无误")  # the summary's last part has come
        messages = fake.chat_messages(APPLICANT)
        start = max(i for i, m in enumerate(messages) if "请核对" in m.get("text", ""))
        summary = [message_text(m) for m in messages[start:]]
        assert len(summary) == 2 and "确认无误" in summary[-1]  # split; the buttons on the last
        assert "（共50项）" in summary[0]  # the domains, abbreviated
        fake.push(fake.text_update(APPLICANT, LONGEST[-1][0]))  # 确认提交
        fake.wait_until(lambda: len(fake.calls_of("sendDocument", APPLICANT)) >= 4, 180)
        status, _ = _last_with_button(fake, APPLICANT, "已在备案系统提交")
        text = message_text(status)
        assert SITE_NAME in text and "（共50项）" in text

        before = _newest(fake, APPLICANT)  # /status and /start show it again, buttons and all
        _type(fake, "/status")
        again = _wait_text(fake, APPLICANT, "已在备案系统提交", before)
        assert SITE_NAME in message_text(again)
        before = _newest(fake, APPLICANT)
        _type(fake, "/start")
        _wait_text(fake, APPLICANT, "已在备案系统提交", before)

        _press(fake, APPLICANT, APPLICANT, "已在备案系统提交")
        card = message_text(_wait_text(fake, REVIEWER, "【已在备案系统提交】"))
        assert "（共50项）" in card
        _wait_text(fake, APPLICANT, "完成初审")
    finally:
        assert bot.stop() == 0, bot.output()
    assert "Traceback" not in bot.output()
    sent = [c for c in fake.calls if c.method == "sendMessage" and c.status == 200]
    assert max(bot_api.telegram_length(c.params["text"]) for c in sent) > 2000  # split, not cut


def test_a_change_of_fifty_long_domains_is_recorded_and_told(
    fake: FakeBotAPI,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    bot = _bot(fake, tmp_path, str(REVIEWER))
    try:
        _certified(fake)
        _press(fake, APPLICANT, APPLICANT, "信息变更")
        _wait_text(fake, APPLICANT, "信息变更：这份备案的信息已重新打开")
        _type(fake, "/edit 域名", "替换", NEW_DOMAINS[0], *in_messages(NEW_DOMAINS[1:]), "完成")
        _type(fake, "确认")
        diff = message_text(_wait_text(fake, APPLICANT, "变更内容（原 → 新）"))
        assert "删除 blog.xiaoji.example.cn" in diff and "新增 " in diff and "（共50项）" in diff
        _type(fake, "更换域名")
        _press(fake, APPLICANT, APPLICANT, "1. 确认报告变更")
        told = message_text(_wait_text(fake, APPLICANT, "已记录变更"))
        assert "（共50项）" in told and "最迟于2026年12月28日（含当日）" in told
        card = message_text(_wait_text(fake, REVIEWER, "【变更报告"))
        assert "（共50项）" in card
        _last_with_button(fake, REVIEWER, "变更审核通过")
    finally:
        assert bot.stop() == 0, bot.output()
    assert "Traceback" not in bot.output()
    assert all(status == "sent" for status, _, _ in _outbox(tmp_path, "notice"))


def test_a_reviewer_pressing_return_twice_gets_no_error(
    fake: FakeBotAPI,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    bot = _bot(fake, tmp_path, str(REVIEWER))
    try:
        _submitted(fake)
        card, data = _last_with_button(fake, REVIEWER, "退回整改")
        before = len(fake.calls_of("editMessageReplyMarkup", REVIEWER))
        fake.push(fake.press_update(REVIEWER, card, data))
        fake.push(fake.press_update(REVIEWER, card, data))  # the same button, pressed twice

        def two_edits() -> list[Call]:
            edits = fake.calls_of("editMessageReplyMarkup", REVIEWER)[before:]
            return edits if len(edits) >= 2 else []

        assert [c.status for c in fake.wait_until(two_edits)] == [200, 400]  # "not modified"
        refused = [why for call, why in fake.refusals if call.method == "editMessageReplyMarkup"]
        assert refused == [bot_api.NOT_MODIFIED]
        _last_with_button(fake, REVIEWER, "网站名称与ICP备案不一致")  # the reasons, once
        _press(fake, REVIEWER, REVIEWER, "网站名称与ICP备案不一致")
        _wait_text(fake, APPLICANT, "退回整改，原因：网站名称与ICP备案不一致")
    finally:
        assert bot.stop() == 0, bot.output()
    assert not any("抱歉" in text for text in _texts(fake, REVIEWER))  # no apology
    assert "Traceback" not in bot.output() and "failed" not in bot.output()


def test_a_card_or_documents_telegram_refuses_fail_at_once_not_retried(
    fake: FakeBotAPI,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    bot = _bot(fake, tmp_path, str(REVIEWER))
    try:
        fake.fail("sendDocument", 400, chat_id=APPLICANT)  # "chat not found": never passes
        person = Person(fake, APPLICANT)
        for said, _ in [("/start", ""), *INDIVIDUAL[:-1]]:
            fake.push(fake.text_update(APPLICANT, said))
        person.says(INDIVIDUAL[-1][0], "文件已准备好")
        fake.wait_until(lambda: _outbox(tmp_path, "documents")[0][0] != "pending", 60)
        assert _outbox(tmp_path, "documents") == [("failed", "400: Chat not found", APPLICANT)]
        fake.fail("sendMessage", 400, chat_id=REVIEWER)
        _press(fake, APPLICANT, APPLICANT, "已在备案系统提交")
        _wait_text(fake, APPLICANT, "完成初审")
        fake.wait_until(lambda: ("failed", "400: Chat not found", REVIEWER) in _outbox(
            tmp_path, "notice"))  # fmt: skip
    finally:
        assert bot.stop() == 0, bot.output()
    assert len(fake.calls_of("sendDocument", APPLICANT)) == 1  # not tried again
    assert len(fake.calls_of("sendMessage", REVIEWER)) == 1
    log = bot.output()
    assert f"to chat {APPLICANT} failed: Telegram refused it (Chat not found)" in log
    assert f"to chat {REVIEWER} failed: Telegram refused it (Chat not found)" in log
    assert "Traceback" not in log
