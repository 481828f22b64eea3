"""Dates as people type them, in Chinese and in English, or a reason with examples.

2026-11-20 · 2026/11/20 · 2026年11月20日 · 20261120 · 11月20日 · 11/20 · 11-20 · 20/11 ·
今天 · 昨天 · 前天 · 3天前 · 上周五 · 本周一 · 下星期三 · 上个月20号 · Nov 20 · Nov 20, 2026 ·
20 November 2026 · November 20th · today · yesterday · 3 days ago · last Friday.

A date without a year takes the year that puts it nearest to today (on 2026-11-28, "11/20" is
2026-11-20 and "1月5日" is 2027-01-05). A day and month written with digits are month first
(11/20, 5/6 = 5月6日), unless the first number cannot be a month (20/11). Nothing unread is
ever turned into a date: text that is not one of these forms is refused.
"""

from __future__ import annotations

import datetime as dt
import re

from rules.checking import FieldResult, _empty, _refusing_hidden, fold, ok
from rules.clock import today_local
from rules.text import Text, t

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_WEEKDAYS_ZH = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5}
_WEEKDAYS_EN = {
    name: i
    for i, names in enumerate(
        (
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        )
    )
    for name in names
}
_RELATIVE = {
    "今天": 0,
    "今日": 0,
    "昨天": -1,
    "昨日": -1,
    "前天": -2,
    "大前天": -3,
    "明天": 1,
    "明日": 1,
    "后天": 2,
    "大后天": 3,
    "today": 0,
    "yesterday": -1,
    "tomorrow": 1,
}
_ZH_NUMBERS = {
    "一": 1,
    "两": 2,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}

UNREADABLE = t(
    "没有看懂这个日期。可以写 2026-11-20、2026年11月20日、11月20日、11/20，"
    "或“昨天”“上周五”“3天前”。",
    "Could not read that date. Write it like 2026-11-20, Nov 20, 20 November 2026, or "
    "“yesterday”, “last Friday”, “3 days ago”.",
)


def _impossible(year: int | None, month: int, day: int) -> Text:
    if not 1 <= month <= 12:
        return t(f"没有{month}月：月份是1到12。", f"There is no month {month}: months are 1 to 12.")
    if year is None:
        return t(f"{month}月没有{day}日。", f"Month {month} has no day {day}.")
    return t(
        f"{year}年{month}月{day}日不是有效日期。",
        f"{year}-{month:02d}-{day:02d} is not a valid date.",
    )


def _nearest_year(month: int, day: int, today: dt.date) -> int | None:
    """Return the year that puts month/day nearest to today (None: no such date near)."""
    best: tuple[int, int] | None = None
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            distance = abs((dt.date(year, month, day) - today).days)
        except ValueError:
            continue
        if best is None or distance < best[0]:
            best = (distance, year)
    return best[1] if best else None


def parse_date(text: str, today: dt.date) -> dt.date | Text:
    """Return the date `text` names, or why it names none."""
    raw = re.sub(r"\s+", " ", text.strip().lower()).rstrip("。.")
    squeezed = raw.replace(" ", "")
    if not squeezed:
        return UNREADABLE
    for reader in (_relative, _numeric, _chinese, _english):
        found = reader(raw, squeezed, today)
        if found is not None:
            return found
    return UNREADABLE


def _relative(raw: str, squeezed: str, today: dt.date) -> dt.date | Text | None:
    if squeezed in _RELATIVE:
        return today + dt.timedelta(days=_RELATIVE[squeezed])
    m = re.fullmatch(r"(\d+|[一两二三四五六七八九十])天(前|以前|之前|后|以后|之后)", squeezed)
    if m:
        count = int(m.group(1)) if m.group(1).isdigit() else _ZH_NUMBERS[m.group(1)]
        sign = -1 if m.group(2).endswith("前") else 1
        return today + dt.timedelta(days=sign * count)
    m = re.fullmatch(r"(\d+) days? (ago|later|from now)", raw) or re.fullmatch(
        r"in (\d+) days?()", raw
    )
    if m:
        sign = -1 if m.group(2) == "ago" else 1
        return today + dt.timedelta(days=sign * int(m.group(1)))
    m = re.fullmatch(
        r"(上上|上|这|本|下|下下)?(?:个)?(?:周|星期|礼拜)([一二三四五六日天])", squeezed
    )
    if m:
        weeks = {"上上": -2, "上": -1, "这": 0, "本": 0, None: 0, "下": 1, "下下": 2}[m.group(1)]
        monday = today - dt.timedelta(days=today.weekday())
        return monday + dt.timedelta(weeks=weeks, days=_WEEKDAYS_ZH[m.group(2)])
    m = re.fullmatch(r"(last|this|next)? ?([a-z]+)", raw)
    if m and m.group(2) in _WEEKDAYS_EN:
        target = _WEEKDAYS_EN[m.group(2)]
        if m.group(1) == "last":
            back = (today.weekday() - target) % 7 or 7
            return today - dt.timedelta(days=back)
        if m.group(1) == "next":
            ahead = (target - today.weekday()) % 7 or 7
            return today + dt.timedelta(days=ahead)
        monday = today - dt.timedelta(days=today.weekday())
        return monday + dt.timedelta(days=target)
    m = re.fullmatch(r"(上|这|本|下)(?:个)?月(\d{1,2})[日号]?", squeezed)
    if m:
        month_index = (
            today.year * 12 + today.month - 1 + {"上": -1, "这": 0, "本": 0, "下": 1}[m.group(1)]
        )
        year, month = divmod(month_index, 12)
        return _make(year, month + 1, int(m.group(2)))
    return None


def _numeric(raw: str, squeezed: str, today: dt.date) -> dt.date | Text | None:
    m = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", squeezed)
    if m:
        return _make(*(int(g) for g in m.groups()))
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", squeezed)
    if m:
        return _make(*(int(g) for g in m.groups()))
    m = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", squeezed)
    if m:  # 20/11/2026 (day first when it must be) or 11/20/2026
        first, second, year = (int(g) for g in m.groups())
        month, day = (second, first) if first > 12 else (first, second)
        return _make(year, month, day)
    m = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})", squeezed)
    if m:
        first, second = int(m.group(1)), int(m.group(2))
        month, day = (second, first) if first > 12 >= second else (first, second)
        return _without_year(month, day, today)
    return None


def _chinese(raw: str, squeezed: str, today: dt.date) -> dt.date | Text | None:
    m = re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]?", squeezed)
    if m:
        return _make(*(int(g) for g in m.groups()))
    m = re.fullmatch(r"(\d{1,2})月(\d{1,2})[日号]?", squeezed)
    if m:
        return _without_year(int(m.group(1)), int(m.group(2)), today)
    return None


def _english(raw: str, squeezed: str, today: dt.date) -> dt.date | Text | None:
    words = re.sub(r"[,]", " ", raw).split()
    words = [re.sub(r"(?<=\d)(st|nd|rd|th)$", "", w) for w in words]
    month = year = day = None
    for word in words:
        if word in _MONTHS and month is None:
            month = _MONTHS[word]
        elif word.isdigit() and len(word) == 4 and year is None:
            year = int(word)
        elif word.isdigit() and len(word) <= 2 and day is None:
            day = int(word)
        elif word not in ("of", "the"):
            return None
    if month is None or day is None:
        return None
    if year is None:
        return _without_year(month, day, today)
    return _make(year, month, day)


def _without_year(month: int, day: int, today: dt.date) -> dt.date | Text:
    year = _nearest_year(month, day, today)
    if year is None:
        return _impossible(None, month, day)
    return dt.date(year, month, day)


def _make(year: int, month: int, day: int) -> dt.date | Text:
    if not 1990 <= year <= 2100:
        return t(f"年份{year}不合理，请检查。", f"The year {year} looks wrong; please check.")
    try:
        return dt.date(year, month, day)
    except ValueError:
        return _impossible(year, month, day)


@_refusing_hidden
def check_date(text: str, today: dt.date | None = None) -> FieldResult:
    """Read a date the way people type it (see `parse_date`), ISO when valid."""
    if not fold(text):
        return _empty()
    found = parse_date(fold(text), today or today_local())
    if isinstance(found, dt.date):
        return ok(found.isoformat())
    return FieldResult(valid=False, error=found)
