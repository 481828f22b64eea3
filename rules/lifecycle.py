"""The filing lifecycle as a state machine: which event moves a filing from which status."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from transitions import Machine

from rules.enums import FilingStatus as S


class FilingEvent(StrEnum):
    """What reviewers and applicants do to a filing."""

    SUBMIT = "submit"  # 在备案系统中提交申请 (the applicant, in the official system)
    PASS_INITIAL_REVIEW = "pass_initial_review"  # noqa: S105 - 初审合格, not a password
    RETURN = "return_for_rectification"  # 退回整改
    RESUBMIT = "resubmit"  # 整改后重新提交
    RECEIVE_MATERIALS = "receive_materials"  # 收到盖章材料
    CERTIFY = "certify"  # 复审合格，发证
    REPORT_CHANGE = "report_change"  # 变更报告
    CANCEL = "cancel"  # 注销


_TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": FilingEvent.SUBMIT, "source": S.PREPARED, "dest": S.SUBMITTED},
    {"trigger": FilingEvent.PASS_INITIAL_REVIEW, "source": [S.SUBMITTED, S.RESUBMITTED],
     "dest": S.INITIAL_REVIEW_PASSED},
    {"trigger": FilingEvent.RETURN, "source": [S.SUBMITTED, S.RESUBMITTED, S.MATERIALS_RECEIVED,
                                               S.CHANGE_REPORTED], "dest": S.RETURNED},
    {"trigger": FilingEvent.RESUBMIT, "source": S.RETURNED, "dest": S.RESUBMITTED},
    {"trigger": FilingEvent.RECEIVE_MATERIALS, "source": S.INITIAL_REVIEW_PASSED,
     "dest": S.MATERIALS_RECEIVED},
    {"trigger": FilingEvent.CERTIFY, "source": [S.MATERIALS_RECEIVED, S.CHANGE_REPORTED],
     "dest": S.CERTIFIED},
    {"trigger": FilingEvent.REPORT_CHANGE, "source": [S.CERTIFIED, S.CHANGE_REPORTED],
     "dest": S.CHANGE_REPORTED},
    {"trigger": FilingEvent.CANCEL, "source": [s for s in S if s is not S.CANCELLED],
     "dest": S.CANCELLED},
]  # fmt: skip


def _kwargs() -> dict[str, Any]:
    return {
        "states": list(S),
        "transitions": _TRANSITIONS,
        "initial": S.PREPARED,
        "auto_transitions": False,
    }


LIFECYCLE = Machine(model=None, **_kwargs())


def next_status(current: S, event: FilingEvent) -> S | None:
    """Return where `event` takes a filing in `current`, or None when it does not apply."""
    found = LIFECYCLE.get_transitions(trigger=event.value, source=current.name)
    dest = found[0].dest if found else None
    return S[dest] if dest is not None else None


def allowed_events(current: S) -> list[FilingEvent]:
    """Return the events that apply to a filing in `current`, in declaration order."""
    return [e for e in FilingEvent if next_status(current, e) is not None]


def lifecycle_diagram(title: str = "beian filing lifecycle") -> str:
    """Return the lifecycle machine as a mermaid diagram."""
    from transitions.extensions.diagrams import GraphMachine

    class _Holder:
        state: S = S.PREPARED

    graph = GraphMachine(model=None, graph_engine="mermaid", title=title, **_kwargs())
    holder = _Holder()
    graph.add_model(holder)
    source: str = holder.get_graph().source  # type: ignore[attr-defined]
    return source
