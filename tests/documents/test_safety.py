"""Whatever a user types goes into the forms as text: nothing is fetched, nothing overflows."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest
from fontTools.ttLib import TTCollection, TTFont
from weasyprint import HTML

from documents import fonts
from documents.fetcher import STATIC_DIR, StaticOnlyFetcher
from documents.fonts import covered_codepoints
from documents.model import document_jobs
from documents.pool import DocumentRenderer
from documents.render import DocumentContext, render
from rules.enums import DocumentKind
from tests.documents.conftest import load_example
from tests.documents.pdf_text import page_chars, page_texts, squeeze


class _Counter(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Counter.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { background: red }")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def trap_server() -> Iterator[str]:
    """A local HTTP server that counts every request made to it."""
    _Counter.hits = []
    server = HTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_fetcher_refuses_files_and_the_network_and_serves_its_static_folder(
    trap_server: str,
) -> None:
    fetcher = StaticOnlyFetcher()
    html = f"""<html><head>
      <link rel="stylesheet" href="{trap_server}/link.css">
      <style>@import url("{trap_server}/import.css"); @import url("file:///etc/passwd");</style>
      </head><body><img src="file:///etc/passwd"><img src="{trap_server}/img.png">
      <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
      <link rel="stylesheet" href="forms.css"></body></html>"""
    HTML(string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=fetcher).write_pdf()
    assert _Counter.hits == []
    assert f"{trap_server}/link.css" in fetcher.refused
    assert f"{trap_server}/import.css" in fetcher.refused
    assert f"{trap_server}/img.png" in fetcher.refused
    assert "file:///etc/passwd" in fetcher.refused
    assert (STATIC_DIR / "forms.css").as_uri() in fetcher.asked
    assert (STATIC_DIR / "forms.css").as_uri() not in fetcher.refused
    assert not any(url.startswith("data:") for url in fetcher.refused)


def test_markup_in_answers_comes_out_as_literal_text(
    ctx: DocumentContext, trap_server: str
) -> None:
    answers = load_example("enterprise")
    hostile = {
        "name": f'<img src="file:///etc/passwd"><link rel=stylesheet href="{trap_server}/x.css">',
        "address": f'</td></tr></table><style>@import url("{trap_server}/y.css");</style>',
    }
    subject = answers.subject.model_copy(update=hostile)
    website = answers.website.model_copy(update={"name": "{{ 7*7 }}<b>粗</b>&amp;"})
    answers = answers.model_copy(update={"subject": subject, "website": website})
    fetcher = StaticOnlyFetcher()
    for kind in DocumentKind:
        doc = render(kind, answers, ctx, fetcher=fetcher)
        text = squeeze("".join(page_texts(doc.pdf)))
        assert squeeze("{{ 7*7 }}<b>粗</b>&amp;") in text
        if kind is DocumentKind.FILING_FORM:
            assert squeeze(hostile["name"]) in text and squeeze(hostile["address"]) in text
    assert _Counter.hits == []
    assert fetcher.asked == []  # nothing in the rendered HTML refers to any resource


def test_very_long_names_wrap_inside_the_page(ctx: DocumentContext) -> None:
    answers = load_example("enterprise")
    long_name = "超长名称" * 45 + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" * 3  # 258 characters, no spaces
    subject = answers.subject.model_copy(update={"name": long_name[:200]})
    website = answers.website.model_copy(
        update={"name": long_name[:200], "server_address": "很长的地址" * 150}
    )
    answers = answers.model_copy(update={"subject": subject, "website": website})
    for kind in DocumentKind:
        doc = render(kind, answers, ctx)
        text = squeeze("".join(page_texts(doc.pdf)))
        assert squeeze(long_name[:200]) in text.replace("\n", "")
        for width, height, chars in page_chars(doc.pdf):
            assert chars
            for c in chars:
                assert float(c["x0"]) >= 0 and float(c["x1"]) <= width, (kind, c["text"])
                assert float(c["top"]) >= 0 and float(c["bottom"]) <= height, (kind, c["text"])


def test_rare_characters_render_and_an_unknown_one_is_reported(ctx: DocumentContext) -> None:
    answers = load_example("individual")  # 林小𠮷, 㵘水街
    doc = render(DocumentKind.FILING_FORM, answers, ctx)
    text = "".join(page_texts(doc.pdf))
    assert "𠮷" in text and "㵘" in text and "，" in text
    assert doc.missing_glyphs == ()

    unknown = next(chr(cp) for cp in range(0x31350, 0x323AF) if cp not in covered_codepoints())
    subject = answers.subject.model_copy(update={"address": f"示例路{unknown}号"})
    doc = render(DocumentKind.FILING_FORM, answers.model_copy(update={"subject": subject}), ctx)
    assert doc.missing_glyphs == (unknown,)


def test_the_pool_renders_a_whole_set_off_the_event_loop(ctx: DocumentContext) -> None:
    answers = load_example("government")

    async def go() -> list[int]:
        with DocumentRenderer(workers=2) as renderer:
            docs = await renderer.render_set(list(DocumentKind), answers, ctx)
        # maintained in 上海, server here: a filing form for each bureau, then the others
        assert [d.kind for d in docs] == [DocumentKind.FILING_FORM, *DocumentKind]
        assert len({d.filename for d in docs}) == len(docs)
        assert all(d.pdf.startswith(b"%PDF-") for d in docs)
        return [d.pages for d in docs]

    pages = asyncio.run(go())
    jobs = document_jobs(list(DocumentKind), answers, ctx)
    assert pages == [render(k, answers, c).pages for k, c in jobs]


def test_the_fonts_coverage_is_the_code_points_fonttools_maps_to_named_glyphs() -> None:
    """`covered_codepoints` reads each cmap without naming its glyphs (fast): what it finds is
    what fontTools finds reading the same fonts in full, for a collection and a single font."""
    files = fonts._font_files()
    collection = next(f for f in files if f.endswith(".ttc"))  # WenQuanYi
    single = next(f for f in files if f.endswith("HanaMinA.ttf"))
    expected: set[int] = set()
    for font in [*TTCollection(collection).fonts, TTFont(single)]:
        named = font.getBestCmap()
        assert named and all(isinstance(name, str) for name in named.values())
        expected |= set(named)
    found = set().union(*(fonts._code_points(f) for f in TTCollection(collection, lazy=True)))
    found |= fonts._code_points(TTFont(single, lazy=True))
    assert found == expected
    assert {0x6C49, 0x3D58} <= found  # 汉 (WenQuanYi), 㵘 (HanaMin)
    assert expected <= covered_codepoints()
