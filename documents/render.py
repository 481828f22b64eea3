"""Render the applicant's documents to PDF: the templates' HTML through WeasyPrint."""

from __future__ import annotations

from functools import lru_cache

from weasyprint import CSS, HTML
from weasyprint.document import Document, Page
from weasyprint.formatting_structure.boxes import MarginBox
from weasyprint.text.fonts import FontConfiguration

from documents.context import TITLES, render_html, template_context, user_texts
from documents.fetcher import STATIC_DIR, StaticOnlyFetcher
from documents.fonts import missing_glyphs
from documents.model import DocumentContext, RenderedDocument
from documents.names import filename_for
from rules.answers import FilingAnswers
from rules.enums import DocumentKind

# Callers and tests import these from here too.
__all__ = [
    "TITLES",
    "DocumentContext",
    "RenderedDocument",
    "filename_for",
    "render",
    "render_html",
    "template_context",
]


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
        missing_glyphs=tuple(missing_glyphs(user_texts(answers, ctx))),
    )
