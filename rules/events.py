"""What happens to a filing, as typed events (issue 27): one frozen dataclass per event with
the data it carries, how it moves its step, and its words (button, self-report, audit).

Adding a reviewer action: a subclass here (its trigger in `rules.lifecycle`), its consequence
function in `rules.consequences`; the buttons, the who-may-act checks and the audit follow.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import Any, ClassVar

from rules.codes import check_psb_number
from rules.enums import FilingStatus
from rules.filing_state import StepState
from rules.lifecycle import FilingEvent
from rules.text import Text, button, t


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


@dataclass(frozen=True, kw_only=True)
class Event:
    """An event on a filing's step: by whom, on which day, for which step (None: the one in
    progress). Each kind is a subclass carrying its own data; `decide` dispatches on it."""

    actor: Actor
    on: dt.date
    step: int | None = None

    trigger: ClassVar[FilingEvent]  # its move in the lifecycle machine (and its stored name)
    label: ClassVar[Text]  # its button, and the cards' and the audit's word for it
    by_bureau: ClassVar[bool] = False  # an outcome the bureau decides (a reviewer records it)
    self_report_label: ClassVar[Text | None] = None  # the applicant recording the bureau's word

    def check(self, step: StepState) -> Text | None:
        """Say what is wrong with the event's own data for `step`, or None."""
        return None

    def applied(self, step: StepState, dest: FilingStatus) -> StepState:
        """Return `step` once the event moved it to `dest`."""
        return replace(step, status=dest)

    @property
    def name(self) -> str:
        """Return the event's name, as its audit row keeps it."""
        return self.trigger.value

    @property
    def audit_reason(self) -> str | None:
        """Return the reason the audit row keeps (its reasons, a cancellation's reason)."""
        return None

    def data(self) -> dict[str, Any]:
        """Return the event's own data as its audit row keeps it (JSON)."""
        kept: dict[str, Any] = {"on": self.on.isoformat()}
        for found in fields(self):
            value = getattr(self, found.name)
            if found.name in ("actor", "on") or value is None or value == ():
                continue
            kept[found.name] = (
                value.model_dump() if isinstance(value, Text)
                else list(value) if isinstance(value, tuple) else value
            )  # fmt: skip
        return kept


@dataclass(frozen=True, kw_only=True)
class Submit(Event):
    """The applicant submitted the filing in the official filing system."""

    trigger = FilingEvent.SUBMIT
    label = button("已在备案系统提交", "Submitted in the filing system")

    def applied(self, step: StepState, dest: FilingStatus) -> StepState:
        """Keep the day it was submitted (the initial review counts from it)."""
        return replace(step, status=dest, submitted_on=self.on, reasons=())


@dataclass(frozen=True, kw_only=True)
class PassInitial(Event):
    """The bureau passed the initial review (初审合格)."""

    trigger = FilingEvent.PASS_INITIAL_REVIEW
    label = button("初审通过", "Initial review passed")
    by_bureau = True
    self_report_label = button("登记结果：初审已通过", "Record: initial review passed")

    def applied(self, step: StepState, dest: FilingStatus) -> StepState:
        """Keep the day it passed (the materials are due counted from it)."""
        return replace(step, status=dest, initial_passed_on=self.on)


@dataclass(frozen=True, kw_only=True)
class Return(Event):
    """The bureau returned the filing (or a reported change) for rectification, with why."""

    reasons: tuple[str, ...] = ()  # none: refused (a return needs its reasons)

    trigger = FilingEvent.RETURN
    label = button("退回整改", "Return for rectification")
    by_bureau = True
    self_report_label = button("登记结果：被退回整改", "Record: returned for rectification")

    def check(self, step: StepState) -> Text | None:
        """A return needs its reasons."""
        return None if self.reasons else t("退回整改须写明原因。", "A return needs its reasons.")

    def applied(self, step: StepState, dest: FilingStatus) -> StepState:
        """Keep the reasons (the applicant's status shows them)."""
        return replace(step, status=dest, reasons=self.reasons)

    @property
    def audit_reason(self) -> str | None:
        """The reasons, as one line."""
        return "；".join(self.reasons)


@dataclass(frozen=True, kw_only=True)
class Resubmit(Event):
    """The applicant resubmitted after rectification."""

    trigger = FilingEvent.RESUBMIT
    label = button("整改后重新提交", "Resubmitted after rectification")

    def applied(self, step: StepState, dest: FilingStatus) -> StepState:
        """Keep the day (the initial review counts from it again)."""
        return replace(step, status=dest, submitted_on=self.on, reasons=())


@dataclass(frozen=True, kw_only=True)
class ReceiveMaterials(Event):
    """The bureau received the stamped materials (the re-review's clock starts)."""

    trigger = FilingEvent.RECEIVE_MATERIALS
    label = button("收到材料", "Materials received")
    by_bureau = True
    self_report_label = button("登记：材料已送达网安部门", "Record: materials handed in")

    def applied(self, step: StepState, dest: FilingStatus) -> StepState:
        """Keep the day they were received."""
        return replace(step, status=dest, materials_received_on=self.on)


@dataclass(frozen=True, kw_only=True)
class Certify(Event):
    """The bureau certified the site (复审合格，发证) with its 公安备案号 — or accepted a
    reported change, when the step keeps the number it has."""

    psb_number: str | None = None
    certificate: str | None = None

    trigger = FilingEvent.CERTIFY
    label = button("复审通过，发证", "Re-review passed: certify")
    by_bureau = True
    self_report_label = button("登记结果：复审通过，已发证", "Record: certified")

    def check(self, step: StepState) -> Text | None:
        """The number must be valid, unless the step keeps the one it has."""
        if step.psb_number and not self.psb_number:
            return None
        checked = check_psb_number(self.psb_number or "")
        if checked.valid:
            return None
        return checked.error or t("公安备案号无效。", "Not a valid filing number.")

    def applied(self, step: StepState, dest: FilingStatus) -> StepState:
        """Keep the day, the number (normalised) and the certificate's number."""
        psb = step.psb_number
        if self.psb_number or not psb:  # a change reviewed keeps its number
            psb = check_psb_number(self.psb_number or "").normalized
        return replace(
            step,
            status=dest,
            certified_on=self.on,
            psb_number=psb,
            certificate_number=(self.certificate or None) or step.certificate_number,
        )


@dataclass(frozen=True, kw_only=True)
class ReportChange(Event):
    """The applicant reports a change of the filed information (every certified step's
    bureau is told)."""

    reason: str
    detail: Text | None = None  # what changed, as the applicant reads it
    card_detail: Text | None = None  # the same for reviewers (personal numbers masked)

    trigger = FilingEvent.REPORT_CHANGE
    label = button("报告变更", "Report a change")

    @property
    def audit_reason(self) -> str | None:
        """The change's reason."""
        return f"变更：{self.reason}"

    def data(self) -> dict[str, Any]:
        """The reason and what changed as reviewers read it (personal numbers masked): the
        values themselves are in the filing's version history, not copied here."""
        return {k: v for k, v in super().data().items() if k != "detail"}


@dataclass(frozen=True, kw_only=True)
class Cancel(Event):
    """The applicant cancels the filing (注销: the site is closed); every step ends."""

    reason: str = ""

    trigger = FilingEvent.CANCEL
    label = button("注销", "Cancel the filing")

    @property
    def audit_reason(self) -> str | None:
        """The cancellation's reason."""
        return self.reason or None


# The audit's names of what is recorded outside the lifecycle machine: a new filing, the icon.
PREPARE, RECORD_ICON = "prepare", "record_icon"

EVENT_TYPES: dict[FilingEvent, type[Event]] = {
    kind.trigger: kind
    for kind in (Submit, PassInitial, Return, Resubmit, ReceiveMaterials, Certify,
                 ReportChange, Cancel)
}  # fmt: skip
# The events as buttons (and as the audit's and the cards' words for them).
EVENT_LABELS: dict[FilingEvent, Text] = {e: kind.label for e, kind in EVENT_TYPES.items()}
# The bureau's outcomes as the applicant records them where no reviewer of this city does
# (a bureau elsewhere, a deployment without reviewers): their own words, not the bureau's.
SELF_REPORT_LABELS: dict[FilingEvent, Text] = {
    e: kind.self_report_label for e, kind in EVENT_TYPES.items() if kind.self_report_label
}
# Outcomes the bureau decides (a reviewer records them, or the applicant self-reports them).
BUREAU_EVENTS = frozenset(e for e, kind in EVENT_TYPES.items() if kind.by_bureau)
APPLICANT_EVENTS = frozenset(EVENT_TYPES) - BUREAU_EVENTS


def make_event(
    trigger: FilingEvent,
    actor: Actor,
    on: dt.date,
    *,
    step: int | None = None,
    reasons: tuple[str, ...] = (),
    psb_number: str | None = None,
    certificate: str | None = None,
    reason: str | None = None,
) -> Event:
    """Build an event from its name and the words a channel took (the CLI's options, the
    console's form): each kind keeps only the data it carries."""
    common: dict[str, Any] = {"actor": actor, "on": on, "step": step}
    kind = EVENT_TYPES[trigger]
    if kind is Return:
        return Return(**common, reasons=reasons)
    if kind is Certify:
        return Certify(**common, psb_number=psb_number, certificate=certificate)
    if kind is ReportChange:
        return ReportChange(**common, reason=reason or "")
    if kind is Cancel:
        return Cancel(**common, reason=reason or "")
    return kind(**common)


# Common return reasons, offered as buttons (free text as well).
RETURN_REASONS: tuple[Text, ...] = (
    t("网站名称与ICP备案不一致", "site name differs from the ICP record"),
    t("网站无法访问", "the site cannot be reached"),
    t("交互式服务未如实申报", "interactive services not declared truthfully"),
    t("负责人电话无法接通", "the responsible person's phone cannot be reached"),
    t("材料不清晰", "materials not legible"),
)
