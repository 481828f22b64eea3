"""One OCR worker for the whole test process: starting one costs seconds (the models load
and warm up), so the tests that read photos share it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.ocr.worker import OcrWorker


@pytest.fixture(scope="session")
def ocr_worker() -> Iterator[OcrWorker]:
    # A generous time-out: the machine running the suite may be busy (its own test checks
    # the 10 s time-out ends a worker).
    worker = OcrWorker(timeout=120)
    yield worker
    worker.close()
