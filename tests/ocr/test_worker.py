"""The OCR worker: a process of its own, started on first use and ended when idle or when a
photo takes longer than its time-out; photos that cannot be read are refused in words."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from bot.ocr.images import MAX_BYTES, NOT_AN_IMAGE, TOO_LARGE, TOO_MANY_PIXELS, check_photo
from bot.ocr.worker import NOT_RECOGNISED, TIMED_OUT, OcrWorker, PhotoError
from tests.fakes.photos import samples

BEIAN = Path(sys.executable).parent / "beian"


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("L", (width, height), 255).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", NOT_AN_IMAGE),
        (b"%PDF-1.7\n1 0 obj", NOT_AN_IMAGE),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, NOT_AN_IMAGE),  # a PNG's signature, then nothing
        (_png(6001, 8), TOO_MANY_PIXELS),
        (b"\xff" * (MAX_BYTES + 1), TOO_LARGE),
    ],
    ids=["empty", "pdf", "broken-png", "6001px", "10MB+1"],
)
def test_what_cannot_be_read_is_refused_with_a_reason(data: bytes, reason: object) -> None:
    with pytest.raises(PhotoError) as refused:
        check_photo(data)
    assert refused.value.reason == reason


def test_a_truncated_jpeg_is_refused() -> None:
    whole = samples("id_card", 1)[0].jpeg()
    with pytest.raises(PhotoError) as refused:
        check_photo(whole[: len(whole) // 2])
    assert refused.value.reason == NOT_AN_IMAGE


def test_a_photo_of_neither_document_says_so(ocr_worker: OcrWorker) -> None:
    image = Image.new("RGB", (800, 400), "white")
    out = io.BytesIO()
    image.save(out, format="JPEG")
    with pytest.raises(PhotoError) as refused:
        ocr_worker.read(out.getvalue())
    assert refused.value.reason == NOT_RECOGNISED


def test_the_worker_starts_on_first_use_ends_when_idle_and_when_a_photo_takes_too_long() -> None:
    worker = OcrWorker(idle=1.0)
    assert not worker.running and worker.starts == 0  # nothing started before a photo
    photo = samples("business_license", 1)[0].jpeg()
    try:
        assert worker.read(photo).reading.kind == "business_license"
        assert worker.running and worker.starts == 1
        deadline = time.monotonic() + 30
        while worker.running and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not worker.running  # ended after being idle
        worker.timeout = 0.001  # no photo is read this fast: the worker is ended, not waited for
        with pytest.raises(PhotoError) as refused:
            worker.read(photo)
        assert refused.value.reason == TIMED_OUT
        assert worker.starts == 2 and not worker.running
    finally:
        worker.close()


def test_beian_ocr_prints_the_json_shape_offline(tmp_path: Path) -> None:
    sample = samples("id_card", 1, seed=3)[0]
    path = tmp_path / "id.jpg"
    path.write_bytes(sample.jpeg())
    command = [str(BEIAN), "ocr", str(path), "--json"]
    # Without a network where the system allows it: the models are in the wheel.
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], check=False).returncode == 0:
        command = [unshare, "-n", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    import json

    result = json.loads(done.stdout)
    assert set(result) == {"kind", "fields", "confidence"}
    assert result["kind"] == "id_card"
    assert set(result["fields"]) == {"name", "sex", "ethnicity", "birth", "address", "id_number"}
    assert result["fields"]["id_number"] == sample.fields["id_number"]
    assert 0 < result["confidence"]["id_number"] <= 1


def test_beian_ocr_refuses_a_file_that_is_no_image_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("not a photo", encoding="utf-8")
    done = subprocess.run(
        [str(BEIAN), "ocr", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [f"{path}: {NOT_AN_IMAGE.zh}"]
