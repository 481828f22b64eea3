"""The events from the materials on (issue 27): the bureau receives the materials and
certifies the site (or accepts a reported change), the applicant reports a change or cancels
the filing (注销). Each class is one whole event: its data, its move in the lifecycle, its
words and its consequences.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from rules.codes import check_psb_number
from rules.deadlines import Deadline, compute_deadline
from rules.enums import FilingStatus, PeriodKind
from rules.events.base import (
    Actor,
    Audience,
    Effects,
    Event,
    FilingEvent,
    Moved,
    Notice,
    ReminderChange,
    day,
)
from rules.events.review import Submit
from rules.filing_state import CHANGEABLE, FilingState, StepState, due_of, filed_steps
from rules.plan import change_period_text
from rules.reminder_kinds import ReminderKind as K
from rules.text import Text, button, t

S = FilingStatus


@dataclass(frozen=True, kw_only=True)
class ReceiveMaterials(Event):
    """The bureau received the stamped materials (the re-review's clock starts)."""

    trigger = FilingEvent.RECEIVE_MATERIALS
    label = button("收到材料", "Materials received")
    sources = (S.INITIAL_REVIEW_PASSED,)
    dest = S.MATERIALS_RECEIVED
    by_bureau = True
    self_report_label = button("登记：材料已送达网安部门", "Record: materials handed in")

    def applied(self, step: StepState, dest: FilingStatus) -> StepState:
        """Keep the day they were received."""
        return replace(step, status=dest, materials_received_on=self.on)

    def consequences(self, moved: Moved) -> Effects:
        """The re-review is due (this city's step)."""
        step, on, bureau = moved.step, self.on, moved.step.bureau
        reminders = [ReminderChange(K.MATERIALS, step.order)]
        if not step.local:
            text = t(
                f"已记录：材料已于{day(on).zh}送达{bureau.zh}。",
                f"Recorded: materials handed to {bureau.en} on {day(on).en}.",
            )
            return [moved.update(text)], reminders
        due = due_of(PeriodKind.RE_REVIEW, on, moved.pack, moved.cal)
        reminders.append(ReminderChange(K.RE_REVIEW, step.order, due))
        gone = (
            t("这一天已过，请向网安部门询问复审结果。", " That day has passed: ask the bureau.")
            if due < moved.today  # recorded late
            else t("", "")
        )
        text = t(
            f"{bureau.zh}已于{day(on).zh}收到材料，应最迟于{day(due).zh}（含当日）完成复审。{gone.zh}",
            f"{bureau.en} received the materials on {day(on).en}; re-review is due "
            f"on or before {day(due).en}.{gone.en}",
        )
        return [moved.update(text), *moved.card(self.label)], reminders


CERTIFICATE_LIMIT = 64  # characters of a 备案证 number


def certificate_problem(number: str | None) -> Text | None:
    """Say what is wrong with a certificate's number (None: nothing, or none given)."""
    if not number or (len(number) <= CERTIFICATE_LIMIT and number.isprintable()):
        return None
    return t(
        f"备案证编号应为一行、最多{CERTIFICATE_LIMIT}个字符（这个{len(number)}个）。",
        f"A certificate number is one line of at most {CERTIFICATE_LIMIT} characters (this one "
        f"has {len(number)}).",
    )


@dataclass(frozen=True, kw_only=True)
class Certify(Event):
    """The bureau certified the site (复审合格，发证) with its 公安备案号 — or accepted a
    reported change, when the step keeps the number it has."""

    psb_number: str | None = None
    certificate: str | None = None

    trigger = FilingEvent.CERTIFY
    label = button("复审通过，发证", "Re-review passed: certify")
    sources = (S.MATERIALS_RECEIVED, S.CHANGE_REPORTED)
    dest = S.CERTIFIED
    by_bureau = True
    self_report_label = button("登记结果：复审通过，已发证", "Record: certified")
    prompt = t(
        "请回复公安备案号和备案证编号，用空格分开（如：京公网安备11010502030143号 SL-2026-001）：",
        "Reply with the filing number and the certificate number, separated by a space "
        "(e.g. 京公网安备11010502030143号 SL-2026-001):",
    )

    @classmethod
    def read(cls, words: str, actor: Actor, today: dt.date) -> Event | Text:
        """The 公安备案号, then the certificate's number (if any)."""
        number, _, certificate = words.strip().partition(" ")
        return cls(actor=actor, on=today, psb_number=number,
                   certificate=certificate.strip() or None)  # fmt: skip

    def check(self, step: StepState) -> Text | None:
        """The number must be valid, unless the step keeps the one it has; a certificate's
        number is one line of at most CERTIFICATE_LIMIT characters (kept whole, never cut)."""
        wrong = certificate_problem(self.certificate)
        if wrong is not None:
            return wrong
        if step.psb_number and not self.psb_number:
            return None
        checked = check_psb_number(self.psb_number or "")
        if checked.valid:
            return None
        return checked.error or t("公安备案号无效。", "Not a valid filing number.")

    def applied(self, step: StepState, dest: FilingStatus) -> StepState:
        """Keep the day, the number (normalised) and the certificate's number; a reported
        change accepted keeps the day it was certified (it said 「已于<the change's day>发证」)."""
        psb = step.psb_number
        if self.psb_number or not psb:  # a change reviewed keeps its number
            psb = check_psb_number(self.psb_number or "").normalized
        accepted = step.status is S.CHANGE_REPORTED and step.certified_on is not None
        return replace(
            step,
            status=dest,
            certified_on=step.certified_on if accepted else self.on,
            psb_number=psb,
            certificate_number=(self.certificate or None) or step.certificate_number,
        )

    def consequences(self, moved: Moved) -> Effects:
        """A reported change accepted (its reminders stop), or the step certified."""
        if moved.was is S.CHANGE_REPORTED:
            return self._change_accepted(moved)
        step, order, on, bureau = moved.step, moved.step.order, self.on, moved.step.bureau
        reminders = [ReminderChange(K.RE_REVIEW, order), ReminderChange(K.ICON, order, on)]
        text = t(
            f"🎉 {bureau.zh}备案完成（{day(on).zh}）。公安备案号：{step.psb_number}\n"
            "请登录备案系统下载备案图标和查询链接，及时将图标加链接放在网站首页底部。",
            f"🎉 Filed with {bureau.en} ({day(on).en}). Filing number: {step.psb_number}\n"
            "Download the icon and query link from the filing system and place the linked "
            "icon at the bottom of your home page promptly.",
        )
        if moved.after.current != moved.before.current:  # a second step starts
            nxt, submit = moved.after.step, Submit.label
            reminders.append(ReminderChange(K.SECOND_BUREAU, nxt.order, on))  # 7 days after
            text = text + t(
                f"\n下一步：到第{nxt.order}步的{nxt.bureau.zh}办理备案手续，在备案系统提交后在这里点"
                f"“{submit.zh}”。",
                f"\nNext: file with {nxt.bureau.en} (step {nxt.order}); once submitted in the "
                f"filing system, press “{submit.en}” here.",
            )
        return [moved.update(text), *moved.card(self.label)], reminders

    def _change_accepted(self, moved: Moved) -> Effects:
        bureau, on = moved.step.bureau, self.on
        text = t(
            f"{bureau.zh}已审核通过这次变更（{day(on).zh}），备案信息已更新。",
            f"{bureau.en} accepted the change ({day(on).en}); the filing is up to date.",
        )
        card = moved.card(t("变更审核通过", "change accepted"))
        return [moved.update(text), *card], [ReminderChange(K.CHANGE, moved.step.order)]


@dataclass(frozen=True, kw_only=True)
class ReportChange(Event):
    """The applicant reports a change of the filed information (every certified step's
    bureau is told; `rules.filing_life` moves them all)."""

    reason: str = ""  # none: refused
    detail: Text | None = None  # what changed, as the applicant reads it
    card_detail: Text | None = None  # the same for reviewers (personal numbers masked)
    # The new route's steps when the change moves the site (`rules.filing_state.rerouted`);
    # None: the bureaus stay.
    route: tuple[StepState, ...] | None = None
    in_scope: bool = True  # the new route is this city's (else no step is added for it)

    trigger = FilingEvent.REPORT_CHANGE
    label = button("报告变更", "Report a change")
    sources = CHANGEABLE
    dest = S.CHANGE_REPORTED

    @property
    def audit_reason(self) -> str | None:
        """The change's reason."""
        return f"变更：{self.reason}"

    def data(self) -> dict[str, object]:
        """The reason and what changed as reviewers read it (personal numbers masked): the
        values themselves are in the filing's version history, not copied here."""
        return {k: v for k, v in super().data().items() if k not in {"detail", "route", "in_scope"}}

    def consequences(self, moved: Moved) -> Effects:
        """Every certified step's bureau gets the written statement by the change's deadline
        (the applicant is told, this city's reviewers get a card)."""
        targets = [s for s in moved.before.steps if s.status in CHANGEABLE]
        due = compute_deadline(PeriodKind.CHANGE, self.on, moved.pack, moved.cal)
        told = self._told(moved, due, targets)
        notices = [Notice(Audience.APPLICANT, "update", told, targets[0].order)]
        card = self.card_detail or self.detail or t("", "")
        if any(s.local for s in targets):
            text = t(
                f"变更报告（变更日期：{day(self.on).zh}；原因：{self.reason}；"
                f"报告期限：最迟于{day(due.due).zh}（含当日））\n{card.zh}",
                f"Change reported (changed on {day(self.on).en}; reason: {self.reason}; "
                f"report on or before {day(due.due).en})\n{card.en}",
            )  # no PDF: its rows are unmasked, and the applicant hands it in
            order = next(s.order for s in targets if s.local)
            notices.append(Notice(Audience.REVIEWERS, "card", text, order))
        return notices, [ReminderChange(K.CHANGE, s.order, due.due) for s in targets]

    def _told(self, moved: Moved, due: Deadline, targets: list[StepState]) -> Text:
        """The applicant's update: what was recorded, and by when to hand in what."""
        left = (due.due - moved.today).days
        days_left = (
            t(f"还剩{left}天", f"{left} days left")
            if left >= 0
            else t(f"已逾期{-left}天，请尽快", f"{-left} days overdue: as soon as possible")
        )
        within = change_period_text(moved.pack.periods.change_report)
        bureaus = "、".join(s.bureau.zh for s in targets)
        bureaus_en = ", ".join(s.bureau.en for s in targets)
        detail, on, by = self.detail or t("", ""), day(self.on), day(due.due)
        estimate = (
            t(f"\n{due.estimate_note.zh}", f"\n{due.estimate_note.en}")
            if due.estimate and due.estimate_note
            else t("", "")
        )
        return (
            t(
                f"已记录变更（变更日期：{on.zh}；原因：{self.reason}）：\n{detail.zh}\n"
                f"请最迟于{by.zh}（含当日）向{bureaus}提交"
                "《网站备案变更情况书面说明》（已发给你，盖章或签字），并在备案系统中修改备案信息"
                f"（变更之日起{within.zh}，{days_left.zh}）。",
                f"Change recorded (changed on {on.en}; reason: {self.reason}):\n"
                f"{detail.en}\nOn or before {by.en} ({within.en} of the change, "
                f"{days_left.en}) hand the change report (sent to you; stamped or signed) to "
                f"{bureaus_en} and update the filing in the filing system.",
            )
            + estimate
        )


@dataclass(frozen=True, kw_only=True)
class Cancel(Event):
    """The applicant cancels the filing (注销: the site is closed); every step ends."""

    reason: str = ""

    trigger = FilingEvent.CANCEL
    label = button("注销", "Cancel the filing")
    sources = tuple(s for s in S if s is not S.CANCELLED)
    dest = S.CANCELLED
    prompt = t(
        "注销（网站关闭）后这份备案只保留记录，不再提醒，并会生成注销情况书面说明。"
        "确定注销请回复注销原因（如：网站已关闭）；注销日期默认今天，不是今天的请写在原因前，"
        "如：昨天 网站已关闭。",
        "After cancelling (the site closed), the filing is kept for the record only, with no "
        "more reminders, and a written cancellation statement is made. To cancel, reply with "
        "the reason (e.g. the site is closed); the date is today unless you put one first, "
        "e.g. yesterday site closed.",
    )

    @property
    def audit_reason(self) -> str | None:
        """The cancellation's reason."""
        return self.reason or None

    def steps_after(self, state: FilingState, moved: StepState) -> tuple[StepState, ...]:
        """The site is closed: every bureau's step ends, not one."""
        return tuple(replace(s, status=S.CANCELLED) for s in state.steps)

    def consequences(self, moved: Moved) -> Effects:
        """Every kind of reminder stops on every step; the bureaus are told."""
        reminders = [ReminderChange(kind, s.order) for s in moved.after.steps for kind in K]
        told = filed_steps(moved.before)
        every = (
            t("（每一步都已注销）", " (every step)") if len(moved.after.steps) > 1 else t("", "")
        )
        bureaus = t("、".join(s.bureau.zh for s in told), " and ".join(s.bureau.en for s in told))
        hand_in = (
            t(
                f"并把《注销情况书面说明》交给{bureaus.zh}。",
                f" and hand the written cancellation statement to {bureaus.en}.",
            )
            if told
            else t("。", ".")
        )
        text = t(
            f"已记录注销{every.zh}。请在备案系统中办理注销{hand_in.zh}",
            f"Cancellation recorded{every.en}. Cancel it in the filing system{hand_in.en}",
        )
        if not told:  # never submitted anywhere: nothing to cancel with a bureau
            text = t(
                "已记录注销。这份备案还没有向任何网安部门提交过，不用在备案系统中办理注销，"
                "也没有书面说明要交；以后不会再提醒。",
                "Cancellation recorded. This filing was never submitted to any department: "
                "there is nothing to cancel in the filing system and no statement to hand in; "
                "no more reminders will come.",
            )
        notices = [moved.update(text)]
        if told and any(s.local for s in moved.after.steps):
            notices.append(Notice(Audience.REVIEWERS, "card", self.label, moved.step.order))
        return notices, reminders
