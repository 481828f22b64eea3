"""Which option an answer means: one path for every choice, refusing what it cannot place.

A number (full-width too), a label, a synonym; then a name inside the text ("我是企业"), a
unique part of a name ("博客"), a close typo of a Chinese name ("企叶"). Several at once for a
multi-select: "1, 4", "1、4", "1 4", "1和4", "1 and 4", "论坛、博客". What looks like the answer
to another question — an e-mail, a date, a phone number, a web address, a yes or no, 完成 — is
never taken for an option: the caller refuses it and shows the options.
"""

from __future__ import annotations

import difflib
import re

from dialogs.spec import Option, normalize

_HAN = re.compile(r"[\u3400-\u9fff]")
_LIST_SEPARATORS = re.compile(r"\s*(?:[,，、;；/]|\s|和|与|及|以及|\band\b|&|\+)\s*")
_ELSEWHERE = (
    re.compile(r"@"),  # an e-mail address
    re.compile(r"\d{4}[-/.年]\d{1,2}"),  # a date
    re.compile(r"\d{7,}"),  # a phone or ID number
    re.compile(r"https?:|www\.|\.(com|cn|net|org)\b", re.IGNORECASE),  # a web address
)
_YES_NO_DONE = {
    normalize(w)
    for w in (
        "是", "否", "是的", "不是", "对", "不对", "有", "没有", "无", "好", "好的", "嗯",
        "yes", "no", "ok", "okay", "完成", "好了", "就这些", "done", "finish",
    )
}  # fmt: skip


def looks_elsewhere(text: str) -> bool:
    """Say whether `text` looks like the answer to some other kind of question."""
    return any(pattern.search(text) for pattern in _ELSEWHERE)


def match_option(text: str, options: tuple[Option, ...], *, strict: bool = False) -> Option | None:
    """Return the option meant by one answer, or None when it means none of them.

    `strict`: only a number or a whole name counts (yes/no questions and confirmations, where
    a guess could record the wrong legal fact or delete data)."""
    word = normalize(text)
    if not word:
        return None
    if word.isdigit():
        index = int(word) - 1
        return options[index] if 0 <= index < len(options) else None
    for option in options:
        if word in option.names:
            return option
    if strict or looks_elsewhere(text) or word in _YES_NO_DONE:
        return None
    # "我是企业", "不在本市": the option whose name, inside the text, is longest.
    best: dict[str, int] = {}
    for option in options:
        for name in option.names:
            if len(name) >= 2 and name in word:
                best[option.id] = max(best.get(option.id, 0), len(name))
    if best:
        top = max(best.values())
        winners = [oid for oid, n in best.items() if n == top]
        return _one(options, winners)
    # A part of one option's name: "博客" for "博客/个人空间".
    if len(word) >= 2:
        holders = [o.id for o in options if any(word in name for name in o.names)]
        if holders:
            return _one(options, holders)
    return _typo(word, options)


def _one(options: tuple[Option, ...], ids: list[str]) -> Option | None:
    return next(o for o in options if o.id == ids[0]) if len(set(ids)) == 1 else None


def _typo(word: str, options: tuple[Option, ...]) -> Option | None:
    """A close misspelling of a Chinese name ("企叶" for 企业), of an English one ("enterprize");
    never of an id, never of a short Latin word (yes → news)."""
    chinese = bool(_HAN.search(word))
    if len(word) > 12 or (not chinese and len(word) < 5):
        return None
    floor = 0.5 if chinese else 0.8
    scores: dict[str, float] = {}
    for option in options:
        for name in option.spoken:  # never the id (an English label may equal it)
            if bool(_HAN.search(name)) != chinese:
                continue
            ratio = difflib.SequenceMatcher(None, word, name).ratio()
            scores[option.id] = max(scores.get(option.id, 0.0), ratio)
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    if ranked and ranked[0][1] >= floor and (len(ranked) == 1 or ranked[1][1] < ranked[0][1]):
        return next(o for o in options if o.id == ranked[0][0])
    return None


def split_choices(text: str) -> list[str]:
    """Split a multi-select answer into its parts ("1, 4", "1和4", "1 and 4", "论坛、博客")."""
    parts = [p for p in _LIST_SEPARATORS.split(text.strip()) if p and p.strip()]
    return parts or [text]


def match_options(text: str, options: tuple[Option, ...]) -> tuple[list[Option], str | None]:
    """Return the options a multi-select answer means, in order, and the first part that
    means none (None when every part was placed)."""
    whole = match_option(text, options, strict=True)
    if whole is not None:
        return [whole], None  # one whole name, spaces and all ("online video")
    picked: list[Option] = []
    for part in split_choices(text):
        option = match_option(part, options)
        if option is None:
            return picked, part
        if option not in picked:
            picked.append(option)
    return picked, None
