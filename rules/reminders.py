"""Which reminders a deadline brings, and what each says (issues 13, 25). Pure: no clock, no
store.

A decision (`rules.filing_life.decide`) names a series — its kind, its step and its date (the
deadline, or for icon and second_bureau the day the series counts from); `series` expands it
into the reminders to send, each on a day: before the deadline, on the day, the day after
(overdue), or for the reviewers' own clocks to the reviewer chat and then to the supervisor.

What a reminder says is decided when it is sent, not when it was planned (a bot that was down
sends late): `why_not_sent` closes one whose step moved on (moot) or whose series has a later
reminder due by then (superseded: at most one message per series goes in a round, the true
one), and `reminder_text` writes it from the day it goes — the real days left, counted as its
period counts them, or how long it is overdue, and who is to act.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from rules.enums import FilingStatus, PeriodKind
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


# The statuses of its step in which a series still has a reason: outside them a reminder is
# moot (the act it asks for was recorded, or the filing was cancelled) and is not sent.
NEEDED_WHILE: dict[str, frozenset[FilingStatus]] = {
    "filing": frozenset({FilingStatus.PREPARED}),
    "second_bureau": frozenset({FilingStatus.PREPARED}),
    "initial_review": frozenset({FilingStatus.SUBMITTED, FilingStatus.RESUBMITTED}),
    "materials": frozenset({FilingStatus.INITIAL_REVIEW_PASSED}),
    "re_review": frozenset({FilingStatus.MATERIALS_RECEIVED}),
    "change": frozenset({FilingStatus.CHANGE_REPORTED}),
    "icon": frozenset({FilingStatus.CERTIFIED, FilingStatus.CHANGE_REPORTED}),
}


def superseded(
    reminder: Reminder, today: dt.date, cal: WorkdayCalendar, reachable: Collection[str]
) -> bool:
    """Say whether a later reminder of the same series is due by `today` (and has someone to
    go to): that one says what is true now, and this one's moment has passed."""
    plan = series(reminder.kind, reminder.step, reminder.due, cal, today=dt.date.min)
    phases = [r.phase for r in plan]
    if reminder.phase not in phases:
        return False
    later = plan[phases.index(reminder.phase) + 1 :]
    return any(r.send_on <= today and r.to in reachable for r in later)


def why_not_sent(
    reminder: Reminder,
    step_status: FilingStatus,
    today: dt.date,
    cal: WorkdayCalendar,
    reachable: Collection[str],
) -> str | None:
    """Say why a due reminder is closed instead of sent — "moot: <status>" (its step moved on,
    or the filing was cancelled) or "superseded" (a later one of its series is due) — or None
    when it is to go now."""
    if step_status not in NEEDED_WHILE.get(reminder.kind, frozenset()):
        return f"moot: {step_status.value}"
    if superseded(reminder, today, cal, reachable):
        return "superseded"
    return None


def days_left(due: dt.date, today: dt.date, unit: str, cal: WorkdayCalendar) -> int:
    """Count the days from `today` to `due` as the period counts them: working days after today
    up to and including `due` ("working"), or calendar days; negative once `due` has passed
    (then always calendar days: how long it is overdue)."""
    if today >= due or unit != "working":
        return (due - today).days
    return sum(
        cal.is_workday(today + dt.timedelta(days=n)) for n in range(1, (due - today).days + 1)
    )


_WHAT: dict[str, Text] = {
    "filing": t("在备案系统提交网站安全备案", "submit the website security filing"),
    "materials": t(
        "携带盖章（签字）材料到网安部门复审", "bring the stamped materials for re-review"
    ),
    "initial_review": t("完成初审", "complete the initial review"),
    "re_review": t("完成复审", "complete the re-review"),
    "change": t("报告变更（提交变更情况书面说明）", "report the change in writing"),
}
_PERIODS = {
    "filing": PeriodKind.FILING,
    "materials": PeriodKind.MATERIALS,
    "initial_review": PeriodKind.INITIAL_REVIEW,
    "re_review": PeriodKind.RE_REVIEW,
    "change": PeriodKind.CHANGE,
}
_BUREAU_ACTS = ("initial_review", "re_review")  # the bureau's own clocks: it is the actor
# The button each applicant's reminder carries: what it records (its series then stops). The
# submission's is the label of the status message's own button (已在备案系统提交).
ACTIONS: dict[str, Text] = {
    "filing": t("已在备案系统提交", "Submitted in the filing system"),
    "second_bureau": t("已在备案系统提交", "Submitted in the filing system"),
    "materials": t("已送材料", "Materials handed in"),
    "icon": t("已放置图标", "Icon placed"),
}
_PRESS = t("{done}后点“{button}”。", "Press “{button}” once {done}.")
_DONE: dict[str, Text] = {  # what the applicant has done when they press the button
    "filing": t("提交", "you have submitted"),
    "second_bureau": t("提交", "you have submitted"),
    "materials": t("送达", "the materials are handed in"),
    "icon": t("放好", "it is in place"),
}

_HEAD = t("⏰ 提醒（{site}）：", "⏰ Reminder ({site}):")
_BY = t("{date}{weekday}", "{weekday} {date}")  # the day a deadline ends, its weekday after
_LEFT_DAYS = t("还有{n}天", "{n} {days} left")
_LEFT_WORKING = t("还有{n}个工作日", "{n} working {days} left")
_YOU_LEFT = t(
    "{left}：请最迟于{by}（含当日）{what}（{bureau}）。",
    "{left}: {what} on or before {by} ({bureau}).",
)
_YOU_TODAY = t(
    "今天是最后一天：请最迟于{by}（含当日）{what}（{bureau}）。",
    "Today is the last day: {what} on or before {by} ({bureau}).",
)
_YOU_OVERDUE = t(
    "已逾期{n}天：你应最迟于{by}（含当日）{what}（{bureau}）。",
    "Overdue by {n} {days}: you were to {what} on or before {by} ({bureau}).",
)
_BUREAU_LEFT = t(
    "{left}：{bureau}应最迟于{by}（含当日）{what}。",
    "{left}: {bureau} is to {what} on or before {by}.",
)
_BUREAU_TODAY = t(
    "今天是最后一天：{bureau}应最迟于{by}（含当日）{what}。",
    "Today is the last day: {bureau} is to {what} on or before {by}.",
)
_BUREAU_OVERDUE = t(
    "已逾期{n}天：{bureau}应最迟于{by}（含当日）{what}。请尽快处理这份备案。",
    "Overdue by {n} {days}: {bureau} was to {what} on or before {by}. Please act on this "
    "filing now.",
)
_CONSEQUENCE = t(
    "后果：{penalty}（{basis}）。请尽快登录备案系统提交。",
    "Consequence: {penalty} ({basis}). Submit in the filing system as soon as possible.",
)
_LATE = t("请尽快办理，并联系网安部门说明情况。", "Do it as soon as possible and tell the bureau.")
_ESTIMATE = t(
    "日期为估算：节假日安排尚未公布。",
    "The date is an estimate: the holiday schedule is not out yet.",
)
_WHY = t("\n依据：{basis}", "\nBasis: {basis}")
_ICON = t(
    "{bureau}已于{on}发证。请把公安备案图标和链接放到网站首页底部（登录备案系统下载图标和查询链接）。",
    "{bureau} certified the site on {on}. Please place the filing icon and link at the bottom "
    "of the home page (download them from the filing system).",
)
_SECOND_BUREAU = t(
    "第一步已于{on}完成备案。请到第二个网安部门办理备案：{bureau}。",
    "The first step was certified on {on}. Please file with the second bureau: {bureau}.",
)


def _both(template: Text, zh: dict[str, object], en: dict[str, object]) -> Text:
    """Fill a template's languages each with its own values."""
    return t(template.zh.format(**zh), template.en.format(**en))


def _plural(n: int, one: str, many: str) -> str:
    return one if abs(n) == 1 else many


def reminder_text(
    reminder: Reminder,
    pack: Pack,
    cal: WorkdayCalendar,
    *,
    site: str,
    bureau: Text,
    today: dt.date,
) -> Text:
    """Write a reminder as it is true on `today` (the day it is sent): what, by when (on or
    before a date, with its weekday), how many days are left — counted as its period counts
    them — or how long it is overdue, who is to act, why (the rule), whether the date is an
    estimate, and the button it carries to press."""
    head = _HEAD.format(site=site)
    press = _press(reminder)
    if reminder.kind == "icon":
        on = _day(reminder.due)
        return head + _both(_ICON, {"bureau": bureau.zh, "on": on.zh},
                            {"bureau": bureau.en, "on": on.en}) + press  # fmt: skip
    if reminder.kind == "second_bureau":
        on = _day(reminder.due)
        return head + _both(_SECOND_BUREAU, {"bureau": bureau.zh, "on": on.zh},
                            {"bureau": bureau.en, "on": on.en}) + press  # fmt: skip
    period = pack.periods.of(_PERIODS[reminder.kind])
    what = _WHAT[reminder.kind]
    by = _by(reminder.due)
    n = days_left(reminder.due, today, period.unit, cal)
    bureau_acts = reminder.kind in _BUREAU_ACTS
    zh: dict[str, object] = {"what": what.zh, "by": by.zh, "bureau": bureau.zh}
    en: dict[str, object] = {"what": what.en, "by": by.en, "bureau": bureau.en}
    if n > 0:
        left = _LEFT_WORKING if period.unit == "working" else _LEFT_DAYS
        zh["left"] = left.zh.format(n=n)
        en["left"] = left.en.format(n=n, days=_plural(n, "day", "days"))
        line = _both(_BUREAU_LEFT if bureau_acts else _YOU_LEFT, zh, en)
    elif n == 0:
        line = _both(_BUREAU_TODAY if bureau_acts else _YOU_TODAY, zh, en)
    else:
        line = _both(
            _BUREAU_OVERDUE if bureau_acts else _YOU_OVERDUE,
            {**zh, "n": -n},
            {**en, "n": -n, "days": _plural(n, "day", "days")},
        )
        if reminder.kind == "filing":
            penalty = pack.penalty("not_filing")
            line = line + _both(
                _CONSEQUENCE,
                {"penalty": penalty.text.zh.rstrip("。"), "basis": penalty.basis.zh},
                {"penalty": penalty.text.en.rstrip("."), "basis": penalty.basis.en},
            )
        elif not bureau_acts:
            line = line + _LATE
    estimate = _ESTIMATE if not cal.year_is_known(reminder.due.year) else t("", "")
    why = _both(_WHY, {"basis": period.basis.zh}, {"basis": period.basis.en})
    return _join(head, line, estimate, press, why)


def _press(reminder: Reminder) -> Text:
    """Name the button the reminder carries (only the applicant's carry one)."""
    button = ACTIONS.get(reminder.kind)
    if button is None or reminder.to != APPLICANT:
        return t("", "")
    done = _DONE[reminder.kind]
    return _both(_PRESS, {"done": done.zh, "button": button.zh},
                 {"done": done.en, "button": button.en})  # fmt: skip


def _by(d: dt.date) -> Text:
    """The last day of a deadline with its weekday (「最迟于X（含当日）」 wraps it)."""
    date, weekday = date_text(d), weekday_text(d)
    return _both(_BY, {"date": date.zh, "weekday": weekday.zh},
                 {"date": date.en, "weekday": weekday.en})  # fmt: skip


def _day(d: dt.date) -> Text:
    date, weekday = date_text(d), weekday_text(d)
    return t(f"{date.zh}（{weekday.zh}）", f"{date.en} ({weekday.en})")


def _join(*parts: Text) -> Text:
    """Put a reminder's sentences together: Chinese as they are, English a space apart."""
    en = " ".join(p.en.strip(" ") for p in parts if p.en.strip(" "))
    return t("".join(p.zh for p in parts), en.replace(" \n", "\n"))
