"""What an applicant is told when the site's online date is recorded late: true on the day it
is said (a deadline gone by is overdue, not "-28 days left"; reminders promised only when some
are planned)."""

from __future__ import annotations

import datetime as dt

from rules.deadlines import compute_deadline
from rules.enums import PeriodKind
from rules.pack import load_pack
from rules.standing import online_recorded
from rules.workdays import WorkdayCalendar

D = dt.date.fromisoformat
PACK = load_pack("example")
CAL = WorkdayCalendar(PACK.calendar)


def _told(on: str, today: str, reminded: bool = True) -> tuple[str, str]:
    due = compute_deadline(PeriodKind.FILING, D(on), PACK, CAL)
    text = online_recorded(D(on), due, D(today), reminded)
    return text.zh, text.en


def test_a_deadline_gone_by_is_said_overdue_and_promises_no_reminder() -> None:
    zh, en = _told("2026-10-01", "2026-11-30")
    assert "已逾期28天" in zh and "2026年11月2日" in zh and "还剩" not in zh
    assert "提醒" not in zh
    assert "28 days ago" in en and "left" not in en and "remind" not in en


def test_days_left_and_reminders_only_when_planned() -> None:
    zh, en = _told("2026-11-26", "2026-11-30")
    assert "还剩28天" in zh and "期间会按时提醒你" in zh and "28 days left" in en
    zh, en = _told("2026-11-26", "2026-11-30", reminded=False)  # a terminal applicant
    assert "还剩28天" in zh and "提醒" not in zh and "remind" not in en


def test_the_last_day_is_today_and_an_estimate_is_marked() -> None:
    zh, _ = _told("2026-11-02", "2026-12-02")
    assert "今天是最后一天" in zh and "还剩0天" not in zh
    zh, en = _told("2026-12-20", "2026-12-20")  # the 30th day is in 2027: no schedule yet
    assert "2027年1月19日（估算）" in zh and "(estimate)" in en
