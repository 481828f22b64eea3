"""Reading a typed answer through its question's check: a value, or why not (both languages)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dialogs.spec import Kind, Question, normalize
from rules import fields
from rules.codes import check_org_or_uscc, check_person_id
from rules.contacts import check_service_phone
from rules.fields import FieldResult, check_field, fold
from rules.names import (
    check_address,
    check_city,
    check_person_name,
    check_plain_text,
    check_statement,
    check_unit_name,
)
from rules.text import Text, t


@dataclass(frozen=True)
class Parsed:
    """A value read from text, or why it could not be read."""

    value: Any = None
    error: Text | None = None

    @property
    def ok(self) -> bool:
        """Say whether the text was read."""
        return self.error is None


def too_many(limit: int) -> Text:
    """Say that a list holds more values than the form allows."""
    return t(f"最多可以填写{limit}项。", f"At most {limit} values are allowed.")


_NONE_WORDS = {"无", "没有", "none", "no", "n/a", "na", "否", "不", "没", "无前置审批"}
_OTHER_CHECKS: dict[str, Callable[[str], FieldResult]] = {
    "person-name": check_person_name,
    "unit-name": check_unit_name,
    "statement": check_statement,
    "address": check_address,
    "city": check_city,
    "service-phone": check_service_phone,
    "org-or-uscc": check_org_or_uscc,
}
_A_DOMAIN = t(
    "这是域名，这里请填写IP地址（服务器的公网IP，可在服务商控制台查到）。",
    "That is a domain name; enter the server's public IP address here.",
)
_NOT_A_DOMAIN = t(
    "这是域名，不是这一项要填的名称。要添加域名，请发送“/edit 域名”。",
    "That is a domain name, not the name asked here. To add a domain, send “/edit domains”.",
)
_AN_EMAIL = t(
    "这是电子邮箱，不是这一项要填的内容。", "That is an e-mail address, not what is asked here."
)


def _what_it_is(text: str, check: str | None, today: dt.date) -> Text | None:
    """Say what a wrong value is, when it is the answer to another question."""
    if check == "ip" and check_field("domain", text, today).valid:
        return _A_DOMAIN
    plain = check in (None, "unit-name", "person-name", "city", "address")
    if plain and "@" in text and check_field("email", text, today).valid:
        return _AN_EMAIL
    return None


def _result(result: FieldResult) -> Parsed:
    return Parsed(result.normalized) if result.valid else Parsed(error=result.error)


_DOT = re.compile("[.。．｡]")


def read_one(text: str, question: Question, answers: dict[str, Any], today: dt.date) -> Parsed:
    """Read one typed value of a text or list question through its check."""
    check = question.check
    if check == "credential":
        return _result(fields.check_credential(text, answers.get("subject_type"), today))
    if check == "person-id":
        id_type = answers.get(question.id_type_key or "") or "resident_id"
        return _result(check_person_id(text, id_type, today))
    if check in _OTHER_CHECKS:
        parsed = _result(_OTHER_CHECKS[check](text))
    elif check is not None:
        parsed = _result(check_field(check, text, today))
    else:
        parsed = _result(check_plain_text(text, question.max_length))
    if parsed.ok and check is not None and len(str(parsed.value)) > question.max_length:
        return Parsed(error=t(f"太长了，最多{question.max_length}字。", "Too long."))
    if (
        parsed.ok
        and check == "unit-name"
        and _DOT.search(fold(text))  # a domain has a dot (UTS-46 maps these to one): the
        # IDNA check costs ~0.1 ms on a Chinese name that cannot be one
        and check_field("domain", text, today).valid
    ):
        return Parsed(error=_NOT_A_DOMAIN)  # a name the check lets through, but a domain
    if parsed.ok:
        return parsed
    hint = _what_it_is(text, check, today)
    return Parsed(error=hint) if hint is not None else parsed


def split_values(text: str) -> list[str]:
    """Split a list typed with commas, 顿号, semicolons, spaces or newlines."""
    return [part for part in (p.strip() for p in re.split(r"[,，、;；\n\r\t ]+", text)) if part]


def split_phrases(text: str) -> list[str]:
    """Split a list of phrases (names may contain spaces): commas, 顿号, semicolons, newlines."""
    return [p.strip() for p in re.split(r"[,，、;；\n\r]+", text) if p.strip()]


def read_list(text: str, question: Question, answers: dict[str, Any], today: dt.date) -> Parsed:
    """Read one or more values of a list question (a list of the new values)."""
    if question.optional and normalize(text) in _NONE_WORDS:
        return Parsed([])
    phrases = question.check in (None, "unit-name", "person-name", "city", "statement")
    parts = split_phrases(text) if phrases else split_values(text)
    if question.max_items is not None and len(parts) > question.max_items:
        return Parsed(error=too_many(question.max_items))
    values: list[str] = []
    for part in parts:
        one = read_one(part, question, answers, today)
        if not one.ok:
            assert one.error is not None
            prefix = t(f"“{part}”：", f"“{part}”: ") if len(parts) > 1 else t("", "")
            return Parsed(error=prefix + one.error)
        if one.value not in values:
            values.append(one.value)
    return Parsed(values) if values else Parsed(error=t("请至少填一项。", "At least one, please."))


def read_integer(text: str, lower: int = 1, upper: int = 10_000) -> Parsed:
    """Read a count: digits (full-width too), or a small Chinese numeral (两台, 三)."""
    raw = re.sub(r"[\s台个]", "", fold(text))
    numerals = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
                "九": 9, "十": 10}  # fmt: skip
    value = int(raw) if raw.isdigit() else numerals.get(raw)
    if value is None or not lower <= value <= upper:
        return Parsed(
            error=t(
                f"请填写{lower}到{upper}之间的数字，如“1”。",
                f"Enter a number from {lower} to {upper}, e.g. 1.",
            )
        )
    return Parsed(value)


def read_text_answer(
    text: str, question: Question, answers: dict[str, Any], today: dt.date
) -> Parsed:
    """Read the typed answer of a question that is not a choice."""
    if question.kind is Kind.MULTI:
        return read_list(text, question, answers, today)
    if question.kind is Kind.INTEGER:
        return read_integer(text)
    if question.kind is Kind.DATE:
        return _result(check_field("date", text, today))
    return read_one(text, question, answers, today)
