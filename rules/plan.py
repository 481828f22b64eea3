"""The procedure as dated steps: what to do, by when, and on what basis."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rules.deadlines import Deadline, compute_deadline
from rules.enums import PeriodKind
from rules.pack import Pack
from rules.text import Text, t
from rules.workdays import WorkdayCalendar

_NOTICE = t("本市通知“备案程序”", "City notice, procedure")


@dataclass(frozen=True)
class PlanStep:
    """One step of the procedure with its due date when it can be known yet."""

    what: Text
    when: Text
    basis: Text
    deadline: Deadline | None = None

    @property
    def estimate(self) -> bool:
        """Say whether the due date is an estimate."""
        return self.deadline is not None and self.deadline.estimate


_WEEKDAYS = (
    t("星期一", "Monday"),
    t("星期二", "Tuesday"),
    t("星期三", "Wednesday"),
    t("星期四", "Thursday"),
    t("星期五", "Friday"),
    t("星期六", "Saturday"),
    t("星期日", "Sunday"),
)


def weekday_text(d: dt.date) -> Text:
    """Name the weekday of `d`."""
    return _WEEKDAYS[d.weekday()]


def date_text(d: dt.date) -> Text:
    """Write a date the way Chinese forms do (2026年11月28日), and ISO in English."""
    return t(f"{d.year}年{d.month}月{d.day}日", d.isoformat())


def _by(deadline: Deadline) -> Text:
    day = date_text(deadline.due)
    return t(f"{day.zh}前", f"by {day.en}")


def _dated(
    kind: PeriodKind, start: dt.date | None, pack: Pack, cal: WorkdayCalendar, pending: Text
) -> tuple[Text, Deadline | None]:
    if start is None:
        return pending, None
    deadline = compute_deadline(kind, start, pack, cal)
    return _by(deadline), deadline


def procedure_plan(
    pack: Pack,
    cal: WorkdayCalendar,
    *,
    connection_date: dt.date | None = None,
    submitted_on: dt.date | None = None,
    initial_passed_on: dt.date | None = None,
    materials_received_on: dt.date | None = None,
) -> list[PlanStep]:
    """Return the steps from online application to changes, dated where the start is known."""
    p = pack.periods
    steps = []
    when, dl = _dated(
        PeriodKind.FILING,
        connection_date,
        pack,
        cal,
        t(f"网站开通之日起{p.filing.days}日内", f"within {p.filing.days} days of going online"),
    )
    steps.append(
        PlanStep(
            t(
                f"登录备案系统（{pack.filing_system_url}）注册账号，填写并提交备案申请",
                f"Register on the filing system ({pack.filing_system_url}) and submit the filing",
            ),
            when,
            p.filing.basis,
            dl,
        )
    )
    when, dl = _dated(
        PeriodKind.INITIAL_REVIEW,
        submitted_on,
        pack,
        cal,
        t(
            f"提交后{p.initial_review.days}个工作日内",
            f"within {p.initial_review.days} working days of submission",
        ),
    )
    steps.append(
        PlanStep(
            t(
                "网安部门初审；登录系统查看结果，不合格的按要求整改后重新提交",
                "The bureau's initial review; check the result online and rectify if returned",
            ),
            when,
            p.initial_review.basis,
            dl,
        )
    )
    when, dl = _dated(
        PeriodKind.MATERIALS,
        initial_passed_on,
        pack,
        cal,
        t(
            f"初审合格后{p.materials.days}个工作日内",
            f"within {p.materials.days} working days after passing initial review",
        ),
    )
    steps.append(
        PlanStep(
            t(
                "携带盖章（签字）材料到网安部门复审（见《复审材料清单》）",
                "Bring the stamped (signed) materials for re-review (see the checklist)",
            ),
            when,
            p.materials.basis,
            dl,
        )
    )
    when, dl = _dated(
        PeriodKind.RE_REVIEW,
        materials_received_on,
        pack,
        cal,
        t(
            f"收到材料后{p.re_review.days}个工作日内",
            f"within {p.re_review.days} working days of receiving the materials",
        ),
    )
    steps.append(
        PlanStep(
            t(
                "网安部门复审；合格的在备案表上盖章并颁发备案证",
                "Re-review; when passed the bureau stamps the form and issues the certificate",
            ),
            when,
            p.re_review.basis,
            dl,
        )
    )
    steps.append(
        PlanStep(
            t(
                "下载备案图标和查询链接，将图标加链接置于网站首页底部",
                "Download the filing icon and link, and place it at the bottom of the home page",
            ),
            t("备案完成后及时（通常30日内）", "promptly after completion (usually within 30 days)"),
            _NOTICE + t("第五项", "item 5"),
        )
    )
    steps.append(
        PlanStep(
            t(
                "备案信息变更或网站关闭：在系统中修改或注销，并提交书面说明",
                "On any change or closure: update or cancel online and report in writing",
            ),
            t(
                f"变更之日起{p.change_report.days}日内",
                f"within {p.change_report.days} days of the change",
            ),
            p.change_report.basis,
        )
    )
    return steps


def estimate_notes(steps: list[PlanStep]) -> list[Text]:
    """Return each distinct estimate note of the plan once."""
    notes: list[Text] = []
    for step in steps:
        note = step.deadline.estimate_note if step.deadline else None
        if note is not None and note not in notes:
            notes.append(note)
    return notes
