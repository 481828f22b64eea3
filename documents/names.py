"""The documents' file names: safe on every system, saying what each is and for which site."""

from __future__ import annotations

import re

import idna

from documents.model import DocumentContext
from rules.answers import FilingAnswers
from rules.enums import DocumentKind
from rules.routing import route_of

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
    kind: DocumentKind,
    answers: FilingAnswers,
    ctx: DocumentContext | None = None,
    suffix: str = ".pdf",
) -> str:
    """Return a file name such as 备案表-云帆科技官网.pdf (English: filing-form-My_Blog.pdf):
    only letters, digits, CJK, `-` and `_` (no dots, slashes, controls or direction marks that
    could disguise the extension). A filing form of a two-city route says which bureau. The
    Word copy has the same name with `suffix` ".docx"."""
    english = ctx is not None and ctx.lang == "en"
    if english:
        stem, site = FILE_STEMS_EN[kind], _ascii_name(answers)
    else:
        stem = FILE_STEMS[kind]
        site = _UNSAFE_IN_NAMES.sub("_", answers.website.name).strip("_")[:40] or "site"
    if kind is DocumentKind.FILING_FORM and ctx is not None and ctx.step is not None:
        stem += f"-{_bureau_tag(answers, ctx, english)}"
    return f"{stem}-{site}{suffix}"


def _bureau_tag(answers: FilingAnswers, ctx: DocumentContext, english: bool) -> str:
    route = route_of(answers, ctx.pack)
    step = next(s for s in route.steps if ctx.order_of(s) == ctx.step)
    city = (step.pack.city if step.pack is not None else None) or None
    if english:
        name = _NOT_ASCII_SAFE.sub("_", city.en if city else step.city or "").strip("_")
        return f"{ctx.step}" + (f"-{name}" if name else "")
    name = city.zh if city else (step.city or "")
    return f"{ctx.step}-" + (_UNSAFE_IN_NAMES.sub("_", name).strip("_") or "外地")
