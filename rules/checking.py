"""The shape of every field check: a normalised value or a reason, and input hygiene."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rules.text import Text, t


@dataclass(frozen=True)
class FieldResult:
    """The outcome of a check: `normalized` when valid, `error` (zh + en) when not."""

    valid: bool
    normalized: str | None = None
    error: Text | None = None


def ok(value: str) -> FieldResult:
    """Return a valid result holding `value`."""
    return FieldResult(valid=True, normalized=value)


def bad(zh: str, en: str) -> FieldResult:
    """Return an invalid result with its reason."""
    return FieldResult(valid=False, error=t(zh, en))


def fold(text: str) -> str:
    """Fold full-width letters, digits and punctuation to ASCII and trim the ends."""
    return unicodedata.normalize("NFKC", text).strip()


def _squeeze(text: str) -> str:
    """Fold, then drop spaces and the separators people type inside numbers."""
    return re.sub(r"[\s\-—–_.·]", "", fold(text))


_EMPTY = t("这一项不能为空。", "This field cannot be empty.")

# Characters no field may hold: they are invisible, reorder the text around them (a bidi
# override turned “a‮gpj.exe” into “aexe.jpg”), or are not valid Unicode at all.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_BROKEN = t(
    "含有无效的字符（可能在复制时损坏），请重新输入。",
    "Contains invalid characters (perhaps damaged when copied); please type it again.",
)
_HIDDEN = t(
    "含有不可见的控制字符或格式字符（如文字方向控制符、零宽字符），请删除后重新输入。",
    "Contains invisible control or formatting characters (such as direction marks or "
    "zero-width characters); please remove them.",
)


def broken_unicode(text: str) -> bool:
    """Say whether `text` is not valid Unicode text (lone surrogates, U+FFFD from bad bytes)."""
    return any(0xD800 <= ord(c) <= 0xDFFF or c == "\ufffd" for c in text)


def text_problem(text: str) -> Text | None:
    """Return why `text` cannot be a field's value: broken or invisible characters."""
    if broken_unicode(text):
        return _BROKEN
    for c in text:
        code = ord(c)
        if c in "\t\n\r":
            continue
        if code < 0x20 or 0x7F <= code <= 0x9F or c in _BIDI:
            return _HIDDEN
        category = unicodedata.category(c)
        if category in ("Cf", "Cn") or (0xFDD0 <= code <= 0xFDEF) or (code & 0xFFFE) == 0xFFFE:
            return _HIDDEN if category == "Cf" else _BROKEN
    return None


def _refusing_hidden(check: Callable[..., FieldResult]) -> Callable[..., FieldResult]:
    """Run `check` only on text free of broken and invisible characters."""

    def run(text: str, *args: Any, **kwargs: Any) -> FieldResult:
        problem = text_problem(text)
        if problem is not None:
            return FieldResult(valid=False, error=problem)
        return check(text, *args, **kwargs)

    run.__name__, run.__doc__ = check.__name__, check.__doc__
    return run


def _empty() -> FieldResult:
    return FieldResult(valid=False, error=_EMPTY)
