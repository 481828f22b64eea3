"""Render the applicant's documents: Jinja2 HTML, then PDF bytes through WeasyPrint."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

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
from rules.enums import DocumentKind, Location, SubjectType
from rules.materials import SUBJECT_LABELS, materials_for, requirement
from rules.pack import Pack
from rules.plan import date_text, estimate_notes, procedure_plan
from rules.routing import route_filing

TITLES: dict[DocumentKind, str] = {
    DocumentKind.FILING_FORM: "计算机信息网络国际联网单位备案表",
    DocumentKind.RESPONSIBILITY: "ICP（网站）安全责任告知书",
    DocumentKind.CHECKLIST: "复审材料清单",
    DocumentKind.GUIDE: "办理指引",
    DocumentKind.CHANGE_REPORT: "网站备案变更情况书面说明",
}
FILE_STEMS: dict[DocumentKind, str] = {
    DocumentKind.FILING_FORM: "备案表",
    DocumentKind.RESPONSIBILITY: "安全责任告知书",
    DocumentKind.CHECKLIST: "复审材料清单",
    DocumentKind.GUIDE: "办理指引",
    DocumentKind.CHANGE_REPORT: "变更情况说明",
}
TEMPLATES: dict[DocumentKind, str] = {
    DocumentKind.FILING_FORM: "filing_form.html.j2",
    DocumentKind.RESPONSIBILITY: "responsibility.html.j2",
    DocumentKind.CHECKLIST: "checklist.html.j2",
    DocumentKind.GUIDE: "guide.html.j2",
    DocumentKind.CHANGE_REPORT: "change_report.html.j2",
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


def template_context(
    kind: DocumentKind, answers: FilingAnswers, ctx: DocumentContext
) -> dict[str, Any]:
    """Return every value the templates use (plain data, escaped by Jinja2)."""
    pack = ctx.pack
    plan = procedure_plan(
        pack,
        ctx.calendar,
        connection_date=answers.connection_date,
        submitted_on=ctx.submitted_on,
        initial_passed_on=ctx.initial_passed_on,
        materials_received_on=ctx.materials_received_on,
    )
    materials = materials_for(answers.subject_type, pack)
    materials_deadline = plan[2].deadline
    change = ctx.change
    return {
        "title": TITLES[kind],
        "author": answers.subject.name,
        "site_name": answers.website.name,
        "created": ctx.today.isoformat(),
        "today_text": date_text(ctx.today).zh,
        "pack": pack,
        "answers": answers,
        "s": answers.subject,
        "w": answers.website,
        "individual": answers.subject_type is SubjectType.INDIVIDUAL,
        "subject_label": SUBJECT_LABELS[answers.subject_type].zh,
        "subject_labels": [(k.value, SUBJECT_LABELS[k].zh) for k in pack.subject_types],
        "credential_label": answers.credential_label.zh,
        "access_labels": [(k.value, v.zh) for k, v in ACCESS_METHOD_LABELS.items()],
        "id_labels": {k: v.zh for k, v in ID_TYPES.items()},
        "registrars_text": _registrars_text(answers),
        "connection_text": (
            date_text(answers.connection_date).zh if answers.connection_date else "尚未开通"
        ),
        "maintenance_text": _location_text(answers.maintenance, answers.maintenance_city, pack),
        "server_text": _location_text(answers.server, answers.server_city, pack),
        "route": route_filing(
            answers.maintenance, answers.server, pack, answers.maintenance_city, answers.server_city
        ),
        "plan": [
            {
                "what": s.what.zh,
                "when": s.when.zh,
                "basis": s.basis.zh,
                "estimate": s.estimate,
            }
            for s in plan
        ],
        "estimate_notes": [n.zh for n in estimate_notes(plan)],
        "not_filing": pack.penalty("not_filing"),
        "materials": materials,
        "requirements": [requirement(m).zh for m in materials],
        "materials_deadline": (
            {
                "due_text": date_text(materials_deadline.due).zh,
                "rule": materials_deadline.rule.zh,
                "estimate": materials_deadline.estimate,
                "note": (
                    materials_deadline.estimate_note.zh if materials_deadline.estimate_note else ""
                ),
            }
            if materials_deadline
            else None
        ),
        "filing_number": ctx.filing_number,
        "change": (
            {
                "changed_on_text": date_text(change.changed_on).zh,
                "reason": change.reason,
                "rows": change.items,
            }
            if change
            else None
        ),
    }


def render_html(
    kind: DocumentKind, answers: FilingAnswers, ctx: DocumentContext, *, copies: int = 2
) -> str:
    """Return the document's HTML (the filing form with `copies` copies)."""
    template = _environment().get_template(TEMPLATES[kind])
    return template.render({**template_context(kind, answers, ctx), "copies": copies})


_UNSAFE_IN_NAMES = re.compile(r"[^0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f_-]+")


def filename_for(kind: DocumentKind, answers: FilingAnswers) -> str:
    """Return a file name such as 备案表-云帆科技官网.pdf: only letters, digits, CJK, `-` and `_`
    (no dots, slashes, controls or direction marks that could disguise the extension)."""
    site = _UNSAFE_IN_NAMES.sub("_", answers.website.name).strip("_")[:40]
    return f"{FILE_STEMS[kind]}-{site or 'site'}.pdf"


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
        filename=filename_for(kind, answers),
        pdf=pdf,
        pages=len(document.pages),
        missing_glyphs=tuple(missing_glyphs(_user_texts(answers, ctx))),
    )
