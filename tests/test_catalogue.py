"""Every text, read from the catalogue (issue 25): both languages present, English English."""

from __future__ import annotations

import re
from functools import cache

from bot.catalogue import catalogue, in_language
from rules.text import Text

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
# English texts that rightly hold Chinese: examples of what the applicant types or reads.
CHINESE_ON_PURPOSE = {
    "dialogs.texts.WELCOME",  # “/lang zh 中文”: the way back to Chinese
    "bot.tg.filing_prompts._PROMPTS[certify]",  # an example 公安备案号, which is Chinese
    "bot.wx.acting._ASK[certify]",  # the same example on WeChat
    "bot.wx.texts.ASK_CERTIFICATE",
}


@cache
def _all() -> list[tuple[str, Text]]:
    return catalogue()


def test_the_catalogue_holds_the_texts_of_every_layer() -> None:
    where = {w.split(".")[0] for w, _ in _all()}
    assert {"rules", "dialogs", "bot", "documents", "questions"} <= {w.split(":")[0] for w in where}
    assert len(_all()) > 300
    zh = in_language("zh")
    assert zh["dialogs.texts.CONFIRM"] == "确认无误"


def test_every_text_has_both_languages() -> None:
    for where, text in _all():
        assert text.zh.strip() or not text.en.strip(), where
        assert text.en.strip() or not text.zh.strip(), where


def test_english_texts_are_english() -> None:
    """No Chinese and no full-width punctuation in an English text (issue 25: 「博客/个人空间」,
    full-width brackets in English)."""
    for where, text in _all():
        if where in CHINESE_ON_PURPOSE:
            continue
        assert not CJK.search(text.en), f"{where}: {text.en!r}"
