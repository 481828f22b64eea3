"""Read PDFs back the way a person or a checker would."""

from __future__ import annotations

import io
import re

import pdfplumber
from pypdf import PdfReader


def page_texts(pdf: bytes) -> list[str]:
    """Return each page's text in content-stream order (a wrapped cell stays contiguous)."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def page_chars(pdf: bytes) -> list[tuple[float, float, list[dict[str, object]]]]:
    """Return (width, height, chars) of each page, with positions, via pdfplumber."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [(float(p.width), float(p.height), list(p.chars)) for p in doc.pages]


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def fonts_without_embedding(pdf: bytes) -> list[str]:
    """Return the names of fonts used in the PDF that carry no embedded font file."""
    reader = PdfReader(io.BytesIO(pdf))
    missing = []
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            if not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                missing.append(str(font.get("/BaseFont")))
    return missing
