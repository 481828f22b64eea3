"""The empty Word copy every .docx starts from: A4, the PDFs' margins, fonts named for Chinese
text, the paragraph styles the writer uses — made once per process from python-docx's
template, trimmed of what it carries for Word's gallery (its styles.xml alone is 430 KB)."""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Any

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from lxml import etree

FONT = "WenQuanYi Micro Hei"  # the PDFs' font (LibreOffice on Linux has it)
FONT_ALTERNATIVE = "SimSun"  # 宋体: on every Chinese Windows, for Word and WPS
SYMBOL_FONT = "Segoe UI Symbol"  # ☐ ☑ in Word; LibreOffice falls back to DejaVu Sans
MARGINS_MM = (18, 16, 20, 16)  # top, right, bottom, left: the PDFs' @page
TEXT_WIDTH_MM = 210 - MARGINS_MM[1] - MARGINS_MM[3]
_RED, _GREY, _DARK = RGBColor(0xAA, 0, 0), RGBColor(0x66, 0x66, 0x66), RGBColor(0x33, 0x33, 0x33)

# Paragraph styles by block kind (documents.blocks.Para.kind): id, name, size in pt,
# alignment, colour, space after in pt. Headings are Word's own (its navigation pane lists them).
PARAGRAPH_STYLES: dict[str, tuple[str, str, float, Any, RGBColor | None, float]] = {
    "h1": ("Heading1", "heading 1", 16, WD_ALIGN_PARAGRAPH.CENTER, None, 4),
    "h2": ("Heading2", "heading 2", 11, None, None, 4),
    "subtitle": ("BeianSubtitle", "Beian Subtitle", 9, WD_ALIGN_PARAGRAPH.CENTER, _DARK, 8),
    "draft": ("BeianDraft", "Beian Draft Note", 8.5, WD_ALIGN_PARAGRAPH.CENTER, _RED, 8),
    "p": ("BeianBody", "Beian Body", 10, None, None, 4),
    "note": ("BeianNote", "Beian Note", 8.5, None, _DARK, 4),
    "li": ("BeianClause", "Beian Clause", 10, None, None, 3),
    "": ("BeianCell", "Beian Cell", 10, None, None, 0),
    "hint": ("BeianHint", "Beian Seal Hint", 8.5, None, _GREY, 0),
    "date": ("BeianDate", "Beian Seal Date", 10, WD_ALIGN_PARAGRAPH.RIGHT, None, 0),
    "tick": ("BeianTick", "Beian Tick", 10, WD_ALIGN_PARAGRAPH.CENTER, None, 0),
    "header": ("BeianDraftMark", "Beian Draft Mark", 8, None, _RED, 0),
    "footer": ("BeianFooter", "Beian Footer", 8.5, WD_ALIGN_PARAGRAPH.CENTER, _DARK, 0),
    "made-by": ("BeianMadeBy", "Beian Made By", 7.5, WD_ALIGN_PARAGRAPH.RIGHT, _GREY, 0),
}
# Character styles by run look (documents.blocks.Run.look).
RUN_STYLES = {"box": "BeianBox", "small": "BeianSmall"}
# python-docx's template styles kept: what ours are based on, and what Word needs.
_KEPT = {"Normal", "DefaultParagraphFont", "TableNormal", "NoList", "TableGrid"}
_KEPT |= {"Heading1", "Heading2", "Heading1Char", "Heading2Char"}
_KEPT |= {"Header", "HeaderChar", "Footer", "FooterChar"}


def name_fonts(rpr: Any, name: str) -> None:
    """Name `name` for every script of run properties (theme fonts would win otherwise)."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attribute in list(fonts.attrib):
        if attribute.endswith("Theme"):
            del fonts.attrib[attribute]
    for script in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(script), name)


def _styles(document: Any) -> None:
    styles = document.styles
    normal = styles["Normal"]
    name_fonts(normal.element.get_or_add_rPr(), FONT)
    normal.font.size = Pt(10)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.2
    for style_id, name, size, align, colour, after in PARAGRAPH_STYLES.values():
        if style_id.startswith("Heading"):
            style = styles[f"Heading {style_id[-1]}"]
            name_fonts(style.element.get_or_add_rPr(), FONT)
            style.font.bold = False  # as the PDF (WenQuanYi has no bold face)
            style.font.color.rgb = RGBColor(0, 0, 0)
            style.paragraph_format.space_before = Pt(10 if style_id == "Heading2" else 0)
        else:
            style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            style.element.set(qn("w:styleId"), style_id)
            style.base_style = normal
        style.font.size = Pt(size)
        if colour is not None:
            style.font.color.rgb = colour
        style.paragraph_format.alignment = align
        style.paragraph_format.space_after = Pt(after)
    clause = styles["Beian Clause"].paragraph_format
    clause.left_indent, clause.first_line_indent = Mm(6), Mm(-6)
    small = styles.add_style("Beian Small", WD_STYLE_TYPE.CHARACTER)
    small.element.set(qn("w:styleId"), RUN_STYLES["small"])
    small.font.size, small.font.color.rgb = Pt(8.5), _GREY
    box = styles.add_style("Beian Box", WD_STYLE_TYPE.CHARACTER)
    box.element.set(qn("w:styleId"), RUN_STYLES["box"])
    name_fonts(box.element.get_or_add_rPr(), SYMBOL_FONT)


def _language(document: Any, lang: str) -> None:
    """Say which language the text is in (Word's proofing; East Asian text is Chinese)."""
    rpr = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))
    rpr = rpr.find(qn("w:rPr"))
    name_fonts(rpr, FONT)
    language = rpr.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        rpr.append(language)
    language.set(qn("w:val"), "en-US" if lang == "en" else "zh-CN")
    language.set(qn("w:eastAsia"), "zh-CN")


def _font_table(document: Any) -> None:
    """Declare the fonts with the alternative to use where one is missing (Word and WPS read
    `w:altName`; the charset says the font is for Chinese)."""
    part = document.part.part_related_by(RT.FONT_TABLE)
    table = etree.fromstring(part.blob)
    for name, alternative, charset in ((FONT, FONT_ALTERNATIVE, "86"), (SYMBOL_FONT, "", "00")):
        font = etree.SubElement(table, qn("w:font"), {qn("w:name"): name})
        if alternative:
            etree.SubElement(font, qn("w:altName"), {qn("w:val"): alternative})
        etree.SubElement(font, qn("w:charset"), {qn("w:val"): charset})
        etree.SubElement(font, qn("w:family"), {qn("w:val"): "swiss"})
        etree.SubElement(font, qn("w:pitch"), {qn("w:val"): "variable"})
    part._blob = etree.tostring(table, xml_declaration=True, encoding="UTF-8", standalone=True)


def _trim(document: Any) -> None:
    """Drop what python-docx's template carries for Word's gallery and its own preview (a
    thumbnail of another document): unused styles, latent styles, stylesWithEffects."""
    element = document.styles.element
    for style in element.findall(qn("w:style")):
        if style.get(qn("w:styleId")) not in _KEPT:
            element.remove(style)
    latent = element.find(qn("w:latentStyles"))
    if latent is not None:
        element.remove(latent)
    for source in (document.part, document.part.package):
        for rid, rel in list(source.rels.items()):
            if rel.reltype.endswith(("/stylesWithEffects", "/thumbnail", "/customXml")):
                del source.rels[rid]
            elif rel.reltype.endswith("/extended-properties"):  # not "Microsoft Macintosh Word"
                app = rel.target_part
                app._blob = app.blob.replace(b"Microsoft Macintosh Word", b"beian")


def _page(document: Any) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    top, right, bottom, left = MARGINS_MM
    section.top_margin, section.right_margin = Mm(top), Mm(right)
    section.bottom_margin, section.left_margin = Mm(bottom), Mm(left)
    section.header_distance = section.footer_distance = Mm(8)
    section.header.is_linked_to_previous = False  # a header and a footer part of its own
    section.footer.is_linked_to_previous = False
    body = document.element.body
    for paragraph in body.findall(qn("w:p")):
        body.remove(paragraph)


@lru_cache(maxsize=2)
def base_docx(lang: str) -> bytes:
    """Return the empty copy for text in `lang` ("zh" or "en"), made once per process."""
    document = docx.Document()
    _trim(document)
    _styles(document)
    _language(document, lang)
    _font_table(document)
    _page(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
