"""`beian chat`: a typed path of a photo of the licence is read like a Telegram photo — shown,
applied on confirmation (issue 30). The applicant's file is read, never copied or removed."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from bot.composition import context_factory
from bot.deliveries import render_in_process
from bot.ocr.worker import OcrWorker
from bot.settings import Settings
from bot.terminal import run_chat
from models import migrate
from models.db import make_engine
from rules.clock import system_clock
from rules.pack import load_pack
from tests.dialogs.transcripts import ENTERPRISE
from tests.fakes.photos import Sample, draw_licence

LICENCE = {
    "uscc": "91330106MA2B3C4D5D",
    "name": "示例云帆科技有限公司",
    "type": "有限责任公司（自然人独资）",
    "legal_representative": "林云帆",
    "address": "示例市示例区云帆路88号云帆大厦12层",
    "established": "2019-03-08",
}


def test_a_typed_photo_path_fills_the_unit_after_confirmation(
    tmp_path: Path, ocr_worker: OcrWorker
) -> None:
    photo = tmp_path / "营业执照.jpg"
    photo.write_bytes(Sample("business_license", LICENCE, draw_licence(LICENCE), "t").jpeg())
    upto = next(i for i, (_, e) in enumerate(ENTERPRISE) if "开办单位的全称" in str(e))
    lines = [said for said, _ in ENTERPRISE[: upto + 1]]
    lines += [f"'{photo}'", "1", "３１００１２"]  # a dropped file comes quoted
    url = f"sqlite:///{tmp_path / 'chat.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    settings = Settings(database_url=url, beian_today=dt.date(2026, 11, 28))
    stdout = io.StringIO()
    code = run_chat(
        engine=engine,
        context=context_factory(settings, load_pack("example"), reads_photos=True),
        clock=system_clock,
        render_set=render_in_process,
        external_id="t",
        lang="zh",
        out=tmp_path / "out",
        stdin=io.StringIO("\n".join(lines) + "\n"),
        stdout=stdout,
        ocr=ocr_worker,
    )
    engine.dispose()
    said = stdout.getvalue()
    assert code == 0
    assert "输入营业执照照片的文件路径可自动填写" in said
    assert "统一社会信用代码：91330106MA2B3C4D5D ✔" in said
    assert "1. 使用这些信息" in said
    assert "已填入" in said
    assert "固定电话" in said.rsplit("３１００１２", 1)[1]  # the postcode, then on
    assert photo.exists()  # the applicant's own file
    assert "Traceback" not in said
