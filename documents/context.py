"""What the documents say: the values the templates get, and their HTML (no PDF library).

The PDF (`documents.render`, WeasyPrint) and the Word copy (`documents.word`, python-docx) are
both made from `render_html`, so what each says has one source: the templates and
`template_context`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2

from documents.model import DocumentContext
from rules.answers import ACCESS_METHOD_LABELS, FilingAnswers
from rules.codes import ID_TYPES
from rules.deadlines import compute_deadline
from rules.enums import DocumentKind, Location, PeriodKind, SubjectType
from rules.materials import SUBJECT_LABELS, materials_for, requirement
from rules.pack import Pack
from rules.plan import (
    FilingDates,
    PlanStep,
    by_day,
    change_period_text,
    date_text,
    estimate_notes,
    procedure_plan,
)
from rules.routing import RouteStep, route_of
from rules.text import Lang

TITLES: dict[DocumentKind, str] = {
    DocumentKind.FILING_FORM: "计算机信息网络国际联网单位备案表",
    DocumentKind.RESPONSIBILITY: "ICP（网站）安全责任告知书",
    DocumentKind.CHECKLIST: "复审材料清单",
    DocumentKind.GUIDE: "办理指引",
    DocumentKind.CHANGE_REPORT: "网站备案变更情况书面说明",
    DocumentKind.CANCELLATION: "网站备案注销情况书面说明",
}
TITLES_EN: dict[DocumentKind, str] = {
    DocumentKind.FILING_FORM: "Filing form (计算机信息网络国际联网单位备案表)",
    DocumentKind.RESPONSIBILITY: "Security responsibility notice (安全责任告知书)",
    DocumentKind.CHECKLIST: "Materials checklist for re-review",
    DocumentKind.GUIDE: "Filing guide",
    DocumentKind.CHANGE_REPORT: "Change report (变更情况书面说明)",
    DocumentKind.CANCELLATION: "Cancellation statement (注销情况书面说明)",
}
# Written in the applicant's language; the other documents are forms the bureau reads.
TRANSLATED = frozenset({DocumentKind.GUIDE, DocumentKind.CHECKLIST})
TEMPLATES: dict[DocumentKind, str] = {
    DocumentKind.FILING_FORM: "filing_form.html.j2",
    DocumentKind.RESPONSIBILITY: "responsibility.html.j2",
    DocumentKind.CHECKLIST: "checklist.html.j2",
    DocumentKind.GUIDE: "guide.html.j2",
    DocumentKind.CHANGE_REPORT: "change_report.html.j2",
    DocumentKind.CANCELLATION: "cancellation.html.j2",
}


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("documents", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


# One FontConfiguration and one parsed stylesheet per process: memory stays flat.


def _location_text(where: Location, city: str | None, pack: Pack) -> str:
    if where is Location.LOCAL:
        return f"本市（{pack.city.zh}）"
    return f"外地（{city}）" if city else "外地"


def _registrars_text(answers: FilingAnswers) -> str:
    registrars, domains = answers.website.domain_registrars, answers.website.domains
    if len(registrars) == len(domains) > 1:
        return "；".join(f"{d}：{r}" for d, r in zip(domains, registrars, strict=True))
    return "；".join(registrars)


def _bureau(
    step: RouteStep, answers: FilingAnswers, lang: Lang, order: int | None = None
) -> dict[str, Any]:
    """What the documents say of one bureau of the route: its details from its pack (this
    city's, or an installed neighbour's), or that its own local rules apply."""
    pack = step.pack
    materials: list[dict[str, Any]] | None = None
    if pack is not None and answers.subject_type in pack.subject_types:
        materials = [
            {
                "item": m.item.get(lang),
                "note": m.note.get(lang) if m.note else "",
                "copies": m.copies,
                "requirement": requirement(m).get(lang),
            }
            for m in materials_for(answers.subject_type, pack, answers.subject.credential_type)
        ]
    return {
        "order": step.order if order is None else order,
        "name": step.bureau.get(lang),
        "name_zh": step.bureau.zh,
        "local": step.local,
        "known": pack is not None,
        "example": pack.example if pack is not None else False,
        "city": (pack.city.get(lang) if pack is not None else step.city) or "",
        "address": pack.bureau.address.get(lang) if pack is not None else "",
        "phone": pack.bureau.phone if pack is not None else "",
        "hours": pack.bureau.office_hours.get(lang) if pack is not None else "",
        "system": pack.filing_system_url if pack is not None else "",
        "materials": materials,
        "re_review_days": pack.periods.re_review.days if pack is not None else None,
    }


def _plan_rows(plan: list[PlanStep], lang: Lang) -> list[dict[str, Any]]:
    return [
        {
            "what": s.what.get(lang),
            "when": s.when.get(lang),
            "basis": s.basis.get(lang),
            "estimate": s.estimate,
            "overdue": s.overdue_days,
            "consequence": s.consequence.get(lang) if s.consequence else "",
        }
        for s in plan
    ]


def template_context(
    kind: DocumentKind, answers: FilingAnswers, ctx: DocumentContext
) -> dict[str, Any]:
    """Return every value the templates use (plain data, escaped by Jinja2). The guide and
    the checklist are in the applicant's language; the forms are Chinese."""
    pack = ctx.pack
    lang: Lang = ctx.lang if kind in TRANSLATED else "zh"
    english = lang == "en"
    return {
        "title": TITLES[kind] if not english else TITLES_EN[kind],
        "lang": lang,
        "english": english,
        "tr": (lambda zh, en: en) if english else (lambda zh, en: zh),
        "author": answers.subject.name,
        "site_name": answers.website.name,
        "created": ctx.today.isoformat(),
        "today_text": date_text(ctx.today).get(lang),
        "pack": pack,
        "answers": answers,
        "s": answers.subject,
        "w": answers.website,
        **_answer_texts(answers, pack, lang),
        **_route_values(answers, ctx, lang),
        "materials_rule": _rule_text(pack, lang),
        "change_period": change_period_text(pack.periods.change_report).zh,
        "officer_is_signer": _same_person(answers),
        "measures": answers.website.security_measures or [],
        "policies": answers.website.security_policies or [],
        **_recorded_values(answers, ctx),
    }


def _answer_texts(answers: FilingAnswers, pack: Pack, lang: Lang) -> dict[str, Any]:
    """The answers' words as the forms write them: labels, the connection date, places."""
    return {
        "individual": answers.subject_type is SubjectType.INDIVIDUAL,
        "subject_label": SUBJECT_LABELS[answers.subject_type].get(lang),
        "subject_labels": [(k.value, SUBJECT_LABELS[k].zh) for k in pack.subject_types],
        "credential_label": answers.credential_label.zh,
        "access_labels": [(k.value, v.zh) for k, v in ACCESS_METHOD_LABELS.items()],
        "id_labels": {k: v.zh for k, v in ID_TYPES.items()},
        "registrars_text": _registrars_text(answers),
        "connection_text": (
            date_text(answers.connection_date).get(lang)
            if answers.connection_date
            else ("not online yet" if lang == "en" else "尚未开通")
        ),
        "maintenance_text": _location_text(answers.maintenance, answers.maintenance_city, pack),
        "server_text": _location_text(answers.server, answers.server_city, pack),
    }


def _route_values(answers: FilingAnswers, ctx: DocumentContext, lang: Lang) -> dict[str, Any]:
    """Where to file and when: the route, its bureaus, the plan, the materials' deadline."""
    pack = ctx.pack
    route = route_of(answers, pack)
    dates = FilingDates(
        connection_date=answers.connection_date,
        submitted_on=ctx.submitted_on,
        initial_passed_on=ctx.initial_passed_on,
        materials_received_on=ctx.materials_received_on,
    )
    plan = procedure_plan(pack, ctx.calendar, today=ctx.today, route=route, dates=dates)
    bureaus = sorted(
        (_bureau(step, answers, lang, ctx.order_of(step)) for step in route.steps),
        key=lambda b: int(b["order"]),
    )  # numbered as the filing counts its steps (a change may have moved the site)
    penalty = pack.penalty("not_filing")
    return {
        "route": route,
        "route_advice": route.advice.get(lang),
        "bureaus": bureaus,
        "addressed": next((b for b in bureaus if b["order"] == ctx.step), bureaus[0]),
        "two_bureaus": len(bureaus) > 1,
        "plan": _plan_rows(plan, lang),
        "estimate_notes": [n.get(lang) for n in estimate_notes(plan)],
        "not_filing": {"text": penalty.text.get(lang), "basis": penalty.basis.get(lang)},
        "materials_deadline": _materials_deadline(route.steps[0], ctx, lang),
    }


def _materials_deadline(first: RouteStep, ctx: DocumentContext, lang: Lang) -> Any:
    """The materials' deadline, known once the first bureau's initial review is passed."""
    if ctx.initial_passed_on is None or first.pack is None:
        return None
    due = compute_deadline(PeriodKind.MATERIALS, ctx.initial_passed_on, ctx.pack, ctx.calendar)
    return {
        "due_text": by_day(due.due).get(lang),
        "rule": due.rule.get(lang),
        "estimate": due.estimate,
        "note": due.estimate_note.get(lang) if due.estimate_note else "",
    }


def _recorded_values(answers: FilingAnswers, ctx: DocumentContext) -> dict[str, Any]:
    """What the filing's record adds: its number, a reported change, a cancellation."""
    change = ctx.change
    return {
        "filing_number": ctx.filing_number
        or answers.psb_number
        or (change.psb_number if change else None),
        "change": (
            {
                "changed_on_text": date_text(change.changed_on).zh,
                "reason": change.reason,
                "rows": change.items,
                "to": change.to,
            }
            if change
            else None
        ),
        "cancellation": (
            {
                "on_text": date_text(ctx.cancellation.on).zh,
                "reason": ctx.cancellation.reason,
                "to": ctx.cancellation.to,
            }
            if ctx.cancellation
            else None
        ),
    }


def _rule_text(pack: Pack, lang: Lang) -> str:
    days = pack.periods.materials.days
    if lang == "en":
        return f"within {days} working days after passing initial review (dated once it passes)"
    return f"初审合格后{days}个工作日内（初审合格后即可算出具体日期）"


def _same_person(answers: FilingAnswers) -> bool:
    """Say whether the security officer is the one who signs for an individual's site."""
    officer, signer = answers.security_officer, answers.subject.responsible
    return (officer.name, officer.id_number) == (signer.name, signer.id_number)


def render_html(
    kind: DocumentKind, answers: FilingAnswers, ctx: DocumentContext, *, copies: int = 2
) -> str:
    """Return the document's HTML (the filing form with `copies` copies)."""
    template = _environment().get_template(TEMPLATES[kind])
    return template.render({**template_context(kind, answers, ctx), "copies": copies})


def user_texts(answers: FilingAnswers, ctx: DocumentContext) -> list[str]:
    texts: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(answers.model_dump(mode="json"))
    if ctx.change is not None:
        walk(ctx.change.model_dump(mode="json"))
    if ctx.cancellation is not None:
        walk(ctx.cancellation.model_dump(mode="json"))
    return texts
