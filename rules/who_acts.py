"""Who may do what to a filing (issue 12; split out in issue 27).

When a step's bureau has reviewers registered, only they record its outcomes; when it has
none (a bureau elsewhere, a deployment without reviewers) the applicant records the outcome
the bureau gave (the audit says self-reported). The applicant's own acts are theirs alone;
the operator (the CLI) may do anything the lifecycle allows.
"""

from __future__ import annotations

from rules.enums import FilingStatus
from rules.events import APPLICANT_EVENTS, BUREAU_EVENTS, EVENT_TYPES, Role
from rules.filing_state import FilingState, StepState
from rules.lifecycle import next_status
from rules.text import Text, t


def why_not_allowed(step: StepState, event: str, role: Role, reviewers: bool) -> Text | None:
    """Say why `role` may not do `event` on `step`, or None when they may. `reviewers`:
    whether this city's bureau has reviewers registered."""
    if role is Role.OPERATOR:
        return None
    decided_here = step.local and reviewers
    if event in BUREAU_EVENTS:
        if decided_here and role is not Role.REVIEWER:
            return t(
                "这一步由网安部门的审核人员在系统中登记，申请人不能自行登记。",
                "The bureau's reviewers record this step; an applicant cannot.",
            )
        if not decided_here and role is Role.REVIEWER:
            return t(
                "这一步不归本市网安部门审核。",
                "This step is not for this city's bureau to review.",
            )
        return None
    if event in APPLICANT_EVENTS and role is not Role.APPLICANT:
        return t("只有申请人能这样做。", "Only the applicant can do this.")
    return None


def acting_step(
    state: FilingState, event: str, role: Role | None = None, reviewers: bool = True
) -> StepState:
    """Return the step an event acts on: the step in progress, except for the review of a
    reported change, which acts on the step whose change awaits it when `role` may review
    it there (in a two-bureau route the first bureau reviews a change while the second
    step is in progress)."""
    if EVENT_TYPES[event].reviews_change():  # a reported change accepted, or returned
        for s in state.steps:
            if (
                s.status is FilingStatus.CHANGE_REPORTED
                and why_not_allowed(s, event, role or Role.OPERATOR, reviewers) is None
            ):
                return s
    return state.step


def next_actions(state: FilingState, role: Role, reviewers: bool) -> list[str]:
    """Return the names of the events `role` may do now, in lifecycle order: on the step in
    progress, and the review of a change reported on an earlier step."""
    found = []
    for event in EVENT_TYPES:
        step = acting_step(state, event, role, reviewers)
        if next_status(step.status, event) is None:
            continue
        if why_not_allowed(step, event, role, reviewers) is None:
            found.append(event)
    return found
