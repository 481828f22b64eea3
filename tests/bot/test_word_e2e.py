"""The Word copies over the local Bot API (issue 31): the real bot, a press of 「Word版（可编辑）」
under the status, /documents offering both, and .docx files python-docx opens."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document

from documents.captions import caption
from rules.enums import DocumentKind
from rules.standing import WORD_LABEL
from tests.bot.test_filing_life_e2e import (
    APPLICANT,
    _beian,
    _interview,
    _newest,
    _press,
    _wait_text,
)
from tests.fakes.bot_api import Call, FakeBotAPI
from tests.fakes.driver import TOKEN, BotProcess

WORD = WORD_LABEL.zh
NAMES = ["备案表-小𠮷的笔记.docx", "安全责任告知书-小𠮷的笔记.docx", "复审材料清单-小𠮷的笔记.docx"]


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    server = FakeBotAPI(TOKEN).start()
    yield server
    server.stop()


def _documents_after(fake: FakeBotAPI, seen: int, count: int) -> list[Call]:
    def arrived() -> list[Call] | None:
        calls = fake.calls_of("sendDocument", APPLICANT)[seen:]
        return calls if len(calls) >= count else None

    found: list[Call] = fake.wait_until(arrived, 30)
    return found


def _file(call: Call) -> tuple[str, bytes]:
    return next(iter(call.files.values()))


def test_the_word_button_sends_editable_copies_and_documents_offers_both(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    bot = BotProcess(fake, tmp_path).start()
    try:
        _interview(fake, APPLICANT)  # the individual: four PDFs, then the status
        pdfs = fake.calls_of("sendDocument", APPLICANT)
        assert all(_file(c)[0].endswith(".pdf") for c in pdfs)  # no Word copy by default
        _press(fake, APPLICANT, APPLICANT, WORD)
        words = _documents_after(fake, len(pdfs), 3)
        assert [_file(c)[0] for c in words] == NAMES
        kinds = [DocumentKind.FILING_FORM, DocumentKind.RESPONSIBILITY, DocumentKind.CHECKLIST]
        for call, kind in zip(words, kinds, strict=True):
            _, content = _file(call)
            document = Document(io.BytesIO(content))  # python-docx opens what Telegram got
            header = "".join(p.text for p in document.sections[0].header.paragraphs)
            assert ("预填稿" in header) is (kind is not DocumentKind.CHECKLIST)
            assert "小𠮷的笔记" in "".join(p.text for p in document.paragraphs) + "".join(
                c.text for t in document.tables for r in t.rows for c in r.cells
            )
            assert call.params["caption"] == caption(kind, individual=True).zh  # as the PDF's

        seen = len(fake.calls_of("sendDocument", APPLICANT))
        before = _newest(fake, APPLICANT)
        fake.push(fake.text_update(APPLICANT, "/documents"))
        offer = _wait_text(fake, APPLICANT, f"按「{WORD}」", before)
        again = _documents_after(fake, seen, 4)
        assert [_file(c)[0] for c in again] == [_file(c)[0] for c in pdfs]  # the PDFs again
        buttons = [b["text"] for row in offer["reply_markup"]["inline_keyboard"] for b in row]
        assert buttons == [WORD]
        fake.push(
            fake.press_update(
                APPLICANT, offer, offer["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            )
        )
        more = _documents_after(fake, seen + 4, 3)
        assert [_file(c)[0] for c in more] == NAMES
        assert "Traceback" not in bot.output()
    finally:
        assert bot.stop() == 0, bot.output()
    with sqlite3.connect(tmp_path / "bot.db") as db:
        kept = db.execute(
            "select format, count(*) from generated_document group by format order by format"
        ).fetchall()
    assert kept == [("docx", 3), ("pdf", 4)]  # pressed twice, the same copies kept once
    printed = _beian(tmp_path, "filings", "export", "1", "--out", str(tmp_path / "export"))
    assert "和 4份PDF、3份Word副本" in printed
    again = _beian(tmp_path, "filings", "export", "1", "--out", str(tmp_path / "export"),
                   "--lang", "en")  # fmt: skip
    assert "and 4 PDF(s), 3 Word copies" in again
    assert sorted(p.name for p in (tmp_path / "export").glob("*.docx")) == sorted(NAMES)
