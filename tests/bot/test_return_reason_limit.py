"""A return's own reasons, typed to the bot: over 500 characters they are refused with their
length and asked again (issue 25 item 15: they were cut at 500, unmarked); nothing is cut."""

from __future__ import annotations

from pathlib import Path

from tests.bot.test_filing_life_e2e import (
    APPLICANT,
    REVIEWER,
    _bot,
    _press,
    _submitted,
    _wait_text,
    fake,  # noqa: F401 - the fixture
)
from tests.fakes.bot_api import FakeBotAPI


def test_a_typed_return_reason_too_long_is_asked_again_not_cut(
    fake: FakeBotAPI,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    bot = _bot(fake, tmp_path, str(REVIEWER))
    try:
        _submitted(fake)
        _press(fake, REVIEWER, REVIEWER, "退回整改")
        _press(fake, REVIEWER, REVIEWER, "其他原因（回复输入）")
        prompt = _wait_text(fake, REVIEWER, "请回复退回整改的原因")
        fake.push(fake.text_update(REVIEWER, "页面" * 301, reply_to=prompt))
        again = _wait_text(fake, REVIEWER, "退回原因最多500字（这次是602字），还没有记录")
        fake.push(fake.text_update(REVIEWER, "首页" + "缺少备案号" * 99, reply_to=again))
        told = _wait_text(fake, APPLICANT, "退回整改，原因：首页缺少备案号")
    finally:
        assert bot.stop() == 0, bot.output()
    assert "缺少备案号" * 99 + "。" in told["text"]  # whole: 497 characters, none cut
