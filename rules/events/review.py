"""The events up to the initial review's outcome (issue 27): the applicant submits, the
bureau passes it or returns it for rectification, the applicant resubmits. Each class is
one whole event: its data, its move in the lifecycle, its words and its consequences.

Adding a reviewer action: a class here (or in `rules.events.certificate`) with a `trigger`,
`label`, `sources`, `dest` (None: the status stays), `by_bureau = True` and `consequences`;
with data to type, its fields and a `prompt`. See DESIGN.md, "The filing's life".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import ClassVar

from rules.enums import FilingStatus, PeriodKind
from rules.events.base import Effects, Event, FilingEvent, Moved, Notice, ReminderChange, day
from rules.filing_state import StepState, due_of
from rules.reminder_kinds import ReminderKind as K
from rules.text import Text, button, t

S = FilingStatus
_UNDER_REVIEW = (S.SUBMITTED, S.RESUBMITTED)


def _submitted(event: Event, moved: Moved) -> Effects:
    """Submitted (or resubmitted): the filing clock stops, the initial review's starts."""
    step, on, pack, cal, bureau = moved.step, event.on, moved.pack, moved.cal, moved.step.bureau
    notices: list[Notice] = []
    reminders = [ReminderChange(K.FILING, step.order), ReminderChange(K.SECOND_BUREAU, step.order)]
    if step.local:
        due = due_of(PeriodKind.INITIAL_REVIEW, on, pack, cal)
        then = (
            t("请届时登录系统查看结果。", "check the result in the system then.")
            if due >= moved.today  # recorded late, the day may be gone: not "then"
            else t("这一天已过，请登录系统查看结果。", "that day has passed: check the result now.")
        )
        text = t(
            f"已记录：{day(on).zh}在备案系统提交。{bureau.zh}应最迟于{day(due).zh}（含当日）完成初审"
            f"（提交后{pack.periods.initial_review.days}个工作日内），{then.zh}",
            f"Recorded: submitted on {day(on).en}. {bureau.en} completes initial "
            f"review on or before {day(due).en}; {then.en}",
        )
        notices.append(moved.update(text))
        reminders.append(ReminderChange(K.INITIAL_REVIEW, step.order, due))
    else:
        text = t(
            f"已记录：{day(on).zh}向{bureau.zh}提交。初审结果出来后，请在这里登记。",
            f"Recorded: submitted to {bureau.en} on {day(on).en}. "
            "Record the result here when it comes.",
        )
        notices.append(moved.update(text))
    attach = ("filing-form", "responsibility")  # what the applicant filed, to check
    return notices + moved.card(event.label, attach), reminders


@dataclass(frozen=True, kw_only=True)
class Submit(Event):
    """The applicant submitted the filing in the official filing system."""

    trigger = FilingEvent.SUBMIT
    label = button("已在备案系统提交", "Submitted in the filing system")
    sources = (S.PREPARED,)
    dest = S.SUBMITTED

    def applied(self, step: StepState, dest: FilingStatus) -> StepState:
        """Keep the day it was submitted (the initial review counts from it)."""
        return replace(step, status=dest, submitted_on=self.on, reasons=())

    def consequences(self, moved: Moved) -> Effects:
        """The filing clock stops, the initial review's starts."""
        return _submitted(self, moved)


@dataclass(frozen=True, kw_only=True)
class PassInitial(Event):
    """The bureau passed the initial review (初审合格)."""

    trigger = FilingEvent.PASS_INITIAL_REVIEW
    label = button("初审通过", "Initial review passed")
    sources = _UNDER_REVIEW
    dest = S.INITIAL_REVIEW_PASSED
    by_bureau = True
    self_report_label = button("登记结果：初审已通过", "Record: initial review passed")

    def applied(self, step: StepState, dest: FilingStatus) -> StepState:
        """Keep the day it passed (the materials are due counted from it)."""
        return replace(step, status=dest, initial_passed_on=self.on)

    def consequences(self, moved: Moved) -> Effects:
        """The materials are due (this city's step)."""
        step, on, pack, bureau = moved.step, self.on, moved.pack, moved.step.bureau
        reminders = [ReminderChange(K.INITIAL_REVIEW, step.order)]
        if not step.local:
            text = t(
                f"已记录：初审通过（{day(on).zh}）。请按{bureau.zh}的要求送材料，送达后在这里登记。",
                f"Recorded: initial review passed ({day(on).en}). Bring the materials as "
                f"{bureau.en} asks, then record it here.",
            )
            return [moved.update(text)], reminders
        due = due_of(PeriodKind.MATERIALS, on, pack, moved.cal)
        reminders.append(ReminderChange(K.MATERIALS, step.order, due))
        late = (moved.today - due).days  # recorded late: the day may be gone
        when = (
            t(f"请最迟于{day(due).zh}（含当日）", f"on or before {day(due).en}")
            if late <= 0
            else t(
                f"送材料的期限是{day(due).zh}（含当日），已逾期{late}天：请尽快",
                f"as soon as you can (they were due on {day(due).en}, {late} days ago)",
            )
        )
        text = t(
            f"初审通过（{day(on).zh}）。{when.zh}携带盖章（签字）材料到{bureau.zh}复审"
            f"（{pack.bureau.address.zh}，{pack.bureau.office_hours.zh}），材料见《复审材料清单》。",
            f"Initial review passed ({day(on).en}). Bring the stamped (signed) materials "
            f"to {bureau.en} {when.en} ({pack.bureau.address.en}, "
            f"{pack.bureau.office_hours.en}); see the checklist.",
        )
        checklist = moved.update(text, attach=("checklist",))  # again, with the date known
        return [checklist, *moved.card(self.label)], reminders


_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff\u3000]")  # zero-width, ideographic space


@dataclass(frozen=True, kw_only=True)
class Return(Event):
    """The bureau returned the filing (or a reported change) for rectification, with why."""

    reasons: tuple[str, ...] = ()  # none: refused (a return needs its reasons)

    trigger = FilingEvent.RETURN
    label = button("退回整改", "Return for rectification")
    sources = (*_UNDER_REVIEW, S.MATERIALS_RECEIVED, S.CHANGE_REPORTED)
    dest = S.RETURNED
    # A returned change leaves the filing certified, its number kept: the change is to be
    # fixed and reported again (/change), not the whole filing reviewed again.
    dest_from: ClassVar[dict[FilingStatus, FilingStatus]] = {S.CHANGE_REPORTED: S.CERTIFIED}
    by_bureau = True
    self_report_label = button("登记结果：被退回整改", "Record: returned for rectification")
    prompt = t("请回复退回整改的原因：", "Reply with the reasons for the return:")

    def check(self, step: StepState) -> Text | None:
        """A return needs its reasons: words, not spaces (「原因：。」 reached the applicant)."""
        if self.said:
            return None
        return t("退回整改须写明原因。", "A return needs its reasons.")

    @property
    def said(self) -> tuple[str, ...]:
        """The reasons with something to read (blank and invisible characters taken off)."""
        return tuple(r for r in (_INVISIBLE.sub("", r).strip() for r in self.reasons) if r)

    def applied(self, step: StepState, dest: FilingStatus) -> StepState:
        """Keep the reasons (the applicant's status shows them)."""
        return replace(step, status=dest, reasons=self.said, returned_on=self.on)

    @property
    def audit_reason(self) -> str | None:
        """The reasons, as one line."""
        return "；".join(self.said)

    def consequences(self, moved: Moved) -> Effects:
        """The bureau's clocks stop; the applicant is told why."""
        order, bureau, again = moved.step.order, moved.step.bureau, Resubmit.label
        reminders = [ReminderChange(K.INITIAL_REVIEW, order), ReminderChange(K.RE_REVIEW, order)]
        reasons = "；".join(self.said)
        if moved.was is S.CHANGE_REPORTED:  # the change, not the filing
            # its reminders too: the change reported again plans its own, from its own day
            reminders.append(ReminderChange(K.CHANGE, order))
            text = t(
                f"{bureau.zh}退回了这次变更，原因：{reasons}。备案仍然有效，公安备案号不变。"
                "请按原因改正后重新报告变更（/change）。",
                f"{bureau.en} returned the change: {reasons}. The filing stays certified with "
                "its number. Fix what the reasons name and report the change again (/change).",
            )
            return [moved.update(text), *moved.card(self.label)], reminders
        text = t(
            f"{bureau.zh}退回整改，原因：{reasons}。请修改后在备案系统重新提交，并在这里点“{again.zh}”。",
            f"{bureau.en} returned the filing for rectification: {reasons}. "
            f"Fix it, resubmit in the system, then press “{again.en}” here.",
        )
        return [moved.update(text), *moved.card(self.label)], reminders


@dataclass(frozen=True, kw_only=True)
class Resubmit(Event):
    """The applicant resubmitted after rectification."""

    trigger = FilingEvent.RESUBMIT
    label = button("整改后重新提交", "Resubmitted after rectification")
    sources = (S.RETURNED,)
    dest = S.RESUBMITTED

    def applied(self, step: StepState, dest: FilingStatus) -> StepState:
        """Keep the day (the initial review counts from it again)."""
        return replace(step, status=dest, submitted_on=self.on, reasons=())

    def consequences(self, moved: Moved) -> Effects:
        """As a submission: the initial review's clock starts again."""
        return _submitted(self, moved)


# Common return reasons, offered as buttons (free text as well).
RETURN_REASONS: tuple[Text, ...] = (
    t("网站名称与ICP备案不一致", "site name differs from the ICP record"),
    t("网站无法访问", "the site cannot be reached"),
    t("交互式服务未如实申报", "interactive services not declared truthfully"),
    t("负责人电话无法接通", "the responsible person's phone cannot be reached"),
    t("材料不清晰", "materials not legible"),
)
