"""Reading what people type: commands, choices by number/label/synonym, lists, checked fields."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from dialogs.questions import Kind, Option, Question, normalize
from rules import fields
from rules.fields import check_field, fold
from rules.text import Text, t


class Command(StrEnum):
    """The conversation commands available at every question."""

    START = "start"
    BACK = "back"
    EDIT = "edit"
    SKIP = "skip"
    CANCEL = "cancel"
    RESTART = "restart"
    STATUS = "status"
    HELP = "help"
    LANG = "lang"


# Whole messages in Chinese (or English) that mean a command.
_WORDS: dict[str, Command] = {
    "返回": Command.BACK,
    "上一步": Command.BACK,
    "上一题": Command.BACK,
    "后退": Command.BACK,
    "back": Command.BACK,
    "修改": Command.EDIT,
    "编辑": Command.EDIT,
    "跳过": Command.SKIP,
    "skip": Command.SKIP,
    "取消": Command.CANCEL,
    "cancel": Command.CANCEL,
    "重新开始": Command.RESTART,
    "重来": Command.RESTART,
    "restart": Command.RESTART,
    "状态": Command.STATUS,
    "进度": Command.STATUS,
    "status": Command.STATUS,
    "帮助": Command.HELP,
    "help": Command.HELP,
    "?": Command.HELP,
    "？": Command.HELP,
    "开始": Command.START,
}


@dataclass(frozen=True)
class CommandCall:
    """A command and what followed it (`/edit 域名` → EDIT, "域名")."""

    command: Command
    argument: str


def read_command(text: str) -> CommandCall | None:
    """Return the command a message is, if it is one."""
    raw = fold(text)
    if raw.startswith("/"):
        head, _, rest = raw[1:].partition(" ")
        head = head.split("@", 1)[0].lower()  # /help@beian_bot in groups
        try:
            return CommandCall(Command(head), rest.strip())
        except ValueError:
            return None
    word = raw.rstrip("。.!！").lower()
    if word in _WORDS:
        return CommandCall(_WORDS[word], "")
    for prefix in ("修改", "编辑"):
        if word.startswith(prefix) and len(word) > len(prefix):
            return CommandCall(Command.EDIT, word[len(prefix) :].strip())
    return None


def match_option(text: str, options: tuple[Option, ...], *, strict: bool = False) -> Option | None:
    """Return the option meant by a number, a label, a synonym, or a close typo of one.

    `strict`: only a number or a whole name counts (yes/no questions and confirmations, where
    a guess could record the wrong legal fact or delete data).
    """
    word = normalize(text)
    if not word:
        return None
    if word.isdigit():
        index = int(word) - 1
        return options[index] if 0 <= index < len(options) else None
    for option in options:
        if word in option.names:
            return option
    if strict:
        return None
    # "我是企业", "不在本市": the option whose name, contained in the text, is longest.
    best: dict[str, int] = {}
    for option in options:
        for name in option.names:
            if name and name in word:
                best[option.id] = max(best.get(option.id, 0), len(name))
    if best:
        top = max(best.values())
        winners = [oid for oid, n in best.items() if n == top]
        if len(winners) == 1:
            return next(o for o in options if o.id == winners[0])
    # A part of one option's name: "博客" for "博客/个人空间".
    if len(word) >= 2:
        holders = [o for o in options if any(word in name for name in o.names)]
        if len(holders) == 1:
            return holders[0]
    # Typos: "企叶", "enterprize".
    scores: dict[str, float] = {}
    for option in options:
        for name in option.names:
            ratio = difflib.SequenceMatcher(None, word, name).ratio()
            scores[option.id] = max(scores.get(option.id, 0.0), ratio)
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    if ranked and ranked[0][1] >= 0.5 and (len(ranked) == 1 or ranked[1][1] < ranked[0][1]):
        return next(o for o in options if o.id == ranked[0][0])
    return None


_SPLIT = re.compile(r"[,，、;；\n\r\t ]+")


def split_values(text: str) -> list[str]:
    """Split a list typed with commas, 顿号, semicolons, spaces or newlines."""
    return [part for part in (p.strip() for p in _SPLIT.split(text)) if part]


def split_phrases(text: str) -> list[str]:
    """Split a list of phrases (names may contain spaces): commas, 顿号, semicolons, newlines."""
    return [p.strip() for p in re.split(r"[,，、;；\n\r]+", text) if p.strip()]


def too_many(limit: int) -> Text:
    """Say that a list holds more values than the form allows."""
    return t(f"最多可以填写{limit}项。", f"At most {limit} values are allowed.")


@dataclass(frozen=True)
class Parsed:
    """A value read from text, or why it could not be read."""

    value: Any = None
    error: Text | None = None

    @property
    def ok(self) -> bool:
        """Say whether the text was read."""
        return self.error is None


_NONE_WORDS = {"无", "没有", "none", "no", "n/a", "na", "否", "不", "没"}


def check_credential(text: str, subject_type: str | None, today: dt.date) -> Parsed:
    """Check a credential number against the subject type (rules.fields.check_credential)."""
    result = fields.check_credential(text, subject_type, today)
    return Parsed(result.normalized) if result.valid else Parsed(error=result.error)


def _plain(text: str, question: Question) -> Parsed:
    result = fields.check_plain_text(text, question.max_length)
    return Parsed(result.normalized) if result.valid else Parsed(error=result.error)


def read_one(text: str, question: Question, answers: dict[str, Any], today: dt.date) -> Parsed:
    """Read one typed value of a text or list question through its check."""
    if question.check == "credential":
        return check_credential(text, answers.get("subject_type"), today)
    if question.check is not None:
        result = check_field(question.check, text, today)
        if not result.valid:
            return Parsed(error=result.error)
        return Parsed(result.normalized)
    return _plain(text, question)


def read_answer(text: str, question: Question, answers: dict[str, Any], today: dt.date) -> Parsed:
    """Read the answer to `question` from typed text (lists return a list of new values)."""
    if question.kind in (Kind.CHOICE, Kind.YESNO):
        yes_no = question.kind is Kind.YESNO
        option = match_option(text, question.options, strict=yes_no)
        if option is None and yes_no:
            return Parsed(error=t("请回答“是”或“否”。", "Please answer “yes” or “no”."))
        if option is None:
            return Parsed(error=t("没有看懂这个选择。", "I could not tell which option you meant."))
        if yes_no:
            return Parsed(option.id == "yes")
        return Parsed(option.id)
    if question.kind is Kind.DATE:
        result = check_field("date", text, today)
        if result.valid:
            return Parsed(result.normalized)
        word = normalize(text)
        if any(name in word for o in question.options for name in o.names) or word == "1":
            return Parsed(None)
        return Parsed(error=result.error)
    if question.kind is Kind.MULTI_CHOICE:
        picked: list[str] = []
        numbers_only = re.fullmatch(r"[\d\s,，、;；]+", fold(text)) is not None
        for part in split_values(fold(text)) if numbers_only else split_phrases(text):
            option = match_option(part, question.options)
            if option is None:
                return Parsed(
                    error=t(f"“{part}”不在选项中。", f"“{part}” is not one of the options.")
                )
            if option.id not in picked:
                picked.append(option.id)
        return Parsed(picked) if picked else Parsed(error=t("请至少选一项。", "Pick at least one."))
    if question.kind is Kind.MULTI:
        if question.optional and normalize(text) in _NONE_WORDS:
            return Parsed([])
        parts = split_values(text) if question.check else split_phrases(text)
        if question.max_items is not None and len(parts) > question.max_items:
            return Parsed(error=too_many(question.max_items))
        values: list[str] = []
        for part in parts:
            one = read_one(part, question, answers, today)
            if not one.ok:
                assert one.error is not None
                return Parsed(error=t(f"“{part}”：", f"“{part}”: ") + one.error)
            if one.value not in values:
                values.append(one.value)
        return (
            Parsed(values) if values else Parsed(error=t("请至少填一项。", "At least one, please."))
        )
    return read_one(text, question, answers, today)
