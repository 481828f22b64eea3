"""The fields of a business licence (营业执照) or an ID card's front (居民身份证), from the lines
of text a recogniser read on its photo. Pure: the recogniser runs elsewhere (bot/ocr/).

Codes are trusted only when their check character validates. A credit code may be repaired
only where a letter the code never uses was read (O→0, I→1, Z→2, S→5, V→U): those cannot be
right as read, and each has one plausible meaning. Never "the one candidate that validates":
measured, that picked a valid but wrong code in 16% of cases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from rules.codes import check_id_card, check_uscc
from rules.text import Text, t

Kind = Literal["business_license", "id_card"]
KINDS: tuple[Kind, ...] = ("business_license", "id_card")
LICENCE_FIELDS = ("uscc", "name", "legal_representative", "address", "type", "established")
ID_CARD_FIELDS = ("name", "sex", "ethnicity", "birth", "address", "id_number")
# Fields with a check character: returned only when it validates.
CHECKED_FIELDS = ("uscc", "id_number")


@dataclass(frozen=True)
class TextLine:
    """One piece of text the recogniser found: its text, its score, its box's centre and
    height (pixels)."""

    text: str
    score: float
    x: float
    y: float
    height: float


@dataclass
class Reading:
    """What a photo gave: its kind, the fields found (None: not found or not trusted) and
    each found field's confidence (the recogniser's score, 0–1)."""

    kind: Kind
    fields: dict[str, str | None]
    confidence: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        """Return the `beian ocr --json` shape."""
        return {"kind": self.kind, "fields": self.fields, "confidence": self.confidence}


# Letters a credit code never uses, and the digit or letter each stands for when misread.
_USCC_REPAIRS = str.maketrans({"O": "0", "I": "1", "Z": "2", "S": "5", "V": "U"})
_USCC_CANDIDATE = re.compile(r"[0-9A-Z]{18}")
_ID_CANDIDATE = re.compile(r"[0-9]{17}[0-9X]")

# Labels of a licence's rows, and of an ID card's, as printed (spaces removed).
_LICENCE_LABELS = {
    "uscc": ("统一社会信用代码",),
    "name": ("名称",),
    "type": ("类型",),
    "legal_representative": ("法定代表人", "经营者", "负责人", "执行事务合伙人"),
    "address": ("住所", "主要经营场所", "经营场所"),
    "established": ("成立日期", "注册日期"),
    "_stop": ("注册资本", "营业期限", "经营范围", "登记机关", "组成形式", "合伙期限", "出资额"),
}
_ID_LABELS = {
    "name": ("姓名",),
    "sex": ("性别",),
    "ethnicity": ("民族",),
    "birth": ("出生",),
    "address": ("住址",),
    "id_number": ("公民身份号码", "公民身份证号码", "身份号码"),
}
_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?")
# Full-width digits, letters and colons as ASCII; other punctuation（as in a unit's name）stays.
_FULL_WIDTH = str.maketrans(
    {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F) if chr(c - 0xFEE0).isalnum()}
    | {"\u3000": " ", "：": ":"}
)


def _plain(text: str) -> str:
    return re.sub(r"\s+", "", text.translate(_FULL_WIDTH))


def rows_of(lines: list[TextLine]) -> list[list[TextLine]]:
    """Group the pieces into rows (by their centres' height) and each row left to right."""
    rows: list[list[TextLine]] = []
    for line in sorted(lines, key=lambda ln: ln.y):
        row = rows[-1] if rows else None
        if row is not None and abs(line.y - row[0].y) < 0.5 * max(line.height, row[0].height):
            row.append(line)
        else:
            rows.append([line])
    return [sorted(row, key=lambda ln: ln.x) for row in rows]


def detect_kind(lines: list[TextLine]) -> Kind | None:
    """Say which document the text is from (None: neither)."""
    text = "".join(_plain(ln.text) for ln in lines)
    if any(word in text for word in ("营业执照", "统一社会信用代码", "法定代表人", "经营范围")):
        return "business_license"
    if any(word in text for word in ("公民身份号码", "民族", "住址", "身份号码")):
        return "id_card"
    if _ID_CANDIDATE.search(text.upper()):
        return "id_card"
    if _USCC_CANDIDATE.search(text.upper()):
        return "business_license"
    return None


def read_fields(lines: list[TextLine], kind: Kind | None = None) -> Reading | None:
    """Return the fields of the document in `lines` (None: no such document's text)."""
    found = kind or detect_kind(lines)
    if found is None:
        return None
    if found == "business_license":
        return _licence(lines)
    return _id_card(lines)


def repair_uscc(text: str) -> str | None:
    """Return the credit code in `text` when its check character validates, after repairing
    only the letters a code never uses; None otherwise (then it is asked)."""
    for candidate in _USCC_CANDIDATE.findall(_plain(text).upper().translate(_USCC_REPAIRS)):
        if check_uscc(candidate).valid:
            return str(candidate)
    return None


def checked_id_number(text: str) -> str | None:
    """Return the ID number in `text` when its check digit validates (no repair); else None."""
    for candidate in _ID_CANDIDATE.findall(_plain(text).upper()):
        result = check_id_card(candidate)
        if result.valid:
            return str(candidate)
    return None


def _labelled(
    rows: list[list[TextLine]], labels: dict[str, tuple[str, ...]]
) -> list[tuple[str | None, str, float]]:
    """Return, per row, (field or None, the row's text after its label, its lowest score)."""
    out: list[tuple[str | None, str, float]] = []
    for row in rows:
        text = "".join(_plain(ln.text) for ln in row)
        score = min(ln.score for ln in row)
        name: str | None = None
        for key, words in labels.items():
            hit = next((w for w in words if text.startswith(w)), None)
            if hit is not None:
                name, text = key, text[len(hit) :].lstrip(":：")
                break
        out.append((name, text, score))
    return out


def _licence(lines: list[TextLine]) -> Reading:
    fields: dict[str, str | None] = dict.fromkeys(LICENCE_FIELDS)
    confidence: dict[str, float] = {}
    rows = _labelled(rows_of(lines), _LICENCE_LABELS)
    for i, (name, text, score) in enumerate(rows):
        if name is None or name == "_stop" or name == "uscc" or not text:
            continue
        if name == "address":
            text, score = _continued(rows, i, text, score)
        if name == "established":
            text = _iso_date(text) or ""
        if fields.get(name) is None and text:
            fields[name], confidence[name] = text, round(score, 3)
    # The code: on its labelled row first, else anywhere (it may sit on a row of its own).
    labelled = [(text, s) for n, text, s in rows if n == "uscc"]
    for text, score in [*labelled, *((row, s) for _, row, s in rows)]:
        code = repair_uscc(text)
        if code is not None:
            fields["uscc"], confidence["uscc"] = code, round(score, 3)
            break
    return Reading("business_license", fields, confidence)


def _id_card(lines: list[TextLine]) -> Reading:
    fields: dict[str, str | None] = dict.fromkeys(ID_CARD_FIELDS)
    confidence: dict[str, float] = {}
    rows = _labelled(rows_of(lines), _ID_LABELS)
    for i, (name, text, score) in enumerate(rows):
        if name is None or name == "id_number" or not text:
            continue
        if name == "sex":  # 性别 男 民族 汉 on one row
            sex, _, rest = text.partition("民族")
            if sex[:1] in ("男", "女"):
                fields["sex"], confidence["sex"] = sex[:1], round(score, 3)
            if rest:
                fields["ethnicity"], confidence["ethnicity"] = rest, round(score, 3)
            continue
        if name == "address":
            text, score = _continued(rows, i, text, score)
        if name == "birth":
            text = _iso_date(text) or ""
        if fields.get(name) is None and text:
            fields[name], confidence[name] = text, round(score, 3)
    labelled = [(text, s) for n, text, s in rows if n == "id_number"]
    for text, score in [*labelled, *((row, s) for _, row, s in rows)]:
        number = checked_id_number(text)
        if number is not None:
            fields["id_number"], confidence["id_number"] = number, round(score, 3)
            break
    return Reading("id_card", fields, confidence)


def _continued(
    rows: list[tuple[str | None, str, float]], i: int, text: str, score: float
) -> tuple[str, float]:
    """An address may wrap: the unlabelled rows after it belong to it."""
    for name, more, more_score in rows[i + 1 :]:
        if name is not None or _ID_CANDIDATE.search(more) or _USCC_CANDIDATE.search(more):
            break
        text, score = text + more, min(score, more_score)
    return text, score


def _iso_date(text: str) -> str | None:
    found = _DATE.search(text)
    if found is None:
        return None
    year, month, day = (int(g) for g in found.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def birth_matches(reading: Reading) -> bool:
    """Say whether an ID card's birth date agrees with its (validated) number."""
    number, birth = reading.fields.get("id_number"), reading.fields.get("birth")
    if not number or not birth:
        return False
    return birth.replace("-", "") == number[6:14]


KIND_LABELS: dict[Kind, Text] = {
    "business_license": t("营业执照", "business licence"),
    "id_card": t("居民身份证（人像面）", "resident ID card (photo side)"),
}
FIELD_LABELS: dict[str, Text] = {
    "uscc": t("统一社会信用代码", "Unified social credit code"),
    "name": t("名称", "Name"),
    "legal_representative": t("法定代表人", "Legal representative"),
    "address": t("住所", "Address"),
    "type": t("类型", "Type"),
    "established": t("成立日期", "Established"),
    "sex": t("性别", "Sex"),
    "ethnicity": t("民族", "Ethnicity"),
    "birth": t("出生", "Born"),
    "id_number": t("公民身份号码", "ID number"),
}
ID_CARD_NAME = t("姓名", "Name")
NOT_READ = t("（未能识别）", "(not read)")


def field_label(kind: Kind, key: str) -> Text:
    """Return a field's label as the document prints it."""
    if kind == "id_card" and key == "name":
        return ID_CARD_NAME
    if kind == "id_card" and key == "address":
        return t("住址", "Address")
    return FIELD_LABELS[key]


def checked(reading: Reading, key: str) -> bool:
    """Say whether a field's value is confirmed by a check character (✔)."""
    if key in CHECKED_FIELDS:
        return reading.fields.get(key) is not None
    return key == "birth" and birth_matches(reading)
