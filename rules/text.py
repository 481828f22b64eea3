"""Bilingual text: every user-facing string in rules/ carries Chinese first, English second."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Lang = Literal["zh", "en"]


class Text(BaseModel):
    """A message in Simplified Chinese and English."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    zh: str
    en: str

    def get(self, lang: Lang) -> str:
        """Return the text in `lang`."""
        return self.en if lang == "en" else self.zh

    def fill(self, lang: Lang, **values: object) -> str:
        """Return the text in `lang` with `{name}` placeholders filled (only that language)."""
        return self.get(lang).format(**values)

    def format(self, **values: object) -> Text:
        """Fill `{name}` placeholders in both languages."""
        return Text(zh=self.zh.format(**values), en=self.en.format(**values))

    def __add__(self, other: Text) -> Text:
        sep_en = "" if not self.en or not other.en else " "
        return Text(zh=self.zh + other.zh, en=self.en + sep_en + other.en)


def t(zh: str, en: str) -> Text:
    """Build a Text; short to keep tables of messages readable."""
    return Text(zh=zh, en=en)


# Every button label defined in the code (module level: a bounded set), so a test can check
# that each quoted button in a message (点 or press, then the label) names one that exists.
BUTTON_LABELS: list[Text] = []


def button(zh: str, en: str) -> Text:
    """Build a Text that labels a button, and record it as one."""
    label = Text(zh=zh, en=en)
    BUTTON_LABELS.append(label)
    return label


def mask_number(number: str) -> str:
    """Show only the last 4 characters of an ID, passport or phone number (cards, notices)."""
    kept = number.strip()
    return "*" * max(0, len(kept) - 4) + kept[-4:]


# A list shown in one line of a message (a summary, a status, a diff) stays under this many
# characters: 50 domains of 200 characters would be 10,000 (Telegram takes 4,096 a message).
LIST_SHOWN = 300
# A reason typed by a person (a return's, a change's, a cancellation's) is kept whole up to this
# many characters; a longer one is refused and asked again, never cut (half a reason would be
# read as the whole of it).
REASON_LIMIT = 500
ELLIPSIS = "…"


def clip(text: str, most: int) -> str:
    """Return `text`, or its first characters and "…" when it is longer than `most`."""
    return text if len(text) <= most else text[: max(0, most - 1)] + ELLIPSIS


def listing(
    items: list[str] | tuple[str, ...],
    lang: Lang,
    budget: int | None = LIST_SHOWN,
    clauses: bool = False,
) -> str:
    """Join items for one line: all of them when they fit in `budget` characters (None: no
    limit), else the first ones that fit and the count — 「a、b、c…（共50项）」. `clauses`:
    items that are sentences (with 、 of their own), joined with ；."""
    sep = ("；" if clauses else "、") if lang == "zh" else ("; " if clauses else ", ")
    whole = sep.join(items)
    if budget is None or len(whole) <= budget:
        return whole
    count = f"（共{len(items)}项）" if lang == "zh" else f" ({len(items)} in all)"
    shown: list[str] = []
    used = 0
    for item in items:
        used += len(item) + (len(sep) if shown else 0)
        if used > budget:
            break
        shown.append(item)
    if not shown:  # the first item alone is longer than the line
        return clip(items[0], budget) + (count if len(items) > 1 else "")
    return sep.join(shown) + ELLIPSIS + count
