"""The Word copies (issue 31) say what the PDFs say: every answer, every row, every mark, read
back with python-docx and compared with the PDF's text read back with pypdf."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import io
import zipfile
from collections import Counter
from functools import cache

import lxml.html
import pytest
from docx.oxml.ns import qn
from pypdf import PdfReader

from documents.context import render_html
from documents.model import DocumentContext, document_jobs
from documents.pool import DocumentRenderer
from documents.render import render
from documents.word import HEADERS, WORD_KINDS, render_docx
from documents.word_base import FONT, FONT_ALTERNATIVE
from rules.enums import DocumentKind
from rules.pack import load_pack
from rules.text import Lang
from tests.documents.conftest import SUBJECTS, load_example
from tests.documents.docx_text import body_text, open_docx, table_rows, without_margins
from tests.documents.pdf_text import page_texts, squeeze
from tests.documents.test_render import leaf_strings

K = DocumentKind


def _ctx(lang: Lang = "zh") -> DocumentContext:
    return DocumentContext(pack=load_pack("example"), today=dt.date(2026, 11, 28), lang=lang)


@cache
def _pair(subject: str, kind: DocumentKind, lang: Lang) -> tuple[list[str], bytes]:
    """The PDF's pages (the filing form's first copy) and the .docx, of one document."""
    answers, ctx = load_example(subject), _ctx(lang)
    pages = page_texts(render(kind, answers, ctx).pdf)
    if kind is K.FILING_FORM:
        pages = pages[: len(pages) // 2]
    return pages, render_docx(kind, answers, ctx).docx


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("kind", WORD_KINDS)
@pytest.mark.parametrize("subject", SUBJECTS)
def test_every_answer_that_reaches_the_pdf_reaches_the_word_copy(
    subject: str, kind: DocumentKind, lang: Lang
) -> None:
    pages, content = _pair(subject, kind, lang)
    pdf = "".join(without_margins(squeeze(p)) for p in pages)
    word = body_text(content)
    for value in leaf_strings(load_example(subject)):
        field = squeeze(value)
        assert pdf.count(field) == word.count(field), (value, pdf.count(field))
        if kind is K.FILING_FORM:
            assert field in word, value  # the form carries every answer
    # Nothing else lost or added either: the same characters, as many times (the PDF draws a
    # list's numbers and a seal box's date after the text, so the order differs there).
    assert Counter(pdf) == Counter(word)


@pytest.mark.parametrize("subject", SUBJECTS)
@pytest.mark.parametrize("kind", WORD_KINDS)
def test_the_tables_keep_their_rows_and_cells(subject: str, kind: DocumentKind) -> None:
    html = render_html(kind, load_example(subject), _ctx(), copies=1)
    expected = [
        [[squeeze(cell.text_content()) for cell in tr if cell.tag in ("td", "th")]
         for tr in table.iter("tr")]
        for table in lxml.html.document_fromstring(html).iter("table")
    ]  # fmt: skip
    written = table_rows(render_docx(kind, load_example(subject), _ctx()).docx)
    assert written == expected
    assert sum(len(t) for t in written) >= (30 if kind is K.FILING_FORM else 1)


def test_merged_cells_span_as_in_the_pdf() -> None:
    document = open_docx(render_docx(K.FILING_FORM, load_example("enterprise"), _ctx()).docx)
    first = document.tables[0]
    assert len(first.columns) == 4
    # 法定代表人 spans two rows; its name and ID number beside it; the ID spans two columns.
    rows = [[c.text for c in row.cells] for row in first.rows]
    assert rows[-2][0] == rows[-1][0] == "法定代表人／主要负责人"
    assert rows[-2][1].startswith("姓名：") and rows[-1][1].startswith("手机：")
    assert rows[-2][2] == rows[-2][3] and rows[-2][2].startswith("居民身份证：")


@pytest.mark.parametrize("kind", WORD_KINDS)
def test_a_hostile_answer_is_printed_literally(kind: DocumentKind) -> None:
    answers = load_example("enterprise")
    hostile = "{{7*7}}{% raw %}<w:t>&amp;<&>]]>\"'{% endraw %}"
    subject = answers.subject.model_copy(update={"name": hostile, "address": "路\x0b1号"})
    website = answers.website.model_copy(update={"name": f"站{hostile}"})
    answers = answers.model_copy(update={"subject": subject, "website": website})
    document = render_docx(kind, answers, _ctx())
    text = body_text(document.docx)
    assert squeeze(hostile) in text and "49" not in text.replace("2049", "")
    if kind is K.FILING_FORM:
        assert "路\ufffd1号" in text  # a character XML cannot hold: replaced, never a broken file
    assert open_docx(document.docx).core_properties.author == hostile
    with zipfile.ZipFile(io.BytesIO(document.docx)) as package:
        assert b"<w:t>&amp;" not in package.read("word/document.xml").replace(b"&lt;", b"")


@pytest.mark.parametrize("subject", SUBJECTS)
@pytest.mark.parametrize("kind", WORD_KINDS)
def test_the_drafts_carry_the_pdfs_mark_in_every_sections_header(
    subject: str, kind: DocumentKind
) -> None:
    pages, content = _pair(subject, kind, "zh")
    document = open_docx(content)
    for section in document.sections:
        header = "".join(p.text for p in section.header.paragraphs)
        footer = "".join(p.text for p in section.footer.paragraphs)
        assert not section.different_first_page_header_footer
        if kind in HEADERS:
            assert "预填稿" in header and header == HEADERS[kind]
            assert all(squeeze(header) in squeeze(page) for page in pages)  # the PDF's words
        else:
            assert "预填稿" not in header  # the checklist is no draft (neither is its PDF)
        assert "备案助手生成" in footer
        fields = section.footer._element.iter(qn("w:fldSimple"))
        assert [f.get(qn("w:instr")).strip() for f in fields] == ["PAGE", "NUMPAGES"]


def test_fonts_are_named_for_chinese_text_with_an_alternative() -> None:
    content = render_docx(K.FILING_FORM, load_example("individual"), _ctx()).docx
    document = open_docx(content)
    for style in ("Normal", "Heading 1", "Heading 2"):
        fonts = document.styles[style].element.rPr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:eastAsia")) == fonts.get(qn("w:ascii")) == FONT
        assert not any(name.endswith("Theme") for name in fonts.attrib)  # the theme would win
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        table = package.read("word/fontTable.xml").decode()
        names = package.namelist()
    assert f'w:name="{FONT}"' in table and f'w:val="{FONT_ALTERNATIVE}"' in table
    assert "docProps/thumbnail.jpeg" not in names  # python-docx's picture of another document
    assert "𠮷" in body_text(content)  # a rare character stays itself


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_names_and_metadata_are_the_pdfs(lang: Lang) -> None:
    answers = load_example("government")  # two bureaus: a form for each
    ctx = _ctx(lang)
    jobs = document_jobs(list(WORD_KINDS), answers, ctx)
    assert [k for k, _ in jobs] == [K.FILING_FORM, K.FILING_FORM, K.RESPONSIBILITY, K.CHECKLIST]
    for kind, c in jobs:
        word, pdf = render_docx(kind, answers, c), render(kind, answers, c)
        assert word.filename == pdf.filename.removesuffix(".pdf") + ".docx"
        assert word.filename.isascii() is (lang == "en")
        props, meta = open_docx(word.docx).core_properties, PdfReader(io.BytesIO(pdf.pdf)).metadata
        assert meta is not None
        assert (props.title, props.author) == (meta.title, meta.author) != ("", "")
    forms = [render_docx(k, answers, c) for k, c in jobs if k is K.FILING_FORM]
    assert "受理机关：网站系统维护地（上海）" in body_text(forms[0].docx)
    assert "受理机关：示例市公安局" in body_text(forms[1].docx)


def test_the_pool_writes_a_word_set_off_the_event_loop() -> None:
    answers = load_example("enterprise")

    async def go() -> list[str]:
        with DocumentRenderer(workers=1) as renderer:
            documents = await renderer.render_docx_set(WORD_KINDS, answers, _ctx())
        return [d.filename for d in documents]

    names = asyncio.run(go())
    assert names == [render_docx(k, answers, c).filename
                     for k, c in document_jobs(list(WORD_KINDS), answers, _ctx())]  # fmt: skip
    assert all(name.endswith(".docx") for name in names)


def test_an_english_checklist_is_english_and_the_forms_stay_chinese() -> None:
    answers = load_example("individual")
    english = dataclasses.replace(_ctx(), lang="en")
    checklist = open_docx(render_docx(K.CHECKLIST, answers, english).docx)
    footer = "".join(p.text for p in checklist.sections[0].footer.paragraphs)
    assert "Made by beian" in footer and "页" not in footer
    assert "Materials to bring to re-review" in checklist.paragraphs[0].text
    form = body_text(render_docx(K.FILING_FORM, answers, english).docx)
    assert "计算机信息网络国际联网单位备案表" in form


def test_the_same_document_is_the_same_bytes() -> None:
    """A copy made again (another press, another day's instance) is recognised, not kept twice:
    python-docx dates each file of the package now; ours are dated the document's day."""
    answers = load_example("enterprise")
    first = render_docx(K.RESPONSIBILITY, answers, _ctx()).docx
    with zipfile.ZipFile(io.BytesIO(first)) as package:
        assert {i.date_time[:3] for i in package.infolist()} == {(2026, 11, 28)}
    assert render_docx(K.RESPONSIBILITY, answers, _ctx()).docx == first
