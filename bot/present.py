"""Turn rules' results into the CLI's JSON shapes and its human-readable lines."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from rules.text import Lang

if TYPE_CHECKING:  # each verb of the CLI imports only what it uses (start-up time)
    from rules.deadlines import Deadline
    from rules.fields import FieldResult
    from rules.pack import Material
    from rules.routing import Route


def weekday(d: dt.date, lang: Lang) -> str:
    """Return the weekday's name of `d`."""
    from rules.plan import weekday_text

    return weekday_text(d).get(lang)


def route_json(route: Route, lang: Lang) -> dict[str, Any]:
    """Return the `beian route --json` shape."""
    return {
        "in_scope": route.in_scope,
        "steps": [
            {"order": s.order, "where": s.where.value, "bureau": s.bureau.get(lang)}
            for s in route.steps
        ],
        "advice": route.advice.get(lang),
    }


def route_lines(route: Route, lang: Lang) -> list[str]:
    """Return the routing verdict for people."""
    head = "备案地点：" if lang == "zh" else "Where to file:"
    if not route.in_scope:
        head = "不属于本市受理范围。建议：" if lang == "zh" else "Not this city's case. Instead:"
    lines = [head]
    lines += [f"  {s.order}. {s.bureau.get(lang)}" for s in route.steps]
    lines.append(route.advice.get(lang))
    return lines


def deadline_json(deadline: Deadline, lang: Lang) -> dict[str, Any]:
    """Return the `beian deadline --json` shape."""
    note = deadline.estimate_note
    return {
        "kind": deadline.kind.value,
        "from": deadline.start.isoformat(),
        "due": deadline.due.isoformat(),
        "estimate": deadline.estimate,
        "rule": deadline.rule.get(lang),
        "basis": deadline.basis.get(lang),
        "note": note.get(lang) if note else None,
    }


def _label(lang: Lang, zh: str, en: str) -> str:
    return f"{zh}：" if lang == "zh" else f"{en}: "


def deadline_lines(deadline: Deadline, lang: Lang) -> list[str]:
    """Return a deadline for people."""
    flag = ""
    if deadline.estimate:
        flag = "（估算）" if lang == "zh" else " (estimate)"
    lines = [
        f"{_label(lang, '截止日期', 'Due')}{deadline.due.isoformat()} "
        f"{weekday(deadline.due, lang)}{flag}",
        f"{_label(lang, '规则', 'Rule')}{deadline.rule.get(lang)}",
        f"{_label(lang, '依据', 'Basis')}{deadline.basis.get(lang)}",
    ]
    note = deadline.estimate_note
    if note:
        lines.append(note.get(lang))
    return lines


def material_json(material: Material, lang: Lang) -> dict[str, Any]:
    """Return one item of the `beian materials --json` list."""
    return {
        "item": material.item.get(lang),
        "copies": material.copies,
        "stamp": material.stamp,
        "sign": material.sign,
        "note": material.note.get(lang) if material.note else None,
    }


def material_line(index: int, material: Material, lang: Lang) -> str:
    """Return one checklist line for people."""
    from rules.materials import requirement

    sep = "，" if lang == "zh" else ", "
    if lang == "zh":
        copies = f"{material.copies}份"
    else:
        copies = f"{material.copies} cop{'y' if material.copies == 1 else 'ies'}"
    parts = [material.item.get(lang), copies, requirement(material).get(lang)]
    if material.note:
        parts.append(material.note.get(lang))
    return f"{index}. {sep.join(parts)}"


def check_json(result: FieldResult, lang: Lang) -> dict[str, Any]:
    """Return the `beian check --json` shape."""
    return {
        "valid": result.valid,
        "normalized": result.normalized,
        "error": result.error.get(lang) if result.error else None,
    }
