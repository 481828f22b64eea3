"""A card carries masked data only; its PDFs go to a registered reviewer privately, on request.

Issue 26: reviewer cards in a review group carried the PDFs with full ID numbers to every member
of the group. Now the card (masked, last 4 kept) has a 私发PDF给我 button: a registered reviewer
gets the filing form and the 告知书 in their private chat, logged (`console_reveal`); anyone
else in the group is refused; a reviewer who never wrote to the bot is told how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from models.db import make_engine
from models.tables import ConsoleReveal
from tests.bot.test_filing_life_e2e import ID_NUMBER, _interview, _last_with_button, _press
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.driver import TOKEN, BotProcess, message_text

APPLICANT, REVIEWER, MEMBER, GROUP = 8101, 9101, 8102, -100951


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    server = FakeBotAPI(TOKEN).start()
    yield server
    server.stop()


def _alerts(fake: FakeBotAPI) -> list[str]:
    return [str(c.params.get("text", "")) for c in fake.calls_of("answerCallbackQuery")]


def test_a_group_card_is_masked_and_its_pdfs_go_privately_to_a_reviewer_who_asks(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    env = {"BEIAN_REVIEWERS": str(REVIEWER), "BEIAN_REVIEW_CHAT": str(GROUP)}
    bot = BotProcess(fake, tmp_path, env=env).start()
    try:
        _interview(fake, APPLICANT)
        _press(fake, APPLICANT, APPLICANT, "已在备案系统提交")
        card, data = _last_with_button(fake, GROUP, "私发PDF给我")
        assert "【已在备案系统提交】" in message_text(card)
        assert ID_NUMBER not in message_text(card) and ID_NUMBER[-4:] in message_text(card)
        assert fake.calls_of("sendDocument", GROUP) == []  # no PDF to the whole group

        fake.push(fake.press_update(MEMBER, card, data))  # a group member, not a reviewer
        fake.wait_until(lambda: any("不是审核人员" in a for a in _alerts(fake)))
        fake.block(REVIEWER)  # the reviewer never wrote to the bot
        fake.push(fake.press_update(REVIEWER, card, data))
        fake.wait_until(lambda: any("/start" in a for a in _alerts(fake)))
        assert fake.calls_of("sendDocument", MEMBER) == []
        fake.unblock(REVIEWER)
        fake.push(fake.press_update(REVIEWER, card, data))
        fake.wait_until(lambda: any("已私发给你" in a for a in _alerts(fake)))
        sent = fake.calls_of("sendDocument", REVIEWER)
    finally:
        assert bot.stop() == 0, bot.output()
    assert len([c for c in sent if c.status == 200]) == 2  # the filing form and the 告知书
    assert fake.calls_of("sendDocument", GROUP) == []
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    try:
        with Session(engine) as session:
            logged = session.exec(select(ConsoleReveal)).all()
    finally:
        engine.dispose()
    assert sorted(r.field for r in logged) == ["pdf:filing-form", "pdf:responsibility"]
    assert {r.reviewer_id for r in logged} == {REVIEWER}
    assert f"PDFs sent privately to reviewer {REVIEWER}" in bot.output()


def test_a_group_card_stays_chinese_when_a_reviewer_with_english_telegram_presses(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    """A press by a reviewer whose Telegram is in English rewrote the shared group card in
    English (the card is the whole group's: the bureau's language)."""
    env = {"BEIAN_REVIEWERS": str(REVIEWER), "BEIAN_REVIEW_CHAT": str(GROUP)}
    bot = BotProcess(fake, tmp_path, env=env).start()
    try:
        _interview(fake, APPLICANT)
        _press(fake, APPLICANT, APPLICANT, "已在备案系统提交")
        card, data = _last_with_button(fake, GROUP, "初审通过")
        fake.push(fake.press_update(REVIEWER, card, data, language_code="en"))
        edited = fake.wait_until(
            lambda: [
                c
                for c in fake.calls_of("editMessageText", GROUP)
                if "初审通过" in str(c.params.get("text"))
            ]
        )
    finally:
        assert bot.stop() == 0, bot.output()
    text = str(edited[-1].params["text"])
    assert "初审通过，待送材料" in text and "initial review passed" not in text, text
    buttons = str(edited[-1].params.get("reply_markup"))
    assert "Return" not in buttons and "Materials" not in buttons, buttons
