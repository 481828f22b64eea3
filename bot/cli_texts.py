"""What the `beian filings` verbs print for people (their JSON keeps the values): statuses and
events by their labels, in the language asked for."""

from __future__ import annotations

from typing import Any

from rules.filing_life import audit_step
from rules.text import Lang, t

# What is audited outside the lifecycle machine (`rules.events.PREPARE`, `RECORD_ICON`), and
# the kinds of a filing's versions, as people read them; the fixed reasons those records are
# written with (Chinese) are their label already, not said again in English.
_OTHER_EVENTS = {
    "prepare": t("生成文件", "documents made"),
    "record_icon": t("已放置备案图标", "icon placed"),
}
_VERSION_KINDS = {
    "created": t("确认", "confirmed"),
    "amended": t("修改", "amended"),
    "changed": t("变更", "changed"),
    "online": t("网站开通", "went online"),
    "change_returned": t("变更被退回", "change returned"),
}
_FIXED_REASONS = frozenset({"已放置备案图标", "网站已开通"})


def _event_label(event: str | None, lang: Any, from_status: str | None = None) -> str:
    """An audited event as people read it (its name where it has none); a certification of
    a reported change is the change accepted (nothing was re-reviewed or issued)."""
    from rules.filing_life import EVENT_LABELS
    from rules.lifecycle import FilingEvent

    if event in _OTHER_EVENTS:
        return _OTHER_EVENTS[event].get(lang)
    if event == FilingEvent.CERTIFY.value and from_status == "change_reported":
        return t("变更审核通过", "change accepted").get(lang)
    try:
        return EVENT_LABELS[FilingEvent(event or "")].get(lang)
    except (ValueError, KeyError):
        return event or "?"


def _version_kind(kind: str, lang: Any) -> str:
    """A filing version's kind as people read it (its name where it has none)."""
    found = _VERSION_KINDS.get(kind)
    return found.get(lang) if found is not None else kind


def _reason(reason: str | None, lang: Any, bureaus: dict[str, str] | None = None) -> str:
    """A recorded reason as shown: what people typed as it is; not the fixed reasons the
    records are written with (their event or kind says it, in the language asked for). In
    English the fixed words the audit puts before it (`rules.filing_life.decide`: the step
    and its bureau, 申请人自报; a change's 变更：) and a return's reasons chosen from the
    buttons are said in English, the bureau by its English name (`bureaus`: the filing's,
    Chinese to English)."""
    if not reason or reason in _FIXED_REASONS:
        return ""
    if lang != "en":
        return reason
    head = ""
    step = audit_step(reason)
    if step is not None:
        order, bureau, reason = step
        head = f"step {order} ({(bureaus or {}).get(bureau, bureau)}) "
    for zh, en in _PREFIXES_EN:
        if reason.startswith(zh):
            head, reason = head + en, reason[len(zh) :]
    return f"{head}{'; '.join(_return_reason_en(r) for r in reason.split('；'))}".strip()


def _return_reason_en(reason: str) -> str:
    """A return's reason in English when it is one of the buttons' (else as typed)."""
    from rules.filing_life import RETURN_REASONS

    return next((r.en for r in RETURN_REASONS if r.zh == reason), reason)


_PREFIXES_EN = (("（申请人自报）", "(self-reported) "), ("变更：", "change: "))


def _label(status: str, lang: Any) -> str:
    """A status as people read it (the JSON keeps the value)."""
    from rules.enums import FilingStatus
    from rules.filing_life import STATUS_LABELS

    return STATUS_LABELS[FilingStatus(status)].get(lang)


def _change_recorded(
    filing_id: int, outcome: Any, on: Any, reason: str, ctx: Any, lang: Lang
) -> tuple[dict[str, Any], list[str]]:
    """What `filings change` prints once the change is recorded: its JSON and its lines."""
    from bot.logs import mask

    deadline = outcome.deadline
    payload = {
        "id": filing_id,
        "ok": True,
        "status": outcome.status,
        "changed_on": on.isoformat(),
        "reason": reason,
        "changes": [c.to_json() for c in outcome.changes],
        "deadline": deadline.due.isoformat() if deadline else None,
        "deadline_estimate": bool(deadline and deadline.estimate),  # holidays not published
        "deadline_confirmed": ctx.pack.periods.change_report.confirmed,
        "route_advice": outcome.advice.zh if outcome.advice else None,
    }
    due, estimate = payload["deadline"], bool(deadline and deadline.estimate)
    if lang == "zh":
        flag = "（估算：当年节假日安排尚未公布）" if estimate else ""
        status = _label(outcome.status, lang)
        lines = [f"#{filing_id} 变更已记录（{status}）；报告期限 {due}{flag}"]
    else:
        flag = " (estimate: that year's holidays are not published)" if estimate else ""
        lines = [f"#{filing_id} change recorded ({outcome.status}); report by {due}{flag}"]
    lines += [mask(f"  {c['field']}: {c['old']!r} → {c['new']!r}") for c in payload["changes"]]
    if outcome.advice is not None:
        lines.append(outcome.advice.get(lang))
    return payload, lines
