"""Render the applicant's documents: Jinja2 HTML, then PDF bytes through WeasyPrint."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import idna
import jinja2
from weasyprint import CSS, HTML
from weasyprint.document import Document, Page
from weasyprint.formatting_structure.boxes import MarginBox
from weasyprint.text.fonts import FontConfiguration

from documents.fetcher import STATIC_DIR, StaticOnlyFetcher
from documents.fonts import missing_glyphs
from documents.model import DocumentContext, RenderedDocument
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
from rules.routing import RouteStep, route_filing
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
FILE_STEMS_EN: dict[DocumentKind, str] = {
    DocumentKind.FILING_FORM: "filing-form",
    DocumentKind.RESPONSIBILITY: "security-responsibility-notice",
    DocumentKind.CHECKLIST: "materials-checklist",
    DocumentKind.GUIDE: "filing-guide",
    DocumentKind.CHANGE_REPORT: "change-report",
    DocumentKind.CANCELLATION: "cancellation-statement",
}
FILE_STEMS: dict[DocumentKind, str] = {
    DocumentKind.FILING_FORM: "备案表",
    DocumentKind.RESPONSIBILITY: "安全责任告知书",
    DocumentKind.CHECKLIST: "复审材料清单",
    DocumentKind.GUIDE: "办理指引",
    DocumentKind.CHANGE_REPORT: "变更情况说明",
    DocumentKind.CANCELLATION: "注销情况说明",
}
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
@lru_cache(maxsize=1)
def _fonts() -> FontConfiguration:
    return FontConfiguration()


@lru_cache(maxsize=1)
def _stylesheet() -> CSS:
    return CSS(
        filename=str(STATIC_DIR / "forms.css"),
        font_config=_fonts(),
        url_fetcher=StaticOnlyFetcher(),
    )


@lru_cache(maxsize=1)
def _ua_stylesheet() -> CSS:
    return CSS(filename=str(STATIC_DIR / "ua.css"), url_fetcher=StaticOnlyFetcher())


class _FormsHTML(HTML):  # type: ignore[misc]
    """HTML with a user-agent stylesheet trimmed to the elements our templates use.

    WeasyPrint matches all of its ~250 user-agent rules against every element of every
    document; ours are the same values for the ~20 elements we use (static/ua.css).
    """

    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        return [_ua_stylesheet()]


def _location_text(where: Location, city: str | None, pack: Pack) -> str:
    if where is Location.LOCAL:
        return f"本市（{pack.city.zh}）"
    return f"外地（{city}）" if city else "外地"


def _registrars_text(answers: FilingAnswers) -> str:
    registrars, domains = answers.website.domain_registrars, answers.website.domains
    if len(registrars) == len(domains) > 1:
        return "；".join(f"{d}：{r}" for d, r in zip(domains, registrars, strict=True))
    return "；".join(registrars)


def _bureau(step: RouteStep, answers: FilingAnswers, lang: Lang) -> dict[str, Any]:
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
            for m in materials_for(answers.subject_type, pack)
        ]
    return {
        "order": step.order,
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
    route = route_filing(
        answers.maintenance, answers.server, pack, answers.maintenance_city, answers.server_city
    )
    dates = FilingDates(
        connection_date=answers.connection_date,
        submitted_on=ctx.submitted_on,
        initial_passed_on=ctx.initial_passed_on,
        materials_received_on=ctx.materials_received_on,
    )
    plan = procedure_plan(pack, ctx.calendar, today=ctx.today, route=route, dates=dates)
    bureaus = [_bureau(step, answers, lang) for step in route.steps]
    addressed = next((b for b in bureaus if b["order"] == ctx.step), bureaus[0])
    # The materials deadline is known once the first bureau's initial review is passed.
    first = route.steps[0]
    materials_deadline = (
        compute_deadline(PeriodKind.MATERIALS, ctx.initial_passed_on, pack, ctx.calendar)
        if ctx.initial_passed_on is not None and first.pack is not None
        else None
    )
    change = ctx.change
    change_period = change_period_text(pack.periods.change_report)
    penalty = pack.penalty("not_filing")
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
            else ("not online yet" if english else "尚未开通")
        ),
        "maintenance_text": _location_text(answers.maintenance, answers.maintenance_city, pack),
        "server_text": _location_text(answers.server, answers.server_city, pack),
        "route": route,
        "route_advice": route.advice.get(lang),
        "bureaus": bureaus,
        "addressed": addressed,
        "two_bureaus": len(bureaus) > 1,
        "plan": _plan_rows(plan, lang),
        "estimate_notes": [n.get(lang) for n in estimate_notes(plan)],
        "not_filing": {"text": penalty.text.get(lang), "basis": penalty.basis.get(lang)},
        "materials_deadline": (
            {
                "due_text": by_day(materials_deadline.due).get(lang),
                "rule": materials_deadline.rule.get(lang),
                "estimate": materials_deadline.estimate,
                "note": (
                    materials_deadline.estimate_note.get(lang)
                    if materials_deadline.estimate_note
                    else ""
                ),
            }
            if materials_deadline
            else None
        ),
        "materials_rule": _rule_text(pack, lang),
        "change_period": change_period.zh,
        "officer_is_signer": _same_person(answers),
        "measures": answers.website.security_measures or [],
        "policies": answers.website.security_policies or [],
        "filing_number": ctx.filing_number
        or answers.psb_number
        or (change.psb_number if change else None),
        "change": (
            {
                "changed_on_text": date_text(change.changed_on).zh,
                "reason": change.reason,
                "rows": change.items,
            }
            if change
            else None
        ),
        "cancellation": (
            {
                "on_text": date_text(ctx.cancellation.on).zh,
                "reason": ctx.cancellation.reason,
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


_UNSAFE_IN_NAMES = re.compile(r"[^0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f_-]+")
_NOT_ASCII_SAFE = re.compile(r"[^0-9A-Za-z_-]+")


def _ascii_name(answers: FilingAnswers) -> str:
    """The site's name in ASCII for an English file name: its Latin part, else its domain."""
    name = _NOT_ASCII_SAFE.sub("_", answers.website.name).strip("_")
    if len(name.replace("_", "")) >= 2:
        return name[:40]
    try:
        domain = idna.encode(answers.website.domains[0], uts46=True).decode("ascii")
    except idna.IDNAError:
        domain = ""
    return _NOT_ASCII_SAFE.sub("_", domain).strip("_")[:40] or "site"


def filename_for(
    kind: DocumentKind, answers: FilingAnswers, ctx: DocumentContext | None = None
) -> str:
    """Return a file name such as 备案表-云帆科技官网.pdf (English: filing-form-My_Blog.pdf):
    only letters, digits, CJK, `-` and `_` (no dots, slashes, controls or direction marks that
    could disguise the extension). A filing form of a two-city route says which bureau."""
    english = ctx is not None and ctx.lang == "en"
    if english:
        stem, site = FILE_STEMS_EN[kind], _ascii_name(answers)
    else:
        stem = FILE_STEMS[kind]
        site = _UNSAFE_IN_NAMES.sub("_", answers.website.name).strip("_")[:40] or "site"
    if kind is DocumentKind.FILING_FORM and ctx is not None and ctx.step is not None:
        stem += f"-{_bureau_tag(answers, ctx, english)}"
    return f"{stem}-{site}.pdf"


def _bureau_tag(answers: FilingAnswers, ctx: DocumentContext, english: bool) -> str:
    route = route_filing(
        answers.maintenance, answers.server, ctx.pack, answers.maintenance_city, answers.server_city
    )
    step = next(s for s in route.steps if s.order == ctx.step)
    city = (step.pack.city if step.pack is not None else None) or None
    if english:
        name = _NOT_ASCII_SAFE.sub("_", city.en if city else step.city or "").strip("_")
        return f"{step.order}" + (f"-{name}" if name else "")
    name = city.zh if city else (step.city or "")
    return f"{step.order}-" + (_UNSAFE_IN_NAMES.sub("_", name).strip("_") or "外地")


def _user_texts(answers: FilingAnswers, ctx: DocumentContext) -> list[str]:
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


def _layout(html: str, fetcher: StaticOnlyFetcher) -> Document:
    return _FormsHTML(string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=fetcher).render(
        font_config=_fonts(), stylesheets=[_stylesheet()]
    )


def _blank_copy_html(pages: int) -> str:
    breaks = '<div style="break-before: page"></div>' * (pages - 1)
    return f'<html><body><section class="copy copy-2"><div></div>{breaks}</section></body></html>'


@lru_cache(maxsize=8)
def _second_copy_margins(pages: int) -> tuple[tuple[MarginBox, ...], ...]:
    """Lay out a blank copy-2 document of `pages` pages once per process; keep its margin
    boxes (第二份, 第 n 页 / 共 m 页). They hold no applicant data, so they are shared."""
    blank = _layout(_blank_copy_html(pages), StaticOnlyFetcher())
    assert len(blank.pages) == pages
    return tuple(
        tuple(c for c in page._page_box.children if isinstance(c, MarginBox))
        for page in blank.pages
    )


def _two_copies(first: Document) -> Document:
    """Append copy 2: copy 1's laid-out pages with copy 2's margin boxes — the form is laid
    out once, not twice."""
    second = []
    for page, marks in zip(first.pages, _second_copy_margins(len(first.pages)), strict=True):
        content = [c for c in page._page_box.children if not isinstance(c, MarginBox)]
        second.append(Page(page._page_box.copy_with_children([*content, *marks])))
    return first.copy([*first.pages, *second])


def render(
    kind: DocumentKind,
    answers: FilingAnswers,
    ctx: DocumentContext,
    fetcher: StaticOnlyFetcher | None = None,
) -> RenderedDocument:
    """Render one document to PDF; characters no font has are reported, not dropped silently."""
    fetcher = fetcher or StaticOnlyFetcher()
    if kind is DocumentKind.FILING_FORM:
        document = _two_copies(_layout(render_html(kind, answers, ctx, copies=1), fetcher))
    else:
        document = _layout(render_html(kind, answers, ctx), fetcher)
    pdf = document.write_pdf()
    assert pdf is not None
    return RenderedDocument(
        kind=kind,
        filename=filename_for(kind, answers, ctx),
        pdf=pdf,
        pages=len(document.pages),
        missing_glyphs=tuple(missing_glyphs(_user_texts(answers, ctx))),
    )
