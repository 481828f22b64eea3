"""The working-day calendar against the 2026 schedule and for an unknown year."""

from __future__ import annotations

import datetime as dt

import pytest

from rules.workdays import WorkdayCalendar

D = dt.date.fromisoformat


@pytest.mark.parametrize(
    "day", ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]
)
def test_adjusted_weekend_working_days_of_2026_are_working_days(day: str) -> None:
    info = WorkdayCalendar().day(D(day))
    assert D(day).weekday() >= 5
    assert info.workday is True
    assert info.estimate is False


@pytest.mark.parametrize(
    "day",
    [
        "2026-01-02",
        "2026-02-16",
        "2026-02-23",
        "2026-04-06",
        "2026-05-05",
        "2026-06-19",
        "2026-09-25",
        "2026-10-01",
        "2026-10-07",
    ],
)
def test_2026_holidays_on_weekdays_are_rest_days(day: str) -> None:
    assert D(day).weekday() < 5
    assert WorkdayCalendar().is_workday(D(day)) is False


def test_an_unknown_year_is_estimated_instead_of_raising() -> None:
    cal = WorkdayCalendar()
    assert cal.year_is_known(2026) is True
    assert cal.year_is_known(2027) is False
    info = cal.day(D("2027-10-01"))
    assert info == type(info)(workday=False, estimate=True)
    assert cal.day(D("2027-10-12")).workday is True
    assert cal.day(D("2027-10-16")).workday is False  # a Saturday: no adjusted days guessed
