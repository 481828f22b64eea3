"""The fields of a business licence (营业执照), an ID card's front (居民身份证, 人像面) or its back
(国徽面: issuing authority and validity), from the lines of text a recogniser read on its
photo. Pure: the recogniser runs elsewhere (bot/ocr/).

Codes are trusted only when their check character validates. A credit code may be repaired
only where a letter the code never uses was read (O→0, I→1, Z→2, S→5, V→U): those cannot be
right as read, and each has one plausible meaning. Never "the one candidate that validates":
measured, that picked a valid but wrong code in 16% of cases.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal

from rules.codes import check_id_card, check_uscc
from rules.text import Text, t

Kind = Literal["business_license", "id_card", "id_card_back"]
KINDS: tuple[Kind, ...] = ("business_license", "id_card", "id_card_back")
LICENCE_FIELDS = ("uscc", "name", "legal_representative", "address", "type", "established")
ID_CARD_FIELDS = ("name", "sex", "ethnicity", "birth", "address", "id_number")
# valid_until: a date, or "长期" (no end: issued at 46 or older).
ID_CARD_BACK_FIELDS = ("issuer", "valid_from", "valid_until")
NO_END = "长期"
# Fields with a check character: returned only when it validates.
CHECKED_FIELDS = ("uscc", "id_number")


@dataclass(frozen=True)
class TextLine:
    """One piece of text the recogniser found: its text, its score, its box's centre, height
    and left edge (pixels)."""

    text: str
    score: float
    x: float
    y: float
    height: float
    left: float = 0.0  # the box's left edge (where a column starts)


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
_ID_BACK_LABELS = {"issuer": ("签发机关",), "validity": ("有效期限", "有效期")}
# 2015.03.12-2035.03.12 or 2015.03.12-长期; the dots may be read as commas or not at all, the
# dash as 一 or ~.
_BACK_DATE = r"(\d{4})[.,·]?(\d{2})[.,·]?(\d{2})"
_VALIDITY = re.compile(_BACK_DATE + r"[-－—–~～一至]+(?:" + _BACK_DATE + "|(长期))")
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
    if any(word in text for word in ("签发机关", "有效期限")):
        return "id_card_back"
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
    if found == "id_card_back":
        return _id_card_back(lines)
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


@dataclass(frozen=True)
class _Segment:
    """A labelled part of a row (a row of a two-column licence holds two), or an unlabelled
    one: its field, its text after the label, its lowest score, its row, and where its value
    starts (left edge) and its height."""

    name: str | None
    text: str
    score: float
    row: int
    left: float
    height: float


def _right(piece: TextLine) -> float:
    return 2 * piece.x - piece.left


def _label_of(text: str, labels: dict[str, tuple[str, ...]]) -> tuple[str, str] | None:
    """Return (field, the text after the label) when `text` starts with a label."""
    for key, words in labels.items():
        for word in words:
            if text.startswith(word):
                return key, text[len(word) :].lstrip(":")
    return None


def _joined_labels(row: list[TextLine], labels: dict[str, tuple[str, ...]]) -> list[TextLine]:
    """Join a label printed spaced out and read as pieces (类 型, 住 所) into one piece."""
    words = [w for group in labels.values() for w in group]
    out: list[TextLine] = []
    for piece in row:
        last = out[-1] if out else None
        if last is not None:
            joined = _plain(last.text) + _plain(piece.text)
            prefix = any(w.startswith(joined) or joined.startswith(w) for w in words)
            if (
                prefix
                and any(w.startswith(_plain(last.text)) for w in words)
                and (_label_of(_plain(last.text), labels) is None)
            ):
                out[-1] = TextLine(
                    last.text + piece.text,
                    min(last.score, piece.score),
                    (last.left + _right(piece)) / 2,
                    (last.y + piece.y) / 2,
                    max(last.height, piece.height),
                    last.left,
                )
                continue
        out.append(piece)
    return out


def _segments(rows: list[list[TextLine]], labels: dict[str, tuple[str, ...]]) -> list[_Segment]:
    """Split each row where a piece starts with a label."""
    out: list[_Segment] = []
    for r, row in enumerate(rows):
        # Each segment: its field, and its pieces' (text, piece) after the label.
        parts: list[tuple[str | None, list[tuple[str, TextLine]]]] = []
        previous: TextLine | None = None
        for piece in _joined_labels(row, labels):
            text = _plain(piece.text)
            found = _label_of(text, labels)
            # A wide gap starts another column's text (a licence has two).
            apart = previous is not None and piece.left - _right(previous) > 3 * piece.height
            if found is not None:
                parts.append((found[0], [(found[1], piece)] if found[1] else []))
            elif parts and (not apart or (parts[-1][0] is not None and not parts[-1][1])):
                # (a label's value may stand far from it)
                parts[-1][1].append((text, piece))
            else:
                parts.append((None, [(text, piece)]))
            previous = piece
        for name, pieces in parts:
            if not pieces:
                out.append(_Segment(name, "", 1.0, r, row[-1].left, row[-1].height))
                continue
            out.append(
                _Segment(
                    name,
                    "".join(text for text, _ in pieces),
                    min(piece.score for _, piece in pieces),
                    r,
                    pieces[0][1].left,
                    pieces[0][1].height,
                )
            )
    return out


def _licence(lines: list[TextLine]) -> Reading:
    fields: dict[str, str | None] = dict.fromkeys(LICENCE_FIELDS)
    confidence: dict[str, float] = {}
    rows = _segments(rows_of(lines), _LICENCE_LABELS)
    for i, segment in enumerate(rows):
        name, text, score = segment.name, segment.text, segment.score
        if name is None or name == "_stop" or name == "uscc" or not text:
            continue
        if name == "address":
            text, score = _continued(rows, i)
        if name == "established":
            text = _iso_date(text) or ""
        if fields.get(name) is None and text:
            fields[name], confidence[name] = text, round(score, 3)
    # The code: on its labelled row first, else anywhere (it may sit on a row of its own).
    labelled = [(g.text, g.score) for g in rows if g.name == "uscc"]
    for text, score in [*labelled, *((g.text, g.score) for g in rows)]:
        code = repair_uscc(text)
        if code is not None:
            fields["uscc"], confidence["uscc"] = code, round(score, 3)
            break
    return Reading("business_license", fields, confidence)


def _id_card(lines: list[TextLine]) -> Reading:
    fields: dict[str, str | None] = dict.fromkeys(ID_CARD_FIELDS)
    confidence: dict[str, float] = {}
    rows = _segments(rows_of(lines), _ID_LABELS)
    for i, segment in enumerate(rows):
        name, text, score = segment.name, segment.text, segment.score
        if name is None or name == "id_number" or not text:
            continue
        if name == "sex":  # 性别男民族汉, read as one piece
            sex, _, rest = text.partition("民族")
            if sex[:1] in ("男", "女"):
                fields["sex"], confidence["sex"] = sex[:1], round(score, 3)
            if rest and fields["ethnicity"] is None:
                fields["ethnicity"], confidence["ethnicity"] = rest, round(score, 3)
            continue
        if name == "address":
            text, score = _continued(rows, i)
        if name == "birth":
            text = _iso_date(text) or ""
        if fields.get(name) is None and text:
            fields[name], confidence[name] = text, round(score, 3)
    labelled = [(g.text, g.score) for g in rows if g.name == "id_number"]
    for text, score in [*labelled, *((g.text, g.score) for g in rows)]:
        number = checked_id_number(text)
        if number is not None:
            fields["id_number"], confidence["id_number"] = number, round(score, 3)
            break
    return Reading("id_card", fields, confidence)


def _id_card_back(lines: list[TextLine]) -> Reading:
    fields: dict[str, str | None] = dict.fromkeys(ID_CARD_BACK_FIELDS)
    confidence: dict[str, float] = {}
    rows = _segments(rows_of(lines), _ID_BACK_LABELS)
    for i, segment in enumerate(rows):
        if segment.name == "issuer" and segment.text and fields["issuer"] is None:
            text, score = _continued(rows, i)
            fields["issuer"], confidence["issuer"] = text, round(score, 3)
    # The validity: on its labelled row first, else anywhere (it has a shape of its own).
    labelled = [g for g in rows if g.name == "validity"]
    for segment in [*labelled, *rows]:
        validity = _validity(segment.text)
        if validity is not None:
            fields["valid_from"], fields["valid_until"] = validity
            confidence["valid_from"] = confidence["valid_until"] = round(segment.score, 3)
            break
    return Reading("id_card_back", fields, confidence)


def _validity(text: str) -> tuple[str, str] | None:
    """Return (from, until) of `text` when both are dates (or until is 长期); else None."""
    found = _VALIDITY.search(text)
    if found is None:
        return None
    start = _real_date(*found.groups()[:3])
    end = NO_END if found.group(7) else _real_date(*found.groups()[3:6])
    if start is None or end is None or (end != NO_END and end <= start):
        return None
    return start, end


def _real_date(year: str, month: str, day: str) -> str | None:
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def validity_matches(reading: Reading) -> bool:
    """Say whether an ID card's validity is one a card is issued with: 5, 10 or 20 years to
    the day, or 长期."""
    start, end = reading.fields.get("valid_from"), reading.fields.get("valid_until")
    if not start or not end:
        return False
    if end == NO_END:
        return True
    years = int(end[:4]) - int(start[:4])
    return years in (5, 10, 20) and end[4:] == start[4:]


def _continued(rows: list[_Segment], i: int) -> tuple[str, float]:
    """An address may wrap: the unlabelled segments of the next rows that start where its
    value starts (its column) belong to it."""
    first = rows[i]
    text, score, row = first.text, first.score, first.row
    tolerance = 2.5 * first.height
    for segment in rows[i + 1 :]:
        if segment.row == row:
            continue  # the rest of the address's own row (another column)
        if segment.row > row + 1:
            break
        if abs(segment.left - first.left) > tolerance:
            continue  # another column of the next row
        if segment.name is not None or _ID_CANDIDATE.search(segment.text):
            break
        text, score, row = text + segment.text, min(score, segment.score), segment.row
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
    "id_card_back": t("居民身份证（国徽面）", "resident ID card (emblem side)"),
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
    "issuer": t("签发机关", "Issued by"),
    "valid_from": t("有效期限（起）", "Valid from"),
    "valid_until": t("有效期限（止）", "Valid until"),
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
    """Say whether a field's value is confirmed (✔): by its check character, or by agreeing
    with another field (the birth date with the ID number, a validity of the lengths issued)."""
    if key in CHECKED_FIELDS:
        return reading.fields.get(key) is not None
    if key in ("valid_from", "valid_until"):
        return validity_matches(reading)
    return key == "birth" and birth_matches(reading)
