"""The procedure as dated steps, per bureau in route order: what to do, by when, on what basis.

A step is dated only from an event that happened (the site went online, the application was
submitted, initial review was passed, the materials were received); before that it states the
rule ("提交后5个工作日内"). A filing deadline already past says so (已逾期 N 天) with what the
law provides, and "尽快办理" as its date. For a two-city route the plan has both filings, each
with its bureau, and what to do between them; a bureau elsewhere is planned from its own pack
when one is installed, else as "its own local rules apply".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rules.deadlines import Deadline, compute_deadline
from rules.enums import PeriodKind, RouteWhere
from rules.pack import Pack, Period
from rules.routing import Route, RouteStep
from rules.text import Text, t
from rules.workdays import WorkdayCalendar

_ICON_BASIS = t(
    "本市通知“备案程序”第五项（“及时”放置）", "City notice, procedure item 5 (“promptly”)"
)
_ROUTING_BASIS = t(
    "本市通知“备案范围”：系统维护地与服务器所在地不同的，按顺序先后备案",
    "City notice, scope: where maintenance and server are in different cities, file with both "
    "in order",
)


@dataclass(frozen=True)
class FilingDates:
    """What has happened to the filing so far (None: not yet, or not known)."""

    connection_date: dt.date | None = None
    submitted_on: dt.date | None = None
    initial_passed_on: dt.date | None = None
    materials_received_on: dt.date | None = None


@dataclass(frozen=True)
class PlanStep:
    """One step of the procedure, with the bureau it is with and its due date when known."""

    what: Text
    when: Text
    basis: Text
    deadline: Deadline | None = None
    bureau: Text | None = None  # None: a step that concerns every bureau filed with
    overdue_days: int = 0  # > 0: the deadline has passed by this many days
    consequence: Text | None = None  # for an overdue step: what the law provides

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


def by_day(d: dt.date) -> Text:
    """Say a deadline's last day, that day included (“X日前” reads as “before X”)."""
    day = date_text(d)
    return t(f"最迟于{day.zh}（含当日）", f"on or before {day.en}")


def _by(deadline: Deadline) -> Text:
    return by_day(deadline.due)


def _rule(period: Period, after: Text) -> Text:
    unit = t("个工作日", " working days") if period.unit == "working" else t("日", " days")
    return t(
        f"{after.zh}{period.days}{unit.zh}内",
        f"within {period.days}{unit.en} {after.en}",
    )


def _dated(
    kind: PeriodKind, start: dt.date | None, pack: Pack, cal: WorkdayCalendar, after: Text
) -> tuple[Text, Deadline | None]:
    if start is None:
        return _rule(pack.periods.of(kind), after), None
    deadline = compute_deadline(kind, start, pack, cal)
    return _by(deadline), deadline


def _filing_when(
    home: Pack, cal: WorkdayCalendar, today: dt.date, dates: FilingDates, after: Text | None
) -> tuple[Text, Deadline | None, int]:
    """Return when an application is due (Art. 12's 30 days from going online: every step's
    own legal deadline, a second step's too), and days overdue. `after`: what must come
    first (a second step follows the first's completion)."""
    first = t(f"{after.zh}办理，", f"{after.en}, ") if after is not None else t("", "")
    if dates.submitted_on is not None:
        day = date_text(dates.submitted_on)
        return t(f"已于{day.zh}提交", f"submitted on {day.en}"), None, 0
    if dates.connection_date is None:
        days = home.periods.filing.days
        return (
            t(
                f"{first.zh}网站开通之日起{days}日内",
                f"{first.en}within {days} days of going online",
            ),
            None,
            0,
        )
    deadline = compute_deadline(PeriodKind.FILING, dates.connection_date, home, cal)
    late = (today - deadline.due).days
    if late > 0:
        due = date_text(deadline.due)
        return (
            t(
                f"{first.zh}尽快办理（已逾期{late}天：期限为{due.zh}）",
                f"{first.en}as soon as possible ({late} days overdue: the deadline was {due.en})",
            ),
            deadline,
            late,
        )
    by = by_day(deadline.due)
    return t(f"{first.zh}{by.zh}", f"{first.en}{by.en}"), deadline, 0


def _submit_step(
    what: Text,
    bureau: Text,
    home: Pack,
    cal: WorkdayCalendar,
    today: dt.date,
    dates: FilingDates,
    previous: RouteStep | None,
) -> PlanStep:
    """The application to a bureau: due 30 days after going online (Art. 12), the second one
    too (every site in this city is under the rule), after the first: the notice sets the
    order (先到…备案登记，再到…备案登记), not that the first be complete — which, with its
    reviews of up to 13 working days, would not fit in the same 30 days."""
    if previous is None:
        when, deadline, late = _filing_when(home, cal, today, dates, None)
        consequence = _consequence(home) if late else None
        return PlanStep(what, when, home.periods.filing.basis, deadline, bureau, late, consequence)
    after = t(f"在第{previous.order}步之后", f"after step {previous.order}")
    # Only the first filing's dates are known: the second is dated from going online only.
    own = FilingDates(connection_date=dates.connection_date)
    when, deadline, late = _filing_when(home, cal, today, own, after)
    basis = t(
        f"{home.periods.filing.basis.zh}；{_ROUTING_BASIS.zh}",
        f"{home.periods.filing.basis.en}; {_ROUTING_BASIS.en}",
    )
    return PlanStep(
        t(
            f"在第{previous.order}步（{previous.bureau.zh}）之后，{what.zh}",
            f"After step {previous.order} ({previous.bureau.en}): "
            f"{what.en[0].lower()}{what.en[1:]}",
        ),
        when,
        basis,
        deadline,
        bureau,
        late,
        _consequence(home) if late else None,
    )


def _known_procedure(
    step: RouteStep,
    pack: Pack,
    home: Pack,
    cal: WorkdayCalendar,
    today: dt.date,
    dates: FilingDates,
    first: bool,
    previous: RouteStep | None,
) -> list[PlanStep]:
    """The four steps of the notice's procedure at a bureau whose pack is known."""
    bureau = step.bureau
    steps: list[PlanStep] = []
    submit_what = t(
        f"登录备案系统（{pack.filing_system_url}），向{bureau.zh}办理备案手续：注册账号，"
        "填写并提交备案申请",
        f"Register on the filing system ({pack.filing_system_url}) and submit the filing "
        f"application to {bureau.en}",
    )
    steps.append(_submit_step(submit_what, bureau, home, cal, today, dates, previous))
    own = dates if first else FilingDates()
    reviews = (
        (PeriodKind.INITIAL_REVIEW, own.submitted_on, pack.periods.initial_review,
         t("提交后", "of submission"),
         t(f"{bureau.zh}初审；登录系统查看结果，不合格的按要求整改后重新提交",
           f"Initial review by {bureau.en}; check the result online and rectify if returned")),
        (PeriodKind.MATERIALS, own.initial_passed_on, pack.periods.materials,
         t("初审合格后", "after passing initial review"),
         t(f"携带盖章（签字）材料到{bureau.zh}复审（见《复审材料清单》）",
           f"Bring the stamped (signed) materials to {bureau.en} for re-review "
           "(see the checklist)")),
        (PeriodKind.RE_REVIEW, own.materials_received_on, pack.periods.re_review,
         t("收到材料后", "of receiving the materials"),
         t(f"{bureau.zh}复审；合格的在备案表上盖章并颁发备案证",
           f"Re-review by {bureau.en}; when passed it stamps the form and issues the "
           "certificate")),
    )  # fmt: skip
    for kind, start, period, counted, what in reviews:
        when, dl = _dated(kind, start, pack, cal, counted)
        steps.append(PlanStep(what, when, period.basis, dl, bureau))
    return steps


def _unknown_procedure(
    step: RouteStep,
    home: Pack,
    cal: WorkdayCalendar,
    today: dt.date,
    dates: FilingDates,
    previous: RouteStep | None,
) -> PlanStep:
    """One step at a bureau elsewhere whose rules this pack does not hold."""
    bureau = step.bureau
    what = t(
        f"到{bureau.zh}办理备案手续：按当地网安部门的规定和程序（其受理地址、材料和期限不在本资料中，"
        "请先向当地网安部门咨询）",
        f"File with {bureau.en}, following that bureau's own rules and procedure (its address, "
        "materials and clocks are not in this pack: ask it first)",
    )
    return _submit_step(what, bureau, home, cal, today, dates, previous)


def _consequence(pack: Pack) -> Text:
    penalty = pack.penalty("not_filing")
    return t(f"{penalty.text.zh}（{penalty.basis.zh}）", f"{penalty.text.en} ({penalty.basis.en})")


def change_period_text(period: Period) -> Text:
    """Say the change-report period, marked as the city's value while it is unconfirmed."""
    if period.confirmed:
        return t(f"{period.days}日内", f"within {period.days} days")
    return t(
        f"{period.days}日内（天数以本市通知为准）",
        f"within {period.days} days (the number of days as the city notice sets it)",
    )


def _change_when(period: Period) -> Text:
    within = change_period_text(period)
    return t(f"变更之日起{within.zh}", f"{within.en} of the change")


def _alone(pack: Pack) -> tuple[RouteStep, ...]:
    return (RouteStep(1, RouteWhere.LOCAL, pack.bureau.name, pack=pack),)


def procedure_plan(
    pack: Pack,
    cal: WorkdayCalendar,
    *,
    today: dt.date,
    route: Route | None = None,
    dates: FilingDates | None = None,
) -> list[PlanStep]:
    """Return the steps from the online application to changes, bureau by bureau in route
    order (this city's bureau alone without a route), dated where their start is known."""
    dates = dates or FilingDates()
    route_steps = route.steps if route is not None else _alone(pack)
    steps: list[PlanStep] = []
    previous: RouteStep | None = None
    for i, step in enumerate(route_steps):
        first = i == 0
        known = pack if step.local else step.pack
        if known is not None:
            steps += _known_procedure(step, known, pack, cal, today, dates, first, previous)
        else:
            steps.append(_unknown_procedure(step, pack, cal, today, dates, previous))
        previous = step
    steps.append(
        PlanStep(
            t(
                "下载备案图标和查询链接，将图标加链接置于网站首页底部",
                "Download the filing icon and link, and place it at the bottom of the home page",
            ),
            t("备案完成后及时放置", "promptly after the filing is complete"),
            _ICON_BASIS,
        )
    )
    bureaus = "、".join(s.bureau.zh for s in route_steps)
    bureaus_en = " and ".join(s.bureau.en for s in route_steps)
    steps.append(
        PlanStep(
            t(
                f"备案信息变更或网站关闭：在系统中修改或注销，并向{bureaus}提交书面说明",
                f"On any change or closure: update or cancel online and report in writing to "
                f"{bureaus_en}",
            ),
            _change_when(pack.periods.change_report),
            pack.periods.change_report.basis,
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
