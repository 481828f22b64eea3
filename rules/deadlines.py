"""Deadlines of the procedure, counted the way the law counts them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rules.enums import PeriodKind
from rules.pack import Pack, Period
from rules.text import Text, t
from rules.workdays import WorkdayCalendar

_START: dict[PeriodKind, Text] = {
    PeriodKind.FILING: t("网络正式联通（网站开通）之日", "the day the site went online"),
    PeriodKind.INITIAL_REVIEW: t("提交备案申请之日", "the day the application was submitted"),
    PeriodKind.MATERIALS: t("初审合格之日", "the day initial review was passed"),
    PeriodKind.RE_REVIEW: t("网安部门收到材料之日", "the day the bureau received the materials"),
    PeriodKind.CHANGE: t("网站情况发生变更之日", "the day the website's details changed"),
}

_WHAT: dict[PeriodKind, Text] = {
    PeriodKind.FILING: t("办理公安联网备案", "file with the public security bureau"),
    PeriodKind.INITIAL_REVIEW: t("网安部门完成初审", "the bureau completes initial review"),
    PeriodKind.MATERIALS: t("携带材料到网安部门复审", "bring the materials for re-review"),
    PeriodKind.RE_REVIEW: t("网安部门完成复审", "the bureau completes re-review"),
    PeriodKind.CHANGE: t("提交变更书面说明并办理变更登记", "report the change in writing"),
}

_CALENDAR_RULE = t(
    "自{start}起{days}日内{what}（自然日，起算当日不计入；最后一日为休息日或法定节假日的，"
    "顺延至其后第一个工作日）",
    "{what} within {days} calendar days of {start} (the start day is not counted; a last day "
    "that falls on a rest day or public holiday moves to the next working day)",
)
_WORKING_RULE = t(
    "自{start}起{days}个工作日内{what}（起算当日不计入；周末和法定节假日不计，调休上班日计入）",
    "{what} within {days} working days of {start} (the start day is not counted; weekends and "
    "public holidays do not count, adjusted working days do)",
)
ESTIMATE_NOTE = t(
    "{years}年的放假安排尚未公布（或本程序尚未收录），以上日期为估算（按周一至周五、扣除法定节假日计算），"
    "请以网安部门通知为准。",
    "The {years} holiday schedule is not published yet (or not known to this program): this date "
    "is an estimate (Monday–Friday minus public holidays). Please confirm with the bureau.",
)


@dataclass(frozen=True)
class Deadline:
    """A due date with how it was reached."""

    kind: PeriodKind
    start: dt.date
    due: dt.date
    estimate: bool
    estimated_years: tuple[int, ...]
    rule: Text
    basis: Text

    @property
    def estimate_note(self) -> Text | None:
        """Say that the date is a guess, and why, when it is."""
        if not self.estimate:
            return None
        return ESTIMATE_NOTE.format(years="、".join(str(y) for y in self.estimated_years))

    def days_left(self, today: dt.date) -> int:
        """Return calendar days from `today` to the due date (negative when overdue)."""
        return (self.due - today).days


def add_calendar_days(start: dt.date, days: int, cal: WorkdayCalendar) -> tuple[dt.date, set[int]]:
    """Count `days` calendar days after `start`; roll a rest-day end to the next working day."""
    due = start + dt.timedelta(days=days)
    guessed: set[int] = set()
    while True:
        info = cal.day(due)
        if info.estimate:
            guessed.add(due.year)
        if info.workday:
            return due, guessed
        due += dt.timedelta(days=1)


def add_working_days(start: dt.date, days: int, cal: WorkdayCalendar) -> tuple[dt.date, set[int]]:
    """Return the `days`-th working day after `start` (the start day never counts)."""
    current, counted = start, 0
    guessed: set[int] = set()
    while counted < days:
        current += dt.timedelta(days=1)
        info = cal.day(current)
        if info.estimate:
            guessed.add(current.year)
        if info.workday:
            counted += 1
    return current, guessed


def _rule(kind: PeriodKind, period: Period) -> Text:
    template = _CALENDAR_RULE if period.unit == "calendar" else _WORKING_RULE
    start, what = _START[kind], _WHAT[kind]
    return Text(
        zh=template.zh.format(start=start.zh, days=period.days, what=what.zh),
        en=template.en.format(start=start.en, days=period.days, what=what.en.capitalize()),
    )


def compute_deadline(
    kind: PeriodKind, start: dt.date, pack: Pack, cal: WorkdayCalendar
) -> Deadline:
    """Return the deadline of `kind` counted from `start` under the pack's periods."""
    period = pack.periods.of(kind)
    count = add_calendar_days if period.unit == "calendar" else add_working_days
    due, guessed = count(start, period.days, cal)
    return Deadline(
        kind=kind,
        start=start,
        due=due,
        estimate=bool(guessed),
        estimated_years=tuple(sorted(guessed)),
        rule=_rule(kind, period),
        basis=period.basis,
    )


def filing_deadline(connected_on: dt.date, pack: Pack, cal: WorkdayCalendar) -> Deadline:
    """Return the last day to file after the site went online."""
    return compute_deadline(PeriodKind.FILING, connected_on, pack, cal)
