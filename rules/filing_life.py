"""The filing's life after the interview (issue 12): one pure decision per event.

`decide(state, event, pack=, calendar=, now=, reviewers=)` takes a filing's steps (one per
bureau of its route, in order) with their statuses and dates and a typed event
(`rules.events`: who does it, on which day, with its data) and returns either a `Decision` —
the new steps, the audit record (with the event and its data), the notices to send (to whom,
what) and the reminders to schedule or cancel — or a `Refusal` with its reason. The bot
applies a decision in one transaction (status, audit, outbox rows); nothing here touches a
database. The concerns live apart: the steps and their deadlines (`rules.filing_state`), who
may act (`rules.who_acts`), each event's move and consequences (on its class, `rules.events`).

The status moves only through the `transitions` lifecycle (`rules.lifecycle.next_status`).
Who decides a review outcome: when the step's bureau has reviewers registered, only they; when
it has none (a bureau elsewhere, a deployment without reviewers) the applicant records the
outcome the bureau gave, and the audit says self-reported. The second step of a two-city route
starts when the first is certified.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from rules.enums import FilingStatus
from rules.events import (
    APPLICANT_EVENTS,
    BUREAU_EVENTS,
    EVENT_LABELS,
    EVENT_TYPES,
    RETURN_REASONS,
    SELF_REPORT_LABELS,
    Actor,
    Audience,
    Cancel,
    Event,
    Moved,
    Notice,
    ReminderChange,
    ReportChange,
    Role,
    make_event,
)
from rules.filing_state import (
    CHANGEABLE,
    STATUS_LABELS,
    FilingState,
    StepState,
    amendable,
    awaits_online,
    change_since,
    changeable,
    next_deadline,
    not_amendable,
    not_changeable,
    rerouted,
    steps_of_route,
)
from rules.lifecycle import FilingEvent, allowed_events, next_status
from rules.pack import Pack
from rules.plan import date_text
from rules.reminder_kinds import ReminderKind as K
from rules.text import Text, t
from rules.who_acts import acting_step, next_actions, why_not_allowed
from rules.workdays import WorkdayCalendar

__all__ = [  # the filing's life, as the rest of the product imports it
    "APPLICANT_EVENTS",
    "BUREAU_EVENTS",
    "EVENT_LABELS",
    "EVENT_TYPES",
    "RETURN_REASONS",
    "SELF_REPORT_LABELS",
    "STATUS_LABELS",
    "Actor",
    "Audience",
    "Decision",
    "Event",
    "FilingState",
    "Notice",
    "Refusal",
    "ReminderChange",
    "Role",
    "StepState",
    "acting_step",
    "amendable",
    "awaits_online",
    "change_since",
    "changeable",
    "decide",
    "make_event",
    "next_actions",
    "next_deadline",
    "not_amendable",
    "not_changeable",
    "steps_of_route",
]

S = FilingStatus
_SHANGHAI = ZoneInfo("Asia/Shanghai")


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
    event: str | None = None  # which event it was, by name (the audit row keeps it)
    data: dict[str, Any] = field(default_factory=dict)  # the event's own data, for the audit


@dataclass(frozen=True)
class Refusal:
    """Why an event does not apply."""

    reason: Text
    extra: dict[str, Any] = field(default_factory=dict)


def _day(d: dt.date) -> Text:
    return date_text(d)


def decide(
    state: FilingState,
    event: Event,
    *,
    pack: Pack,
    calendar: WorkdayCalendar,
    now: dt.datetime,
    reviewers: bool,
    today: dt.date | None = None,
) -> Decision | Refusal:
    """Decide what `event` does to a filing in `state` (see the module's docstring).
    `reviewers`: whether this city's bureau has reviewers registered; `today`: the day the
    days left are counted from (default: `now`'s local day)."""
    today = today or now.astimezone(_SHANGHAI).date()
    if isinstance(event, ReportChange):
        return _decide_change(state, event, pack, calendar, today)
    trigger, role = event.trigger, event.actor.role
    step = acting_step(state, trigger, role, reviewers)
    refusal = _refused(step, event, reviewers, today) or _before_the_step_before(state, step, event)
    if refusal is not None:
        return refusal
    dest = next_status(step.status, trigger)
    assert dest is not None  # _refused said it applies
    self_reported = trigger in BUREAU_EVENTS and role is Role.APPLICANT
    new_step = event.applied(step, dest)
    steps = event.steps_after(state, new_step)
    current = state.current
    later = [s for s in steps if s.order > step.order]
    if dest is S.CERTIFIED and later:
        current = later[0].order
    new_state = replace(state, steps=steps, current=current)
    moved = Moved(state, new_state, new_step, step.status, pack, calendar, today)
    notices, reminders = event.consequences(moved)
    audit_reason = event.audit_reason
    if self_reported:
        audit_reason = "（申请人自报）" + (audit_reason or "")
    if len(state.steps) > 1:  # which bureau's step, in the audit trail
        audit_reason = f"第{step.order}步（{step.bureau.zh}）" + (audit_reason or "")  # audit_step
    return Decision(
        state=new_state,
        from_status=step.status,
        to_status=dest,
        actor=event.actor.audit,
        reason=audit_reason,
        self_reported=self_reported,
        notices=tuple(notices),
        reminders=tuple(reminders),
        event=event.name,
        data={**event.data(), "step": step.order},  # whose bureau (the desk's statistics)
    )


def _refused(step: StepState, event: Event, reviewers: bool, today: dt.date) -> Refusal | None:
    """Say why `event` does not apply to `step` (not the step in progress, not in its status,
    not for this actor, dated in the future, its data wrong), or None."""
    if event.step is not None and event.step != step.order:
        return Refusal(
            t(
                f"第{event.step}步不是正在办理的步骤（正在办理第{step.order}步）。",
                f"Step {event.step} is not the step in progress (step {step.order} is).",
            )
        )
    if next_status(step.status, event.trigger) is None:
        allowed = "、".join(EVENT_LABELS[e].zh for e in allowed_events(step.status)) or "无"
        allowed_en = ", ".join(EVENT_LABELS[e].en for e in allowed_events(step.status)) or "none"
        return Refusal(
            t(
                f"这份备案现在是“{STATUS_LABELS[step.status].zh}”，不能{event.label.zh}"
                f"（现在可以：{allowed}）。",
                f"This filing is “{STATUS_LABELS[step.status].en}”: it cannot be "
                f"{event.label.en} (now possible: {allowed_en}).",
            )
        )
    why = why_not_allowed(step, event.trigger, event.actor.role, reviewers)
    if why is not None:
        return Refusal(why)
    if event.on > today:
        return Refusal(t("日期不能在将来。", "The date cannot be in the future."))
    last = max(
        (d for d in (step.submitted_on, step.initial_passed_on, step.materials_received_on,
                     step.certified_on, step.returned_on) if d is not None),
        default=None,
    )  # fmt: skip
    if last is not None and event.on < last and not isinstance(event, Cancel):
        return Refusal(
            t(
                f"日期不能早于这一步上次记录的日期（{last.isoformat()}）。",
                f"The date cannot be before the step's last recorded date ({last.isoformat()}).",
            )
        )
    wrong = event.check(step)
    return Refusal(wrong) if wrong is not None else None


def _before_the_step_before(state: FilingState, step: StepState, event: Event) -> Refusal | None:
    """A later step's submission dated before the step before it was certified: the route's
    order made it wait (a date that cannot be)."""
    before = next((s for s in state.steps if s.order == step.order - 1), None)
    if event.trigger != FilingEvent.SUBMIT or before is None or before.certified_on is None:
        return None
    if event.on >= before.certified_on:
        return None
    day = before.certified_on.isoformat()
    return Refusal(
        t(
            f"日期不能早于第{before.order}步发证的日期（{day}）：第{step.order}步在它之后办理。",
            f"The date cannot be before step {before.order} was certified ({day}): step "
            f"{step.order} comes after it.",
        )
    )


def _decide_change(
    state: FilingState, action: ReportChange, pack: Pack, cal: WorkdayCalendar, today: dt.date
) -> Decision | Refusal:
    """A change of the filed information: every certified step's bureau is told (its status
    becomes change reported); a step not certified yet just takes the new answers."""
    refusal = _change_refused(state, action, today)
    if refusal is not None:
        return refusal
    steps = []
    for s in state.steps:
        dest = next_status(s.status, action.trigger) if s.status in CHANGEABLE else None
        steps.append(replace(s, status=dest) if dest is not None else s)
    after = rerouted(replace(state, steps=tuple(steps)), action.route, in_scope=action.in_scope)
    moved = Moved(state, after, state.step, state.status, pack, cal, today)
    notices, reminders = action.consequences(moved)
    gone = {s.order for s in state.steps} - {s.order for s in after.steps}
    reminders = [*reminders, *(ReminderChange(K.SECOND_BUREAU, n) for n in sorted(gone))]
    return Decision(
        state=after,
        from_status=state.status,
        to_status=after.status,
        actor=action.actor.audit,
        reason=action.audit_reason,
        self_reported=False,
        event=action.name,
        data=action.data(),
        notices=tuple(notices),
        reminders=tuple(reminders),
    )


def _change_refused(state: FilingState, action: ReportChange, today: dt.date) -> Refusal | None:
    """Say why a change cannot be reported: not the applicant, nothing certified (or
    cancelled), dated in the future or before the certification, no reason given."""
    if action.actor.role is Role.REVIEWER:
        return Refusal(t("只有申请人能报告变更。", "Only the applicant reports a change."))
    if not changeable(state):
        return Refusal(not_changeable(state.status))
    if action.on > today:
        return Refusal(t("变更日期不能在将来。", "The change date cannot be in the future."))
    if not action.reason.strip():
        return Refusal(t("请写明变更原因。", "Give the reason for the change."))
    since = change_since(state)
    if since is not None and action.on < since:
        first = _day(since)
        return Refusal(
            t(
                f"变更日期不能早于备案完成的日期（{first.zh}）：之前的变化已包含在备案中。",
                f"The change date cannot be before the filing was certified ({first.en}).",
            )
        )
    return None


def audit_step(reason: str) -> tuple[int, str, str] | None:
    """Read the prefix `decide` puts on a two-step filing's audit reason, 「第N步（<bureau>）」:
    (N, the bureau's Chinese name, the rest); None without one. The name may hold brackets of
    its own (「…支队（示例数据，请替换）」): the prefix ends where its bracket closes."""
    head = re.match(r"第(\d+)步（", reason)
    if head is None:
        return None
    depth = 1
    for i in range(head.end(), len(reason)):
        depth += {"（": 1, "）": -1}.get(reason[i], 0)
        if depth == 0:
            return int(head.group(1)), reason[head.end() : i], reason[i + 1 :]
    return None
