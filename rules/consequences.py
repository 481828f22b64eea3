"""What an accepted event brings (issue 12; one function per event since issue 27): the
notices to send (the applicant's update, the reviewers' card) and the reminders to schedule or
cancel. Pure: `rules.filing_life.decide` calls the event's function from `CONSEQUENCES`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from rules.deadlines import compute_deadline
from rules.enums import FilingStatus, PeriodKind
from rules.events import (
    EVENT_LABELS,
    Cancel,
    Certify,
    Event,
    PassInitial,
    ReceiveMaterials,
    ReportChange,
    Resubmit,
    Return,
    Submit,
)
from rules.filing_state import CHANGEABLE, FilingState, StepState, due_of
from rules.lifecycle import FilingEvent as E
from rules.pack import Pack
from rules.plan import change_period_text, date_text
from rules.reminder_kinds import ReminderKind
from rules.text import Text, t
from rules.workdays import WorkdayCalendar

S, K = FilingStatus, ReminderKind


class Audience(StrEnum):
    """Who a notice goes to."""

    APPLICANT = "applicant"
    REVIEWERS = "reviewers"


@dataclass(frozen=True)
class Notice:
    """A message to send: to whom, of what kind (a reviewer card, a status update), saying what."""

    to: Audience
    kind: str  # "card" (reviewers: with the buttons of the next actions) or "update"
    text: Text
    step: int
    attach: tuple[str, ...] = ()  # the filing's stored PDFs of these kinds, sent with it


@dataclass(frozen=True)
class ReminderChange:
    """A reminder to schedule (due on `due`) or, with `due` None, the series to cancel."""

    kind: ReminderKind
    step: int
    due: dt.date | None = None  # the deadline (icon, second_bureau: the day they count from)


@dataclass(frozen=True)
class Moved:
    """What an event's consequences are drawn from: the filing before and after, the step it
    moved (as it is now) and the status it left."""

    before: FilingState
    after: FilingState
    step: StepState
    was: FilingStatus
    pack: Pack
    cal: WorkdayCalendar
    today: dt.date  # the day the days left are counted from


Effects = tuple[list[Notice], list[ReminderChange]]


def _day(d: dt.date) -> Text:
    return date_text(d)


def _update(order: int, text: Text, attach: tuple[str, ...] = ()) -> Notice:
    return Notice(Audience.APPLICANT, "update", text, order, attach)


def _submitted(event: Submit | Resubmit, moved: Moved) -> Effects:
    """Submitted (or resubmitted): the filing clock stops, the initial review's starts."""
    step, order, on = moved.step, moved.step.order, event.on
    pack, cal, bureau = moved.pack, moved.cal, moved.step.bureau
    to_reviewers = step.local  # this city's step: a card for this city's reviewers
    notices: list[Notice] = []
    reminders: list[ReminderChange] = []
    reminders.append(ReminderChange(K.FILING, order))  # submitted: no more filing reminders
    reminders.append(ReminderChange(K.SECOND_BUREAU, order))
    if step.local:
        review_due = _day(due_of(PeriodKind.INITIAL_REVIEW, on, pack, cal))
        notices.append(
            Notice(
                Audience.APPLICANT,
                "update",
                t(
                    f"已记录：{_day(on).zh}在备案系统提交。{bureau.zh}应最迟于{review_due.zh}（含当日）完成初审"
                    f"（提交后{pack.periods.initial_review.days}个工作日内），请届时登录系统查看结果。",
                    f"Recorded: submitted on {_day(on).en}. {bureau.en} completes initial "
                    f"review on or before {review_due.en}; check the result in the system "
                    "then.",
                ),
                order,
            )
        )
        reminders.append(
            ReminderChange(
                K.INITIAL_REVIEW, order, due_of(PeriodKind.INITIAL_REVIEW, on, pack, cal)
            )
        )
    else:
        notices.append(
            _update(
                order,
                t(
                    f"已记录：{_day(on).zh}向{bureau.zh}提交。初审结果出来后，请在这里登记。",
                    f"Recorded: submitted to {bureau.en} on {_day(on).en}. "
                    "Record the result here "
                    "when it comes.",
                ),
            )
        )
    if to_reviewers:
        attach = ("filing-form", "responsibility")  # what the applicant filed, to check
        notices.append(
            Notice(Audience.REVIEWERS, "card", EVENT_LABELS[event.trigger], order, attach)
        )
    return notices, reminders


def _passed(event: PassInitial, moved: Moved) -> Effects:
    """The initial review passed: the materials are due (this city's step)."""
    step, order, on = moved.step, moved.step.order, event.on
    pack, cal, bureau = moved.pack, moved.cal, moved.step.bureau
    to_reviewers = step.local  # this city's step: a card for this city's reviewers
    notices: list[Notice] = []
    reminders: list[ReminderChange] = []
    reminders.append(ReminderChange(K.INITIAL_REVIEW, order))
    if step.local:
        due = due_of(PeriodKind.MATERIALS, on, pack, cal)
        reminders.append(ReminderChange(K.MATERIALS, order, due))
        notices.append(
            _update(
                order,
                t(
                    f"初审通过（{_day(on).zh}）。请最迟于{_day(due).zh}（含当日）携带盖章（签字）材料到{bureau.zh}复审"
                    f"（{pack.bureau.address.zh}，{pack.bureau.office_hours.zh}），材料见《复审材料清单》。",
                    f"Initial review passed ({_day(on).en}). "
                    "Bring the stamped (signed) materials "
                    f"to {bureau.en} on or before {_day(due).en} ({pack.bureau.address.en}, "
                    f"{pack.bureau.office_hours.en}); see the checklist.",
                ),
                attach=("checklist",),  # the checklist again, with the date now known
            )
        )
    else:
        notices.append(
            _update(
                order,
                t(
                    f"已记录：初审通过（{_day(on).zh}）。请按{bureau.zh}的要求送材料，送达后在这里登记。",
                    f"Recorded: initial review passed ({_day(on).en}). Bring the materials as "
                    f"{bureau.en} asks, then record it here.",
                ),
            )
        )
    if to_reviewers:
        notices.append(Notice(Audience.REVIEWERS, "card", EVENT_LABELS[event.trigger], order))
    return notices, reminders


def _returned(event: Return, moved: Moved) -> Effects:
    """Returned for rectification: the bureau's clocks stop; the applicant is told why."""
    step, order = moved.step, moved.step.order
    bureau = moved.step.bureau
    to_reviewers = step.local  # this city's step: a card for this city's reviewers
    notices: list[Notice] = []
    reminders: list[ReminderChange] = []
    reminders.append(ReminderChange(K.INITIAL_REVIEW, order))
    reminders.append(ReminderChange(K.RE_REVIEW, order))
    reasons = "；".join(event.reasons)
    notices.append(
        _update(
            order,
            t(
                f"{bureau.zh}退回整改，原因：{reasons}。请修改后在备案系统重新提交，"
                f"并在这里点“{EVENT_LABELS[E.RESUBMIT].zh}”。",
                f"{bureau.en} returned the filing for rectification: {reasons}. "
                "Fix it, resubmit in the system, then press "
                f"“{EVENT_LABELS[E.RESUBMIT].en}” here.",
            ),
        )
    )
    if to_reviewers:
        notices.append(Notice(Audience.REVIEWERS, "card", EVENT_LABELS[event.trigger], order))
    return notices, reminders


def _received(event: ReceiveMaterials, moved: Moved) -> Effects:
    """The materials were received: the re-review is due (this city's step)."""
    step, order, on = moved.step, moved.step.order, event.on
    pack, cal, bureau = moved.pack, moved.cal, moved.step.bureau
    to_reviewers = step.local  # this city's step: a card for this city's reviewers
    notices: list[Notice] = []
    reminders: list[ReminderChange] = []
    reminders.append(ReminderChange(K.MATERIALS, order))
    if step.local:
        due = due_of(PeriodKind.RE_REVIEW, on, pack, cal)
        reminders.append(ReminderChange(K.RE_REVIEW, order, due))
        notices.append(
            _update(
                order,
                t(
                    f"{bureau.zh}已于{_day(on).zh}收到材料，应最迟于{_day(due).zh}（含当日）完成复审。",
                    f"{bureau.en} received the materials on {_day(on).en}; re-review is due "
                    f"on or before {_day(due).en}.",
                ),
            )
        )
    else:
        notices.append(
            _update(
                order,
                t(
                    f"已记录：材料已于{_day(on).zh}送达{bureau.zh}。",
                    f"Recorded: materials handed to {bureau.en} on {_day(on).en}.",
                ),
            )
        )
    if to_reviewers:
        notices.append(Notice(Audience.REVIEWERS, "card", EVENT_LABELS[event.trigger], order))
    return notices, reminders


def _change_accepted(event: Certify, moved: Moved) -> Effects:
    """A reported change accepted: its reminders stop."""
    step, order, on = moved.step, moved.step.order, event.on
    bureau = moved.step.bureau
    to_reviewers = step.local  # this city's step: a card for this city's reviewers
    notices: list[Notice] = []
    reminders: list[ReminderChange] = []
    reminders.append(ReminderChange(K.CHANGE, order))
    notices.append(
        _update(
            order,
            t(
                f"{bureau.zh}已审核通过这次变更（{_day(on).zh}），备案信息已更新。",
                f"{bureau.en} accepted the change ({_day(on).en}); the filing is up to date.",
            ),
        )
    )
    if to_reviewers:
        notices.append(Notice(Audience.REVIEWERS, "card", t("变更审核通过", "change "
                              "accepted"), order))  # fmt: skip
    return notices, reminders


def _certified(event: Certify, moved: Moved) -> Effects:
    """Certified: the icon is to be placed; a second step starts."""
    step, order, on = moved.step, moved.step.order, event.on
    bureau = moved.step.bureau
    to_reviewers = step.local  # this city's step: a card for this city's reviewers
    notices: list[Notice] = []
    reminders: list[ReminderChange] = []
    reminders.append(ReminderChange(K.RE_REVIEW, order))
    reminders.append(ReminderChange(K.ICON, order, on))  # 7 and 25 days after
    text = t(
        f"🎉 {bureau.zh}备案完成（{_day(on).zh}）。公安备案号：{step.psb_number}\n"
        "请登录备案系统下载备案图标和查询链接，及时将图标加链接放在网站首页底部。",
        f"🎉 Filed with {bureau.en} ({_day(on).en}). Filing number: {step.psb_number}\n"
        "Download the icon and query link from the filing system and place the linked icon "
        "at the bottom of your home page promptly.",
    )
    if moved.after.current != moved.before.current:
        nxt = moved.after.step
        reminders.append(ReminderChange(K.SECOND_BUREAU, nxt.order, on))  # 7 days after
        text = text + t(
            f"\n下一步：到第{nxt.order}步的{nxt.bureau.zh}办理备案手续，在备案系统提交后在这里点"
            f"“{EVENT_LABELS[E.SUBMIT].zh}”。",
            f"\nNext: file with {nxt.bureau.en} (step {nxt.order}); once submitted in the "
            f"filing system, press “{EVENT_LABELS[E.SUBMIT].en}” here.",
        )
    notices.append(_update(order, text))
    if to_reviewers:
        notices.append(Notice(Audience.REVIEWERS, "card", EVENT_LABELS[event.trigger], order))
    return notices, reminders


def _cancelled(event: Cancel, moved: Moved) -> Effects:
    """Cancelled: every kind of reminder stops on every step; the bureaus are told."""
    order = moved.step.order
    notices: list[Notice] = []
    reminders: list[ReminderChange] = []
    reminders += [ReminderChange(kind, s.order) for s in moved.after.steps for kind in K]
    told = [s for s in moved.before.steps if s.status is not S.PREPARED]  # filed there
    every = t("（每一步都已注销）", " (every step)") if len(moved.after.steps) > 1 else t("", "")
    bureaus = t("、".join(s.bureau.zh for s in told), " and ".join(s.bureau.en for s in told))
    hand_in = (
        t(
            f"并把《注销情况书面说明》交给{bureaus.zh}。",
            f" and hand the written cancellation statement to {bureaus.en}.",
        )
        if told
        else t("。", ".")
    )
    notices.append(
        _update(
            order,
            t(
                f"已记录注销{every.zh}。请在备案系统中办理注销{hand_in.zh}",
                f"Cancellation recorded{every.en}. Cancel it in the filing system{hand_in.en}",
            ),
        )
    )
    if any(s.local for s in moved.after.steps):
        notices.append(Notice(Audience.REVIEWERS, "card", EVENT_LABELS[event.trigger], order))
    return notices, reminders


def _change_reported(event: ReportChange, moved: Moved) -> Effects:
    """A change reported: every certified step's bureau gets the written statement by the
    change's deadline (the applicant is told, this city's reviewers get a card)."""
    pack, action = moved.pack, event
    targets = [s for s in moved.before.steps if s.status in CHANGEABLE]
    due = compute_deadline(PeriodKind.CHANGE, event.on, pack, moved.cal)
    left = (due.due - moved.today).days
    days_left = (
        t(f"还剩{left}天", f"{left} days left")
        if left >= 0
        else t(f"已逾期{-left}天，请尽快", f"{-left} days overdue: as soon as possible")
    )
    within = change_period_text(pack.periods.change_report)
    bureaus = "、".join(s.bureau.zh for s in targets)
    bureaus_en = ", ".join(s.bureau.en for s in targets)
    detail = action.detail or t("", "")
    estimate = (
        t(f"\n{due.estimate_note.zh}", f"\n{due.estimate_note.en}")
        if due.estimate and due.estimate_note
        else t("", "")
    )
    applicant_text = (
        t(
            f"已记录变更（变更日期：{_day(action.on).zh}；原因：{action.reason}）：\n{detail.zh}\n"
            f"请最迟于{_day(due.due).zh}（含当日）向{bureaus}提交"
            "《网站备案变更情况书面说明》（已发给你，盖章或签字），并在备案系统中修改备案信息"
            f"（变更之日起{within.zh}，{days_left.zh}）。",
            f"Change recorded (changed on {_day(action.on).en}; reason: {action.reason}):\n"
            f"{detail.en}\nOn or before {_day(due.due).en} ({within.en} of the change, "
            f"{days_left.en}) "
            f"hand the change report (sent to you; stamped or signed) to {bureaus_en} and update "
            "the filing in the filing system.",
        )
        + estimate
    )
    notices = [_update(targets[0].order, applicant_text)]
    card = action.card_detail or detail
    if any(s.local for s in targets):
        notices.append(
            Notice(
                Audience.REVIEWERS,
                "card",
                t(
                    f"变更报告（变更日期：{_day(action.on).zh}；原因：{action.reason}；"
                    f"报告期限：最迟于{_day(due.due).zh}（含当日））\n{card.zh}",
                    f"Change reported (changed on {_day(action.on).en}; reason: {action.reason}; "
                    f"report on or before {_day(due.due).en})\n{card.en}",
                ),
                next(s.order for s in targets if s.local),
            )  # no PDF: its rows are unmasked, and the applicant hands it in
        )
    reminders = [ReminderChange(K.CHANGE, s.order, due.due) for s in targets]
    return notices, reminders


def _certified_or_change(event: Certify, moved: Moved) -> Effects:
    """Certify: a reported change accepted, or the step certified."""
    if moved.was is S.CHANGE_REPORTED:
        return _change_accepted(event, moved)
    return _certified(event, moved)


# Each event's consequences.
CONSEQUENCES: dict[type[Event], Callable[[Any, Moved], Effects]] = {
    Submit: _submitted,
    Resubmit: _submitted,
    PassInitial: _passed,
    Return: _returned,
    ReceiveMaterials: _received,
    Certify: _certified_or_change,
    Cancel: _cancelled,
    ReportChange: _change_reported,
}
