"""Editable Word copies (.docx) of the forms, for applicants who adjust a line before printing.

Written from the same HTML as the PDFs (`documents.context.render_html`, read back as blocks by
`documents.blocks`): one source for what each document says. Word lays out its own pages, so
what the PDF draws in its page margins (the 预填稿 mark, the page numbers) is the section's
header and footer here. The body is written as WordprocessingML elements directly (through
python-docx's paragraph and cell objects a copy took ~4x as long); python-docx opens, describes
and saves the package.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any, cast

import docx
from docx.opc.pkgwriter import PackageWriter
from lxml import etree

from documents.blocks import Block, Cell, Para, Run, Table, document_blocks
from documents.context import render_html
from documents.model import DocumentContext
from documents.names import filename_for
from documents.word_base import PARAGRAPH_STYLES, RUN_STYLES, TEXT_WIDTH_MM, base_docx
from rules.answers import FilingAnswers
from rules.enums import DocumentKind

# The documents an applicant may edit: the form they copy into the filing system, the notice
# some bureaus accept typed, and the checklist they tick. (The guide and the statements: PDF.)
WORD_KINDS: tuple[DocumentKind, ...] = (
    DocumentKind.FILING_FORM,
    DocumentKind.RESPONSIBILITY,
    DocumentKind.CHECKLIST,
)
# What the PDF prints in its pages' top margin (static/forms.css), as the Word copy's header:
# the drafts are marked on every page.
HEADERS: dict[DocumentKind, str] = {
    DocumentKind.FILING_FORM: "填报参考（预填稿）· 以备案系统生成的备案表为准",
    DocumentKind.RESPONSIBILITY: "预填稿 · 以备案系统生成的告知书为准",
}
# The PDF's page footer: (before the page number, between it and the count, after the count,
# the note on the right).
FOOTERS: dict[str, tuple[str, str, str, str]] = {
    "zh": ("第 ", " 页 / 共 ", " 页", "备案助手生成 · 请核对后使用"),
    "en": ("Page ", " of ", "", "Made by beian · check before use"),
}
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
# Characters XML 1.0 cannot hold (the answers' checks refuse them; a file must never fail).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# Rows kept tall for a stamp or a signature, cells left for handwriting (as forms.css).
_ROW_MM = {"seal-row": 32, "sign-row": 12, "handwrite": 24}


@dataclass(frozen=True)
class WordDocument:
    """A finished .docx and its file name (the PDF's, ending .docx)."""

    kind: DocumentKind
    filename: str
    docx: bytes


def _twips(mm: float) -> str:
    return str(round(mm * 1440 / 25.4))


def _add(parent: Any, tag: str, **attributes: str) -> Any:
    return etree.SubElement(parent, _W + tag, {_W + k: v for k, v in attributes.items()})


def _run(p: Any, run: Run) -> None:
    r = _add(p, "r")
    style = RUN_STYLES.get(run.look)
    if style is not None:
        _add(_add(r, "rPr"), "rStyle", val=style)
    text = _add(r, "t")
    text.text = _NOT_XML.sub("\ufffd", run.text)
    text.set(_SPACE, "preserve")


def _paragraph(parent: Any, para: Para, kind: str | None = None) -> Any:
    p = _add(parent, "p")
    _add(_add(p, "pPr"), "pStyle", val=PARAGRAPH_STYLES[kind or para.kind][0])
    for run in para.runs:
        _run(p, run)
    return p


def _row_height(table: Table, classes: frozenset[str], cells: list[Cell]) -> float | None:
    if "sign-row" in classes:
        return _ROW_MM["sign-row"]
    if "seal-row" in classes or "seal-row" in table.classes:
        return _ROW_MM["seal-row"]
    if any("handwrite" in c.classes for c in cells):
        return _ROW_MM["handwrite"]
    return None


def _cell(tr: Any, width: float, span: int, merge: str | None, fill: str | None) -> Any:
    tc = _add(tr, "tc")
    properties = _add(tc, "tcPr")
    _add(properties, "tcW", w=_twips(width), type="dxa")
    if span > 1:
        _add(properties, "gridSpan", val=str(span))
    if merge is not None:
        _add(properties, "vMerge", val=merge)
    if fill is not None:
        _add(properties, "shd", val="clear", color="auto", fill=fill)
    return tc


def _table(body: Any, table: Table) -> Any:
    """Write a table: its column widths, its spans (gridSpan, vMerge) and heading cells."""
    known = sum(w for w in table.widths if w is not None)
    unknown = sum(1 for w in table.widths if w is None) or 1
    widths = [TEXT_WIDTH_MM * (w if w is not None else (1 - known) / unknown) for w in table.widths]
    tbl = _add(body, "tbl")
    properties = _add(tbl, "tblPr")
    _add(properties, "tblStyle", val="TableGrid")
    _add(properties, "tblW", w=_twips(sum(widths)), type="dxa")
    _add(properties, "tblLayout", type="fixed")
    _add(properties, "tblLook", val="0000")
    grid = _add(tbl, "tblGrid")
    for width in widths:
        _add(grid, "gridCol", w=_twips(width))
    below: dict[int, tuple[int, int]] = {}  # grid column -> (rows still spanned, its colspan)
    fill = "E4E4E4" if "bureau" in table.classes else "F0F0F0"
    for row in table.rows:
        tr = _add(tbl, "tr")
        row_properties = _add(tr, "trPr")
        _add(row_properties, "cantSplit")
        height = _row_height(table, row.classes, row.cells)
        if height is not None:
            _add(row_properties, "trHeight", val=_twips(height), hRule="atLeast")
        cells = iter(row.cells)
        column = 0
        while column < len(widths):
            left, span = below.get(column, (0, 1))
            if left > 0:  # covered by a cell of a row above
                tc = _cell(tr, sum(widths[column : column + span]), span, "continue", None)
                _add(tc, "p")
                below[column] = (left - 1, span)
                column += span
                continue
            cell = next(cells, None)
            if cell is None:
                break
            span = max(1, min(cell.colspan, len(widths) - column))
            merge = "restart" if cell.rowspan > 1 else None
            tc = _cell(tr, sum(widths[column : column + span]), span, merge,
                       fill if cell.header else None)  # fmt: skip
            if cell.rowspan > 1:
                below[column] = (cell.rowspan - 1, span)
            kind = "tick" if "tick" in cell.classes else None
            for para in cell.paras:
                _paragraph(tc, para, kind if para.kind == "" else None)
            if not cell.paras:
                _paragraph(tc, Para(""))
            column += span
    return tbl


def _body(document: Any, blocks: list[Block]) -> None:
    body = document.element.body
    end = body.find(_W + "sectPr")
    holder = etree.Element(_W + "body")
    previous: Block | None = None
    for block in blocks:
        if isinstance(block, Table):
            if isinstance(previous, Table):  # two tables with nothing between are one in Word
                _paragraph(holder, Para(""))
            _table(holder, block)
        else:
            _paragraph(holder, block)
        previous = block
    for element in list(holder):
        end.addprevious(element)


def _field(p: Any, instruction: str) -> None:
    """Append a field (PAGE, NUMPAGES) that Word and LibreOffice fill in."""
    field = _add(p, "fldSimple", instr=f" {instruction} ")
    _add(_add(field, "r"), "t").text = "1"


def _margins(document: Any, kind: DocumentKind, lang: str) -> None:
    """Write the header (the draft mark) and the footer (page n of m, who made it)."""
    section = document.sections[0]
    header = section.header._element
    for p in header.findall(_W + "p"):
        header.remove(p)
    if kind in HEADERS:
        _paragraph(header, Para("header", [Run(HEADERS[kind])]))
    else:
        _add(header, "p")
    footer = section.footer._element
    for p in footer.findall(_W + "p"):
        footer.remove(p)
    before, between, after, made_by = FOOTERS["en" if lang == "en" else "zh"]
    numbers = _paragraph(footer, Para("footer", [Run(before)]))
    _field(numbers, "PAGE")
    _run(numbers, Run(between))
    _field(numbers, "NUMPAGES")
    if after:
        _run(numbers, Run(after))
    _paragraph(footer, Para("made-by", [Run(made_by)]))


def _describe(document: Any, meta: dict[str, str]) -> None:
    props = document.core_properties
    props.title = meta["title"]
    props.author = meta.get("author", "")
    props.subject = meta.get("description", "")
    props.last_modified_by = props.comments = meta.get("generator", "")
    props.language = meta["lang"]
    props.revision = 1
    created = dt.datetime.fromisoformat(meta.get("dcterms.created") or "2000-01-01")
    props.created = props.modified = created.replace(tzinfo=dt.UTC)


def render_docx(kind: DocumentKind, answers: FilingAnswers, ctx: DocumentContext) -> WordDocument:
    """Write one document as an editable .docx (the filing form once: print it twice)."""
    meta, blocks = document_blocks(render_html(kind, answers, ctx, copies=1))
    lang = "en" if meta["lang"] == "en" else "zh"
    document = docx.Document(io.BytesIO(base_docx(lang)))
    _describe(document, meta)
    _margins(document, kind, lang)
    _body(document, blocks)
    content = _saved(document, ctx.today)
    return WordDocument(kind, filename_for(kind, answers, ctx, suffix=".docx"), content)


class _DatedZip:
    """python-docx's zip writer, with each file dated the document's day (python-docx dates
    them now): the same document is the same bytes, so a copy made again is recognised."""

    def __init__(self, stream: io.BytesIO, day: dt.date) -> None:
        self._zip = zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED)
        self._time = (day.year, day.month, day.day, 0, 0, 0)

    def write(self, pack_uri: Any, blob: bytes) -> None:
        entry = zipfile.ZipInfo(pack_uri.membername, self._time)
        entry.compress_type = zipfile.ZIP_DEFLATED
        self._zip.writestr(entry, blob)

    def close(self) -> None:
        self._zip.close()


def _saved(document: Any, day: dt.date) -> bytes:
    """Return the package's bytes: `OpcPackage.save` with a dated zip writer (its steps are
    python-docx's `PackageWriter.write`; python-docx is pinned in uv.lock)."""
    package = document.part.package
    parts = list(package.parts)
    for part in parts:
        part.before_marshal()
    out = io.BytesIO()
    writer, steps = _DatedZip(out, day), cast(Any, PackageWriter)
    steps._write_content_types_stream(writer, parts)
    steps._write_pkg_rels(writer, package.rels)
    steps._write_parts(writer, parts)
    writer.close()
    return out.getvalue()
