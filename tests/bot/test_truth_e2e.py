"""What applicants and reviewers are told at the edges (issue 25), over the local Bot API:
the status after the interview, reviewers typing without the reply feature, a refused
公安备案号 asked again, a removed reviewer refused at once, the filing icon, who moved a
filing named by name."""

from __future__ import annotations

from pathlib import Path

from tests.bot.test_filing_life_e2e import (
    APPLICANT,
    REVIEWER,
    _beian,
    _bot,
    _interview,
    _last_with_button,
    _newest,
    _press,
    _show,
    _submitted,
    _wait_text,
    fake,  # noqa: F401 - the fixture
)
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.driver import message_text

SECOND = 9103


def _buttons(message: dict[str, object]) -> list[str]:
    markup = message.get("reply_markup") or {}
    assert isinstance(markup, dict)
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def test_after_the_interview_a_message_gets_the_real_status_not_a_false_submitted(
    fake: FakeBotAPI,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    bot = _bot(fake, tmp_path, str(REVIEWER))
    try:
        _interview(fake, APPLICANT)
        before = _newest(fake, APPLICANT)
        fake.push(fake.text_update(APPLICANT, "你好"))
        status = _wait_text(fake, APPLICANT, "#1 ", before)
        text = message_text(status)
        assert "还没有向示例市公安局" in text and "已在备案系统提交" in _buttons(status)
        assert "提交后点“已在备案系统提交”" in text  # the button it names is on the message
        assert "提交备案申请的期限：最迟于2026年12月25日（含当日），还剩27天" in text
        said = [message_text(m) for m in fake.chat_messages(APPLICANT)[-3:]]
        assert not any("已经提交" in s for s in said)
        # once submitted, the same question says since when and whose move it is
        _press(fake, APPLICANT, APPLICANT, "已在备案系统提交")
        _wait_text(fake, REVIEWER, "【已在备案系统提交】")
        before = _newest(fake, APPLICANT)
        fake.push(fake.text_update(APPLICANT, "在吗"))
        text = message_text(_wait_text(fake, APPLICANT, "#1 ", before))
        assert "已于2026年11月28日在备案系统提交，等待" in text
        assert "网安部门完成初审的期限：最迟于2026年12月4日（含当日）" in text  # the bureau's
    finally:
        assert bot.stop() == 0, bot.output()


def test_a_reviewer_may_type_without_replying_and_is_asked_again_for_a_bad_number(
    fake: FakeBotAPI,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    bot = _bot(fake, tmp_path, f"{REVIEWER},{SECOND}")
    try:
        _submitted(fake)
        # a second reviewer is removed: their press on the card is refused at once
        _beian(tmp_path, "reviewers", "add", str(SECOND), "--name", "李审")
        _beian(tmp_path, "reviewers", "remove", str(SECOND))
        card, data = _last_with_button(fake, REVIEWER, "退回整改")
        answered = len(fake.calls_of("answerCallbackQuery"))
        before = _newest(fake, REVIEWER)
        fake.push(fake.press_update(SECOND, card, data))
        fake.wait_until(lambda: len(fake.calls_of("answerCallbackQuery")) > answered)
        alert = fake.calls_of("answerCallbackQuery")[-1].params.get("text", "")
        assert "不是审核人员" in alert
        assert _newest(fake, REVIEWER) == before  # no reasons, no prompt: nothing to type

        # a command while the reason is awaited gives it up, and says so (the reason typed
        # next was taken as an answer of the applicant's interview, silently)
        _press(fake, REVIEWER, REVIEWER, "退回整改")
        _press(fake, REVIEWER, REVIEWER, "其他原因（回复输入）")
        _wait_text(fake, REVIEWER, "请回复退回整改的原因")
        before = _newest(fake, REVIEWER)
        fake.push(fake.text_update(REVIEWER, "/status"))
        _wait_text(fake, REVIEWER, "刚才等你输入的内容已不再等待", before)
        # and a reviewer who never filed is answered as a reviewer, not with an interview
        _wait_text(fake, REVIEWER, "你是审核人员。新的备案和变更会以卡片发给你", before)

        # the reviewer's own reason, typed as a plain message (no reply), asked again
        _press(fake, REVIEWER, REVIEWER, "其他原因（回复输入）")
        _wait_text(fake, REVIEWER, "请回复退回整改的原因")
        before = _newest(fake, REVIEWER)
        fake.push(fake.text_update(REVIEWER, "网站首页没有ICP备案号"))
        _wait_text(fake, APPLICANT, "退回整改，原因：网站首页没有ICP备案号")
        after = [message_text(m) for m in fake.chat_messages(REVIEWER)
                 if m["message_id"] > before]  # fmt: skip
        assert not any("我是备案助手" in s for s in after)  # no applicant interview started

        _press(fake, APPLICANT, APPLICANT, "整改后重新提交")
        for label in ("初审通过", "收到材料"):
            before = _newest(fake, APPLICANT)
            _press(fake, REVIEWER, REVIEWER, label)
            _wait_text(fake, APPLICANT, "最迟于", before)
        _press(fake, REVIEWER, REVIEWER, "复审通过")
        _wait_text(fake, REVIEWER, "请回复公安备案号")
        before = _newest(fake, REVIEWER)
        fake.push(fake.text_update(REVIEWER, "京公网安备1101050203014号"))  # 13 digits
        again = _wait_text(fake, REVIEWER, "请回复公安备案号", before)
        assert "公安备案号" in message_text(again).split("请回复")[0]  # why, then the prompt
        fake.push(fake.text_update(REVIEWER, "京公网安备11010502030143号 SL-9"))
        _wait_text(fake, APPLICANT, "公安备案号：京公网安备11010502030143号")

        # the icon: on the status until recorded, then its state
        before = _newest(fake, APPLICANT)
        fake.push(fake.text_update(APPLICANT, "/status"))
        status = _wait_text(fake, APPLICANT, "#1 ", before)
        assert "已放置图标" in _buttons(status)
        assert "备案图标：还没有放置" in message_text(status)
        _press(fake, APPLICANT, APPLICANT, "已放置图标")
        fake.wait_until(
            lambda: (
                "备案图标：已于2026年11月28日放置"
                in message_text(fake.messages[(APPLICANT, status["message_id"])])
            )
        )
        assert "已放置图标" not in _buttons(fake.messages[(APPLICANT, status["message_id"])])
    finally:
        assert bot.stop() == 0, bot.output()
    shown = _show(tmp_path)
    assert shown["events"][-1]["reason"] == "已放置备案图标"
    assert shown["status"] == "certified"
