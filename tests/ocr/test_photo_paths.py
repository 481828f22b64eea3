"""`beian chat`: which typed lines are a photo's path, and the files that cannot be read."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.ocr.images import TOO_LARGE
from bot.ocr.reading import photo_path, read_photo_file
from bot.ocr.worker import OcrWorker


def test_a_path_to_an_image_is_a_photo_and_an_answer_is_not(tmp_path: Path) -> None:
    photo = tmp_path / "执照.JPG"
    photo.write_bytes(b"x")
    assert photo_path(str(photo)) == photo
    assert photo_path(f"'{photo}'") == photo  # a file dropped on the terminal comes quoted
    assert photo_path("/no/such/licence.png") == Path("/no/such/licence.png")  # said missing
    assert photo_path("示例市示例区云帆路88号") is None
    assert photo_path("www.example.cn") is None
    assert photo_path("logo.png") is None  # no such file here and no folder: an answer


@pytest.mark.parametrize("case", ["missing", "folder", "too-large"])
def test_a_file_that_cannot_be_read_is_said_before_the_reader_starts(
    tmp_path: Path, case: str
) -> None:
    path = tmp_path / "licence.jpg"
    if case == "folder":
        path.mkdir()
    elif case == "too-large":
        with path.open("wb") as out:
            out.truncate(10 * 1024 * 1024 + 1)
    worker = OcrWorker()
    engine = sa.create_engine("sqlite://")
    read = read_photo_file(worker, path, engine=engine, channel="terminal", external_id="t")
    assert read.problem is not None
    assert not worker.running  # nothing was sent to a reader
    if case == "missing":
        assert read.problem.zh == f"找不到文件 {path}。"
    elif case == "folder":
        assert read.problem.zh.startswith(f"无法读取文件 {path}")
    else:
        assert read.problem == TOO_LARGE
