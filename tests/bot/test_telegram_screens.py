"""What a Telegram user sees of the interview's screens: multi-select ticked in place, old
keyboards retired once answered, the summary as a review screen with one button per section."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dialogs.transcripts import ENTERPRISE
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.driver import TOKEN, BotProcess, Person, message_text

TO_SERVICES = ENTERPRISE[
    : next(i for i, (_, e) in enumerate(ENTERPRISE) if "提供哪些服务" in e) + 1
]
TO_SUMMARY = ENTERPRISE[
    : next(i for i, (_, e) in enumerate(ENTERPRISE) if "请核对你的全部信息" in e) + 1
]


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    server = FakeBotAPI(TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def bot(fake: FakeBotAPI, tmp_path: Path) -> Iterator[BotProcess]:
    process = BotProcess(fake, tmp_path).start()
    yield process
    assert process.stop() == 0, process.output()


def _buttons(message: dict[str, object]) -> list[str]:
    markup = message.get("reply_markup") or {}
    assert isinstance(markup, dict)
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def _walk(person: Person, transcript: list[tuple[str, object]]) -> None:
    person.says("/start", "网站是以什么身份开办的")
    for said, expected in transcript:
        person.says(said, expected)  # type: ignore[arg-type]


def test_multi_select_is_one_message_ticked_and_unticked_in_place(
    fake: FakeBotAPI, bot: BotProcess
) -> None:
    person = Person(fake, 7101)
    _walk(person, TO_SERVICES)
    question = person.last_keyboard()
    assert question is not None
    labels = _buttons(question)
    assert "1. 单位门户网站" in labels and "完成" in labels  # the numbers the hint speaks of
    once = person.toggles("单位门户网站", "✅ 1. 单位门户网站")
    assert once["message_id"] == question["message_id"]
    twice = person.toggles("综合信息", ("✅ 1. 单位门户网站", "✅ 2. 综合信息"))
    assert "已选：单位门户网站、综合信息" in twice["text"]
    undone = person.toggles("单位门户网站", "✅ 2. 综合信息")
    assert "✅ 1. 单位门户网站" not in _buttons(undone)
    assert "1. 单位门户网站" in _buttons(undone)
    person.says("[完成]", "经营性还是非经营性")
    answered = fake.messages[(person.user_id, question["message_id"])]
    assert "reply_markup" not in answered  # done: its buttons are gone
    person.says("/edit 服务类型", ("服务类型目前是：综合信息", "添加"))


def test_a_typed_answer_retires_the_keyboard_of_its_question(
    fake: FakeBotAPI, bot: BotProcess
) -> None:
    person = Person(fake, 7102)
    person.says("/start", "网站是以什么身份开办的")
    first = person.last_keyboard()
    assert first is not None
    person.says("企业", "网站系统在哪里维护")
    assert "reply_markup" not in fake.messages[(person.user_id, first["message_id"])]
    second = person.last_keyboard()
    assert second is not None and second["message_id"] != first["message_id"]
    person.says("/status", "已填写1项")  # a command answers nothing: the new buttons go too
    assert "reply_markup" not in fake.messages[(person.user_id, second["message_id"])]
    assert person.last_keyboard() is not None  # the question asked again carries them


def test_the_summary_is_a_review_screen_with_one_button_per_section(
    fake: FakeBotAPI, bot: BotProcess
) -> None:
    person = Person(fake, 7103)
    _walk(person, TO_SUMMARY)
    summary = person.last_keyboard()
    assert summary is not None
    labels = _buttons(summary)
    assert labels[0] == "1. 确认无误"
    sections = [label for label in labels if "修改：" in label]
    assert any("网站信息" in label for label in sections)
    assert any("人员" in label or "负责人" in label for label in sections), sections
    assert len(labels) <= 9  # a screen, not a wall: confirm plus one button per section
    text = summary["text"]
    assert "应急联系人姓名：陈急" in text  # the person, not "另填一人"
    reply = person.says("/status", "你在核对页")
    assert "陈急" not in reply  # a short reminder, not the whole summary again
    items = person.says("[修改：网站信息]", "要修改哪一项")
    assert "域名" in items and "返回核对页" in items
    assert "法定代表人" not in items  # only this section's items
    back = person.says("[返回核对页]", "请核对你的全部信息")
    assert "确认无误" in back
    edit_menu = person.says("/edit", "要修改哪一部分")
    menu = person.last_keyboard()
    assert menu is not None
    assert "返回核对页" in _buttons(menu)
    assert len(_buttons(menu)) <= 9, message_text(menu)
    assert "网站信息" in edit_menu
