"""A filing as the desk shows it: answers by section, steps, the running deadline, documents,
the audit trail, the history as diffs, and the actions a reviewer may take now."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.console import texts
from bot.filing_actions import actor_name
from dialogs.model import Context
from dialogs.review import field_label, field_value, show_value
from dialogs.turn import spec_for
from models.filings import history, state_of
from models.tables import ConsoleReveal, Filing, GeneratedDocument, LifecycleEvent
from rules.changes import FieldChange, flatten, masked, shown
from rules.enums import FilingStatus
from rules.filing_life import (
    EVENT_LABELS,
    RETURN_REASONS,
    STATUS_LABELS,
    FilingState,
    Role,
    acting_step,
    next_actions,
    next_deadline,
)
from rules.lifecycle import FilingEvent as E
from rules.text import Lang, Text, mask_number, t

_SHANGHAI = ZoneInfo("Asia/Shanghai")


def is_secret(path: str, individual: bool) -> bool:
    """Say whether a field is an ID number the desk masks until a click shows it (and logs it)."""
    leaf = path.rsplit(".", 1)[-1]
    return leaf == "id_number" or (individual and leaf == "credential_number")


@dataclass(frozen=True)
class Answer:
    """One answer on the page: its label, its value as shown, its path; masked or not."""

    label: str
    value: str
    path: str
    masked: bool


@dataclass(frozen=True)
class Action:
    """An action the reviewer may take now: its code, its label, what the form asks."""

    code: str  # pass | return | materials | certify | change_ok | change_return
    event: str  # the event's name (rules.events.EVENT_TYPES)
    label: str
    asks_reasons: bool = False
    asks_numbers: bool = False


@dataclass
class FilingPage:
    """Everything the filing's page shows."""

    filing: Filing
    status: str
    sections: list[tuple[str, list[Answer]]]
    steps: list[dict[str, Any]]
    deadline: tuple[str, dt.date, int] | None
    documents: list[GeneratedDocument]
    audit: list[dict[str, Any]]
    versions: list[dict[str, Any]]
    actions: list[Action]
    reasons: list[tuple[int, str]]
    reveals: int
    revealed: set[str] = field(default_factory=set)


def local_time(moment: dt.datetime) -> str:
    """Write a stored moment in Asia/Shanghai, to the minute."""
    return moment.astimezone(_SHANGHAI).strftime("%Y-%m-%d %H:%M")


def actions_of(filing: Filing, lang: Lang) -> list[Action]:
    """Return the actions a reviewer may take on `filing` now (as the chat's card offers)."""
    state = state_of(filing)
    found = []
    for event in next_actions(state, Role.REVIEWER, True):
        change = (
            acting_step(state, event, Role.REVIEWER, True).status is FilingStatus.CHANGE_REPORTED
        )
        if event == E.PASS_INITIAL_REVIEW:
            found.append(Action("pass", event, EVENT_LABELS[event].get(lang)))
        elif event == E.RECEIVE_MATERIALS:
            found.append(Action("materials", event, EVENT_LABELS[event].get(lang)))
        elif event == E.RETURN and change:
            found.append(Action("change_return", event, texts.CHANGE_RETURN.get(lang), True))
        elif event == E.RETURN:
            found.append(Action("return", event, EVENT_LABELS[event].get(lang), True))
        elif event == E.CERTIFY and change:
            found.append(Action("change_ok", event, texts.CHANGE_ACCEPT.get(lang)))
        elif event == E.CERTIFY:
            found.append(Action("certify", event, EVENT_LABELS[event].get(lang), False, True))
    return found


def _sections(
    filing: Filing, ctx: Context, lang: Lang, revealed: set[str]
) -> list[tuple[str, list[Answer]]]:
    spec = spec_for(ctx)
    data = filing.data or {}
    subject_type = data.get("subject_type")
    individual = subject_type == "individual"
    label = field_label(spec, subject_type)
    flat = flatten(data)
    value_of = field_value(spec, flat)
    order = {q.key: i for i, q in enumerate(spec.questions)}
    groups: dict[str, list[tuple[int, Answer]]] = {}
    stage_names = [name.get(lang) for _, name in spec.stages]
    for path, raw in flat.items():
        q = spec.by_key.get(path)
        if q is None:
            continue  # a document type (shown with its number), the 公安备案号 (in the header)
        if set(q.applies_when or {}) == {"subject_type"} and not q.applies(flat):
            continue  # a unit's only (an individual's 法定代表人 is themself: shown once)
        group = spec.stage_labels[q.stage].get(lang)
        secret = is_secret(path, individual) and path not in revealed
        worded = spec.worded(q, subject_type)
        value = (
            value_of(FieldChange(path, raw, raw), raw, lang)
            if raw is not None
            else shown(raw, lang)
        )
        if worded.id_type_key and raw is not None:  # the document type, then its number
            value = show_value(worded, mask_number(str(raw)) if secret else raw, lang, flat)
        elif secret:
            value = mask_number(value)
        answer = Answer(label(path).get(lang), value, path, secret)
        groups.setdefault(group, []).append((order.get(path, 10_000), answer))
    ordered = sorted(groups, key=lambda g: stage_names.index(g) if g in stage_names else 99)
    return [(g, [a for _, a in sorted(groups[g], key=lambda p: p[0])]) for g in ordered]


def _status(state: FilingState, lang: Lang) -> str:
    """The filing's status as its header says it: of a two-step filing, whose step it is (the
    first step certified here, the header said 「已生成文件，待提交」: the other bureau's)."""
    label = STATUS_LABELS[state.status].get(lang)
    if len(state.steps) < 2:
        return label
    step = state.step
    if lang == "zh":
        return f"第{step.order}步（{'本市' if step.local else step.bureau.zh}）：{label}"
    return f"step {step.order} ({'this city' if step.local else step.bureau.en}): {label}"


def _steps(filing: Filing, lang: Lang) -> list[dict[str, Any]]:
    state = state_of(filing)
    dates = (
        ("submitted_on", t("提交", "submitted")),
        ("initial_passed_on", t("初审通过", "initial review passed")),
        ("materials_received_on", t("收到材料", "materials received")),
        ("certified_on", t("复审通过", "certified")),
        ("icon_placed_on", t("放置图标", "icon placed")),
    )
    return [
        {
            "order": s.order,
            "current": s.order == state.current,
            "bureau": s.bureau.get(lang),
            "local": s.local,
            "status": STATUS_LABELS[s.status].get(lang),
            "dates": [(name.get(lang), getattr(s, key)) for key, name in dates if getattr(s, key)],
            "psb_number": s.psb_number,
            "certificate_number": s.certificate_number,
            "reasons": list(s.reasons) if s.status is FilingStatus.RETURNED else [],
        }
        for s in state.steps
    ]


def _versions(session: Session, filing: Filing, ctx: Context, lang: Lang) -> list[dict[str, Any]]:
    spec = spec_for(ctx)
    flat = flatten(filing.data or {})
    label = field_label(spec, (filing.data or {}).get("subject_type"))
    value_of = field_value(spec, flat)
    individual = (filing.data or {}).get("subject_type") == "individual"
    found = []
    for v in reversed(history(session, filing.id or 0)):
        rows = []
        for raw in v.changes:
            change = FieldChange(str(raw.get("field")), raw.get("old"), raw.get("new"))
            old, new = value_of(change, change.old, lang), value_of(change, change.new, lang)
            if is_secret(change.field, individual):  # as the answers above: ID numbers only
                old, new = masked(change, old), masked(change, new)  # (the clerk calls phones)
            rows.append((label(change.field).get(lang), old, new))
        found.append(
            {
                "number": v.number,
                "kind": v.kind,
                "at": local_time(v.at),
                "actor": actor_name(session, v.actor).get(lang),
                "reason": v.reason,
                "changed_on": v.changed_on,
                "rows": rows,
            }
        )
    return found


def build(
    session: Session, filing: Filing, ctx: Context, lang: Lang, revealed: set[str] | None = None
) -> FilingPage:
    """Return the filing's page as of now."""
    revealed = revealed or set()
    state = state_of(filing)
    due = next_deadline(state, ctx.pack, ctx.calendar)
    deadline = (due[0].get(lang), due[1], (due[1] - ctx.today).days) if due else None
    documents = list(
        session.exec(
            select(GeneratedDocument)
            .where(GeneratedDocument.filing_id == filing.id)
            .order_by(col(GeneratedDocument.id))
        )
    )
    latest = {d.filename: d for d in documents}  # a later render replaces one of that name
    events = session.exec(
        select(LifecycleEvent)
        .where(LifecycleEvent.filing_id == filing.id)
        .order_by(col(LifecycleEvent.id).desc())
    ).all()
    names: dict[str, Text] = {}
    audit = []
    for e in events:
        if e.actor not in names:
            names[e.actor] = actor_name(session, e.actor)
        audit.append(
            {
                "at": local_time(e.at),
                "actor": names[e.actor].get(lang),
                "from": STATUS_LABELS[e.from_status].get(lang) if e.from_status else "—",
                "to": STATUS_LABELS[e.to_status].get(lang),
                "reason": e.reason or "",
            }
        )
    reveals = len(
        session.exec(select(ConsoleReveal.id).where(ConsoleReveal.filing_id == filing.id)).all()
    )
    return FilingPage(
        filing=filing,
        status=_status(state, lang),
        sections=_sections(filing, ctx, lang, revealed),
        steps=_steps(filing, lang),
        deadline=deadline,
        documents=list(latest.values()),
        audit=audit,
        versions=_versions(session, filing, ctx, lang),
        actions=actions_of(filing, lang),
        reasons=[(i, r.get(lang)) for i, r in enumerate(RETURN_REASONS)],
        reveals=reveals,
        revealed=revealed,
    )
