"""Which reminders a deadline brings, and what each says (issue 13). Pure: no clock, no store.

A decision (`rules.filing_life.decide`) names a series — its kind, its step and its date (the
deadline, or for icon and second_bureau the day the series counts from); `series` expands it
into the reminders to send, each on a day: before the deadline, on the day, the day after
(overdue), or for the reviewers' own clocks to the reviewer chat and then to the supervisor.
`reminder_text` writes one at send time: what, by when (date and weekday), why (the rule and
its article), whether the date is an estimate, and the consequence of missing it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from rules.enums import PeriodKind
from rules.pack import Pack
from rules.plan import date_text, weekday_text
from rules.text import Text, t
from rules.workdays import WorkdayCalendar

APPLICANT, REVIEWERS, SUPERVISOR = "applicant", "reviewers", "supervisor"
SHANGHAI = ZoneInfo("Asia/Shanghai")
SEND_AT = dt.time(9, 30)  # the pack's local send time (the notice's city keeps office hours)
QUIET_FROM, QUIET_UNTIL = dt.time(21, 0), dt.time(8, 0)  # never send in between


@dataclass(frozen=True)
class Reminder:
    """One reminder: of which series, for which step, about which date, sent when, to whom."""

    kind: str  # filing | materials | initial_review | re_review | change | icon | second_bureau
    step: int
    due: dt.date  # the deadline (icon, second_bureau: the day the series counts from)
    send_on: dt.date
    to: str  # applicant | reviewers | supervisor
    phase: str  # "before-7", "day", "overdue", "after-7", …

    def to_json(self) -> dict[str, object]:
        """Return the reminder as its outbox row's payload keeps it."""
        return {
            "kind": self.kind,
            "step": self.step,
            "due": self.due.isoformat(),
            "send_on": self.send_on.isoformat(),
            "to": self.to,
            "phase": self.phase,
        }

    @classmethod
    def from_json(cls, raw: dict[str, object]) -> Reminder:
        """Read a reminder from its row's payload."""
        return cls(
            kind=str(raw["kind"]),
            step=int(str(raw.get("step", 1))),
            due=dt.date.fromisoformat(str(raw["due"])),
            send_on=dt.date.fromisoformat(str(raw.get("send_on") or raw["due"])),
            to=str(raw.get("to", APPLICANT)),
            phase=str(raw.get("phase", "day")),
        )


def _working_back(d: dt.date, n: int, cal: WorkdayCalendar) -> dt.date:
    """The n-th working day before `d`."""
    counted = 0
    while counted < n:
        d -= dt.timedelta(days=1)
        if cal.is_workday(d):
            counted += 1
    return d


def _next_working(d: dt.date, cal: WorkdayCalendar) -> dt.date:
    d += dt.timedelta(days=1)
    while not cal.is_workday(d):
        d += dt.timedelta(days=1)
    return d


def series(
    kind: str, step: int, due: dt.date, cal: WorkdayCalendar, *, today: dt.date
) -> list[Reminder]:
    """Return the reminders of one series still to come (none before `today`)."""
    days = dt.timedelta(days=1)
    plan: list[tuple[dt.date, str, str]]
    if kind in ("filing", "change"):
        before = (7, 3, 1) if kind == "filing" else (7, 1)
        plan = [(due - n * days, f"before-{n}", APPLICANT) for n in before]
        plan += [(due, "day", APPLICANT), (due + days, "overdue", APPLICANT)]
    elif kind == "materials":
        plan = [
            (_working_back(due, 2, cal), "before-2", APPLICANT),
            (_working_back(due, 1, cal), "before-1", APPLICANT),
            (due, "day", APPLICANT),
            (_next_working(due, cal), "overdue", APPLICANT),
        ]
    elif kind in ("initial_review", "re_review"):
        plan = [
            (_working_back(due, 1, cal), "before-1", REVIEWERS),
            (due, "day", REVIEWERS),
            (_next_working(due, cal), "overdue", SUPERVISOR),
        ]
    elif kind == "icon":
        plan = [(due + 7 * days, "after-7", APPLICANT), (due + 25 * days, "after-25", APPLICANT)]
    elif kind == "second_bureau":
        plan = [(due + 7 * days, "after-7", APPLICANT)]
    else:
        raise ValueError(f"no reminders of kind {kind!r}")
    return [Reminder(kind, step, due, on, to, phase) for on, phase, to in plan if on >= today]


def send_moment(day: dt.date) -> dt.datetime:
    """When a reminder of `day` is sent: the send time, local (as a UTC moment)."""
    return dt.datetime.combine(day, SEND_AT, SHANGHAI).astimezone(dt.UTC)


def quiet(moment: dt.datetime) -> bool:
    """Say whether `moment` is in the quiet hours (21:00–08:00 local): nothing is sent then."""
    local = moment.astimezone(SHANGHAI).time()
    return local >= QUIET_FROM or local < QUIET_UNTIL


def next_send(moment: dt.datetime) -> dt.datetime:
    """Return the next moment reminders may go from `moment` (itself outside quiet hours)."""
    if not quiet(moment):
        return moment
    local = moment.astimezone(SHANGHAI)
    day = local.date() if local.time() < QUIET_UNTIL else local.date() + dt.timedelta(days=1)
    return send_moment(day)


_WHAT: dict[str, Text] = {
    "filing": t("在备案系统提交网站安全备案", "submit the website security filing"),
    "materials": t(
        "携带盖章（签字）材料到网安部门复审", "bring the stamped materials for re-review"
    ),
    "initial_review": t("完成初审", "complete the initial review"),
    "re_review": t("完成复审", "complete the re-review"),
    "change": t("报告变更（提交变更情况书面说明）", "report the change in writing"),
    "icon": t("把公安备案图标和链接放到网站首页底部", "place the filing icon and link on the site"),
    "second_bureau": t("到第二个网安部门办理备案", "file with the second bureau"),
}
_PERIODS = {
    "filing": PeriodKind.FILING,
    "materials": PeriodKind.MATERIALS,
    "initial_review": PeriodKind.INITIAL_REVIEW,
    "re_review": PeriodKind.RE_REVIEW,
    "change": PeriodKind.CHANGE,
}
# The button each applicant's reminder carries: what it records (its series then stops).
ACTIONS: dict[str, Text] = {
    "filing": t("已提交", "Submitted"),
    "second_bureau": t("已提交", "Submitted"),
    "materials": t("已送材料", "Materials handed in"),
    "icon": t("已放置图标", "Icon placed"),
}


def _day(d: dt.date) -> Text:
    date, weekday = date_text(d), weekday_text(d)
    return t(f"{date.zh}（{weekday.zh}）", f"{date.en} ({weekday.en})")


def reminder_text(
    reminder: Reminder, pack: Pack, cal: WorkdayCalendar, *, site: str, bureau: Text
) -> Text:
    """Write a reminder: what, by when, why, whether the date is an estimate, what to do."""
    what = _WHAT[reminder.kind]
    due = _day(reminder.due)
    head = t(f"⏰ 提醒（{site}）：", f"⏰ Reminder ({site}): ")
    if reminder.kind == "icon":
        body = t(
            f"{bureau.zh}已于{due.zh}发证。请{what.zh}（登录备案系统下载图标和查询链接）。放好后点“已放置图标”。",
            f"{bureau.en} certified the site on {due.en}. Please {what.en} (download them from "
            "the filing system), then press “Icon placed”.",
        )
        return head + body
    if reminder.kind == "second_bureau":
        body = t(
            f"第一步已于{due.zh}完成备案。请{what.zh}：{bureau.zh}。提交后点“已提交”。",
            f"The first step was certified on {due.en}. Please {what.en}: {bureau.en}. Press "
            "“Submitted” once you have.",
        )
        return head + body
    period = pack.periods.of(_PERIODS[reminder.kind])
    why = t(f"依据：{period.basis.zh}", f"Basis: {period.basis.en}")
    estimate = not cal.year_is_known(reminder.due.year)
    note = (
        t(
            "（节假日安排尚未公布，日期为估算）",
            " (the holiday schedule is not out yet: an estimate)",
        )
        if estimate
        else t("", "")
    )
    if reminder.phase == "overdue" or reminder.to == SUPERVISOR:
        line = t(
            f"已逾期：应在{due.zh}前{what.zh}（{bureau.zh}）。",
            f"Overdue: {bureau.en} was to {what.en} by {due.en}.",
        )
        if reminder.kind == "filing":
            penalty = pack.penalty("not_filing")
            line = line + t(
                f"后果：{penalty.text.zh}（{penalty.basis.zh}）请尽快登录备案系统提交，然后点“已提交”。",
                f"Consequence: {penalty.text.en} ({penalty.basis.en}). Submit in the filing "
                "system as soon as possible, then press “Submitted”.",
            )
        elif reminder.kind in ("materials", "change"):
            line = line + t(
                "请尽快办理，并联系网安部门说明情况。",
                "Do it as soon as possible and tell the bureau.",
            )
        else:
            line = line + t("请尽快处理这份备案。", "Please act on this filing now.")
    elif reminder.phase == "day":
        line = t(
            f"今天（{due.zh}）是{what.zh}的最后一天（{bureau.zh}）。",
            f"Today ({due.en}) is the last day to {what.en} ({bureau.en}).",
        )
    else:
        left = reminder.phase.removeprefix("before-")
        unit = t("个工作日", " working day(s)") if period.unit == "working" else t("天", " day(s)")
        line = t(
            f"还有{left}{unit.zh}：请在{due.zh}前{what.zh}（{bureau.zh}）。",
            f"{left}{unit.en} left: {what.en} by {due.en} ({bureau.en}).",
        )
    return head + line + note + t(f"\n{why.zh}", f"\n{why.en}")
