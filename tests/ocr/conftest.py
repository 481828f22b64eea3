"""One OCR worker for the whole test process: starting one costs seconds (the models load
and warm up), so the tests that read photos share it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.ocr.worker import OcrWorker


@pytest.fixture(scope="session")
def ocr_worker() -> Iterator[OcrWorker]:
    worker = OcrWorker()
    yield worker
    worker.close()
