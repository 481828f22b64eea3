"""Telegram presentation rules: message limits, callback data, languages, merged replies."""

from __future__ import annotations

import pytest
from telegram import InlineKeyboardMarkup

from bot.tg import ui
from dialogs.model import Choice, Reply


def test_long_texts_split_on_line_boundaries_under_the_limit() -> None:
    lines = [f"第{i}行：" + "字" * 50 for i in range(300)]
    chunks = ui.split_text("\n".join(lines))
    assert len(chunks) > 1
    assert all(len(chunk) <= ui.TEXT_LIMIT for chunk in chunks)
    assert "\n".join(chunks) == "\n".join(lines)  # nothing lost, every cut at a newline


def test_a_single_line_longer_than_a_message_is_cut() -> None:
    chunks = ui.split_text("字" * 9000)
    assert [len(c) for c in chunks] == [4096, 4096, 808]


def test_a_short_text_is_one_message() -> None:
    assert ui.split_text("你好") == ["你好"]


KEY = ui.button_key("123456789:TESTtokenForTheLocalFakeBotApiServer0")


def test_callback_data_carries_ids_within_64_bytes_signed_for_its_chat() -> None:
    data = ui.callback_data("17", "enterprise", 5001, KEY)
    assert len(data.encode()) <= 64
    assert data.isascii()
    assert ui.parse_callback(data, 5001, KEY) == ("17", "enterprise")
    assert ui.parse_callback(data, 5002, KEY) is None  # pressed in another chat
    other_key = ui.button_key("987654321:AnotherTokenAnotherBotAnotherKey000")
    assert ui.parse_callback(data, 5001, other_key) is None  # made by another bot
    forged = "18" + data[2:]
    assert ui.parse_callback(forged, 5001, KEY) is None  # another asking, same signature
    assert ui.parse_callback("17|server|local", 5001, KEY) is None
    assert ui.parse_callback("server|local", 5001, KEY) is None
    assert ui.parse_callback(None, 5001, KEY) is None
    with pytest.raises(ValueError, match="64 bytes"):
        ui.callback_data("问题" * 11, "选项", 5001, KEY)


@pytest.mark.parametrize(
    ("code", "lang"),
    [("zh-hans", "zh"), ("zh-hant", "zh"), ("zh", "zh"), (None, "zh"), ("en", "en"), ("de", "en")],
)
def test_the_telegram_language_preselects_the_interview_language(
    code: str | None, lang: str
) -> None:
    assert ui.language_of(code) == lang


def test_plain_replies_ride_along_with_the_next_question() -> None:
    choices = (Choice("local", "本市", 1), Choice("elsewhere", "外地", 2))
    question = Reply("哪里维护？", choices, "m")
    merged = ui.merge_replies([Reply("✔ 企业"), question, Reply("提示")])
    assert merged == [("✔ 企业\n\n哪里维护？", question), ("提示", None)]


def test_the_keyboard_carries_the_asking_and_ids_not_labels() -> None:
    reply = Reply("选？", (Choice("yes", "是", 1), Choice("no", "否", 2)), "9")
    markup = ui.keyboard(reply, 5001, KEY)
    assert markup is not None
    sent = markup.to_dict()  # what Telegram receives
    datas = [b["callback_data"] for row in sent["inline_keyboard"] for b in row]
    assert [ui.parse_callback(d, 5001, KEY) for d in datas] == [("9", "yes"), ("9", "no")]
    assert [b["text"] for row in sent["inline_keyboard"] for b in row] == ["是", "否"]
    received = InlineKeyboardMarkup.de_json(sent, None)  # as it comes back with a press
    assert ui.label_of(received, datas[1]) == "否"
    assert ui.keyboard(Reply("无选项"), 5001, KEY) is None
    other = ui.keyboard(Reply("选？", reply.choices, "10"), 5002, KEY)
    assert other is not None
    assert other.to_dict() != sent  # signed for another chat and asking
    assert markup.to_dict() == sent  # one keyboard's dict is not changed by the next


def test_the_command_menu_exists_in_both_languages() -> None:
    zh, en = ui.commands("zh"), ui.commands("en")
    assert [c.command for c in zh] == [c.command for c in en]
    assert {"start", "back", "edit", "skip", "cancel", "restart", "status", "help", "lang"} <= {
        c.command for c in zh
    }


def test_every_document_kind_has_a_caption_in_both_languages() -> None:
    from documents.captions import caption
    from rules.enums import DocumentKind

    for kind in DocumentKind:
        for individual in (False, True):
            text = caption(kind, individual=individual)
            assert text.zh and text.en


def test_captions_call_the_drafts_drafts_and_name_who_stamps_or_signs() -> None:
    """The notice has the system's own 备案表 and 告知书 stamped after 初审; ours are drafts."""
    from documents.captions import caption
    from rules.enums import DocumentKind

    for kind in (DocumentKind.FILING_FORM, DocumentKind.RESPONSIBILITY):
        unit, person = caption(kind, individual=False), caption(kind, individual=True)
        for text in (unit, person):
            assert "预填稿" in text.zh and "draft" in text.en
            assert "初审合格后从备案系统下载生成" in text.zh
        assert "盖章" in unit.zh and "签字" not in unit.zh
        assert "签字" in person.zh and "盖章" not in person.zh
        assert "stamp" not in person.en
