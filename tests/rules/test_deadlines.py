"""Deadlines around every 2026 holiday and adjusted working day, and in unknown 2027.

Expected dates are worked out by hand from the 2026 State Council schedule
(days off 1/1–3, 2/15–23, 4/4–6, 5/1–5, 6/19–21, 9/25–27, 10/1–7; adjusted working days
1/4 Sun, 2/14 Sat, 2/28 Sat, 5/9 Sat, 9/20 Sun, 10/10 Sat).
"""

from __future__ import annotations

import datetime as dt

import pytest

from rules.deadlines import compute_deadline, filing_deadline
from rules.enums import PeriodKind
from rules.pack import CalendarYear, Pack
from rules.workdays import WorkdayCalendar

D = dt.date.fromisoformat
K = PeriodKind

WORKING_DAY_CASES = [
    # (kind, start, due, why)
    (K.INITIAL_REVIEW, "2025-12-31", "2026-01-08", "New Year 1/1–3 off, Sunday 1/4 is worked"),
    (K.MATERIALS, "2026-02-12", "2026-02-26", "Saturday 2/14 worked, Spring Festival 2/15–23 off"),
    (K.RE_REVIEW, "2026-02-26", "2026-03-02", "Saturday 2/28 is worked, Sunday 3/1 is not"),
    (K.INITIAL_REVIEW, "2026-04-02", "2026-04-10", "Qingming 4/4–6 off"),
    (K.MATERIALS, "2026-04-30", "2026-05-11", "Labour Day 5/1–5 off, Saturday 5/9 worked"),
    (K.RE_REVIEW, "2026-06-18", "2026-06-24", "Dragon Boat 6/19–21 off"),
    (K.INITIAL_REVIEW, "2026-09-18", "2026-09-24", "Sunday 9/20 worked before Mid-Autumn"),
    (K.MATERIALS, "2026-09-28", "2026-10-10", "National Day 10/1–7 off, Saturday 10/10 worked"),
    (K.RE_REVIEW, "2026-11-27", "2026-12-02", "an ordinary weekend is skipped"),
]


@pytest.mark.parametrize(("kind", "start", "due", "why"), WORKING_DAY_CASES)
def test_working_day_periods_skip_holidays_and_count_adjusted_working_days(
    pack: Pack, cal: WorkdayCalendar, kind: PeriodKind, start: str, due: str, why: str
) -> None:
    result = compute_deadline(kind, D(start), pack, cal)
    assert result.due == D(due), why
    assert result.estimate is False
    assert result.estimate_note is None


CALENDAR_DAY_CASES = [
    (K.FILING, "2026-09-01", "2026-10-08", "day 30 is 10/1, National Day: moves to 10/8"),
    (K.FILING, "2026-01-16", "2026-02-24", "day 30 is 2/15, Spring Festival: moves to 2/24"),
    (K.CHANGE, "2026-03-06", "2026-04-07", "day 30 is 4/5, Qingming: moves to 4/7"),
    (K.FILING, "2026-08-21", "2026-09-20", "day 30 is Sunday 9/20, an adjusted working day"),
    (K.FILING, "2025-12-02", "2026-01-04", "day 30 is 1/1: moves to Sunday 1/4, worked"),
    (K.FILING, "2026-10-29", "2026-11-30", "day 30 is Saturday 11/28: moves to Monday"),
    (K.FILING, "2026-11-28", "2026-12-28", "day 30 is a Monday: stays"),
    (K.FILING, "2026-04-30", "2026-06-01", "day 30 is Saturday 5/30: moves to Monday 6/1"),
]


@pytest.mark.parametrize(("kind", "start", "due", "why"), CALENDAR_DAY_CASES)
def test_calendar_day_periods_do_not_count_the_start_and_roll_off_rest_days(
    pack: Pack, cal: WorkdayCalendar, kind: PeriodKind, start: str, due: str, why: str
) -> None:
    result = compute_deadline(kind, D(start), pack, cal)
    assert result.due == D(due), why
    assert result.estimate is False


def test_a_deadline_in_2027_is_an_estimate_and_says_so(pack: Pack, cal: WorkdayCalendar) -> None:
    result = compute_deadline(K.INITIAL_REVIEW, D("2026-12-28"), pack, cal)
    # 12/29, 12/30, 12/31 count; 2027-01-01 is New Year; 1/4 and 1/5 count.
    assert result.due == D("2027-01-05")
    assert result.estimate is True
    assert result.estimated_years == (2027,)
    note = result.estimate_note
    assert note is not None
    assert "2027" in note.zh and "估算" in note.zh
    assert "estimate" in note.en


def test_a_calendar_deadline_landing_in_2027_is_an_estimate(
    pack: Pack, cal: WorkdayCalendar
) -> None:
    result = filing_deadline(D("2026-12-05"), pack, cal)
    assert result.due == D("2027-01-04")
    assert result.estimate is True


def test_the_2027_spring_festival_is_estimated_from_statutory_holidays(
    pack: Pack, cal: WorkdayCalendar
) -> None:
    result = compute_deadline(K.MATERIALS, D("2027-02-04"), pack, cal)
    # Lunar New Year's Eve 2/5 through 2/10 (observed) are off in the estimate.
    assert result.due == D("2027-02-17")
    assert result.estimate is True


def test_a_published_schedule_in_the_pack_replaces_the_estimate(pack: Pack) -> None:
    schedule = CalendarYear(holidays=[D("2027-01-01"), D("2027-01-04")], workdays=[D("2027-01-09")])
    cal = WorkdayCalendar({2027: schedule})
    result = compute_deadline(K.INITIAL_REVIEW, D("2026-12-31"), pack, cal)
    # 1/1 off, weekend, 1/4 off by the pack; 1/5–1/8 count four; Saturday 1/9 is worked.
    assert result.due == D("2027-01-09")
    assert result.estimate is False


def test_pack_overrides_come_before_the_library(pack: Pack) -> None:
    cal = WorkdayCalendar({2026: CalendarYear(holidays=[D("2026-12-28")])})
    assert cal.is_workday(D("2026-12-28")) is False
    result = filing_deadline(D("2026-11-28"), pack, cal)
    assert result.due == D("2026-12-29")


def test_every_result_explains_its_rule_and_basis_in_both_languages(
    pack: Pack, cal: WorkdayCalendar
) -> None:
    for kind in PeriodKind:
        result = compute_deadline(kind, D("2026-06-01"), pack, cal)
        assert str(pack.periods.of(kind).days) in result.rule.zh
        assert str(pack.periods.of(kind).days) in result.rule.en
        assert result.basis == pack.periods.of(kind).basis
    filing = filing_deadline(D("2026-06-01"), pack, cal)
    assert "第十二条" in filing.basis.zh
    assert "不计入" in filing.rule.zh and "顺延" in filing.rule.zh


def test_days_left_counts_down_and_goes_negative_when_overdue(
    pack: Pack, cal: WorkdayCalendar
) -> None:
    result = filing_deadline(D("2026-11-28"), pack, cal)
    assert result.days_left(D("2026-11-28")) == 30
    assert result.days_left(D("2026-12-30")) == -2


def test_the_change_report_period_follows_the_pack(pack: Pack, cal: WorkdayCalendar) -> None:
    periods = pack.periods.model_copy(
        update={"change_report": pack.periods.change_report.model_copy(update={"days": 10})}
    )
    short = pack.model_copy(update={"periods": periods})
    result = compute_deadline(K.CHANGE, D("2026-06-01"), short, cal)
    assert result.due == D("2026-06-11")
    assert "10日内" in result.rule.zh
