"""The Chinese working-day calendar: official data first, an estimate where none exists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import chinese_calendar

from rules.pack import CalendarYear


@dataclass(frozen=True)
class DayInfo:
    """Whether a date is a working day, and whether that is only an estimate."""

    workday: bool
    estimate: bool


@lru_cache(maxsize=64)
def _statutory_days(year: int) -> frozenset[dt.date]:
    """Statutory holidays (with observed days) of a year, for estimating an unknown year."""
    import holidays as holidays_lib  # 0.25 s to import; needed only for unknown years

    return frozenset(holidays_lib.country_holidays("CN", years=year).keys())


class WorkdayCalendar:
    """Answers "is this a working day?" for any date, flagging guesses.

    Order of sources: the pack's published schedule for a year, then `chinese_calendar`
    (which knows adjusted working days, 调休), then an estimate (Mon–Fri minus statutory
    holidays) for a year nobody has published yet.
    """

    def __init__(self, overrides: Mapping[int, CalendarYear] | None = None) -> None:
        self._years = {
            year: (frozenset(s.holidays), frozenset(s.workdays))
            for year, s in (overrides or {}).items()
        }
        # Answers never change for a calendar; chinese_calendar re-validates every date it is
        # asked about, which made a deadline a third of an interview step.
        self._days: dict[dt.date, DayInfo] = {}

    def day(self, d: dt.date) -> DayInfo:
        """Return what is known about `d`."""
        known = self._days.get(d)
        if known is None:
            known = self._days[d] = self._look_up(d)
        return known

    def _look_up(self, d: dt.date) -> DayInfo:
        published = self._years.get(d.year)
        if published is not None:
            rest, work = published
            if d in work:
                return DayInfo(workday=True, estimate=False)
            return DayInfo(workday=d not in rest and d.weekday() < 5, estimate=False)
        try:
            return DayInfo(workday=bool(chinese_calendar.is_workday(d)), estimate=False)
        except NotImplementedError:
            guess = d.weekday() < 5 and d not in _statutory_days(d.year)
            return DayInfo(workday=guess, estimate=True)

    def is_workday(self, d: dt.date) -> bool:
        """Return True when `d` is (or is estimated to be) a working day."""
        return self.day(d).workday

    def year_is_known(self, year: int) -> bool:
        """Return True when the year's schedule is published (pack or library)."""
        return not self.day(dt.date(year, 1, 1)).estimate
