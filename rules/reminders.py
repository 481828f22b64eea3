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

from rules.enums import FilingStatus
from rules.pack import Pack
from rules.plan import date_text, weekday_text
from rules.reminder_kinds import APPLICANT as APPLICANT  # who reminders go to, as before
from rules.reminder_kinds import KINDS, Phase, ReminderKind
from rules.reminder_kinds import REVIEWERS as REVIEWERS
from rules.reminder_kinds import SUPERVISOR as SUPERVISOR
from rules.text import Text, t
from rules.workdays import WorkdayCalendar

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


def _shifted(due: dt.date, phase: Phase, cal: WorkdayCalendar) -> dt.date:
    """The day of `phase`: `days` from `due`, counted in working days when the phase says so
    (the series' own day is `due` itself, whatever it is)."""
    if not phase.working or phase.days == 0:
        return due + dt.timedelta(days=phase.days)
    if phase.days < 0:
        return _working_back(due, -phase.days, cal)
    for _ in range(phase.days):
        due = _next_working(due, cal)
    return due


def series(
    kind: str, step: int, due: dt.date, cal: WorkdayCalendar, *, today: dt.date
) -> list[Reminder]:
    """Return the reminders of one series still to come (none before `today`)."""
    if kind not in KINDS:
        raise ValueError(f"no reminders of kind {kind!r}")
    found = ((_shifted(due, p, cal), p) for p in KINDS[ReminderKind(kind)].phases)
    return [Reminder(kind, step, due, on, p.to, p.name) for on, p in found if on >= today]


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
NEEDED_WHILE: dict[str, frozenset[FilingStatus]] = {k: v.needed_while for k, v in KINDS.items()}


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


# The button each applicant's reminder carries: what it records (its series then stops). The
# submission's is the label of the status message's own button (已在备案系统提交).
ACTIONS: dict[str, Text] = {k: v.action.label for k, v in KINDS.items() if v.action is not None}
_PRESS = t("{done}后点“{button}”。", "Press “{button}” once {done}.")
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
_PAST = t(  # a kind the applicant may have done without the product knowing (`if_done`)
    "期限已过{n}天：应最迟于{by}（含当日）{what}（{bureau}）。",
    "The deadline passed {n} {days} ago: {what} on or before {by} ({bureau}).",
)
_LATE_IF_NOT = t(
    "还没有办理的，请尽快办理，并联系网安部门说明情况。",
    "If you have not, do it as soon as possible and tell the bureau.",
)
_ESTIMATE = t(
    "日期为估算：节假日安排尚未公布。",
    "The date is an estimate: the holiday schedule is not out yet.",
)
_WHY = t("\n依据：{basis}", "\nBasis: {basis}")


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
    kind = KINDS[ReminderKind(reminder.kind)]
    if kind.message is not None:  # counted from a day (the certificate): its own sentence
        on = _day(reminder.due)
        return head + _both(kind.message, {"bureau": bureau.zh, "on": on.zh},
                            {"bureau": bureau.en, "on": on.en}) + press  # fmt: skip
    assert kind.period is not None  # a deadline kind (tests/rules/test_reminder_kinds.py)
    assert kind.what is not None
    period = pack.periods.of(kind.period)
    what = kind.what
    by = _by(reminder.due)
    n = days_left(reminder.due, today, period.unit, cal)
    bureau_acts = kind.bureau_acts
    unsure = kind.if_done is not None and reminder.to == APPLICANT
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
            _BUREAU_OVERDUE if bureau_acts else _PAST if unsure else _YOU_OVERDUE,
            {**zh, "n": -n},
            {**en, "n": -n, "days": _plural(n, "day", "days")},
        )
        if kind.penalty is not None:
            penalty = pack.penalty(kind.penalty)
            line = line + _both(
                _CONSEQUENCE,
                {"penalty": penalty.text.zh.rstrip("。"), "basis": penalty.basis.zh},
                {"penalty": penalty.text.en.rstrip("."), "basis": penalty.basis.en},
            )
        elif not bureau_acts:
            line = line + (_LATE_IF_NOT if unsure else _LATE)
    estimate = _ESTIMATE if not cal.year_is_known(reminder.due.year) else t("", "")
    why = _both(_WHY, {"basis": period.basis.zh}, {"basis": period.basis.en})
    done = kind.if_done if unsure and kind.if_done is not None else t("", "")
    return _join(head, line, estimate, press, done, why)


def _press(reminder: Reminder) -> Text:
    """Name the button the reminder carries (only the applicant's carry one)."""
    action = KINDS[ReminderKind(reminder.kind)].action
    if action is None or reminder.to != APPLICANT:
        return t("", "")
    button, done = action.label, action.done
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
