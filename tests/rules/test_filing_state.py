"""The rules the channels ask about a filing live once, in rules/ (issue 27 item 5): may its
answers be fixed, may its going online be recorded, how long a cancelled interview is kept."""

from __future__ import annotations

import datetime as dt

import pytest

from dialogs import texts
from rules.enums import FilingStatus as S
from rules.filing_state import FilingState, StepState, amendable, awaits_online
from rules.retention import KEEP_CANCELLED_INTERVIEW
from rules.text import t

BUREAU = t("示例市公安局", "Example PSB")


@pytest.mark.parametrize("status", list(S))
def test_only_a_returned_filing_or_one_not_submitted_may_be_amended(status: S) -> None:
    state = FilingState((StepState(1, True, BUREAU, status),))
    assert amendable(state) is (status in (S.RETURNED, S.PREPARED))


def test_amending_looks_at_the_step_in_progress() -> None:
    first = StepState(1, True, BUREAU, S.CERTIFIED)
    second = StepState(2, False, t("杭州网安", "Hangzhou"), S.RETURNED)
    assert amendable(FilingState((first, second), current=2))
    assert not amendable(FilingState((first, StepState(2, False, BUREAU, S.SUBMITTED)), 2))
    # the second step not submitted yet, but the first certified: not "nothing submitted"
    assert not amendable(FilingState((first, StepState(2, False, BUREAU, S.PREPARED)), 2))


@pytest.mark.parametrize("status", list(S))
def test_going_online_is_recorded_only_for_a_prepared_filing_without_a_date(status: S) -> None:
    steps = (StepState(1, True, BUREAU, status),)
    assert awaits_online(FilingState(steps)) is (status is S.PREPARED)
    assert not awaits_online(FilingState(steps, connection_date=dt.date(2026, 11, 2)))


def test_the_texts_promise_the_retention_the_code_keeps() -> None:
    from bot.conversation import KEEP_CANCELLED

    assert KEEP_CANCELLED == KEEP_CANCELLED_INTERVIEW
    days = KEEP_CANCELLED_INTERVIEW.days
    for text in (texts.CANCEL_ASK, texts.CANCEL_KEEP, texts.CANCELLED):
        assert f"{days}天" in text.zh and f"{days} days" in text.en


def test_a_clock_in_a_year_without_published_holidays_is_marked_an_estimate() -> None:
    """/status said 「你送材料的期限：最迟于2027年1月4日（含当日）」 as firm, though the plan
    marks the same date （估算）: 2027's holidays were not published."""
    from rules.pack import load_pack
    from rules.standing import deadline_line
    from rules.workdays import WorkdayCalendar

    pack = load_pack("example")
    cal = WorkdayCalendar(pack.calendar)
    bureau = t("示例市公安局", "Example PSB")

    def line(passed: dt.date) -> str:
        step = StepState(1, True, bureau, S.INITIAL_REVIEW_PASSED,
                         submitted_on=passed, initial_passed_on=passed)  # fmt: skip
        said = deadline_line(FilingState((step,)), pack, cal, passed)
        assert said is not None
        return said.zh

    assert "（估算）" in line(dt.date(2026, 12, 28))  # its 5 working days end in 2027
    assert "（估算）" not in line(dt.date(2026, 11, 30))  # within 2026: known


def test_a_second_step_waiting_for_the_first_is_not_told_it_is_overdue() -> None:
    """Step 1 submitted in time and certified after the 30 days: step 2 could not start before
    (the route's order), and /status said 「已逾期8天」 as if the applicant were late."""
    from rules.pack import load_pack
    from rules.standing import deadline_line
    from rules.workdays import WorkdayCalendar

    pack = load_pack("example")
    cal = WorkdayCalendar(pack.calendar)
    first = StepState(1, True, BUREAU, S.CERTIFIED, submitted_on=dt.date(2026, 12, 18),
                      certified_on=dt.date(2026, 12, 28))  # fmt: skip
    second = StepState(2, False, t("上海网安", "Shanghai"), S.PREPARED)
    state = FilingState((first, second), current=2, connection_date=dt.date(2026, 11, 20))
    late = deadline_line(state, pack, cal, dt.date(2026, 12, 29))
    assert late is not None and "已逾期" not in late.zh and "还剩" not in late.zh
    assert "第1步已于2026年12月28日发证，请尽快向上海网安提交" in late.zh
    assert "2026年12月21日，已过" in late.zh and "ended on 2026-12-21" in late.en
    early = deadline_line(state, pack, cal, dt.date(2026, 12, 10))  # the 30 days still run
    assert early is not None and "最迟于2026年12月21日（含当日），还剩11天" in early.zh
