"""Read .docx files back the way Word would, with python-docx."""

from __future__ import annotations

import io
import re

from docx import Document
from docx.document import Document as WordFile
from docx.oxml.ns import qn

from documents.word import FOOTERS, HEADERS


def open_docx(content: bytes) -> WordFile:
    return Document(io.BytesIO(content))


def body_text(content: bytes) -> str:
    """Return the body's text in document order (a merged cell once), whitespace removed."""
    body = open_docx(content).element.body
    return re.sub(r"\s+", "", "".join(t.text or "" for t in body.iter(qn("w:t"))))


def table_rows(content: bytes) -> list[list[list[str]]]:
    """Return each table's rows as the texts of their own cells (a cell that only continues
    the one above, vMerge, is left out), whitespace removed."""
    tables = []
    for tbl in open_docx(content).element.body.iter(qn("w:tbl")):
        rows = []
        for tr in tbl.iter(qn("w:tr")):
            cells = []
            for tc in tr.iter(qn("w:tc")):
                merge = tc.find(f"{qn('w:tcPr')}/{qn('w:vMerge')}")
                if merge is not None and merge.get(qn("w:val")) in (None, "continue"):
                    continue
                cells.append(re.sub(r"\s+", "", "".join(t.text or "" for t in tc.iter(qn("w:t")))))
            rows.append(cells)
        tables.append(rows)
    return tables


# What the PDFs print in their pages' margins, which a Word copy has in its header and footer.
_MARGIN_TEXTS = [
    *(re.escape(re.sub(r"\s+", "", h)) for h in HEADERS.values()),
    *(re.escape(re.sub(r"\s+", "", f[3])) for f in FOOTERS.values()),
    r"第\d+页/共\d+页",
    r"Page\d+of\d+",
    "第一份",
    "第二份",
]


def without_margins(squeezed_pdf_page: str) -> str:
    """Return a PDF page's squeezed text without what its margin boxes print."""
    return re.sub("|".join(_MARGIN_TEXTS), "", squeezed_pdf_page)
