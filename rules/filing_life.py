"""The filing's life after the interview (issue 12): one pure decision per event.

`decide(state, action, pack=, calendar=, now=, reviewers=)` takes a filing's steps (one per
bureau of its route, in order) with their statuses and dates, an event with who does it, and
returns either a `Decision` — the new steps, the audit record, the notices to send (to whom,
what) and the reminders to schedule or cancel — or a `Refusal` with its reason. The bot applies
a decision in one transaction (status, audit, outbox rows); nothing here touches a database.

The status moves only through the `transitions` lifecycle (`rules.lifecycle.next_status`).
Who decides a review outcome: when the step's bureau has reviewers registered, only they; when
it has none (a bureau elsewhere, a deployment without reviewers) the applicant records the
outcome the bureau gave, and the audit says self-reported. The second step of a two-city route
starts when the first is certified.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from rules.codes import check_psb_number
from rules.deadlines import compute_deadline
from rules.enums import FilingStatus, PeriodKind
from rules.lifecycle import FilingEvent, allowed_events, next_status
from rules.pack import Pack
from rules.plan import change_period_text, date_text
from rules.reminder_kinds import ReminderKind
from rules.text import Text, button, t
from rules.workdays import WorkdayCalendar

S, E, K = FilingStatus, FilingEvent, ReminderKind
_SHANGHAI = ZoneInfo("Asia/Shanghai")

# Outcomes the bureau decides (a reviewer records them, or the applicant self-reports them).
BUREAU_EVENTS = frozenset({E.PASS_INITIAL_REVIEW, E.RETURN, E.RECEIVE_MATERIALS, E.CERTIFY})
APPLICANT_EVENTS = frozenset({E.SUBMIT, E.RESUBMIT, E.REPORT_CHANGE, E.CANCEL})


class Role(StrEnum):
    """Who acts."""

    APPLICANT = "applicant"
    REVIEWER = "reviewer"
    OPERATOR = "operator"  # the CLI


@dataclass(frozen=True)
class Actor:
    """Who does an event: their role and id (the audit writes `role:id`)."""

    role: Role
    id: str

    @property
    def audit(self) -> str:
        """Return the audit trail's name for this actor."""
        return f"{self.role.value}:{self.id}"


@dataclass(frozen=True)
class StepState:
    """One bureau's part of a filing: its status and the dates of what happened there."""

    order: int
    local: bool  # this city's bureau (its reviewers decide its outcomes)
    bureau: Text
    status: FilingStatus = S.PREPARED
    submitted_on: dt.date | None = None
    initial_passed_on: dt.date | None = None
    materials_received_on: dt.date | None = None
    certified_on: dt.date | None = None
    psb_number: str | None = None
    certificate_number: str | None = None
    reasons: tuple[str, ...] = ()  # the last return's reasons
    icon_placed_on: dt.date | None = None  # the applicant placed the filing icon (certified)

    def to_json(self) -> dict[str, Any]:
        """Return the step as stored in `filing.steps`."""
        return {
            "order": self.order,
            "local": self.local,
            "bureau": self.bureau.model_dump(),
            "status": self.status.value,
            **{
                name: getattr(self, name).isoformat() if getattr(self, name) else None
                for name in _DATES
            },
            "psb_number": self.psb_number,
            "certificate_number": self.certificate_number,
            "reasons": list(self.reasons),
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> StepState:
        """Read a step stored by `to_json`."""
        return cls(
            order=int(raw["order"]),
            local=bool(raw["local"]),
            bureau=Text.model_validate(raw["bureau"]),
            status=FilingStatus(raw.get("status", "prepared")),
            **{
                name: dt.date.fromisoformat(raw[name]) if raw.get(name) else None for name in _DATES
            },
            psb_number=raw.get("psb_number"),
            certificate_number=raw.get("certificate_number"),
            reasons=tuple(raw.get("reasons") or ()),
        )


_DATES = (
    "submitted_on",
    "initial_passed_on",
    "materials_received_on",
    "certified_on",
    "icon_placed_on",
)


@dataclass(frozen=True)
class FilingState:
    """What a decision needs of a filing: its steps in route order and the one in progress."""

    steps: tuple[StepState, ...]
    current: int = 1  # the order of the step in progress
    connection_date: dt.date | None = None

    @property
    def step(self) -> StepState:
        """Return the step in progress."""
        return next(s for s in self.steps if s.order == self.current)

    @property
    def status(self) -> FilingStatus:
        """Return the filing's status: its step in progress's (cancelled when it is)."""
        return self.step.status


@dataclass(frozen=True)
class Action:
    """An event on a filing's step, by someone, on a day, with what it carries."""

    event: FilingEvent
    actor: Actor
    on: dt.date
    step: int | None = None  # the step it is for (None: the one in progress)
    reasons: tuple[str, ...] = ()
    psb_number: str | None = None
    certificate_number: str | None = None
    note: str | None = None  # a cancellation's reason, a change's reason
    detail: Text | None = None  # a change: what changed, as the applicant reads it
    card_detail: Text | None = None  # the same for reviewers (personal numbers masked)


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
class Decision:
    """What an accepted event does: the new state, its audit line, notices and reminders."""

    state: FilingState
    from_status: FilingStatus
    to_status: FilingStatus
    actor: str
    reason: str | None
    self_reported: bool
    notices: tuple[Notice, ...] = ()
    reminders: tuple[ReminderChange, ...] = ()


@dataclass(frozen=True)
class Refusal:
    """Why an event does not apply."""

    reason: Text
    extra: dict[str, Any] = field(default_factory=dict)


# The events as buttons (and as the audit's and the cards' words for them).
EVENT_LABELS: dict[FilingEvent, Text] = {
    E.SUBMIT: button("已在备案系统提交", "Submitted in the filing system"),
    E.PASS_INITIAL_REVIEW: button("初审通过", "Initial review passed"),
    E.RETURN: button("退回整改", "Return for rectification"),
    E.RESUBMIT: button("整改后重新提交", "Resubmitted after rectification"),
    E.RECEIVE_MATERIALS: button("收到材料", "Materials received"),
    E.CERTIFY: button("复审通过，发证", "Re-review passed: certify"),
    E.REPORT_CHANGE: button("报告变更", "Report a change"),
    E.CANCEL: button("注销", "Cancel the filing"),
}
# The bureau's outcomes as the applicant records them where no reviewer of this city does
# (a bureau elsewhere, a deployment without reviewers): their own words, not the bureau's.
SELF_REPORT_LABELS: dict[FilingEvent, Text] = {
    E.PASS_INITIAL_REVIEW: button("登记结果：初审已通过", "Record: initial review passed"),
    E.RETURN: button("登记结果：被退回整改", "Record: returned for rectification"),
    E.RECEIVE_MATERIALS: button("登记：材料已送达网安部门", "Record: materials handed in"),
    E.CERTIFY: button("登记结果：复审通过，已发证", "Record: certified"),
}
STATUS_LABELS: dict[FilingStatus, Text] = {
    S.PREPARED: t("已生成文件，待提交", "documents ready, not submitted"),
    S.SUBMITTED: t("已提交，待初审", "submitted, awaiting initial review"),
    S.INITIAL_REVIEW_PASSED: t("初审通过，待送材料", "initial review passed, bring materials"),
    S.RETURNED: t("被退回整改", "returned for rectification"),
    S.RESUBMITTED: t("已重新提交，待初审", "resubmitted, awaiting initial review"),
    S.MATERIALS_RECEIVED: t("材料已收到，待复审", "materials received, awaiting re-review"),
    S.CERTIFIED: t("已备案", "certified"),
    S.CHANGE_REPORTED: t("已报告变更，待审核", "change reported, awaiting review"),
    S.CANCELLED: t("已注销", "cancelled"),
}
# Common return reasons, offered as buttons (free text as well).
RETURN_REASONS: tuple[Text, ...] = (
    t("网站名称与ICP备案不一致", "site name differs from the ICP record"),
    t("网站无法访问", "the site cannot be reached"),
    t("交互式服务未如实申报", "interactive services not declared truthfully"),
    t("负责人电话无法接通", "the responsible person's phone cannot be reached"),
    t("材料不清晰", "materials not legible"),
)


def _due(kind: PeriodKind, start: dt.date, pack: Pack, cal: WorkdayCalendar) -> dt.date:
    return compute_deadline(kind, start, pack, cal).due


def _day(d: dt.date) -> Text:
    return date_text(d)


def decide(
    state: FilingState,
    action: Action,
    *,
    pack: Pack,
    calendar: WorkdayCalendar,
    now: dt.datetime,
    reviewers: bool,
    today: dt.date | None = None,
) -> Decision | Refusal:
    """Decide what `action` does to a filing in `state` (see the module's docstring).
    `reviewers`: whether this city's bureau has reviewers registered; `today`: the day the
    days left are counted from (default: `now`'s local day)."""
    today = today or now.astimezone(_SHANGHAI).date()
    if action.event is E.REPORT_CHANGE:
        return _decide_change(state, action, pack, calendar, today)
    step = acting_step(state, action.event, action.actor.role, reviewers)
    if action.step is not None and action.step != step.order:
        return Refusal(
            t(
                f"第{action.step}步不是正在办理的步骤（正在办理第{step.order}步）。",
                f"Step {action.step} is not the step in progress (step {step.order} is).",
            )
        )
    dest = next_status(step.status, action.event)
    if dest is None:
        allowed = "、".join(EVENT_LABELS[e].zh for e in allowed_events(step.status)) or "无"
        allowed_en = ", ".join(EVENT_LABELS[e].en for e in allowed_events(step.status)) or "none"
        return Refusal(
            t(
                f"这份备案现在是“{STATUS_LABELS[step.status].zh}”，不能{EVENT_LABELS[action.event].zh}"
                f"（现在可以：{allowed}）。",
                f"This filing is “{STATUS_LABELS[step.status].en}”: it cannot be "
                f"{EVENT_LABELS[action.event].en} (now possible: {allowed_en}).",
            )
        )
    refusal = _who_may(step, action, reviewers)
    if refusal is not None:
        return refusal
    if action.on > today:
        return Refusal(t("日期不能在将来。", "The date cannot be in the future."))
    if action.event is E.RETURN and not action.reasons:
        return Refusal(t("退回整改须写明原因。", "A return needs its reasons."))
    psb = None
    if action.event is E.CERTIFY and step.psb_number and not action.psb_number:
        psb = step.psb_number  # a change reviewed (or a returned change): it keeps its number
    elif action.event is E.CERTIFY:
        checked = check_psb_number(action.psb_number or "")
        if not checked.valid:
            return Refusal(checked.error or t("公安备案号无效。", "Not a valid filing number."))
        psb = checked.normalized
    self_reported = action.event in BUREAU_EVENTS and action.actor.role is Role.APPLICANT
    new_step = _moved(step, action, dest, psb)
    steps = tuple(new_step if s.order == step.order else s for s in state.steps)
    if action.event is E.CANCEL:  # the site is closed: every bureau's step ends, not one
        steps = tuple(replace(s, status=S.CANCELLED) for s in steps)
    current = state.current
    later = [s for s in steps if s.order > step.order]
    if dest is S.CERTIFIED and later:
        current = later[0].order
    new_state = replace(state, steps=steps, current=current)
    notices, reminders = _consequences(state, new_state, new_step, step.status, action, pack,
                                       calendar)  # fmt: skip
    audit_reason = "；".join(action.reasons) if action.reasons else action.note
    if self_reported:
        audit_reason = "（申请人自报）" + (audit_reason or "")
    if len(state.steps) > 1:  # which bureau's step, in the audit trail
        audit_reason = f"第{step.order}步（{step.bureau.zh}）" + (audit_reason or "")
    return Decision(
        state=new_state,
        from_status=step.status,
        to_status=dest,
        actor=action.actor.audit,
        reason=audit_reason,
        self_reported=self_reported,
        notices=notices,
        reminders=reminders,
    )


def _who_may(step: StepState, action: Action, reviewers: bool) -> Refusal | None:
    role = action.actor.role
    if role is Role.OPERATOR:
        return None
    decided_here = step.local and reviewers
    if action.event in BUREAU_EVENTS:
        if decided_here and role is not Role.REVIEWER:
            return Refusal(
                t(
                    "这一步由网安部门的审核人员在系统中登记，申请人不能自行登记。",
                    "The bureau's reviewers record this step; an applicant cannot.",
                )
            )
        if not decided_here and role is Role.REVIEWER:
            return Refusal(
                t(
                    "这一步不归本市网安部门审核。",
                    "This step is not for this city's bureau to review.",
                )
            )
        return None
    if action.event in APPLICANT_EVENTS and role is not Role.APPLICANT:
        return Refusal(t("只有申请人能这样做。", "Only the applicant can do this."))
    return None


def _moved(step: StepState, action: Action, dest: FilingStatus, psb: str | None) -> StepState:
    on = action.on
    if action.event in (E.SUBMIT, E.RESUBMIT):
        return replace(step, status=dest, submitted_on=on, reasons=())
    if action.event is E.PASS_INITIAL_REVIEW:
        return replace(step, status=dest, initial_passed_on=on)
    if action.event is E.RETURN:
        return replace(step, status=dest, reasons=action.reasons)
    if action.event is E.RECEIVE_MATERIALS:
        return replace(step, status=dest, materials_received_on=on)
    if action.event is E.CERTIFY:
        return replace(
            step,
            status=dest,
            certified_on=on,
            psb_number=psb,
            certificate_number=(action.certificate_number or None) or step.certificate_number,
        )
    return replace(step, status=dest)


def _consequences(
    before: FilingState,
    after: FilingState,
    step: StepState,
    was: FilingStatus,
    action: Action,
    pack: Pack,
    cal: WorkdayCalendar,
) -> tuple[tuple[Notice, ...], tuple[ReminderChange, ...]]:
    """The notices and reminder changes an accepted event brings."""
    event, order, on = action.event, step.order, action.on
    to_reviewers = step.local  # this city's step: a card for this city's reviewers
    notices: list[Notice] = []
    reminders: list[ReminderChange] = []
    bureau = step.bureau
    if event in (E.SUBMIT, E.RESUBMIT):
        reminders.append(ReminderChange(K.FILING, order))  # submitted: no more filing reminders
        reminders.append(ReminderChange(K.SECOND_BUREAU, order))
        if step.local:
            review_due = _day(_due(PeriodKind.INITIAL_REVIEW, on, pack, cal))
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
                    K.INITIAL_REVIEW, order, _due(PeriodKind.INITIAL_REVIEW, on, pack, cal)
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
            notices.append(Notice(Audience.REVIEWERS, "card", EVENT_LABELS[event], order, attach))
    elif event is E.PASS_INITIAL_REVIEW:
        reminders.append(ReminderChange(K.INITIAL_REVIEW, order))
        if step.local:
            due = _due(PeriodKind.MATERIALS, on, pack, cal)
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
            notices.append(Notice(Audience.REVIEWERS, "card", EVENT_LABELS[event], order))
    elif event is E.RETURN:
        reminders.append(ReminderChange(K.INITIAL_REVIEW, order))
        reminders.append(ReminderChange(K.RE_REVIEW, order))
        reasons = "；".join(action.reasons)
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
            notices.append(Notice(Audience.REVIEWERS, "card", EVENT_LABELS[event], order))
    elif event is E.RECEIVE_MATERIALS:
        reminders.append(ReminderChange(K.MATERIALS, order))
        if step.local:
            due = _due(PeriodKind.RE_REVIEW, on, pack, cal)
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
            notices.append(Notice(Audience.REVIEWERS, "card", EVENT_LABELS[event], order))
    elif event is E.CERTIFY and was is S.CHANGE_REPORTED:
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
    elif event is E.CERTIFY:
        reminders.append(ReminderChange(K.RE_REVIEW, order))
        reminders.append(ReminderChange(K.ICON, order, on))  # 7 and 25 days after
        text = t(
            f"🎉 {bureau.zh}备案完成（{_day(on).zh}）。公安备案号：{step.psb_number}\n"
            "请登录备案系统下载备案图标和查询链接，及时将图标加链接放在网站首页底部。",
            f"🎉 Filed with {bureau.en} ({_day(on).en}). Filing number: {step.psb_number}\n"
            "Download the icon and query link from the filing system and place the linked icon "
            "at the bottom of your home page promptly.",
        )
        if after.current != before.current:
            nxt = after.step
            reminders.append(ReminderChange(K.SECOND_BUREAU, nxt.order, on))  # 7 days after
            text = text + t(
                f"\n下一步：到第{nxt.order}步的{nxt.bureau.zh}办理备案手续，在备案系统提交后在这里点"
                f"“{EVENT_LABELS[E.SUBMIT].zh}”。",
                f"\nNext: file with {nxt.bureau.en} (step {nxt.order}); once submitted in the "
                f"filing system, press “{EVENT_LABELS[E.SUBMIT].en}” here.",
            )
        notices.append(_update(order, text))
        if to_reviewers:
            notices.append(Notice(Audience.REVIEWERS, "card", EVENT_LABELS[event], order))
    elif event is E.CANCEL:
        reminders += [ReminderChange(kind, s.order) for s in after.steps for kind in K]
        told = [s for s in before.steps if s.status is not S.PREPARED]  # filed there
        every = t("（每一步都已注销）", " (every step)") if len(after.steps) > 1 else t("", "")
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
        if any(s.local for s in after.steps):
            notices.append(Notice(Audience.REVIEWERS, "card", EVENT_LABELS[event], order))
    return tuple(notices), tuple(reminders)


_CHANGEABLE = (S.CERTIFIED, S.CHANGE_REPORTED)


def changeable(state: FilingState) -> bool:
    """Say whether a change can be reported: a step is certified, and the filing is not
    cancelled."""
    alive = all(s.status is not S.CANCELLED for s in state.steps)
    return alive and any(s.status in _CHANGEABLE for s in state.steps)


def change_since(state: FilingState) -> dt.date | None:
    """Return the earliest day a change may be dated: the first certification of a step it
    applies to (earlier changes are part of the filing); None when nothing is certified."""
    certified = [s.certified_on for s in state.steps if s.status in _CHANGEABLE and s.certified_on]
    return min(certified) if certified else None


def not_changeable(status: FilingStatus) -> Text:
    """Say why a filing in `status` cannot report a change."""
    if status is S.CANCELLED:
        return t("这份备案已注销，只保留记录。", "This filing is cancelled: kept for the record.")
    return t(
        f"这份备案现在是“{STATUS_LABELS[status].zh}”：取得公安备案号后才能报告变更"
        "（被退回时请用“修改信息”）。",
        f"This filing is “{STATUS_LABELS[status].en}”: a change is reported once it is "
        "certified (when it is returned, use “Fix the details”).",
    )


def _decide_change(
    state: FilingState, action: Action, pack: Pack, cal: WorkdayCalendar, today: dt.date
) -> Decision | Refusal:
    """A change of the filed information: every certified step's bureau is told (its status
    becomes change reported); a step not certified yet just takes the new answers."""
    if action.actor.role is Role.REVIEWER:
        return Refusal(t("只有申请人能报告变更。", "Only the applicant reports a change."))
    if not changeable(state):
        return Refusal(not_changeable(state.status))
    if action.on > today:
        return Refusal(t("变更日期不能在将来。", "The change date cannot be in the future."))
    if not (action.note or "").strip():
        return Refusal(t("请写明变更原因。", "Give the reason for the change."))
    due = compute_deadline(PeriodKind.CHANGE, action.on, pack, cal)
    targets = [s for s in state.steps if s.status in _CHANGEABLE]
    since = change_since(state)
    if since is not None and action.on < since:
        first = _day(since)
        return Refusal(
            t(
                f"变更日期不能早于备案完成的日期（{first.zh}）：之前的变化已包含在备案中。",
                f"The change date cannot be before the filing was certified ({first.en}).",
            )
        )
    steps = []
    for s in state.steps:
        dest = next_status(s.status, E.REPORT_CHANGE) if s in targets else None
        steps.append(replace(s, status=dest) if dest is not None else s)
    after = replace(state, steps=tuple(steps))
    left = (due.due - today).days
    days_left = (
        t(f"还剩{left}天", f"{left} days left")
        if left >= 0
        else t(f"已逾期{-left}天，请尽快", f"{-left} days overdue: as soon as possible")
    )
    within = _within(pack)
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
            f"已记录变更（变更日期：{_day(action.on).zh}；原因：{action.note}）：\n{detail.zh}\n"
            f"请最迟于{_day(due.due).zh}（含当日）向{bureaus}提交"
            "《网站备案变更情况书面说明》（已发给你，盖章或签字），并在备案系统中修改备案信息"
            f"（变更之日起{within.zh}，{days_left.zh}）。",
            f"Change recorded (changed on {_day(action.on).en}; reason: {action.note}):\n"
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
                    f"变更报告（变更日期：{_day(action.on).zh}；原因：{action.note}；"
                    f"报告期限：最迟于{_day(due.due).zh}（含当日））\n{card.zh}",
                    f"Change reported (changed on {_day(action.on).en}; reason: {action.note}; "
                    f"report on or before {_day(due.due).en})\n{card.en}",
                ),
                next(s.order for s in targets if s.local),
            )  # no PDF: its rows are unmasked, and the applicant hands it in
        )
    reminders = [ReminderChange(K.CHANGE, s.order, due.due) for s in targets]
    return Decision(
        state=after,
        from_status=state.status,
        to_status=after.status,
        actor=action.actor.audit,
        reason=f"变更：{action.note}",
        self_reported=False,
        notices=tuple(notices),
        reminders=tuple(reminders),
    )


def _within(pack: Pack) -> Text:
    return change_period_text(pack.periods.change_report)


def _update(order: int, text: Text, attach: tuple[str, ...] = ()) -> Notice:
    return Notice(Audience.APPLICANT, "update", text, order, attach)


def steps_of_route(route: dict[str, Any]) -> tuple[StepState, ...]:
    """Return a new filing's steps from its stored route (`filing.route`)."""
    return tuple(
        StepState(
            order=int(s["order"]),
            local=s["where"] == "local",
            bureau=Text.model_validate(s.get("bureau") or {"zh": "", "en": ""}),
        )
        for s in route.get("steps", [])
    )


# The clock running at this city's bureau in each status: its label, period and start date.
_CLOCKS: dict[FilingStatus, tuple[Text, PeriodKind, str]] = {
    S.SUBMITTED: (t("初审期限", "initial review due"), PeriodKind.INITIAL_REVIEW, "submitted_on"),
    S.RESUBMITTED: (t("初审期限", "initial review due"), PeriodKind.INITIAL_REVIEW,
                    "submitted_on"),
    S.INITIAL_REVIEW_PASSED: (t("送材料期限", "materials due"), PeriodKind.MATERIALS,
                              "initial_passed_on"),
    S.MATERIALS_RECEIVED: (t("复审期限", "re-review due"), PeriodKind.RE_REVIEW,
                           "materials_received_on"),
}  # fmt: skip


def next_deadline(
    state: FilingState, pack: Pack, cal: WorkdayCalendar
) -> tuple[Text, dt.date] | None:
    """Return the deadline running now (what it is, when), or None: this city's review
    clocks on its own step, or the 30 days to submit before the first step is submitted."""
    step = state.step
    clock = _CLOCKS.get(step.status) if step.local else None
    start = getattr(step, clock[2]) if clock is not None else None
    if clock is not None and start is not None:
        return clock[0], _due(clock[1], start, pack, cal)
    if step.status is S.PREPARED and state.current == 1 and state.connection_date:
        return t("提交期限", "submit by"), _due(PeriodKind.FILING, state.connection_date, pack, cal)
    return None


_CHANGE_REVIEW = (E.CERTIFY, E.RETURN)  # a reported change is accepted, or returned


def acting_step(
    state: FilingState, event: FilingEvent, role: Role | None = None, reviewers: bool = True
) -> StepState:
    """Return the step an event acts on: the step in progress, except for the review of a
    reported change, which acts on the step whose change awaits it when `role` may review
    it there (in a two-bureau route the first bureau reviews a change while the second
    step is in progress)."""
    current = state.step
    if event in _CHANGE_REVIEW:
        probe = Action(event, Actor(role or Role.OPERATOR, "?"), dt.date.min, reasons=("?",))
        for s in state.steps:
            if s.status is S.CHANGE_REPORTED and _who_may(s, probe, reviewers) is None:
                return s
    return current


def next_actions(state: FilingState, role: Role, reviewers: bool) -> list[FilingEvent]:
    """Return the events `role` may do now, in lifecycle order: on the step in progress, and
    the review of a change reported on an earlier step."""
    found = []
    for event in FilingEvent:
        step = acting_step(state, event, role, reviewers)
        if next_status(step.status, event) is None:
            continue
        probe = Action(event, Actor(role, "?"), dt.date.min, reasons=("?",), psb_number=None)
        if _who_may(step, probe, reviewers) is None:
            found.append(event)
    return found
