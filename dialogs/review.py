"""The summary the applicant checks, by section, with every value as they would recognise it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from dialogs import texts
from dialogs.model import Stage
from dialogs.spec import Kind, Question, Spec
from rules.changes import FieldChange, change_rows, shown
from rules.codes import ID_TYPES, unit_credential_label
from rules.plan import date_text
from rules.security import suggestion
from rules.text import LIST_SHOWN, Lang, Text, listing, t


def show_value(
    question: Question,
    value: Any,
    lang: Lang,
    answers: dict[str, Any],
    budget: int | None = LIST_SHOWN,
) -> str:
    """Write an answer the way the applicant would recognise it; a list longer than `budget`
    characters shows its first items and its count (None: every item, for a document)."""
    if value is None:
        return texts.NONE_VALUE.get(lang)
    if value == []:
        return texts.NO_ITEMS.get(lang)
    if question.kind is Kind.YESNO:
        return (texts.YES_WORD if value else texts.NO_WORD).get(lang)
    if question.kind is Kind.DATE and isinstance(value, str):
        return date_text(dt.date.fromisoformat(value)).get(lang)
    labels: dict[Any, str] = {o.id: o.label.get(lang) for o in question.options}
    # A filing's answers hold what the form prints (a label in Chinese, a bool): in `lang` too.
    labels.update({o.value: o.label.get(lang) for o in question.options if o.value is not None})
    if isinstance(value, list):
        items = [labels.get(v, str(v)) for v in value]
        return listing(items, lang, budget, clauses=question.check == "statement")
    shown = labels.get(value, labels.get(str(value), str(value)))
    if question.id_type_key:
        id_type = answers.get(question.id_type_key) or "resident_id"
        if id_type != "resident_id":
            return f"{ID_TYPES[id_type].get(lang)} {shown}"
    return shown


def _same_as(
    question: Question, value: Any, spec: Spec, answers: dict[str, Any], lang: Lang
) -> str:
    """The officer or the contact when they are someone already entered: who, by name."""
    if question.key == "_officer_same" and value:
        who = spec.by_key["subject.responsible.name"].label
        name = answers.get("subject.responsible.name") or answers.get("subject.name", "")
    elif question.key == "_contact" and value in ("responsible", "officer"):
        if value == "officer" and not answers.get("_officer_same"):
            who, name = (
                spec.by_key["security_officer.name"].label,
                answers.get("security_officer.name", ""),
            )
        else:
            who = spec.by_key["subject.responsible.name"].label
            name = answers.get("subject.responsible.name") or answers.get("subject.name", "")
    else:
        return show_value(question, value, lang, answers)
    if answers.get("subject_type") == "individual" and name == answers.get("subject.name"):
        return texts.SELF.fill(lang, name=name)
    title = who.get(lang).replace("姓名", "").replace(": name", "")
    return texts.SAME_AS.fill(lang, who=title, name=name)


def section_lines(
    answers: dict[str, Any], spec: Spec, stage: Stage, lang: Lang, subject_type: str | None
) -> list[str]:
    """Return one section of the summary: its applying answers, one line each."""
    colon = "：" if lang == "zh" else ": "
    lines = []
    for q in spec.questions:
        if q.stage is not stage or q.key not in answers or not q.applies(answers):
            continue
        value = answers[q.key]
        if q.key.startswith("_") and value in (False, "other"):
            continue  # someone else: their own lines follow
        shown_q = spec.worded(q, subject_type)
        label = shown_q.label
        if q.key == "subject.credential_number" and subject_type != "individual":
            label = unit_credential_label(str(value))  # an organisation code is named so
        shown_value = _same_as(shown_q, value, spec, answers, lang)
        lines.append(f"  {label.get(lang)}{colon}{shown_value}")
        if q.suggests and value == "suggested":  # what the form will state, item by item:
            # the suggestion follows the answers (an interactive site's has more items)
            found = suggestion(q.suggests, subject_type, answers.get("website.interactive"))
            lines += [f"    {i}. {item.get(lang)}" for i, item in enumerate(found, 1)]
    return lines


def summary_lines(answers: dict[str, Any], spec: Spec, lang: Lang) -> list[str]:
    """Return the whole summary, section by section."""
    subject_type = answers.get("subject_type")
    lines: list[str] = []
    for stage, label in spec.stages:
        section = section_lines(answers, spec, stage, lang, subject_type)
        if section:
            lines.append(f"【{label.zh}】" if lang == "zh" else f"[{label.en}]")
            lines += section
    return lines


# Fields the interview does not ask as such (derived, or set by the bot), by dotted path.
_OTHER_LABELS: dict[str, Text] = {
    "psb_number": t("公安备案号", "Filing number"),
    "subject.responsible.id_type": t("负责人证件类型", "Responsible person's ID type"),
    "security_officer.id_type": t("安全负责人证件类型", "Security officer's ID type"),
    "emergency_contact": t("应急联系人", "Emergency contact"),
}


def field_label(spec: Spec, subject_type: str | None) -> Callable[[str], Text]:
    """Return how a dotted path of the answers is named to a person (its question's label)."""

    def label(path: str) -> Text:
        q = spec.by_key.get(path)
        if q is not None:
            return spec.worded(q, subject_type).label
        return _OTHER_LABELS.get(path, t(path, path))

    return label


def field_value(
    spec: Spec, answers: dict[str, Any], budget: int | None = LIST_SHOWN
) -> Callable[[FieldChange, Any, Lang], str]:
    """Return how a changed value is written to a person (as the summary writes it; `budget`
    as in `show_value`)."""

    def value(change: FieldChange, raw: Any, lang: Lang) -> str:
        q = spec.by_key.get(change.field)
        if q is None or raw is None or isinstance(raw, dict):
            return shown(raw, lang)
        return show_value(q, raw, lang, answers, budget)

    return value


def change_lines(
    changes: list[FieldChange] | tuple[FieldChange, ...],
    spec: Spec,
    answers: dict[str, Any],
    lang: Lang,
    *,
    private: bool = False,
) -> list[str]:
    """Return one line per change, `label：old → new` (`private`: personal numbers masked); a
    list too long to show whole says what left it and what joined it instead."""
    label = field_label(spec, answers.get("subject_type"))
    value = field_value(spec, answers)
    rows = change_rows(changes, label, value, lang=lang, private=private)
    colon = "：" if lang == "zh" else ": "
    lines = []
    for change, (name, old, new) in zip(changes, rows, strict=True):
        moved = _list_moves(change, value, lang)
        lines.append(f"• {name}{colon}{moved if moved is not None else f'{old} → {new}'}")
    return lines


def _list_moves(
    change: FieldChange, value: Callable[[FieldChange, Any, Lang], str], lang: Lang
) -> str | None:
    """「删除 a；新增 b」 for a list change whose old or new list is too long to show whole
    (None: show old → new)."""
    old, new = change.old, change.new
    if not isinstance(old, list) or not isinstance(new, list):
        return None
    sep = "、" if lang == "zh" else ", "
    if max(len(sep.join(map(str, old))), len(sep.join(map(str, new)))) <= LIST_SHOWN:
        return None
    removed = [v for v in old if v not in new]
    added = [v for v in new if v not in old]
    if not removed and not added:  # the same items in another order
        return texts.LIST_REORDERED.get(lang)
    parts = [texts.LIST_REMOVED.fill(lang, values=value(change, removed, lang))] if removed else []
    if added:
        parts.append(texts.LIST_ADDED.fill(lang, values=value(change, added, lang)))
    return ("；" if lang == "zh" else "; ").join(parts)
