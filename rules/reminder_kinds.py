"""The kinds of reminder series (issue 27): one enum, and one record per kind from which every
table about kinds is derived — when its reminders go and to whom, while they still have a
reason, what they ask and by which clock, the button they carry, the calendar's line.

Adding a kind is one member and one `KindSpec` here (tests/rules/test_reminder_kinds.py fails
when a kind lacks one of its parts); the dispatcher, the .ics, the buttons and 注销 follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rules.enums import FilingStatus, PeriodKind
from rules.text import Text, t

S = FilingStatus
APPLICANT, REVIEWERS, SUPERVISOR = "applicant", "reviewers", "supervisor"


class ReminderKind(StrEnum):
    """A series of reminders: what it is about (the value is stored in outbox rows)."""

    FILING = "filing"  # 联通后30日内提交备案
    MATERIALS = "materials"  # 初审合格后送盖章材料
    INITIAL_REVIEW = "initial_review"  # the bureau's 初审 clock
    RE_REVIEW = "re_review"  # the bureau's 复审 clock
    CHANGE = "change"  # 变更后书面说明
    ICON = "icon"  # 发证后放置备案图标
    SECOND_BUREAU = "second_bureau"  # 第一步发证后到第二个网安部门备案


@dataclass(frozen=True)
class Phase:
    """One reminder of a series: its name, its day counted from the series' date (working
    days when `working`), and to whom it goes."""

    name: str  # "before-7", "day", "overdue", "after-7", …
    days: int
    to: str = APPLICANT
    working: bool = False


@dataclass(frozen=True)
class PressAction:
    """The button an applicant's reminder carries: its label, what the applicant has done when
    they press it, and the act it records (a key of `bot.tg.filings.NOTE_CODES`)."""

    label: Text
    done: Text
    records: str  # "submit" | "materials_handed" | "icon_placed"


@dataclass(frozen=True)
class KindSpec:
    """Everything about one kind. A deadline kind (`period` set) names what is due (`what`)
    and its calendar line; a kind counted from a day (icon, second_bureau) has its own
    sentence (`message`) and no calendar line."""

    phases: tuple[Phase, ...]
    needed_while: frozenset[FilingStatus]  # the step's statuses in which it still has a reason
    period: PeriodKind | None
    what: Text | None  # 「请最迟于X（含当日）{what}」
    calendar: Text | None  # the .ics summary of its deadline
    message: Text | None  # the whole sentence of a kind counted from a day
    action: PressAction | None
    penalty: str | None = None  # the pack's penalty named once it is overdue
    # A kind whose act the product cannot know (no button records it; the bureau's review
    # stops its reminders): said to the applicant on each, and "overdue" is not asserted.
    if_done: Text | None = None

    @property
    def bureau_acts(self) -> bool:
        """Say whether the bureau is the one to act (its reminders go to reviewers)."""
        return any(p.to != APPLICANT for p in self.phases)


_SUBMITTED = PressAction(
    t("已在备案系统提交", "Submitted in the filing system"),
    t("提交", "you have submitted"),
    "submit",
)

KINDS: dict[ReminderKind, KindSpec] = {
    ReminderKind.FILING: KindSpec(
        phases=(
            Phase("before-7", -7),
            Phase("before-3", -3),
            Phase("before-1", -1),
            Phase("day", 0),
            Phase("overdue", 1),
        ),
        needed_while=frozenset({S.PREPARED}),
        period=PeriodKind.FILING,
        what=t("在备案系统提交网站安全备案", "submit the website security filing"),
        calendar=t("网站安全备案提交截止", "Website security filing due"),
        message=None,
        action=_SUBMITTED,
        penalty="not_filing",
    ),
    ReminderKind.MATERIALS: KindSpec(
        phases=(
            Phase("before-2", -2, working=True),
            Phase("before-1", -1, working=True),
            Phase("day", 0),
            Phase("overdue", 1, working=True),
        ),
        needed_while=frozenset({S.INITIAL_REVIEW_PASSED}),
        period=PeriodKind.MATERIALS,
        what=t("携带盖章（签字）材料到网安部门复审", "bring the stamped materials for re-review"),
        calendar=t("送盖章材料截止", "Stamped materials due"),
        message=None,
        action=PressAction(
            t("已送材料", "Materials handed in"),
            t("送达", "the materials are handed in"),
            "materials_handed",
        ),
    ),
    ReminderKind.INITIAL_REVIEW: KindSpec(
        phases=(
            Phase("before-1", -1, REVIEWERS, working=True),
            Phase("day", 0, REVIEWERS),
            Phase("overdue", 1, SUPERVISOR, working=True),
        ),
        needed_while=frozenset({S.SUBMITTED, S.RESUBMITTED}),
        period=PeriodKind.INITIAL_REVIEW,
        what=t("完成初审", "complete the initial review"),
        calendar=t("网安部门初审期限", "Initial review due (bureau)"),
        message=None,
        action=None,  # the reviewers act on their card
    ),
    ReminderKind.RE_REVIEW: KindSpec(
        phases=(
            Phase("before-1", -1, REVIEWERS, working=True),
            Phase("day", 0, REVIEWERS),
            Phase("overdue", 1, SUPERVISOR, working=True),
        ),
        needed_while=frozenset({S.MATERIALS_RECEIVED}),
        period=PeriodKind.RE_REVIEW,
        what=t("完成复审", "complete the re-review"),
        calendar=t("网安部门复审期限", "Re-review due (bureau)"),
        message=None,
        action=None,
    ),
    ReminderKind.CHANGE: KindSpec(
        phases=(Phase("before-7", -7), Phase("before-1", -1), Phase("day", 0), Phase("overdue", 1)),
        needed_while=frozenset({S.CHANGE_REPORTED}),
        period=PeriodKind.CHANGE,
        what=t("报告变更（提交变更情况书面说明）", "report the change in writing"),
        calendar=t("变更报告截止", "Change report due"),
        message=None,
        action=None,  # the written statement is handed in; the bureau's review stops them
        if_done=t(
            "已经提交书面说明的，不必理会这条提醒：网安部门审核这次变更后，提醒就会停止。",
            "If you have handed in the written statement, ignore this reminder: it stops once "
            "the bureau has reviewed the change.",
        ),
    ),
    ReminderKind.ICON: KindSpec(
        phases=(Phase("after-7", 7), Phase("after-25", 25)),
        needed_while=frozenset({S.CERTIFIED, S.CHANGE_REPORTED}),
        period=None,
        what=None,
        calendar=None,
        message=t(
            "{bureau}已于{on}发证。请把公安备案图标和链接放到网站首页底部（登录备案系统下载图标和查询链接）。",
            "{bureau} certified the site on {on}. Please place the filing icon and link at the "
            "bottom of the home page (download them from the filing system).",
        ),
        action=PressAction(
            t("已放置图标", "Icon placed"), t("放好", "it is in place"), "icon_placed"
        ),
    ),
    ReminderKind.SECOND_BUREAU: KindSpec(
        phases=(Phase("after-7", 7),),
        needed_while=frozenset({S.PREPARED}),
        period=None,
        what=None,
        calendar=None,
        message=t(
            "第一步已于{on}完成备案。请到第二个网安部门办理备案：{bureau}。",
            "The first step was certified on {on}. Please file with the second bureau: {bureau}.",
        ),
        action=_SUBMITTED,
    ),
}


def spec(kind: str) -> KindSpec:
    """Return a kind's record (a stored kind read as the enum)."""
    return KINDS[ReminderKind(kind)]
